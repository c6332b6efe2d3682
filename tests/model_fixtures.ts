/**
 * Small seeded window sets for the model tests: label 1 when the last bar's
 * first feature is positive, so a model can learn something in a few epochs.
 *
 * @module
 */

import type { WindowSet } from "../src/dataset/types.ts";
import type { CardDraft } from "../src/model/card.ts";
import { featureNames, type FeatureSpec, type Scaler } from "../src/features/mod.ts";
import { createRng } from "../src/util/random.ts";

/**
 * `n` windows of `seqLen` × `nFeatures` standard-normal values.
 *
 * @example
 * ```ts
 * const train = randomWindows(100, { seed: 1 });
 * ```
 */
export function randomWindows(
  n: number,
  options: { seed?: number; seqLen?: number; nFeatures?: number } = {},
): WindowSet {
  const seqLen = options.seqLen ?? 8;
  const nFeatures = options.nFeatures ?? 3;
  const rng = createRng(options.seed ?? 1);
  const x = new Float32Array(n * seqLen * nFeatures);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) y[i] = x[(i * seqLen + seqLen - 1) * nFeatures] > 0 ? 1 : 0;
  const refTimes = Array.from(
    { length: n },
    (_, i) => new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10),
  );
  return { x, y, refTimes, n, seqLen, nFeatures };
}

/** Three cheap built-in features, for models trained on {@linkcode randomWindows}. */
export const THREE_FEATURES: FeatureSpec[] = [
  { name: "returns", params: { period: 1 } },
  { name: "volume_change", params: { period: 1 } },
  { name: "high_low_range", params: {} },
];

/**
 * An identity scaler (mean 0, std 1) over `features`, named as the card's features are.
 *
 * @example
 * ```ts
 * const scaler = identityScaler(THREE_FEATURES);
 * ```
 */
export function identityScaler(features: readonly FeatureSpec[]): Scaler {
  const names = featureNames(features);
  return { names, mean: names.map(() => 0), std: names.map(() => 1) };
}

/**
 * A valid model card draft for a small test model (three features, 8-bar windows), with
 * `overrides` on top.
 *
 * @example
 * ```ts
 * await saveModel(dir, model, { card: cardDraft({ arch: "gru" }), scaler, history: [] });
 * ```
 */
export function cardDraft(overrides: Partial<CardDraft> = {}): CardDraft {
  const metrics = { loss: 0.69, accuracy: 0.5 };
  const range = { first: "2020-01-01", last: "2020-04-01", rows: 96 };
  return {
    arch: "lstm",
    hyperparameters: {
      lstmUnits: 4,
      dropout: 0.2,
      l2: 0,
      learningRate: 0.01,
      seed: 1,
      epochs: 1,
      batchSize: 32,
      patience: 10,
    },
    features: THREE_FEATURES,
    sequenceLength: 8,
    nFeatures: 3,
    horizon: 1,
    data: {
      source: "synthetic",
      ticker: "TEST",
      interval: "1d",
      ranges: { train: range, validation: range, test: range },
    },
    seed: 1,
    backend: "cpu",
    metrics: { train: metrics, validation: metrics, test: metrics },
    testBaseRate: 0.5,
    interrupted: false,
    bestEpoch: 1,
    epochsRun: 1,
    ...overrides,
  };
}
