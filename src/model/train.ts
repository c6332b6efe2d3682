/**
 * The training loop: Adam on binary cross-entropy with our own epochs, so the
 * order of training windows comes from the seeded RNG (tfjs's `fit` shuffles
 * with `Math.random`); validation each epoch; early stopping on validation
 * loss that restores the best weights; Ctrl-C stops after the current batch.
 * Also prediction and measuring of window sets. Every function takes either
 * a materialised {@linkcode WindowSet} or a lazy {@linkcode WindowSource}
 * (a universe's windows, written batch by batch from its feature tables);
 * a window set is read exactly as before.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { isWindowSource, type WindowSet, type WindowSource } from "../dataset/types.ts";
import { createRng, type Rng } from "../util/random.ts";
import { DataError } from "../util/errors.ts";
import { accuracy, logLoss } from "../eval/scores.ts";
import { fastLayerCount, fusedStepOnArrays } from "./fast/layers.ts";
import { FastPredictor } from "./fast/predict.ts";
import { addPhase, profiling } from "./fast/profile.ts";
import type { LayersModel } from "./architectures.ts";
import {
  setThreadLimit,
  startWorkers,
  stopWorkers,
  threadLimit,
  workerCount,
} from "./fast/parallel.ts";

/** Loss and accuracy of a model on one window set (see {@linkcode measureModel}). */
export interface Metrics {
  /** Mean binary cross-entropy (no regularisation term): `logLoss` of `src/eval/scores.ts`. */
  loss: number;
  /** Share of windows called right (up: probability above 0.5): `accuracy` of `src/eval/scores.ts`. */
  accuracy: number;
}

/** One epoch of training history. */
export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean training loss over the epoch's batches (with dropout and L2, as Keras reports). */
  loss: number;
  /** Mean training accuracy over the epoch's batches. */
  accuracy: number;
  /** Validation loss after the epoch. */
  val_loss: number;
  /** Validation accuracy after the epoch. */
  val_accuracy: number;
}

/** Options of {@linkcode trainModel}. */
export interface TrainOptions {
  /** Maximum number of epochs (default 50). */
  epochs?: number;
  /** Windows per batch (default 32). */
  batchSize?: number;
  /** Epochs without a validation-loss improvement before stopping (default 10). */
  patience?: number;
  /** Seed of the shuffling order and of the dropout masks (default 42). */
  seed?: number;
  /** Called with one progress line per epoch (default: none). */
  log?: (line: string) => void;
  /** Stop after the current batch once this returns true (e.g. after Ctrl-C). */
  shouldStop?: () => boolean;
  /**
   * Threads the fused kernels train on, this one included (default: the machine's cores,
   * `navigator.hardwareConcurrency`); 1 starts no worker. The weights are the same bits on any
   * number: a batch is always computed in the same parts (by its size), their gradients added in
   * part order, whichever thread computed each.
   */
  threads?: number;
  /**
   * `false` trains on this thread only, `true` on two threads (this one and a worker).
   *
   * @deprecated Use {@linkcode TrainOptions.threads}; `threads` wins when both are given.
   */
  secondCore?: boolean;
}

/**
 * The threads {@linkcode trainModel} uses for `options`: `threads`, else two or one as the
 * deprecated `secondCore` says, else those of the enclosing {@linkcode withTrainingThreads},
 * else the machine's cores.
 *
 * @example
 * ```ts
 * trainThreads({ threads: 3 }); // 3
 * trainThreads({ secondCore: false }); // 1
 * ```
 */
export function trainThreads(options: Pick<TrainOptions, "threads" | "secondCore">): number {
  if (options.threads !== undefined) return Math.max(1, Math.floor(options.threads));
  if (options.secondCore !== undefined) return options.secondCore ? 2 : 1;
  if (Number.isFinite(threadLimit())) return threadLimit();
  return Math.max(1, navigator.hardwareConcurrency ?? 1);
}

/**
 * Runs `fn` with the fused kernels' workers for `threads` threads (default: the machine's cores)
 * started once for every model it trains, instead of per {@linkcode trainModel} call (starting
 * a worker costs a few hundred milliseconds); models trained inside use `threads` unless told
 * otherwise. The workers it started stop when `fn` settles.
 *
 * @example
 * ```ts
 * await withTrainingThreads(4, async () => {
 *   for (const fold of folds) await trainModel(buildModel("lstm", hp), fold, { epochs: 5 });
 * });
 * ```
 */
