#!/bin/sh
# Builds kernels/rnn.wasm from kernels/rnn.c with Debian's clang + lld (apt-get install clang lld).
# Reproducible: no timestamps or paths end up in the module. `kernels/build.sh --check` rebuilds
# into a temporary file and fails if it differs from the committed kernels/rnn.wasm.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/rnn.wasm"
if [ "${1:-}" = "--check" ]; then out=$(mktemp --suffix=.wasm); fi
clang --target=wasm32 -O3 -msimd128 -ffreestanding -nostdlib -fno-builtin-memset \
  -Wall -Wextra -Werror \
  -Wl,--no-entry -Wl,--export-dynamic -Wl,--export=__heap_base -Wl,--strip-all \
  -Wl,--initial-memory=1048576 -Wl,--growable-table -Wl,-z,stack-size=65536 \
  -o "$out" "$here/rnn.c"
if [ "${1:-}" = "--check" ]; then
  if cmp -s "$out" "$here/rnn.wasm"; then echo "kernels/rnn.wasm is up to date"; rm -f "$out"
  else echo "kernels/rnn.wasm differs from a fresh build of kernels/rnn.c" >&2; rm -f "$out"; exit 1; fi
fi
