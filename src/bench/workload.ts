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

/** The large-batch workload, where GPUs are meant to win: batch 1024 over 100k windows. */
export const LARGE_WORKLOAD = { batchSize: 1024, trainSequences: 100_000 } as const;

/**
 * Implementations: stock tfjs layers; the fused kernels on one core with the kernel build chosen
 * at start-up (relaxed SIMD where the runtime has it); the same with the plain-SIMD build; the
 * fused kernels with a worker on the second core (start-up build). On webgpu `fast` is the fused
 * WGSL recurrence.
 */
export const IMPLS = ["stock", "fast", "fast-plain", "fast-2core"] as const;
/** An implementation name. */
export type Impl = typeof IMPLS[number];
/** The tfjs backends the bench runs on. */
export const BENCH_BACKENDS = ["wasm", "cpu", "webgpu"] as const;
/** A backend name. */
export type BenchBackend = typeof BENCH_BACKENDS[number];
/** Which workload a row trains: the seed's, or the large batch ({@linkcode LARGE_WORKLOAD}). */
export type WorkloadName = "seed" | "large";

/** A row of the bench: an implementation on a backend, on a workload. */
export interface Row {
  /** The implementation. */
  impl: Impl;
  /** The backend. */
  backend: BenchBackend;
  /** The workload. */
  workload: WorkloadName;
}

/** The rows, in the order they run. */
export const ROWS: readonly Row[] = [
  { impl: "stock", backend: "wasm", workload: "seed" },
  { impl: "fast", backend: "wasm", workload: "seed" },
  { impl: "fast-plain", backend: "wasm", workload: "seed" },
  { impl: "fast-2core", backend: "wasm", workload: "seed" },
  { impl: "stock", backend: "cpu", workload: "seed" },
  { impl: "fast", backend: "cpu", workload: "seed" },
  { impl: "stock", backend: "webgpu", workload: "seed" },
  { impl: "fast", backend: "webgpu", workload: "seed" },
  { impl: "fast-2core", backend: "wasm", workload: "large" },
  { impl: "stock", backend: "webgpu", workload: "large" },
  { impl: "fast", backend: "webgpu", workload: "large" },
];

/** What one child process measures (passed to it as JSON). */
export interface ChildSpec {
  /** The implementation. */
  impl: Impl;
  /** The tfjs backend. */
  backend: BenchBackend;
  /** The workload (`large`: training only, no predictions). */
  workload: WorkloadName;
  /** Sequences per training batch. */
  batchSize: number;
  /** Collect the fused path's phase timers over the timed epochs (`--profile`). */
  profile: boolean;
  /** Windows of the warm-up epoch (not timed). */
  warmupWindows: number;
  /** Windows of each timed epoch; `trainEpochS` is scaled to the workload's epoch when fewer. */
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
  /** The workload: `seed` (958 windows, batch 32) or `large` (100k windows, batch 1024). */
  workload: WorkloadName;
  /** Sequences per training batch. */
  batchSize: number;
  /** Windows of the workload's epoch (958, or 100 000): `trainEpochS` is for that many. */
  epochSequences: number;
  /** Seconds per training epoch of the workload (median of the timed epochs). */
  trainEpochS: number;
  /** The kernel build that ran (fused rows on wasm/cpu): `relaxed` or `plain` SIMD. */
  kernelBuild?: "plain" | "relaxed";
  /** Single-sequence prediction latency, median, ms (null for the large workload). */
  predict1MsP50: number | null;
  /** Single-sequence prediction latency, 99th percentile (type 7), ms (null: large). */
  predict1MsP99: number | null;
  /** Sequences per second predicted in batches of 256 (null: large). */
  predictBatchPerS: number | null;
  /**
   * With `--profile`: milliseconds per timed epoch in each phase of the fused path (see
   * `src/model/fast/profile.ts`; phases overlap: `step.local` is inside `batch.total`).
   */
  profile?: Record<string, number>;
  /** Peak resident memory of the child process, MB (MiB). */
  peakRssMb: number;
  /** Each timed epoch, seconds (scaled to the workload's epoch like `trainEpochS`). */
  epochTimesS: number[];
  /** Windows per timed epoch when fewer than the workload's were timed (scaled linearly). */
  trainScaledFrom?: number;
  /** Windows of the untimed warm-up epoch. */
  warmupWindows: number;
  /** Timed single-sequence predictions. */
  predictCalls: number;
  /** What a single-sequence prediction runs (empty for the large workload). */
  predict1Path: string;
  /** What a batch prediction runs (empty for the large workload). */
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