export async function withTrainingThreads<T>(
  threads: number | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  const count = trainThreads({ threads });
  const workersBefore = workerCount();
  if (count > 1) await startWorkers(count - 1);
  const previousLimit = setThreadLimit(count);
  try {
    return await fn();
  } finally {
    setThreadLimit(previousLimit);
    if (workerCount() > workersBefore) stopWorkers(workersBefore);
  }
}

/** What {@linkcode trainModel} returns; the model then holds the best weights. */
export interface TrainResult {
  /** One record per completed epoch. */
  history: EpochRecord[];
  /** Epoch (1-based) with the lowest validation loss, whose weights the model keeps. */
  bestEpoch: number;
  /** Epochs run, including a partial one cut short by an interrupt. */
  epochsRun: number;
  /** Whether training was stopped by {@linkcode TrainOptions.shouldStop}. */
  interrupted: boolean;
}

/** Windows a model trains on or predicts: held in memory, or written on demand. */
type Windows = WindowSet | WindowSource;

/** A batch's windows and labels as plain arrays (`[batch, steps, features]` and `[batch]`). */
function batchArrays(set: Windows, indices: ArrayLike<number>): [Float32Array, Float32Array] {
  const size = set.seqLen * set.nFeatures;
  const x = new Float32Array(indices.length * size);
  const y = new Float32Array(indices.length);
  if (isWindowSource(set)) {
    set.fill(indices, x);
    for (let i = 0; i < indices.length; i++) y[i] = set.y[indices[i]];
  } else {
    for (let i = 0; i < indices.length; i++) {
      const k = indices[i];
      x.set(set.x.subarray(k * size, (k + 1) * size), i * size);
      y[i] = set.y[k];
    }
  }
  return [x, y];
}

/**
 * `windows` in batches of `batchSize` as the model's input values: each batch's first index, its
 * count and its `[count, steps, features]` values (a view for materialised windows, written for a
 * `WindowSource`). Throws a `DataError` when the windows are not of the model's input shape.
 */
function* inputBatches(
  model: tf.LayersModel,
  windows: Windows,
  batchSize: number,
): Generator<[number, number, Float32Array]> {
  const [, steps, features] = model.inputs[0].shape;
  if (windows.n > 0 && (steps !== windows.seqLen || features !== windows.nFeatures)) {
    throw new DataError(
      `Expected windows of ${steps}×${features} for this model, found ${windows.seqLen}×${windows.nFeatures}`,
    );
  }
  const size = windows.seqLen * windows.nFeatures;
  for (let start = 0; start < windows.n; start += batchSize) {
    const count = Math.min(batchSize, windows.n - start);
    let values: Float32Array;
    if (isWindowSource(windows)) {
      values = new Float32Array(count * size);
      const indices = new Uint32Array(count);
      for (let k = 0; k < count; k++) indices[k] = start + k;
      windows.fill(indices, values);
    } else values = windows.x.subarray(start * size, (start + count) * size);
    yield [start, count, values];
  }
}

/** Runs the model over `windows` in batches, yielding each batch's first index and output. */
function* predictedBatches(
  model: tf.LayersModel,
  windows: Windows,
  batchSize: number,
): Generator<[number, tf.Tensor]> {
  for (const [start, count, values] of inputBatches(model, windows, batchSize)) {
    const probs = tf.tidy(() => {
      const x = tf.tensor3d(values, [count, windows.seqLen, windows.nFeatures]);
      return model.predict(x) as tf.Tensor;
    });
    try {
      yield [start, probs];
    } finally {
      probs.dispose();
    }
  }
}

/**
 * Every window's output through the kernels' whole-model predictor (`FastPredictor`, the signal
 * plugin's: weights copied once, no tfjs tensor per batch, running state only), or null where it
 * does not apply: a backend other than wasm or cpu, stock layers (`--kernel stock` means tfjs
 * throughout), or a layer it has no kernel for. It agrees with tfjs's `model.predict` within float
 * rounding (1e-7), and is about twice as fast on 240-step windows of several features.
 */
