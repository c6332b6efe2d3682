/**
 * What `deno task bench` measures, shared by the command and its child processes: the seed's
 * workload (the `lstm` architecture on 958 windows of 60 × 10, batch 32, Adam 0.001, binary
 * cross-entropy), the rows (implementation × backend), what a child is asked to do and what it
 * answers, and the synthetic inputs of exactly that shape.
 *
 * @module
 */

import type { WindowSet } from "../dataset/types.ts";
import { createRng } from "../util/random.ts";
import { quantile } from "../eval/scores.ts";

/** The seed's workload. */
export const WORKLOAD = {
  arch: "lstm",
  layers:
    "LSTM(50, return sequences) → Dropout(0.2) → LSTM(50) → Dropout(0.2) → Dense(25, relu) → Dense(1, sigmoid)",
  sequenceLength: 60,
  nFeatures: 10,
  lstmUnits: 50,
  dropout: 0.2,
  trainSequences: 958,
  batchSize: 32,
  optimizer: "adam",
  learningRate: 0.001,
  loss: "binaryCrossentropy",
  predictBatchSize: 256,
} as const;

/** Implementations: stock tfjs layers, the fused WASM kernels, the kernels with a worker. */
export const IMPLS = ["stock", "fast", "fast-2core"] as const;
/** An implementation name. */
export type Impl = typeof IMPLS[number];
/** The tfjs backends the bench runs on. */
export const BENCH_BACKENDS = ["wasm", "cpu", "webgpu"] as const;
/** A backend name. */
export type BenchBackend = typeof BENCH_BACKENDS[number];

/** The rows, in the order they run (the fused kernels run on the host: no fast row on WebGPU). */
export const ROWS: readonly { impl: Impl; backend: BenchBackend }[] = [
  { impl: "stock", backend: "wasm" },
  { impl: "fast", backend: "wasm" },
  { impl: "fast-2core", backend: "wasm" },
  { impl: "stock", backend: "cpu" },
  { impl: "fast", backend: "cpu" },
  { impl: "stock", backend: "webgpu" },
];

/** What one child process measures (passed to it as JSON). */
export interface ChildSpec {
  /** The implementation. */
  impl: Impl;
  /** The tfjs backend. */
  backend: BenchBackend;
  /** Windows of the warm-up epoch (not timed). */
  warmupWindows: number;
  /** Windows of each timed epoch; `trainEpochS` is scaled to the workload's 958 when fewer. */
  epochWindows: number;
  /** Timed epochs (the median is reported). */
  epochs: number;
  /** Untimed single-sequence predictions before the timed ones. */
  warmupCalls: number;
  /** Timed single-sequence predictions. */
  calls: number;
  /** Batch-256 predictions are repeated (after one untimed) until this many ms have passed. */
  batchMinMs: number;
  /** A saved model of the workload's shape: `fast` rows time the plugin's `predictWindow` on it. */
  modelDir: string;
  /** Seed of the synthetic windows, the weights and the shuffling. */
  seed: number;
}

/** What a child answers: one row of the results. */
export interface RowResult {
  /** The implementation. */
  impl: Impl;
  /** The tfjs backend. */
  backend: BenchBackend;
  /** Seconds per training epoch of 958 sequences (median of the timed epochs). */
  trainEpochS: number;
  /** Single-sequence prediction latency, median, ms. */
  predict1MsP50: number;
  /** Single-sequence prediction latency, 99th percentile (linear interpolation, type 7), ms. */
  predict1MsP99: number;
  /** Sequences per second predicted in batches of 256. */
  predictBatchPerS: number;
  /** Peak resident memory of the child process, MB (MiB). */
  peakRssMb: number;
  /** Each timed epoch, seconds (scaled to 958 sequences like `trainEpochS`). */
  epochTimesS: number[];
  /** Windows per timed epoch when fewer than 958 were timed (then scaled linearly), else absent. */
  trainScaledFrom?: number;
  /** Windows of the untimed warm-up epoch. */
  warmupWindows: number;
  /** Timed single-sequence predictions. */
  predictCalls: number;
  /** What a single-sequence prediction runs. */
  predict1Path: string;
  /** What a batch prediction runs. */
  predictBatchPath: string;
  /** For fast rows: sequences per second of the kernels' own whole-model predictor at batch 256. */
  predictBatchPerSPredictor?: number;
  /** Where `peakRssMb` comes from: the kernel's high-water mark (`VmHWM` in /proc/PID/status), or the largest RSS sampled at each phase (a lower bound, where /proc is not readable). */
  peakRssSource: "VmHWM" | "sampled";
  /** The WebGPU adapter, for webgpu rows. */
  adapter?: { description: string; software: boolean };
  /** Anything that makes this row differ from the others' settings. */
  note?: string;
}

/**
 * `n` synthetic windows of the workload's shape: standard-normal features and fair-coin labels
 * from a seeded generator (speed does not depend on what the values mean).
 *
 * @example
 * ```ts
 * const train = syntheticWindows(958, 1);
 * train.x.length; // 958 * 60 * 10
 * ```
 */
export function syntheticWindows(n: number, seed: number): WindowSet {
  const { sequenceLength: seqLen, nFeatures } = WORKLOAD;
  const rng = createRng(seed);
  const x = new Float32Array(n * seqLen * nFeatures);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) y[i] = rng.next() < 0.5 ? 1 : 0;
  const refTimes = Array.from(
    { length: n },
    (_, i) => new Date(Date.UTC(2000, 0, 1 + i)).toISOString().slice(0, 10),
  );
  return { x, y, refTimes, n, seqLen, nFeatures };
}

/**
 * The median of `values` (the mean of the middle two for an even count): the
 * 0.5 {@linkcode quantile} of `src/eval/scores.ts`.
 *
 * @example
 * ```ts
 * median([3, 1, 2]); // 2
 * ```
 */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}
