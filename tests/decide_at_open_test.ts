/**
 * Deciding at the open: a model trained with `decideAt: "open"` reads a
 * decision bar's open and nothing else of it. Changing the decision bar's
 * high, low, close or volume (or any later bar) leaves its features, its
 * probability and its signal unchanged; changing its open may change them.
 * The label is the bar's own open-to-close move, and the plugin's `onOpen`
 * (before the bar is finished) and `onBar` (after) give evaluate's
 * probability for every scored bar.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createLstmSignal } from "../plugins/lstm_signal.ts";
import type { Bar } from "../src/data/types.ts";
import { buildDataset, buildWindows } from "../src/dataset/mod.ts";
import { buildUniverseTables } from "../src/dataset/universe_tables.ts";
import { computeFeatures, type FeatureSpec, warmupBars } from "../src/features/mod.ts";
import { fitAndSave } from "../src/pipeline/fit.ts";
import { loadEvaluationModel, scoreModel } from "../src/pipeline/score.ts";
import { fitSettings, loadTrainingSeries } from "../src/pipeline/settings.ts";

const AT_OPEN: FeatureSpec[] = [
  { name: "intraday_return", params: {} },
  { name: "returns", params: { period: 1 } },
  { name: "overnight_return", params: {} },
  { name: "gap_z", params: { period: 20 } },
  { name: "rsi", params: { period: 14 } },
];

const series = await loadTrainingSeries({ source: "synthetic" }, 42);
const bars = series.bars.slice(-400);

/** The bars with bar `i`'s high, low, close and volume (and every later bar) changed. */
function shaken(i: number): Bar[] {
  return bars.map((b, k) => {
    if (k < i) return b;
    if (k > i) {
      return {
        ...b,
        open: b.open * 1.07,
        high: b.high * 1.3,
        low: b.low * 0.7,
        close: b.close * 1.2,
        volume: b.volume * 3,
      };
    }
    return {
      ...b,
      high: b.high * 1.5,
      low: b.low * 0.5,
      close: b.close * 1.25,
      volume: b.volume * 9,
      adjClose: undefined,
    };
  });
}

Deno.test("at the open a bar's row reads its open and the bars before it, nothing else of it", () => {
  const i = 300;
  const before = computeFeatures(bars, AT_OPEN, { decideAt: "open" });
  const after = computeFeatures(shaken(i), AT_OPEN, { decideAt: "open" });
  assert.deepEqual(Array.from(after.rows[i]), Array.from(before.rows[i]));
  const reopened = bars.map((b, k) => (k === i ? { ...b, open: b.open * 1.02 } : b));
  const moved = computeFeatures(reopened, AT_OPEN, { decideAt: "open" });
  assert.notDeepEqual(Array.from(moved.rows[i]), Array.from(before.rows[i]));
  // The close-known columns are the previous bar's; the open-known ones read today's open.
  const atClose = computeFeatures(bars, AT_OPEN);
  assert.equal(before.rows[i][0], atClose.rows[i - 1][0]);
  assert.ok(Math.abs(before.rows[i][2] - (bars[i].open / bars[i - 1].close - 1)) < 1e-12);
  // Close-known features wait one bar more at the open; open-known ones do not.
  const rsi = [{ name: "rsi", params: { period: 14 } }];
  assert.equal(warmupBars(rsi, { decideAt: "open" }), warmupBars(rsi) + 1);
  const gap = [{ name: "gap_z", params: { period: 20 } }];
  assert.equal(warmupBars(gap, { decideAt: "open" }), warmupBars(gap));
});

Deno.test("at the open the label is the bar's own open-to-close move", () => {
  const ds = buildDataset(bars, { sequenceLength: 10, features: AT_OPEN, decideAt: "open" });
  const index = new Map(bars.map((b, k) => [b.time, k]));
  for (const set of [ds.train, ds.validation, ds.test]) {
    for (let k = 0; k < set.n; k++) {
      const b = bars[index.get(set.refTimes[k])!];
      assert.equal(set.y[k], b.close > b.open ? 1 : 0, set.refTimes[k]);
    }
  }
  assert.equal(ds.decideAt, "open");
});