function fastProbabilities(
  model: LayersModel,
  windows: WindowSet | WindowSource,
  batchSize: number,
): Float32Array | null {
  const backend = tf.getBackend();
  if ((backend !== "wasm" && backend !== "cpu") || fastLayerCount(model) === 0) return null;
  let predictor: FastPredictor;
  try {
    predictor = FastPredictor.fromModel(model);
  } catch {
    return null; // a layer without a fused kernel (attention): tfjs predicts
  }
  const out = new Float32Array(windows.n);
  for (const [start, count, values] of inputBatches(model, windows, batchSize)) {
    out.set(predictor.predict(values, count), start);
  }
  return out;
}

/**
 * The model's up-probability for every window, in window order, read
 * synchronously (cpu and wasm; on webgpu use
 * {@linkcode predictProbabilitiesAsync}, as tfjs cannot read WebGPU buffers
 * synchronously under Deno).
 *
 * @example
 * ```ts
 * const p = predictProbabilities(model, dataset.test, { batchSize: 256 });
 * p.length === dataset.test.n; // true
 * ```
 */
export function predictProbabilities(
  model: LayersModel,
  windows: WindowSet | WindowSource,
  options: { batchSize?: number } = {},
): Float32Array {
  const fast = fastProbabilities(model, windows, options.batchSize ?? 256);
  if (fast !== null) return fast;
  const out = new Float32Array(windows.n);
  for (const [start, probs] of predictedBatches(model, windows, options.batchSize ?? 256)) {
    out.set(probs.dataSync() as Float32Array, start);
  }
  return out;
}

/**
 * {@linkcode predictProbabilities} with asynchronous reads, for every backend
 * including webgpu.
 *
 * @example
 * ```ts
 * const p = await predictProbabilitiesAsync(model, dataset.test);
 * ```
 */
export async function predictProbabilitiesAsync(
  model: LayersModel,
  windows: WindowSet | WindowSource,
  options: { batchSize?: number } = {},
): Promise<Float32Array> {
  const fast = fastProbabilities(model, windows, options.batchSize ?? 256);
  if (fast !== null) return fast;
  const out = new Float32Array(windows.n);
  for (const [start, probs] of predictedBatches(model, windows, options.batchSize ?? 256)) {
    out.set((await probs.data()) as Float32Array, start);
  }
  return out;
}

/**
 * Measures a model on a window set: its probabilities (read asynchronously, so
 * every backend works) scored by `logLoss` and `accuracy` of
 * `src/eval/scores.ts`, the same figures evaluation reports for these rows.
 * Both are `NaN` for an empty window set.
 *
 * @example
 * ```ts
 * const { loss, accuracy } = await measureModel(model, dataset.validation);
 * ```
 */
export async function measureModel(
  model: LayersModel,
  windows: WindowSet | WindowSource,
  options: { batchSize?: number } = {},
): Promise<Metrics> {
  const probabilities = await predictProbabilitiesAsync(model, windows, options);
  return {
    loss: logLoss(probabilities, windows.y),
    accuracy: accuracy(probabilities, windows.y),
  };
}

