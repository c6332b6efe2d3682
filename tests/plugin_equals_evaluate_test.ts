/**
 * The guard of the one-pipeline rule: on real SPY bars, the live plugin fed
 * bar by bar gives, on every bar, the probability evaluation computes for the
 * window ending on that bar (the calibrated one, and the network's raw one
 * beside it), and both start scoring on the same bar. A tiny LSTM (4 units,
 * 10-bar windows, one epoch, CPU, seed 42) is trained on the last three years
 * in-process and saved as `deno task train` would, with a Platt calibration
 * (slope 2) and a shrinkage weight of 0.3 toward the training base rate in its
 * card, so every stage of the calibration moves the numbers.
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
import { applyCalibration, type Calibration, fitCalibration } from "../src/model/calibration.ts";
import { predictProbabilities } from "../src/model/train.ts";

const SPY = new URL("../../shared/data/SPY.csv", import.meta.url).pathname;
const SEQUENCE_LENGTH = 10;
const HORIZON = 1;
const TOLERANCE = 1e-6;

const backend = await selectBackend("cpu");
const bars = (await loadSeries({ ticker: "SPY", source: "csv", csv: SPY })).bars.slice(-3 * 252);
const dir = join(await Deno.makeTempDir(), "spy_tiny");
let calibration: Calibration;
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
  const baseRate = dataset.train.y.reduce((a, b) => a + b, 0) / dataset.train.n;
  const fitted = fitCalibration(
    predictProbabilities(model, dataset.validation),
    dataset.validation.y,
    { method: "platt", baseRate },
  );
  // Whatever a one-epoch model's validation rows say (its Platt slope may well be 0), a slope of
  // 2 and a weight strictly inside (0, 1) make both stages move every probability.
  calibration = { ...fitted, platt: { slope: 2, intercept: 0.1 }, shrinkage: 0.3 };
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
      calibration,
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

Deno.test("on every scored bar the plugin's calibrated and raw probabilities equal evaluation's, and the signal carries the model's validation skill", async () => {
  const loaded = await loadEvaluationModel(dir);
  try {
    assert.deepEqual(loaded.calibration, calibration, "the card's calibration, read back");
    const { rows, evaluation } = await scoreModel(loaded, bars, {
      ticker: "SPY",
      start: bars[0].time,
      end: bars.at(-1)!.time,
    });
    assert.equal(evaluation.calibration?.method, "platt");
    assert.equal(evaluation.calibration?.shrinkage, 0.3);
    let moved = 0;
    for (let k = 0; k < rows.refTimes.length; k++) {
      const s = live.signals[firstOk + k];
      const raw = rows.rawProbabilities![k];
      assert.ok(Math.abs(s.rawProbability! - raw) <= TOLERANCE, `raw probability at ${s.time}`);
      assert.ok(
        Math.abs(s.probabilityUp - rows.probabilities[k]) <= TOLERANCE,
        `calibrated probability at ${s.time}`,
      );
      // Both are the card's calibration applied to the network's raw output.
      assert.ok(Math.abs(rows.probabilities[k] - applyCalibration(calibration, raw)) < 1e-12);
      if (Math.abs(s.probabilityUp - s.rawProbability!) > 1e-4) moved++;
    }
    assert.ok(moved > rows.refTimes.length / 2, `calibration moved ${moved} probabilities`);
    const skill = calibration.validation!.calibrated;
    for (const s of live.signals.slice(firstOk)) {
      assert.deepEqual(s.model.skill, { brier: skill.brierSkill, logLoss: skill.logLossSkill });
    }
  } finally {
    loaded.dispose();
  }
});

// ---------------------------------------------------------------------------------------------
// Universe models: one model serving every symbol of its universe, with per-symbol scalers, a
// shared context stream (SPY) and the beats-median label. A tiny model (4 units, 10-bar windows,
// one epoch) is trained on a synthetic universe of four symbols; the plugin is fed every date's
// bars, the context symbol's first, and must give evaluate's probability for every scored
// (symbol, date), and `unknown-symbol` for a symbol outside the universe.

import type { Bar } from "../src/data/types.ts";
import { fitAndSave, fitSettings } from "../src/pipeline/fit.ts";
import {
  loadUniverseData,
  modelUniverse,
  universeFitSettings,
  universeSet,
} from "../src/pipeline/universe.ts";
import { evaluateUniverse } from "../src/pipeline/study.ts";

const UNIVERSE = ["AAA", "BBB", "CCC", "DDD"];

/** Trains a tiny universe model on synthetic bars; returns its folder. */
async function tinyUniverseModel(scaling: "pooled" | "per-symbol"): Promise<string> {
  const root = join(await Deno.makeTempDir(), `universe_${scaling}`);
  const settings = universeFitSettings(
    fitSettings({
      epochs: 1,
      batchSize: 64,
      sequenceLength: SEQUENCE_LENGTH,
      lstmUnits: 4,
      learningRate: 0.01,
      backendName: "cpu",
      seed: 42,
    }),
    { label: "beats-median", scaling, context: "SPY" },
  );
  const spec = { kind: "list" as const, name: "tiny", symbols: UNIVERSE };
  const data = await loadUniverseData(spec, {
    source: "synthetic",
    seed: 42,
    start: "2023-01-01",
    context: "SPY",
  });
  await fitAndSave(universeSet(data, settings), settings.fit, { modelRoot: root });
  return root;
}

