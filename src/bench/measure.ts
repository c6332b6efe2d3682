/**
 * One row of `deno task bench`, run in a process of its own so that its peak resident memory is
 * its own: `deno run --allow-read src/bench/measure.ts '<ChildSpec JSON>' [--hold]` trains the seed's model
 * with the product's loop (`buildModel` + `trainModel`), times single-sequence and batch
 * predictions, and prints one JSON line (a {@linkcode RowResult}) on stdout; with `--hold` after
 * the JSON it then waits for stdin to close, so that the parent can read the process's memory
 * high-water mark. Progress goes to stderr.
 *
 * @module
 */

import { WindowBuffer } from "../dataset/window.ts";
import * as tf from "@tensorflow/tfjs";
import { buildModel } from "../model/architectures.ts";
import { quietly, selectBackend, webgpuAdapterInfo } from "../model/backend.ts";
import { trainModel } from "../model/train.ts";
import { loadInferenceModel } from "../model/inference.ts";
import { FastPredictor } from "../model/fast/predict.ts";
import { pausedSplitCalls, startSecondCore, stopSecondCore } from "../model/fast/parallel.ts";
import { kernelBuild, setKernelBuild } from "../model/fast/mod.ts";
import { profileSnapshot, setProfiling } from "../model/fast/profile.ts";
import { createRng } from "../util/random.ts";
import { quantile } from "../eval/scores.ts";
import {
  type ChildSpec,
  LARGE_WORKLOAD,
  median,
  type RowResult,
  syntheticWindows,
  WORKLOAD,
} from "./workload.ts";
import { childMain } from "./child.ts";

/**
 * The largest resident set size sampled at each phase. Deno forbids reading `/proc/self` without
 * `--allow-all`, so the parent reads this process's `VmHWM` (the kernel's high-water mark) while
 * it waits after printing its result, and replaces this lower bound with it.
 */
class PeakRss {
  #max = 0;

  sample(): void {
    this.#max = Math.max(this.#max, Deno.memoryUsage().rss);
  }

  get mb(): number {
    this.sample();
    return this.#max / 2 ** 20;
  }
}

/** Times `calls` calls of `fn` after `warmup` untimed ones; returns milliseconds per call. */
async function latencies(
  fn: () => unknown,
  warmup: number,
  calls: number,
  rss: PeakRss,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) {
    const r = fn();
    if (r instanceof Promise) await r;
  }
  rss.sample();
  const ms: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    const r = fn();
    if (r instanceof Promise) await r;
    ms.push(performance.now() - t0);
  }
  rss.sample();
  return ms;
}

/** Sequences per second of `fn` (a batch of `size` per call): one untimed, then ≥ `minMs`. */
async function throughput(
  fn: () => unknown,
  size: number,
  minMs: number,
  rss: PeakRss,
): Promise<number> {
  const once = async (): Promise<void> => {
    const r = fn();
    if (r instanceof Promise) await r;
  };
  await once();
  rss.sample();
  let reps = 0;
  const t0 = performance.now();
  do {
    await once();
    reps++;
  } while (performance.now() - t0 < minMs);
  rss.sample();
  return (reps * size) / ((performance.now() - t0) / 1000);
}

/**
 * Measures one row: builds the seed's model on `spec.backend` with `spec.impl`, trains a warm-up
 * epoch then `spec.epochs` timed ones with `trainModel` (validation: one window per epoch, inside
 * the timing), then times predictions.
 *
 * @example
 * ```ts
 * const row = await measure({ impl: "fast", backend: "wasm", warmupWindows: 64, epochWindows: 256,
 *   epochs: 1, warmupCalls: 10, calls: 50, batchMinMs: 300, modelDir: "/tmp/model", seed: 42 });
 * console.log(row.trainEpochS);
 * ```
 */
