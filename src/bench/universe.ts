/**
 * The universe row of `deno task bench`: a 500-symbol, 5-year synthetic universe (the seeded
 * synthetic market, 2020-2024, about 650 000 bars) built into a date-split, beats-median dataset
 * of 60-bar windows of the default features (`buildUniverseDataset`: per-symbol feature tables,
 * windows written on demand), then the seed's `lstm` trained on it with the product's loop
 * (`trainModel`, batch 32) for a timed stretch of windows. It reports the dataset's build time and
 * size, training windows per second, the epoch that rate implies, and the peak resident memory of
 * the whole process (the kernel's VmHWM, read by the parent while the child holds): the figure
 * that must stay under 1.5 GB however many windows the universe has. A benchmark: nothing here is
 * asserted.
 *
 * Run as a child: `deno run --allow-read src/bench/universe.ts '<spec JSON>' --hold`.
 *
 * @module
 */

import { generateSyntheticBars } from "../data/providers/synthetic.ts";
import type { Series } from "../data/types.ts";
import { buildModel } from "../model/architectures.ts";
import { quietly, selectBackend } from "../model/backend.ts";
import { trainModel } from "../model/train.ts";
import { buildUniverseDataset } from "../dataset/universe.ts";
import { childFailure, childMain, runChild } from "./child.ts";

/**
 * What the universe row measures.
 *
 * @example
 * ```ts
 * const spec: UniverseBenchSpec = { symbols: 500, start: "2020-01-01", end: "2024-12-31", windows: 3200, seed: 42 };
 * ```
 */
export interface UniverseBenchSpec {
  /** Symbols in the synthetic universe. */
  symbols: number;
  /** First date of the bars. */
  start: string;
  /** Last date of the bars. */
  end: string;
  /** Training windows timed (spread over the whole training split). */
  windows: number;
  /** Seed of the market and the model. */
  seed: number;
}

/**
 * The universe row's result (`universe` in `deno task bench --json`).
 *
 * @example
 * ```ts
 * const row: UniverseBenchRow = report.universe!;
 * console.log(row.windowsPerS, row.peakRssMb);
 * ```
 */
export interface UniverseBenchRow extends UniverseBenchSpec {
  /** Bars in the universe. */
  bars: number;
  /** Windows of the splits (the training split is what one epoch goes through). */
  trainWindows: number;
  /** Validation windows. */
  validationWindows: number;
  /** Test windows. */
  testWindows: number;
  /** Features per bar. */
  nFeatures: number;
  /** Seconds to generate the bars and build the dataset (features, labels, split, scaling). */
  buildS: number;
  /** Training windows per second (the timed stretch, after a warm-up batch). */
  windowsPerS: number;
  /** Seconds one epoch over every training window would take at that rate. */
  epochEstimateS: number;
  /** Peak resident memory of the process, MB (VmHWM when the parent could read it). */
  peakRssMb: number;
  /** Where the peak came from: `VmHWM`, or `sampled` (a lower bound). */
  peakRssSource: "VmHWM" | "sampled";
}

/** The full row: 500 symbols, 5 years, 100 timed batches of 32. */
export const UNIVERSE_BENCH: UniverseBenchSpec = {
  symbols: 500,
  start: "2020-01-01",
  end: "2024-12-31",
  windows: 3200,
  seed: 42,
};

