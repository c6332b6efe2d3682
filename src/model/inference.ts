/**
 * A saved model, ready to score one window at a time: what the signal plugin
 * and the `predict` command use. It carries the model's feature list, scaler,
 * window length and horizon, and predicts with the fused WASM kernels when
 * every layer has one (`lstm`, `gru`, `deep`, `bidirectional`), else with
 * TensorFlow.js (`attention`). Both give the same probabilities (the kernels'
 * equivalence tests hold them to 1e-5).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { createFeatureStream, type FeatureSpec, type Scaler } from "../features/mod.ts";
import { WindowBuffer } from "../dataset/window.ts";
import { loadModel, selectBackend } from "./mod.ts";
import { trainedThrough } from "./card.ts";
import { FastPredictor } from "./fast/predict.ts";
import { DataError } from "../util/errors.ts";

/** A loaded model that scores windows of raw (unscaled) feature rows. */
export interface InferenceModel {
  /** The feature list the model was trained on. */
  readonly features: FeatureSpec[];
  /** Bars per window. */
  readonly sequenceLength: number;
  /** Bars ahead the label looks. */
  readonly horizon: number;
  /** Last date of the data the model learned from (training and early stopping), or `null`. */
  readonly trainedThrough: string | null;
  /** Bars a fresh symbol needs before the first window is complete. */
  readonly warmupBars: number;
  /** Which implementation predicts: `fast` (WASM kernels) or `tfjs`. */
  readonly engine: "fast" | "tfjs";
  /** The largest |z-score| of a raw feature row under the training scaler (before clipping). */
  maxAbsZ(row: Float64Array): number;
  /**
   * The probability that the price goes up after the window a
   * {@linkcode WindowBuffer} of raw feature rows holds (it must be full, of
   * this model's sequence length and width), scaled with the model's scaler
   * through `WindowBuffer.writeScaled`, the path the batch dataset takes too.
   */
  predictWindow(window: WindowBuffer): number;
  /** Releases the model's memory. */
  dispose(): void;
}

/**
 * Loads the model in `dir` (a model folder, not a versioned root) for
 * per-window inference. Fails with one clear error naming the file when a
 * file is missing or corrupted, or when the model's feature list is not one
 * this module can compute.
 *
 * @example
 * ```ts
 * const model = await loadInferenceModel("models/lstm/v1");
 * const window = new WindowBuffer(model.sequenceLength, nFeatures);
 * for (const row of rawRows) window.push(row);
 * const p = model.predictWindow(window); // the last 60 raw feature rows, scaled here
 * ```
 */
export async function loadInferenceModel(
  dir: string,
  options: { engine?: "fast" | "tfjs" } = {},
): Promise<InferenceModel> {
  // Loading needs a tfjs backend only to hold the weights; the fused kernels predict. Picking the
  // pure-JS CPU backend when none is active keeps inference from reading the tfjs WASM binary, so
  // it runs with read access to the model folder alone.
  if (!tf.engine().backendName) await selectBackend("cpu");
  const { model, card, scaler } = await loadModel(dir);
  const features: FeatureSpec[] = card.features;
  // loadModel has checked that the card's features are known and match the scaler.
  const warmup = createFeatureStream(features).warmup;
  const sequenceLength: number = card.sequenceLength;
  const horizon: number = card.horizon;
  const nFeatures = scaler.names.length;
  let fast: FastPredictor | null = null;
  if (options.engine !== "tfjs") {
    try {
      fast = FastPredictor.fromModel(model);
    } catch (error) {
      if (options.engine === "fast") throw error;
      fast = null; // a layer without a fused kernel (attention): TensorFlow.js predicts
    }
  }
  const x = new Float32Array(sequenceLength * nFeatures);
  return {
    features,
    sequenceLength,
    horizon,
    trainedThrough: trainedThrough(card),
    warmupBars: warmup + sequenceLength,
    engine: fast ? "fast" : "tfjs",
    maxAbsZ: (row: Float64Array): number => maxAbsZ(scaler, row),
    predictWindow(window: WindowBuffer): number {
      if (window.sequenceLength !== sequenceLength || window.width !== nFeatures) {
        throw new DataError(
          `Expected a window of ${sequenceLength} rows of ${nFeatures} features, found ${window.sequenceLength} rows of ${window.width}`,
        );
      }
      window.writeScaled(scaler, x);
      if (fast) return fast.predict(x, 1)[0];
      return tf.tidy(() => {
        const out = model.predict(tf.tensor3d(x, [1, sequenceLength, nFeatures])) as tf.Tensor;
        return out.dataSync()[0];
      });
    },
    dispose(): void {
      model.dispose();
    },
  };
}

function maxAbsZ(scaler: Scaler, row: Float64Array): number {
  let max = 0;
  for (let f = 0; f < row.length; f++) {
    const z = Math.abs((row[f] - scaler.mean[f]) / scaler.std[f]);
    if (Number.isNaN(z)) return Infinity; // a missing value is as far as it gets
    if (z > max) max = z;
  }
  return max;
}
