/**
 * A saved model, ready to score one window at a time: what the signal plugin
 * and the `predict` command use. It carries the model's feature list, scaler,
 * window length and horizon, and predicts with the fused WASM kernels when
 * every layer has one (`lstm`, `gru`, `deep`, `bidirectional`), else with
 * TensorFlow.js (`attention`). Both give the same probabilities (the kernels'
 * equivalence tests hold them to 1e-5). The network's raw output goes
 * through the calibration saved in the model card (`applyCalibration` of
 * `calibration.ts`, the formula evaluation applies too) before anyone sees it.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import {
  createFeatureStream,
  type DecideAt,
  type FeatureSpec,
  type Scaler,
} from "../features/mod.ts";
import { WindowBuffer } from "../dataset/window.ts";
import { loadModel } from "./store.ts";
import { selectBackend } from "./backend.ts";
import { trainedThrough } from "./card.ts";
import {
  applyCalibration,
  type Calibration,
  cardCalibration,
  type SkillPair,
  withoutSkill,
} from "./calibration.ts";
import { FastPredictor } from "./fast/predict.ts";
import { readUniverseScalers } from "../model/scalers.ts";
import { scalerFor } from "../dataset/universe.ts";
import { DataError } from "../util/errors.ts";

/** A loaded model that scores windows of raw (unscaled) feature rows. */
export interface InferenceModel {
  /** The feature list the model was trained on. */
  readonly features: FeatureSpec[];
  /** Bars per window. */
  readonly sequenceLength: number;
  /** Bars ahead the label looks. */
  readonly horizon: number;
  /** When the model decides: at a bar's close, or at its open (the plugin's `onOpen`). */
  readonly decideAt: DecideAt;
  /** Last date of the data the model learned from (training and early stopping), or `null`. */
  readonly trainedThrough: string | null;
  /** The bar interval the model was trained on (`1d`, `1h`, …), when known. */
  readonly interval?: string;
  /** Whose calendar its training bars followed (`crypto`), or absent for the NYSE. */
  readonly venue?: string;
  /** Bars a fresh symbol needs before the first window is complete. */
  readonly warmupBars: number;
  /** Which implementation predicts: `fast` (WASM kernels) or `tfjs`. */
  readonly engine: "fast" | "tfjs";
  /** The calibration applied to the network's output (the identity for a card without one). */
  readonly calibration: Calibration;
  /**
   * The calibrated probabilities' skill against the base rate on the
   * validation rows (cross-fitted), or `null` when the card records none: a
   * bot may ignore a model whose skill is not above 0.
   */
  readonly skill: SkillPair | null;
  /**
   * Whether the model showed no skill on its held-out validation rows, so its calibration hands
   * out the training base rate (`withoutSkill` of `calibration.ts`): the plugin's `no-skill`.
   */
  readonly noSkill: boolean;
  /** The largest |z-score| of a raw feature row under the training scaler (before clipping). */
  maxAbsZ(row: Float64Array, scaler?: Scaler): number;
  /**
   * A universe model's serving facts (`null` for a single-ticker model): the
   * context symbol whose bars its context features read, and the scaler of a
   * symbol (the pooled one for any symbol, or under per-symbol scaling the
   * symbol's own, `undefined` for a symbol outside the universe). Pass that
   * scaler to `maxAbsZ` and `scoreWindow`.
   */
  readonly universe: {
    context: string | null;
    scaling: "pooled" | "per-symbol";
    scalerFor(symbol: string): Scaler | undefined;
  } | null;
  /**
   * The probability that the price goes up after the window a
   * {@linkcode WindowBuffer} of raw feature rows holds (it must be full, of
   * this model's sequence length and width), scaled with the model's scaler
   * through `WindowBuffer.writeScaled`, the path the batch dataset takes too,
   * and calibrated: `scoreWindow(window).probability`.
   */
  predictWindow(window: WindowBuffer): number;
  /** The network's raw probability for the window and the calibrated one handed out. */
  scoreWindow(window: WindowBuffer, scaler?: Scaler): { raw: number; probability: number };
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
  const scalers = card.universe ? await readUniverseScalers(dir, card, scaler) : null;
  const features: FeatureSpec[] = card.features;
  // loadModel has checked that the card's features are known and match the scaler.
  const decideAt: DecideAt = card.decideAt ?? "close";
  const warmup = createFeatureStream(features, { decideAt }).warmup;
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
  const calibration = cardCalibration(card);
  const rawOf = (window: WindowBuffer, windowScaler: Scaler = scaler): number => {
    if (window.sequenceLength !== sequenceLength || window.width !== nFeatures) {
      throw new DataError(
        `Expected a window of ${sequenceLength} rows of ${nFeatures} features, found ${window.sequenceLength} rows of ${window.width}`,
      );
    }
    window.writeScaled(windowScaler, x);
    if (fast) return fast.predict(x, 1)[0];
    return tf.tidy(() => {
      const out = model.predict(tf.tensor3d(x, [1, sequenceLength, nFeatures])) as tf.Tensor;
      return out.dataSync()[0];
    });
  };
  const scoreWindow = (
    window: WindowBuffer,
    windowScaler?: Scaler,
  ): { raw: number; probability: number } => {
    const raw = rawOf(window, windowScaler);
    return { raw, probability: applyCalibration(calibration, raw) };
  };
  return {
    features,
    sequenceLength,
    horizon,
    decideAt,
    trainedThrough: trainedThrough(card),
    interval: card.data.interval,
    venue: card.data.venue,
    warmupBars: warmup + sequenceLength,
    engine: fast ? "fast" : "tfjs",
    calibration,
    skill: calibration.validation?.calibrated ?? null,
    noSkill: withoutSkill(calibration),
    maxAbsZ: (row: Float64Array, rowScaler: Scaler = scaler): number => maxAbsZ(rowScaler, row),
    universe: scalers && {
      context: card.universe?.context ?? null,
      scaling: scalers.scaling,
      scalerFor: (symbol: string): Scaler | undefined => scalerFor(scalers, symbol),
    },
    predictWindow: (window: WindowBuffer): number => scoreWindow(window).probability,
    scoreWindow,
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
