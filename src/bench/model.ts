/**
 * The saved model the bench's `fast` rows and its cold-start probe load: the seed's workload's
 * shape with random weights, and what the signal plugin needs besides (card, scaler).
 *
 * @module
 */

import { generateSyntheticBars } from "../data/mod.ts";
import { computeFeatures, DEFAULT_FEATURES, fitScaler } from "../features/mod.ts";
import { buildModel } from "../model/architectures.ts";
import { quietly, selectBackend } from "../model/backend.ts";
import { saveModel } from "../model/store.ts";
import type { CardDraft } from "../model/card.ts";
import { WORKLOAD } from "./workload.ts";

/**
 * Saves a model of the workload's shape (the `lstm` architecture, random weights from seed 42) in
 * `dir` on the CPU backend, with a scaler fitted on synthetic SPY bars of 2019–2023, so that the
 * 2024 bars the cold-start probe feeds are in distribution.
 *
 * @example
 * ```ts
 * await saveWorkloadModel("/tmp/lstm-bench/model");
 * ```
 */
export async function saveWorkloadModel(dir: string): Promise<void> {
  await selectBackend("cpu");
  const model = await quietly(() =>
    buildModel("lstm", {
      inputShape: [WORKLOAD.sequenceLength, WORKLOAD.nFeatures],
      lstmUnits: WORKLOAD.lstmUnits,
      dropout: WORKLOAD.dropout,
      learningRate: WORKLOAD.learningRate,
      seed: 42,
    })
  );
  const table = computeFeatures(
    generateSyntheticBars("SPY", { start: "2019-01-01", end: "2023-12-31" }),
    DEFAULT_FEATURES,
  );
  const rows = table.rows.slice(table.warmup);
  const range = {
    first: table.times[table.warmup],
    last: table.times[table.times.length - 1],
    rows: rows.length,
  };
  const metrics = { loss: NaN, accuracy: NaN };
  const card: CardDraft = {
    arch: "lstm",
    hyperparameters: {
      lstmUnits: WORKLOAD.lstmUnits,
      dropout: WORKLOAD.dropout,
      l2: 0,
      learningRate: WORKLOAD.learningRate,
      seed: 42,
      epochs: 0,
      batchSize: WORKLOAD.batchSize,
      patience: 0,
    },
    features: DEFAULT_FEATURES,
    sequenceLength: WORKLOAD.sequenceLength,
    nFeatures: WORKLOAD.nFeatures,
    horizon: 1,
    data: {
      source: "synthetic",
      ticker: "SPY",
      interval: "1d",
      ranges: { train: range, validation: range, test: range },
    },
    seed: 42,
    backend: "cpu",
    metrics: { train: metrics, validation: metrics, test: metrics },
    testBaseRate: 0.5,
    interrupted: false,
    bestEpoch: 0,
    epochsRun: 0,
  };
  try {
    await saveModel(dir, model, { card, scaler: fitScaler(rows, table.names), history: [] });
  } finally {
    model.dispose();
  }
}