const universeRoot = await tinyUniverseModel("per-symbol");

/** Every symbol's bars by date, the context first, as a host would feed them. */
async function universeFeed(): Promise<[string, Bar][]> {
  const loaded = await loadEvaluationModel(universeRoot);
  loaded.dispose();
  const spec = modelUniverse(loaded.info.card)!.spec;
  const data = await loadUniverseData(spec, {
    source: "synthetic",
    seed: 42,
    start: "2023-01-01",
    context: "SPY",
  });
  const feed: [string, Bar][] = [];
  for (const bar of data.context!.bars) feed.push(["SPY", bar]);
  for (const m of data.universe.members) for (const bar of m.bars) feed.push([m.symbol, bar]);
  const order = (s: string): number => (s === "SPY" ? -1 : UNIVERSE.indexOf(s));
  return feed.sort(([a, x], [b, y]) =>
    x.time < y.time ? -1 : x.time > y.time ? 1 : order(a) - order(b)
  );
}

Deno.test("a universe model: the plugin's probability equals evaluate's for every symbol and scored bar", async () => {
  const loaded = await loadEvaluationModel(universeRoot);
  let result;
  try {
    const spec = modelUniverse(loaded.info.card)!.spec;
    const data = await loadUniverseData(spec, {
      source: "synthetic",
      seed: 42,
      start: "2023-01-01",
      context: "SPY",
    });
    result = await evaluateUniverse(loaded, data, { start: "2023-01-01", end: "2024-12-31" });
  } finally {
    loaded.dispose();
  }
  const plugin = createLstmSignal({
    modelDir: universeRoot,
    maxZScore: Infinity,
    allowNoSkill: true,
  });
  await plugin.init();
  const live = new Map<string, Signal>();
  for (const [symbol, bar] of await universeFeed()) {
    live.set(`${symbol} ${bar.time}`, await plugin.onBar(symbol, bar));
  }
  const outside = await plugin.onBar("ZZZ", bars[0]);
  plugin.dispose();
  const { rows, symbols } = result;
  assert.ok(rows.refTimes.length > 1000, `scored rows: ${rows.refTimes.length}`);
  assert.deepEqual(new Set(symbols), new Set(UNIVERSE));
  let worst = 0;
  for (let k = 0; k < rows.refTimes.length; k++) {
    const s = live.get(`${symbols[k]} ${rows.refTimes[k]}`)!;
    assert.equal(s.status, "ok", `${symbols[k]} ${rows.refTimes[k]}`);
    worst = Math.max(
      worst,
      Math.abs(s.probabilityUp - rows.probabilities[k]),
      Math.abs(s.rawProbability! - rows.rawProbabilities![k]),
    );
  }
  assert.ok(worst <= TOLERANCE, `largest difference ${worst}`);
  const raw = Array.from(rows.rawProbabilities!);
  assert.ok(Math.max(...raw) - Math.min(...raw) > 1e-4, "the network's outputs vary");
  // Symbols outside a per-symbol-scaled universe are refused, the context symbol included.
  assert.equal(outside.status, "unknown-symbol");
  assert.equal(live.get(`SPY ${rows.refTimes[0]}`)!.status, "unknown-symbol");
});

Deno.test("a pooled universe model serves a symbol outside its universe", async () => {
  const root = await tinyUniverseModel("pooled");
  const plugin = createLstmSignal({ modelDir: root, maxZScore: Infinity, allowNoSkill: true });
  await plugin.init();
  const feed = await universeFeed();
  let last: Signal | undefined;
  for (const [symbol, bar] of feed) {
    if (symbol === "SPY") await plugin.onBar("SPY", bar);
    else if (symbol === "AAA") last = await plugin.onBar("ZZZ", bar); // AAA's bars under another name
  }
  plugin.dispose();
  assert.equal(last!.status, "ok");
});
