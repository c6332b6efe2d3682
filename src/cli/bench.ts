/**
 * `deno task bench`: parses the flags, runs {@linkcode runBench} (`src/bench/mod.ts`: each
 * implementation and backend on the seed's workload in a process of its own, then the cold start)
 * and prints its report, as text or with `--json`. A benchmark: nothing here is asserted.
 *
 * @module
 */

import {
  type Command,
  type Flags,
  numberFlag,
  parseFlags,
  printResult,
  progress,
  stringFlag,
} from "./common.ts";
import { UsageError } from "../util/errors.ts";
import { BENCH_BACKENDS, formatBenchReport, IMPLS, runBench } from "../bench/mod.ts";

const HELP = `Usage: deno task bench [--quick] [--json] [--impl LIST] [--backend LIST] [flags]

Runs the seed's workload (lstm: LSTM(50, seq) → Dropout(0.2) → LSTM(50) → Dropout →
Dense(25, relu) → Dense(1, sigmoid); 958 synthetic sequences of 60 × 10, batch 32, Adam 0.001,
binary cross-entropy) and prints, per implementation and backend, each in its own process:
  epoch s      seconds per training epoch with the product's loop (trainModel), median of the
               timed epochs after one warm-up epoch; validation is one window per epoch, inside
               the timing
  predict1     single-sequence latency p50/p99 after warm-up: the signal plugin's predictWindow
               for the fused kernels, model.predict + dataSync for stock layers
  batch        sequences per second predicted in batches of 256 (model.predict)
  peak RSS     the process's memory high-water mark (VmHWM; sampled RSS where /proc is missing)
and the cold start: spawning a fresh process → its first signal from a saved model.

Rows: stock/wasm, fast/wasm (the fused kernels on one core), fast-2core/wasm (each batch split
with a worker on the second core: what training does by default on 2+ cores),
stock/cpu (1 timed epoch after a 64-window warm-up: ~30 s an epoch; --epochs N times N),
fast/cpu, stock/webgpu (with a hardware adapter; a software adapter such as llvmpipe runs
only when --backend names webgpu, reduced: 64 windows timed and scaled, 20 calls).
A default run takes about 3 minutes on 2 cores.

Flags:
  --quick           a short run: 64-window warm-up, 1 timed epoch of 256 windows (scaled to
                    958), 50 calls, 0.3 s of batches, 1 cold start
  --impl LIST       ${IMPLS.join(",")} (default all)
  --backend LIST    ${BENCH_BACKENDS.join(",")} (default all that are available)
  --epochs N        timed epochs per row (default 3; --quick 1)
  --calls N         timed single-sequence predictions (default 200; --quick 50)
  --json            print one JSON object: { workload, machine, results, skipped, coldStartMs, coldStart }
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
    log: progress,
  });
  printResult(flags, report, () => formatBenchReport(report));
  return failed ? 1 : 0;
};
