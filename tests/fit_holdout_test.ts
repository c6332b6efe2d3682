/**
 * fitModel's held-out calibration (issue 23): early stopping reads the
 * earlier half of the validation windows only, and the calibration is
 * fitted and its skill judged on the later half, rows that neither trained
 * the network nor picked its epoch. A tiny model on the synthetic market.
 */
import assert from "node:assert/strict";
import { loadSeries } from "../src/data/mod.ts";
import { selectBackend } from "../src/model/backend.ts";
import { subset } from "../src/dataset/training_set.ts";
import { measureModel } from "../src/model/train.ts";
import { fitModel, fitSettings } from "../src/pipeline/fit.ts";

await selectBackend("cpu");

Deno.test("early stopping reads the earlier half of the validation rows; calibration the later half", async () => {
  const series = await loadSeries({
    ticker: "SYNTH",
    source: "synthetic",
    start: "2016-01-01",
    seed: 3,
  });
  const settings = fitSettings({
    epochs: 2,
    lstmUnits: 4,
    sequenceLength: 8,
    batchSize: 64,
    seed: 3,
    backendName: "cpu",
  });
  const fitted = await fitModel(series, settings);
  try {
    const n = fitted.set.validation.n;
    const half = Math.floor(n / 2);
    // Horizon 1: the halves touch without a gap. The calibration saw the later half only.
    assert.equal(fitted.calibration.validation!.rows, n - half);
    // The best epoch's validation loss is the loss on the earlier half (the model keeps its weights).
    const early = subset(fitted.set.validation, Uint32Array.from({ length: half }, (_, i) => i));
    const best = fitted.result.history[fitted.result.bestEpoch - 1];
    const { loss } = await measureModel(fitted.model, early);
    assert.ok(
      Math.abs(best.val_loss - loss) < 1e-5,
      `${best.val_loss} vs ${loss} on the earlier half`,
    );
    const { loss: all } = await measureModel(fitted.model, fitted.set.validation);
    assert.ok(Math.abs(best.val_loss - all) > 1e-5, "not the loss on every validation row");
  } finally {
    fitted.model.dispose();
  }
});
