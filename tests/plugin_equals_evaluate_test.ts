/**
 * The guard of the one-pipeline rule: on real SPY bars, the live plugin fed
 * bar by bar gives, on every bar, the probability evaluation computes for the
 * window ending on that bar, and both start scoring on the same bar. A tiny
 * LSTM (4 units, 10-bar windows, one epoch, CPU, seed 42) is trained on the
 * last three years in-process and saved as `deno task train` would.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createLstmSignal } from "../plugins/lstm_signal.ts";
import { loadSeries } from "../src/data/mod.ts";
import { adjustedCloses, buildDataset, buildWindows, upLabel } from "../src/dataset/mod.ts";
import { loadEvaluationModel, scoreModel } from "../src/pipeline/score.ts";
import { warmupBars } from "../src/features/mod.ts";
import { buildModel, saveModel, selectBackend, trainModel } from "../src/model/mod.ts";
import type { Signal } from "../src/signal/types.ts";

const SPY = new URL("../../shared/data/SPY.csv", import.meta.url).pathname;
const SEQUENCE_LENGTH = 10;
const HORIZON = 1;
const TOLERANCE = 1e-6;

const backend = await selectBackend("cpu");
const bars = (await loadSeries({ ticker: "SPY", source: "csv", csv: SPY })).bars.slice(-3 * 252);
const dir = join(await Deno.makeTempDir(), "spy_tiny");
{
  const dataset = buildDataset(bars, { sequenceLength: SEQUENCE_LENGTH, horizon: HORIZON });
  const hyperparameters = {
    lstmUnits: 4,
    dropout: 0.2,
    l2: 0,
    learningRate: 0.01,
    seed: 42,
    epochs: 1,
    batchSize: 64,
    patience: 10,
  };
  const model = buildModel("lstm", {
    ...hyperparameters,
    inputShape: [SEQUENCE_LENGTH, dataset.train.nFeatures],
  });
  const result = await trainModel(model, dataset, { epochs: 1, batchSize: 64, seed: 42 });
  const metrics = { loss: result.history[0].val_loss, accuracy: null };
  await saveModel(dir, model, {
    card: {
      arch: "lstm",
      hyperparameters,
      features: dataset.features,
      sequenceLength: SEQUENCE_LENGTH,
      nFeatures: dataset.train.nFeatures,
      horizon: HORIZON,
      data: { source: "csv", ticker: "SPY", interval: "1d", ranges: dataset.ranges },
      seed: 42,
      backend,
      metrics: { train: metrics, validation: metrics, test: metrics },
      testBaseRate: null,
      interrupted: false,
      bestEpoch: result.bestEpoch,
      epochsRun: result.epochsRun,
    },
    scaler: dataset.scaler,
    history: result.history,
  });
  model.dispose();
}

/** The plugin's signal on every bar, fed one at a time (no out-of-distribution cut-off). */
async function pluginSignals(): Promise<{ signals: Signal[]; warmupBars: number }> {
  const plugin = createLstmSignal({ modelDir: dir, maxZScore: Infinity });
  await plugin.init();
  const signals: Signal[] = [];
  for (const bar of bars) signals.push(await plugin.onBar("SPY", bar));
  const warmupBars = plugin.warmupBars;
  plugin.dispose();
  return { signals, warmupBars };
}

const live = await pluginSignals();
const firstOk = live.signals.findIndex((s) => s.status === "ok");

Deno.test("the plugin warms up for exactly the feature warm-up plus one window, then is ok on every bar", async () => {
  const loaded = await loadEvaluationModel(dir);
  try {
    const { features, sequenceLength } = loaded.info.card;
    assert.equal(live.warmupBars, warmupBars(features) + sequenceLength);
    assert.equal(firstOk, live.warmupBars - 1, "the first ok bar completes the first window");
    live.signals.forEach((s, i) => {
      assert.equal(s.status, i < firstOk ? "warming-up" : "ok", `status at ${s.time}`);
    });
  } finally {
    loaded.dispose();
  }
});

Deno.test("on every scored bar the plugin's probability equals evaluation's, and evaluation starts on the plugin's first ok bar", async () => {
  const loaded = await loadEvaluationModel(dir);
  try {
    const { rows } = await scoreModel(loaded, bars, {
      ticker: "SPY",
      start: bars[0].time,
      end: bars.at(-1)!.time,
    });
    const n = rows.refTimes.length;
    assert.equal(rows.refTimes[0], bars[firstOk].time, "first reference bar evaluation scores");
    assert.equal(n, bars.length - firstOk - HORIZON, "every labelled bar after the warm-up");
    const closes = adjustedCloses(bars);
    for (let k = 0; k < n; k++) {
      const i = firstOk + k;
      assert.equal(rows.refTimes[k], bars[i].time);
      assert.equal(rows.labels[k], upLabel(closes, i, HORIZON), `label at ${bars[i].time}`);
      const diff = Math.abs(live.signals[i].probabilityUp - rows.probabilities[k]);
      assert.ok(diff <= TOLERANCE, `probability at ${bars[i].time} differs by ${diff}`);
    }
  } finally {
    loaded.dispose();
  }
});

Deno.test("on every bar, the unlabelled last ones included, the plugin equals evaluation's predict over all windows", async () => {
  const loaded = await loadEvaluationModel(dir);
  try {
    const { features, sequenceLength, horizon } = loaded.info.card;
    const windows = buildWindows(bars, loaded.scaler, {
      sequenceLength,
      horizon,
      features,
      labelledOnly: false,
    });
    const p = await loaded.predict(windows);
    assert.equal(windows.n, bars.length - firstOk);
    assert.equal(windows.refTimes.at(-1), bars.at(-1)!.time);
    let worst = 0;
    for (let k = 0; k < windows.n; k++) {
      const s = live.signals[firstOk + k];
      assert.equal(windows.refTimes[k], s.time);
      worst = Math.max(worst, Math.abs(s.probabilityUp - p[k]));
    }
    assert.ok(worst <= TOLERANCE, `largest difference ${worst}`);
    const spread = Math.max(...p) - Math.min(...p);
    assert.ok(spread > 1e-4, `the model's probabilities vary (spread ${spread})`);
  } finally {
    loaded.dispose();
  }
});