async function measureUniverse(spec: UniverseBenchSpec): Promise<UniverseBenchRow> {
  let peak = 0;
  const sample = (): void => {
    peak = Math.max(peak, Deno.memoryUsage().rss);
  };
  const started = performance.now();
  const members: Series[] = [];
  for (let s = 0; s < spec.symbols; s++) {
    const symbol = `U${String(s).padStart(3, "0")}`;
    const bars = generateSyntheticBars(symbol, {
      start: spec.start,
      end: spec.end,
      seed: spec.seed,
    });
    members.push({ symbol, interval: "1d", source: "synthetic", bars });
  }
  sample();
  const dataset = buildUniverseDataset(members, { sequenceLength: 60, label: "beats-median" });
  const buildS = (performance.now() - started) / 1000;
  sample();
  await selectBackend("wasm");
  const { train, validation, test } = dataset;
  const stride = Math.max(1, Math.floor(train.n / spec.windows));
  const timed = train.select((i) => i % stride === 0 && i / stride < spec.windows);
  const probe = validation.select((i) => i < 32);
  const model = await quietly(() =>
    buildModel("lstm", { inputShape: [60, train.nFeatures], seed: spec.seed })
  );
  // A warm-up epoch of one batch (kernel instantiation, the second core's worker), then the timed one.
  await trainModel(model, { train: train.select((i) => i < 32), validation: probe }, {
    epochs: 1,
    seed: spec.seed,
  });
  sample();
  const t0 = performance.now();
  await trainModel(model, { train: timed, validation: probe }, { epochs: 1, seed: spec.seed });
  const seconds = (performance.now() - t0) / 1000;
  sample();
  model.dispose();
  const windowsPerS = timed.n / seconds;
  return {
    ...spec,
    bars: members.reduce((sum, m) => sum + m.bars.length, 0),
    trainWindows: train.n,
    validationWindows: validation.n,
    testWindows: test.n,
    nFeatures: train.nFeatures,
    buildS: Number(buildS.toFixed(2)),
    windowsPerS: Number(windowsPerS.toFixed(1)),
    epochEstimateS: Number((train.n / windowsPerS).toFixed(0)),
    peakRssMb: Number((peak / 2 ** 20).toFixed(0)),
    peakRssSource: "sampled",
  };
}

/**
 * Runs the universe row in a process of its own and reads its peak memory; `null` (and a log
 * line) when the child fails.
 *
 * @example
 * ```ts
 * const row = await benchUniverse({ log: console.error });
 * ```
 */
export async function benchUniverse(
  options: { spec?: UniverseBenchSpec; log?: (line: string) => void } = {},
): Promise<UniverseBenchRow | null> {
  const spec = options.spec ?? UNIVERSE_BENCH;
  const log = options.log ?? ((): void => {});
  log(`bench: universe: ${spec.symbols} synthetic symbols, ${spec.start} to ${spec.end}`);
  const run = await runChild(
    ["run", "--allow-read", "src/bench/universe.ts", JSON.stringify(spec), "--hold"],
    { hold: true, echo: (line) => log(`  universe: ${line}`) },
  );
  if (run.code !== 0 || run.line === null) {
    log(`bench: universe ${childFailure(run)}`);
    return null;
  }
  const row = JSON.parse(run.line) as UniverseBenchRow;
  if (run.vmHwmMb !== null) {
    row.peakRssMb = Number(run.vmHwmMb.toFixed(0));
    row.peakRssSource = "VmHWM";
  }
  return row;
}

/**
 * The universe row in words, for the bench's text report.
 *
 * @example
 * ```ts
 * console.log(formatUniverseRow(row));
 * ```
 */
export function formatUniverseRow(row: UniverseBenchRow | null): string {
  if (row === null) return "universe: failed";
  return [
    `universe: ${row.symbols} synthetic symbols, ${row.start} to ${row.end} (${row.bars} bars), ` +
    `beats-median, 60×${row.nFeatures} windows built on the fly: ${row.trainWindows} train, ` +
    `${row.validationWindows} validation, ${row.testWindows} test`,
    `  built in ${row.buildS.toFixed(1)} s; training (fast-2core/wasm, batch 32) ` +
    `${row.windowsPerS.toFixed(0)} windows/s over ${row.windows} windows, an epoch ≈ ` +
    `${(row.epochEstimateS / 60).toFixed(1)} min; peak RSS ${row.peakRssMb} MB ` +
    `(${row.peakRssSource}; the limit is 1536 MB)`,
  ].join("\n");
}

if (import.meta.main) {
  await childMain(() => measureUniverse(JSON.parse(Deno.args[0]) as UniverseBenchSpec));
}
