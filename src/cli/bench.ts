/**
 * `deno task bench`: parses the flags, runs {@linkcode runBench} (`src/bench/mod.ts`: each
 * implementation and backend on the seed's workload in a process of its own, then the cold start)
 * and prints its report, as text or with `--json`. A benchmark: nothing here is asserted.
 *
 * @module
 */

import { type Flags, numberFlag, parseFlags, stringFlag } from "./common.ts";
import { type Command, printResult, progress } from "./output.ts";
import { UsageError } from "../util/errors.ts";
import { BENCH_BACKENDS, formatBenchReport, IMPLS, runBench } from "../bench/mod.ts";

const HELP = `Usage: deno task bench [--quick] [--json] [--impl LIST] [--backend LIST] [flags]

Runs the seed's workload (lstm: LSTM(50, seq) → Dropout(0.2) → LSTM(50) → Dropout →
Dense(25, relu) → Dense(1, sigmoid); 958 synthetic sequences of 60 × 10, batch 32, Adam 0.001,
binary cross-entropy) and prints, per implementation and backend, each in its own process:
  epoch s      seconds per training epoch with the product's loop (trainModel), median of the
               timed epochs after one warm-up epoch; validation is one window per epoch, inside
               the timing
  ×            relative to stock/wasm (training: sequences per second)
  predict1     single-sequence latency p50/p99 after warm-up: the signal plugin's predictWindow
               for the fused kernels, model.predict + dataSync for stock layers
  batch        sequences per second predicted in batches of 256 (model.predict)
  peak RSS     the process's memory high-water mark (VmHWM; sampled RSS where /proc is missing)
then the large-batch rows (the same model at batch 1024 over 100k windows, where GPUs are meant
to win: a few batches timed and scaled, training only), and the cold start: spawning a fresh
process → its first signal from a saved model, and the signal plugin's cost per bar with 0, 1
and 2 shadow versions (deno task models shadow).

Rows: stock/wasm; fast/wasm (the fused kernels on one core, the kernel build chosen at start-up:
relaxed SIMD with fused multiply-add where the runtime has it); fast-plain/wasm (the plain-SIMD
build); fast-2core/wasm (each batch split with a worker on the second core: what training does by
default on 2+ cores); stock/cpu (1 timed epoch after a 64-window warm-up: ~30 s an epoch;
--epochs N times N); fast/cpu; stock/webgpu and fast/webgpu (the fused WGSL recurrence) with a
hardware adapter (a software adapter such as llvmpipe runs only when --backend names webgpu,
reduced: 64 windows timed and scaled, 20 calls); large batch: fast-2core/wasm, stock/webgpu,
fast/webgpu; then the study rows (see --study-only; not with --quick). A default run takes about
6 minutes on 2 cores.

Flags:
  --quick           a short run: 64-window warm-up, 1 timed epoch of 256 windows (scaled to
                    958), 50 calls, 0.3 s of batches, 1 cold start
  --impl LIST       ${IMPLS.join(",")} (default all)
  --backend LIST    ${BENCH_BACKENDS.join(",")} (default all that are available)
  --epochs N        timed epochs per row (default 3; --quick and large-batch rows 1)
  --calls N         timed single-sequence predictions (default 200; --quick 50)
  --seed-only       skip the large-batch rows and the study rows
  --study-only      only the study rows: the universe studies' network (one LSTM(25) over 240
                    steps, dropout 0.1, Dense(1, sigmoid), RMSprop) at batch 512 on 240 × 3 and
                    240 × 1 synthetic windows, 1 thread and every core: training and batch
                    prediction windows/s, peak RSS, and PyTorch CPU on the same shapes in the same
                    run (Debian's python3-torch; the bench says how to install it when absent)
  --universe        the universe row even with --quick (it runs by default otherwise): 500
                    synthetic symbols over 5 years as one date-split dataset, training windows/s
                    and the process's peak RSS (which must stay under 1.5 GB)
  --profile         time the phases of the fused path in each row (kernels, worker round trips,
                    waits, masks, Adam) and print them per epoch
  --json            print one JSON object: { workload, machine, results, skipped, coldStartMs, coldStart, shadow[, universe][, study] }
  -h, --help        this text`;

/** A comma-separated list of some of `choices`, or undefined when the flag is absent. */
function listFlag<T extends string>(
  flags: Flags,
  name: string,
  choices: readonly T[],
): T[] | undefined {
  const raw = stringFlag(flags, name);
  if (raw === undefined) return undefined;
  const items = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const item of items) {
    if (!(choices as readonly string[]).includes(item)) {
      throw new UsageError(
        `Expected --${name} to list some of ${choices.join(", ")}, found "${item}"`,
      );
    }
  }
  if (items.length === 0) throw new UsageError(`Expected --${name} to have a value, found none`);
  return items as T[];
}

/** An optional whole-number flag from 1 to `max`: undefined when absent. */
function countFlag(flags: Flags, name: string, max: number): number | undefined {
  if (flags[name] === undefined) return undefined;
  return numberFlag(flags, name, 1, { min: 1, max, integer: true });
}

/** Runs `deno task bench`. */
export const bench: Command = async (args: string[]): Promise<number> => {
  const { flags } = parseFlags(args, {
    quick: { type: "boolean" },
    impl: { type: "string" },
    backend: { type: "string" },
    epochs: { type: "string" },
    calls: { type: "string" },
    "seed-only": { type: "boolean" },
    "study-only": { type: "boolean" },
    profile: { type: "boolean" },
    universe: { type: "boolean" },
  });
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const { report, failed } = await runBench({
    quick: flags.quick === true,
    epochs: countFlag(flags, "epochs", 100),
    calls: countFlag(flags, "calls", 100_000),
    impls: listFlag(flags, "impl", IMPLS),
    backends: listFlag(flags, "backend", BENCH_BACKENDS),
    large: flags["seed-only"] !== true,
    studyOnly: flags["study-only"] === true,
    profile: flags.profile === true,
    universe: flags.universe === true ? true : undefined,
    log: progress,
  });
  printResult(flags, report, () => formatBenchReport(report));
  return failed ? 1 : 0;
};