Deno.test("a universe's beats-median label at the open compares each symbol's open-to-close return with the day's median", () => {
  const members = ["AAA", "BBB", "CCC"].map((symbol, s) => ({
    ...series,
    symbol,
    bars: bars.map((b, k) => ({ ...b, open: b.open * (1 + 0.001 * ((k * (s + 2)) % 7 - 3)) })),
  }));
  const tables = buildUniverseTables(members, {
    sequenceLength: 10,
    features: AT_OPEN,
    label: "beats-median",
    decideAt: "open",
  });
  const t = tables.tables;
  let checked = 0;
  for (let i = tables.warmup + 20; i < bars.length; i += 37) {
    const r = t.map((x) => x.closes[i] / x.opens[i] - 1);
    const median = [...r].sort((a, b) => a - b)[1];
    for (let s = 0; s < t.length; s++) {
      assert.equal(t[s].labels[i], r[s] > median ? 1 : 0);
      assert.equal(t[s].labelDates[i], t[s].dates[i]);
      checked++;
    }
  }
  assert.ok(checked > 20);
});

const root = join(await Deno.makeTempDir(), "open_model");
const settings = fitSettings({
  epochs: 1,
  batchSize: 64,
  sequenceLength: 10,
  lstmUnits: 4,
  learningRate: 0.01,
  backendName: "cpu",
  seed: 42,
  decideAt: "open",
});
settings.datasetOptions = { ...settings.datasetOptions, features: AT_OPEN };
await fitAndSave({ ...series, bars }, settings, { modelRoot: root });

Deno.test("an at-open model: onOpen and onBar give evaluate's probability on every scored bar", async () => {
  const loaded = await loadEvaluationModel(root);
  assert.equal(loaded.info.card.decideAt, "open");
  const { evaluation, rows } = await scoreModel(loaded, bars, {
    ticker: series.symbol,
    start: bars[0].time,
  });
  loaded.dispose();
  assert.ok(evaluation.rows >= 100, `scored ${evaluation.rows}`);
  const plugin = createLstmSignal({ modelDir: root, maxZScore: Infinity, allowNoSkill: true });
  await plugin.init();
  const expected = new Map(rows.refTimes.map((t, k) => [t, rows.probabilities[k]]));
  let compared = 0;
  for (const bar of bars) {
    const before = await plugin.onOpen(series.symbol, bar.time, bar.open);
    const again = await plugin.onOpen(series.symbol, bar.time, bar.open); // no state changed
    const after = await plugin.onBar(series.symbol, bar);
    assert.equal(again.probabilityUp, before.probabilityUp);
    assert.equal(after.probabilityUp, before.probabilityUp, bar.time);
    const p = expected.get(bar.time);
    if (p === undefined) continue;
    assert.ok(
      Math.abs(before.probabilityUp - p) < 1e-6,
      `${bar.time}: ${before.probabilityUp} vs ${p}`,
    );
    compared++;
  }
  plugin.dispose();
  assert.equal(compared, rows.refTimes.length);
});

Deno.test("an at-open model's signal for a bar does not change with the bar's high, low, close or volume", async () => {
  const i = 350;
  const signalAt = async (feed: Bar[]): Promise<number> => {
    const plugin = createLstmSignal({ modelDir: root, maxZScore: Infinity, allowNoSkill: true });
    await plugin.init();
    let p: number | undefined;
    for (const bar of feed.slice(0, i + 1)) {
      p = (await plugin.onBar(series.symbol, bar)).rawProbability;
    }
    plugin.dispose();
    assert.ok(p !== undefined && Number.isFinite(p));
    return p;
  };
  const loaded = await loadEvaluationModel(root);
  const windows = (feed: Bar[]) =>
    buildWindows(feed, loaded.scaler, {
      sequenceLength: 10,
      horizon: 1,
      features: AT_OPEN,
      decideAt: "open",
    });
  const a = windows(bars), b = windows(shaken(i));
  const k = a.refTimes.indexOf(bars[i].time);
  const span = a.seqLen * a.nFeatures;
  assert.deepEqual(
    Array.from(b.x.subarray(k * span, (k + 1) * span)),
    Array.from(a.x.subarray(k * span, (k + 1) * span)),
  );
  const pa = await loaded.predictWithRaw(a), pb = await loaded.predictWithRaw(b);
  assert.equal(pb.raw[k], pa.raw[k]);
  assert.equal(pb.probabilities[k], pa.probabilities[k]);
  loaded.dispose();
  assert.equal(await signalAt(shaken(i)), await signalAt(bars));
  const reopened = bars.map((x, n) => (n === i ? { ...x, open: x.open * 1.03 } : x));
  assert.notEqual(await signalAt(reopened), await signalAt(bars));
});