function shuffled(n: number, rng: Rng): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** How often a long epoch prints a batch line (the epoch's own line comes at its end). */
const BATCH_PROGRESS_MS = 10_000;

/** Gives every Dropout layer a fresh seed from `rng`, so masks differ per batch yet repeat per run. */
function reseedDropout(model: tf.LayersModel, rng: Rng): void {
  for (const layer of model.layers) {
    if (layer.getClassName() === "Dropout") {
      (layer as unknown as { seed: number }).seed = rng.uint32();
    }
  }
}

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

/**
 * Trains a compiled model on `data.train` with early stopping on
 * `data.validation`, then leaves the model holding the best epoch's weights.
 * Batches come in an order drawn from `seed`, so the same data, model and seed
 * on a deterministic backend (cpu, single-threaded wasm) give the same weights.
 *
 * @example
 * ```ts
 * const result = await trainModel(model, dataset, { epochs: 50, patience: 10, log: console.error });
 * result.bestEpoch; // e.g. 7
 * ```
 */
export async function trainModel(
  model: LayersModel,
  data: { train: WindowSet | WindowSource; validation: WindowSet | WindowSource },
  options: TrainOptions = {},
): Promise<TrainResult> {
  const epochs = options.epochs ?? 50;
  const batchSize = options.batchSize ?? 32;
  const patience = options.patience ?? 10;
  const rng = createRng(options.seed ?? 42);
  if (data.train.n === 0 || data.validation.n === 0) {
    throw new DataError(
      `Expected training and validation windows, found ${data.train.n} and ${data.validation.n}`,
    );
  }
  const history: EpochRecord[] = [];
  let best: tf.Tensor[] | null = null;
  let bestLoss = Infinity;
  let bestEpoch = 0;
  let epochsRun = 0;
  let interrupted = false;
  const started = Date.now();
  // Workers for the fused kernels: those missing are started here and stopped at the end (a
  // caller that trains many models may start them once around all, see `startWorkers`).
  const threads = fastLayerCount(model) > 0 ? trainThreads(options) : 1;
  const workersBefore = workerCount();
  if (threads > 1) await startWorkers(threads - 1);
  const previousLimit = setThreadLimit(threads);
  try {
    for (let epoch = 1; epoch <= epochs && !interrupted; epoch++) {
      const order = shuffled(data.train.n, rng);
      let lossSum = 0;
      let accSum = 0;
      let seen = 0;
      let said = Date.now();
      const batches = Math.ceil(order.length / batchSize);
      epochsRun = epoch;
      for (let start = 0; start < order.length; start += batchSize) {
        const indices = order.subarray(start, start + batchSize);
        reseedDropout(model, rng);
        const [xs, ys] = batchArrays(data.train, indices);
        const batchStarted = profiling() ? performance.now() : 0;
        // The fused step takes the arrays as they are; tfjs's step gets tensors of them.
        let result = fusedStepOnArrays(model, xs, ys);
        if (result === null) {
          const x = tf.tensor3d(xs, [indices.length, data.train.seqLen, data.train.nFeatures]);
          const y = tf.tensor2d(ys, [indices.length, 1]);
          try {
            result = (await model.trainOnBatch(x, y)) as [number, number];
          } finally {
            x.dispose();
            y.dispose();
          }
        }
        if (profiling()) addPhase("batch.total", performance.now() - batchStarted);
        const [loss, acc] = result;
        lossSum += loss * indices.length;
        accSum += acc * indices.length;
        seen += indices.length;
        // A long epoch (a universe's) says where it is every BATCH_PROGRESS_MS.
        if (options.log && Date.now() - said >= BATCH_PROGRESS_MS) {
          said = Date.now();
          options.log(
            `epoch ${epoch}/${epochs} batch ${start / batchSize + 1}/${batches} loss ${
              (lossSum / seen).toFixed(4)
            } elapsed ${Math.round((said - started) / 1000)}s`,
          );
        }
        // tfjs on cpu/wasm resolves in microtasks only; yield to the event loop so
        // signal listeners (Ctrl-C) can run before asking whether to stop.
        if (options.shouldStop) await new Promise((resolve) => setTimeout(resolve, 0));
        if (options.shouldStop?.()) {
          interrupted = true;
          break;
        }
      }
      if (interrupted && seen < order.length) {
        options.log?.(`epoch ${epoch}/${epochs} interrupted after ${seen} windows`);
        break;
      }
      const val = await measureModel(model, data.validation);
      const record: EpochRecord = {
        epoch,
        loss: lossSum / seen,
        accuracy: accSum / seen,
        val_loss: val.loss,
        val_accuracy: val.accuracy,
      };
      history.push(record);
      if (val.loss < bestLoss) {
        bestLoss = val.loss;
        bestEpoch = epoch;
        best?.forEach((t) => t.dispose());
        best = model.getWeights().map((t) => t.clone());
      }
      const elapsed = Date.now() - started;
      const eta = (elapsed / epoch) * (epochs - epoch);
      options.log?.(
        `epoch ${epoch}/${epochs} loss ${record.loss.toFixed(4)} acc ${
          record.accuracy.toFixed(4)
        } ` +
          `val_loss ${val.loss.toFixed(4)} val_acc ${val.accuracy.toFixed(4)} ` +
          `elapsed ${seconds(elapsed)} eta ${seconds(eta)}${bestEpoch === epoch ? " *" : ""}`,
      );
      if (epoch - bestEpoch >= patience) {
        options.log?.(
          `early stop: no validation-loss improvement for ${patience} epochs; best epoch ${bestEpoch}`,
        );
        break;
      }
    }
    if (best) model.setWeights(best);
  } finally {
    best?.forEach((t) => t.dispose());
    setThreadLimit(previousLimit);
    if (workerCount() > workersBefore) stopWorkers(workersBefore);
  }
  return { history, bestEpoch, epochsRun, interrupted };
}