export async function measure(
  spec: ChildSpec,
  log: (line: string) => void = () => {},
): Promise<RowResult> {
  const rss = new PeakRss();
  const { sequenceLength: T, nFeatures: F, predictBatchSize } = WORKLOAD;
  const batchSize = spec.batchSize;
  const epochSequences = spec.workload === "large"
    ? LARGE_WORKLOAD.trainSequences
    : WORKLOAD.trainSequences;
  // fast-plain: the plain-SIMD build of the kernels (else the start-up choice, relaxed SIMD where
  // the runtime has it), chosen before any kernel runs.
  setKernelBuild(spec.impl === "fast-plain" ? "plain" : "auto");
  const backend = await selectBackend(spec.backend);
  const adapter = backend === "webgpu" ? await webgpuAdapterInfo() : null;
  const sync = backend !== "webgpu"; // tfjs cannot read WebGPU buffers synchronously under Deno
  // trainModel splits fused batches with a worker by default on two cores or more: pin it, so
  // that `fast` is one core and `fast-2core` is the worker, started once for the whole row (it
  // also splits the batch predictions).
  const secondCore = spec.impl === "fast-2core";
  if (secondCore) await startSecondCore();
  try {
    const model = await quietly(() =>
      buildModel("lstm", {
        inputShape: [T, F],
        lstmUnits: WORKLOAD.lstmUnits,
        dropout: WORKLOAD.dropout,
        learningRate: WORKLOAD.learningRate,
        seed: spec.seed,
        kernel: spec.impl === "stock" ? "stock" : "fast",
      })
    );
    const train = syntheticWindows(spec.epochWindows, spec.seed);
    const validation = syntheticWindows(1, spec.seed + 1);
    const warm = spec.warmupWindows === spec.epochWindows
      ? train
      : syntheticWindows(spec.warmupWindows, spec.seed + 2);
    rss.sample();

    let t0 = performance.now();
    await quietly(() =>
      trainModel(model, { train: warm, validation }, {
        epochs: 1,
        batchSize,
        seed: spec.seed,
        secondCore,
      })
    );
    log(`warm-up epoch (${warm.n} windows): ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    rss.sample();

    // One trainModel call of `epochs` epochs; its per-epoch log line marks each epoch's end
    // (after the epoch's batches, its one-window validation and the best-weights copy).
    const scale = epochSequences / spec.epochWindows;
    const epochTimesS: number[] = [];
    const pausedBefore = pausedSplitCalls();
    // trainModel times the whole of each batch (fused step or tfjs's) as batch.total.
    if (spec.profile) setProfiling(true);
    t0 = performance.now();
    let last = t0;
    await quietly(() =>
      trainModel(model, { train, validation }, {
        epochs: spec.epochs,
        batchSize,
        patience: spec.epochs + 1,
        seed: spec.seed + 1,
        secondCore,
        log: (line) => {
          if (!/^epoch \d+\/\d+ loss/.test(line)) return;
          const now = performance.now();
          epochTimesS.push(((now - last) / 1000) * scale);
          last = now;
          rss.sample();
          log(
            `epoch ${epochTimesS.length}/${spec.epochs} (${train.n} windows): ${
              ((now - t0) / 1000).toFixed(2)
            } s elapsed`,
          );
        },
      })
    );
    if (epochTimesS.length !== spec.epochs) {
      throw new Error(`Expected ${spec.epochs} timed epochs, found ${epochTimesS.length}`);
    }
    let profile: Record<string, number> | undefined;
    if (spec.profile) {
      setProfiling(false);
      profile = {};
      for (const [phase, t] of Object.entries(profileSnapshot())) {
        profile[phase] = (t.ms / spec.epochs) * scale;
      }
      profile["split.pausedCalls"] = (pausedSplitCalls() - pausedBefore) / spec.epochs;
    }
    const common = {
      impl: spec.impl,
      backend: spec.backend,
      workload: spec.workload,
      batchSize,
      epochSequences,
      trainEpochS: median(epochTimesS),
      ...(spec.impl !== "stock" && spec.backend !== "webgpu" ? { kernelBuild: kernelBuild() } : {}),
      epochTimesS,
      ...(spec.epochWindows < epochSequences ? { trainScaledFrom: spec.epochWindows } : {}),
      warmupWindows: spec.warmupWindows,
      ...(profile ? { profile } : {}),
      ...(adapter ? { adapter } : {}),
    };
    if (spec.workload === "large") {
      model.dispose();
      return {
        ...common,
        predict1MsP50: null,
        predict1MsP99: null,
        predictBatchPerS: null,
        peakRssMb: rss.mb,
        predictCalls: 0,
        predict1Path: "",
        predictBatchPath: "",
        peakRssSource: "sampled",
      };
    }

    // Single-sequence predictions: what the signal plugin runs per bar for the fused kernels
    // (loadInferenceModel's predictWindow, on a saved model of the same shape), model.predict
    // on stock layers.
    const rng = createRng(spec.seed + 3);
    let predict1: () => unknown;
    let predict1Path: string;
    let release = (): void => {};
    if (spec.impl === "stock" || backend === "webgpu") {
      const one = tf.tensor3d(syntheticWindows(1, spec.seed + 4).x, [1, T, F]);
      predict1 = () => {
        const out = model.predict(one) as tf.Tensor;
        if (sync) {
          out.dataSync();
          out.dispose();
          return;
        }
        return out.data().then(() => out.dispose());
      };
      predict1Path = `model.predict([1, ${T}, ${F}]) + ${sync ? "dataSync()" : "await data()"}`;
      release = () => one.dispose();
    } else {
      const inference = await loadInferenceModel(spec.modelDir);
      if (inference.engine !== "fast") {
        throw new Error(`Expected the fused kernels to predict, found ${inference.engine}`);
      }
      const rows = Array.from({ length: T }, () => {
        const row = new Float64Array(F);
        for (let f = 0; f < F; f++) row[f] = rng.normal();
        return row;
      });
      // As the signal plugin per bar: one new raw row joins the window, then the window is scored.
      const window = new WindowBuffer(T, F);
      for (const row of rows) window.push(row);
      let next = 0;
      predict1 = () => {
        window.push(rows[next++ % T]);
        return inference.predictWindow(window);
      };
      predict1Path =
        "loadInferenceModel(dir).predictWindow(WindowBuffer): one new raw row scaled + FastPredictor, as the signal plugin per bar";
      release = () => inference.dispose();
    }
    const ms = await latencies(predict1, spec.warmupCalls, spec.calls, rss);
    release();
    log(`predict1: ${spec.calls} calls, p50 ${quantile(ms, 0.5).toFixed(3)} ms`);

    // Batch predictions at 256: model.predict as predictProbabilities (evaluate, backtest) runs
    // it, with the row's layers; for the fused kernels also their own whole-model predictor.
    const batch = syntheticWindows(predictBatchSize, spec.seed + 5);
    const xb = tf.tensor3d(batch.x, [predictBatchSize, T, F]);
    const predictBatchPerS = await throughput(
      () => {
        const out = model.predict(xb) as tf.Tensor;
        if (sync) {
          out.dataSync();
          out.dispose();
          return;
        }
        return out.data().then(() => out.dispose());
      },
      predictBatchSize,
      spec.batchMinMs,
      rss,
    );
    xb.dispose();
    let predictBatchPerSPredictor: number | undefined;
    if (spec.impl !== "stock" && backend !== "webgpu") {
      const predictor = FastPredictor.fromModel(model);
      predictBatchPerSPredictor = await throughput(
        () => predictor.predict(batch.x, predictBatchSize),
        predictBatchSize,
        spec.batchMinMs,
        rss,
      );
    }
    log(`batch ${predictBatchSize}: ${predictBatchPerS.toFixed(0)} sequences/s`);
    model.dispose();

    return {
      ...common,
      predict1MsP50: quantile(ms, 0.5),
      predict1MsP99: quantile(ms, 0.99),
      predictBatchPerS,
      peakRssMb: rss.mb,
      predictCalls: spec.calls,
      predict1Path,
      predictBatchPath: `model.predict([${predictBatchSize}, ${T}, ${F}]) + ${
        sync ? "dataSync()" : "await data()"
      }${spec.impl === "fast-2core" ? ", batch split with the worker" : ""}`,
      ...(predictBatchPerSPredictor === undefined ? {} : { predictBatchPerSPredictor }),
      peakRssSource: "sampled",
    };
  } finally {
    if (secondCore) stopSecondCore();
  }
}

if (import.meta.main) {
  await childMain(() =>
    measure(JSON.parse(Deno.args[0]) as ChildSpec, (line) => console.error(line))
  );
}