Deno.test("onOpen of a model that decides at the close is a usage error", async () => {
  const closeRoot = join(await Deno.makeTempDir(), "close_model");
  await fitAndSave(
    { ...series, bars },
    fitSettings({
      epochs: 1,
      batchSize: 64,
      sequenceLength: 10,
      lstmUnits: 4,
      backendName: "cpu",
    }),
    { modelRoot: closeRoot },
  );
  const plugin = createLstmSignal({ modelDir: closeRoot });
  await plugin.init();
  await assert.rejects(
    () => plugin.onOpen(series.symbol, bars[0].time, bars[0].open),
    /Expected a model that decides at the open/,
  );
  plugin.dispose();
});

Deno.test("a backtest of signals decided at the open trades each bar from its open to its close", async () => {
  const { runBacktest } = await import("../src/eval/backtest.ts");
  const few = bars.slice(0, 30).map((b) => ({ ...b, adjClose: undefined }));
  const alwaysUp = {
    name: "always-up",
    warmupBars: 0,
    init: (): Promise<void> => Promise.resolve(),
    onBar: (symbol: string, bar: Bar) =>
      Promise.resolve({
        symbol,
        time: bar.time,
        probabilityUp: 0.9,
        direction: "up" as const,
        confidence: 0.8,
        horizonBars: 1,
        status: "ok" as const,
        model: { id: "rule", version: "v0", trainedThrough: null, skill: null },
      }),
    predict: () => Promise.reject(new Error("not used")),
    dispose: (): void => {},
  };
  const result = await runBacktest(few, alwaysUp, {
    symbol: "SYNTH",
    costBps: 5,
    decideAt: "open",
  });
  let expected = 1;
  for (const b of few.slice(1)) expected *= (1 - 5e-4) * (b.close / b.open) * (1 - 5e-4);
  assert.ok(Math.abs(result.equity[result.equity.length - 1] - expected) < 1e-9);
  assert.equal(result.trades.length, few.length - 1);
  assert.ok(result.trades.every((t) => t.entryTime === t.exitTime));
});

Deno.test("monitor judges an at-open model's logged signals by each bar's open-to-close move", async () => {
  const { monitorModel } = await import("../src/pipeline/monitor.ts");
  const logPath = join(await Deno.makeTempDir(), "predictions.jsonl");
  const plugin = createLstmSignal({
    modelDir: root,
    maxZScore: Infinity,
    allowNoSkill: true,
    logPath,
  });
  await plugin.init();
  const scored: { time: string; p: number }[] = [];
  for (const bar of bars) {
    const s = await plugin.onBar(series.symbol, bar);
    if (s.status === "ok") scored.push({ time: bar.time, p: s.probabilityUp });
  }
  plugin.dispose();
  const result = await monitorModel({
    modelDir: root,
    logPath,
    ticker: series.symbol,
    request: { source: "synthetic" },
  });
  const byTime = new Map(bars.map((b) => [b.time, b]));
  const hits = scored.filter(({ time, p }) => {
    const b = byTime.get(time)!;
    return (p > 0.5 ? 1 : 0) === (b.close > b.open ? 1 : 0);
  }).length;
  assert.equal(result.resolved, scored.length);
  assert.ok(Math.abs(result.accuracy! - hits / scored.length) < 1e-12);
});

Deno.test("retraining a model that decides at the open with a close candidate is a usage error", async () => {
  const { retrainModel } = await import("../src/pipeline/retrain.ts");
  const { UsageError } = await import("../src/util/errors.ts");
  await assert.rejects(
    () =>
      retrainModel({
        modelRoot: root,
        fit: fitSettings({ epochs: 1, sequenceLength: 10, lstmUnits: 4, backendName: "cpu" }),
        data: { source: "synthetic" },
        holdout: 50,
        metric: "log-loss",
        tolerance: 0,
        dryRun: true,
      }),
    (error: unknown) =>
      error instanceof UsageError &&
      /^Expected decideAt open like the current version/.test(error.message),
  );
});
