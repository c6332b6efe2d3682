/**
 * The universe commands end to end on a small synthetic universe (six
 * symbols, 10-bar windows, a 4-unit LSTM, one epoch, CPU): `train
 * --universe` saves the label, scaling, context and split in the card and
 * the per-symbol scalers beside it; `evaluate` scores it pooled and per
 * symbol beside the reversal rule, out of sample, with the portfolio;
 * `backtest --universe` trades it; walk-forward retrains by date folds; the
 * Fischer-Krauss preset's settings and study periods; usage errors.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { readCard } from "../src/model/card.ts";
import { fitSettings } from "../src/pipeline/fit.ts";
import { FISCHER_KRAUSS, universeFitSettings } from "../src/pipeline/universe.ts";
import { universeFolds } from "../src/pipeline/study.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const UNIVERSE = "AAA,BBB,CCC,DDD,EEE,FFF";

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
  }).output();
  const text = (b: Uint8Array): string => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

const models = await Deno.makeTempDir();
const MODEL = join(models, "u");
const TINY = [
  "--epochs",
  "1",
  "--sequence-length",
  "10",
  "--lstm-units",
  "4",
  "--batch-size",
  "64",
  "--backend",
  "cpu",
];
const trained = await cli(
  "train",
  "--universe",
  UNIVERSE,
  "--source",
  "synthetic",
  "--context",
  "SPY",
  "--label",
  "beats-median",
  "--scaling",
  "per-symbol",
  ...TINY,
  "--model-dir",
  models,
  "--name",
  "u",
  "--json",
);

Deno.test("train --universe saves one model with its label, scaling, context, split and per-symbol scalers", async () => {
  assert.equal(trained.code, 0, trained.stderr);
  const summary = JSON.parse(trained.stdout);
  assert.equal(summary.universe.symbolCount, 6);
  const card = await readCard(summary.modelDir);
  assert.equal(card.label, "beats-median");
  assert.equal(card.universe?.scaling, "per-symbol");
  assert.equal(card.universe?.context, "SPY");
  assert.deepEqual(card.universe?.symbols, UNIVERSE.split(","));
  const split = card.universe!.split;
  assert.ok(split.trainEnd < split.validationEnd && split.validationEnd < split.testEnd);
  assert.ok(card.features.some((f) => f.name === "relative_return"), "context features");
  const scalers = JSON.parse(
    await Deno.readTextFile(join(summary.modelDir, "universe_scalers.json")),
  );
  assert.deepEqual(Object.keys(scalers.scalers), UNIVERSE.split(","));
  assert.match(trained.stderr, /label beats-median, per-symbol scaling, context SPY/);
});

Deno.test("evaluate scores a universe model out of sample, pooled and per symbol, beside the reversal rule, with the portfolio", async () => {
  const run = await cli(
    "evaluate",
    "--model",
    MODEL,
    "--source",
    "synthetic",
    "--top-k",
    "2",
    "--json",
  );
  assert.equal(run.code, 0, run.stderr);
  const e = JSON.parse(run.stdout);
  const card = await readCard(join(MODEL, "v1"));
  assert.equal(e.label, "beats-median");
  assert.ok(e.pooled.first > card.universe!.split.validationEnd, "out of sample only");
  assert.match(e.scope, /out of sample/);
  assert.equal(e.perSymbol.length, 6);
  const aucs = e.perSymbol.map((s: { auc: number }) => s.auc);
  assert.deepEqual(aucs, [...aucs].sort((a: number, b: number) => a - b), "worst first");
  assert.equal(
    e.perSymbol.reduce((n: number, s: { rows: number }) => n + s.rows, 0),
    e.pooled.rows,
  );
  for (const key of ["alwaysUp", "previousDirection", "logistic", "climatology"]) {
    assert.ok(key in e.pooled.baselines, key);
  }
  assert.ok(e.reversal.auc > 0 && e.reversal.auc < 1);
  const names = e.portfolio.arms.map((a: { name: string }) => a.name);
  assert.deepEqual(names, [
    "model",
    "reversal",
    "logistic",
    "equal-weight",
    "market (SPY)",
    "model (at close)",
    "reversal (at close)",
  ]);
  const model = e.portfolio.arms[0];
  assert.ok(model.after.meanDaily < model.before.meanDaily, "5 bps costs cost something");
  const text = await cli("evaluate", "--model", MODEL, "--source", "synthetic");
  assert.match(text.stdout, /per symbol, worst 6 by AUC/);
  assert.match(text.stdout, /reversal rule \(rank by the last bar's return/);
});

Deno.test("backtest --universe trades the model's own universe: long-only top 2, costs per half-turn", async () => {
  const run = await cli(
    "backtest",
    "--model",
    MODEL,
    "--universe",
    "--top-k",
    "2",
    "--long-only",
    "--cost-bps",
    "10",
    "--source",
    "synthetic",
    "--json",
  );
  assert.equal(run.code, 0, run.stderr);
  const e = JSON.parse(run.stdout);
  assert.equal(e.portfolio.topK, 2);
  assert.equal(e.portfolio.longOnly, true);
  assert.equal(e.portfolio.costBps, 10);
  const model = e.portfolio.arms[0];
  const costPerDay = model.before.meanDaily - model.after.meanDaily;
  assert.ok(Math.abs(costPerDay - 0.001 * model.before.turnover) < 1e-12, "10 bps × turnover");
  const text = await cli(
    "backtest",
    "--model",
    MODEL,
    "--universe",
    "--top-k",
    "2",
    "--source",
    "synthetic",
  );
  assert.match(text.stdout, /^portfolio: each day long and short the top 2/m);
});

Deno.test("evaluate --walk-forward retrains a universe model by date folds, each trained only on earlier dates", async () => {
  const run = await cli(
    "evaluate",
    "--model",
    MODEL,
    "--source",
    "synthetic",
    "--walk-forward",
    "--folds",
    "2",
    "--epochs",
    "1",
    "--json",
  );
  assert.equal(run.code, 0, run.stderr);
  const e = JSON.parse(run.stdout);
  assert.equal(e.folds.length, 2);
  for (const f of e.folds) assert.ok(f.train.last < f.test.first, JSON.stringify(f));
  assert.ok(e.folds[0].test.last < e.folds[1].test.first);
  assert.equal(e.pooled.rows, e.folds[0].test.rows + e.folds[1].test.rows);
  // The progress lines give each fold's dates as the results do (one definition).
  e.folds.forEach((f: { train: { first: string; last: string } }, i: number) => {
    assert.match(
      run.stderr,
      new RegExp(`fold ${i + 1}/2: trained on ${f.train.first} to ${f.train.last} `),
    );
  });
});

Deno.test("the Fischer-Krauss preset: the papers' network, 240 standardized returns, 25 units, beats-median, 750/250-day study periods", () => {
  const s = universeFitSettings(fitSettings({ epochs: 3 }), { study: "fischer-krauss" });
  assert.equal(s.fit.arch, "paper");
  assert.equal(s.fit.batchSize, 512);
  assert.equal(s.fit.sequenceLength, 240);
  assert.equal(s.fit.hyperparameters.lstmUnits, 25);
  assert.equal(s.fit.hyperparameters.dropout, 0.1);
  assert.equal(s.fit.epochs, 3);
  assert.equal(s.label, "beats-median");
  assert.equal(s.scaling, "pooled");
  assert.deepEqual(s.features, [{ name: "returns", params: { period: 1 } }]);
  // 1259 trading days less 240 look-back, 1 warm-up and 1 horizon: 1017 reference dates.
  const folds = universeFolds(1017, {
    mode: "sliding",
    minTrain: FISCHER_KRAUSS.trainDays,
    retrainEvery: FISCHER_KRAUSS.testDays,
  });
  assert.deepEqual(folds.map((f) => [f.trainEnd - f.trainStart, f.testEnd - f.testStart]), [
    [510, 250],
    [510, 250],
  ]);
  assert.equal(folds[1].trainStart, folds[0].trainStart + 250, "sliding by one trading period");
  const explicit = universeFitSettings(fitSettings({ sequenceLength: 120 }), {
    study: "fischer-krauss",
    explicit: new Set(["sequenceLength"]),
  });
  assert.equal(explicit.fit.sequenceLength, 120, "a flag given beats the preset");
  const named = universeFitSettings(fitSettings({ arch: "lstm", batchSize: 64 }), {
    study: "fischer-krauss",
    explicit: new Set(["arch", "batchSize"]),
  });
  assert.equal(named.fit.arch, "lstm");
  assert.equal(named.fit.batchSize, 64);
});

Deno.test("universe flags out of place are usage errors (exit 2)", async () => {
  for (
    const args of [
      ["train", "--universe", "AAA,BBB", "--ticker", "SPY"],
      ["train", "--label", "beats-median", "--source", "synthetic"],
      ["train", "--universe", "AAA,BBB", "--scaling", "by-sector"],
      ["evaluate", "--model", MODEL, "--study", "fischer-krauss"],
      ["evaluate", "--model", MODEL, "--context", "SPY"],
    ]
  ) {
    const run = await cli(...args);
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
  }
});

Deno.test("predict serves a universe model's symbol (its context fed first) and needs --ticker", async () => {
  const run = await cli(
    "predict",
    "--model",
    MODEL,
    "--ticker",
    "CCC",
    "--source",
    "synthetic",
    "--json",
  );
  assert.equal(run.code, 0, run.stderr);
  const signal = JSON.parse(run.stdout);
  assert.equal(signal.symbol, "CCC");
  assert.match(
    signal.status,
    /^(ok|no-skill)$/,
    "served by the model (a tiny one may show no skill)",
  );
  assert.equal((await cli("predict", "--model", MODEL, "--source", "synthetic")).code, 2);
});

Deno.test("monitor scores a universe model's logged signals against its own label (beats-median, not up)", async () => {
  const { createLstmSignal } = await import("../plugins/lstm_signal.ts");
  const { loadUniverseData, modelUniverse } = await import("../src/pipeline/universe.ts");
  const { buildUniverseTables } = await import("../src/dataset/universe_tables.ts");
  const card = await readCard(join(MODEL, "v1"));
  const data = await loadUniverseData(modelUniverse(card)!.spec, {
    source: "synthetic",
    seed: card.seed,
    context: "SPY",
  });
  const log = join(await Deno.makeTempDir(), "signals.jsonl");
  const plugin = createLstmSignal({
    modelDir: MODEL,
    logPath: log,
    maxZScore: Infinity,
    allowNoSkill: true,
  });
  await plugin.init();
  const ccc = data.universe.members.find((m) => m.symbol === "CCC")!.bars;
  const spy = new Map(data.context!.bars.map((b) => [b.time, b]));
  const logged: { time: string; p: number }[] = [];
  for (const bar of ccc) {
    if (spy.has(bar.time)) await plugin.onBar("SPY", spy.get(bar.time)!);
    const s = await plugin.onBar("CCC", bar);
    if (s.status === "ok") logged.push({ time: s.time, p: s.probabilityUp });
  }
  plugin.dispose();
  const run = await cli(
    "monitor",
    "--model",
    MODEL,
    "--ticker",
    "CCC",
    "--log",
    log,
    "--source",
    "synthetic",
    "--json",
  );
  assert.equal(run.code, 0, run.stderr);
  const m = JSON.parse(run.stdout);
  // The expected figure, from the universe's cross-sectional labels.
  const tables = buildUniverseTables(data.universe.members, {
    sequenceLength: card.sequenceLength,
    horizon: card.horizon,
    features: card.features,
    label: "beats-median",
    context: { symbol: "SPY", bars: data.context!.bars },
  });
  const t = tables.tables.find((x) => x.symbol === "CCC")!;
  const label = new Map(t.times.map((time, k) => [time, t.labels[k]]));
  const resolved = logged.filter((s) => (label.get(s.time) ?? -1) >= 0);
  const right = resolved.filter((s) => (s.p > 0.5 ? 1 : 0) === label.get(s.time)).length;
  assert.equal(m.resolved, resolved.length);
  assert.ok(Math.abs(m.accuracy - right / resolved.length) < 1e-12, `${m.accuracy}`);
  // With up labels the figure would differ: the test can tell the two definitions apart.
  const index = new Map(ccc.map((b, i) => [b.time, i]));
  const upRight = resolved.filter((s) => {
    const i = index.get(s.time)!;
    return (s.p > 0.5 ? 1 : 0) === (ccc[i + 1].close > ccc[i].close ? 1 : 0);
  }).length;
  assert.notEqual(upRight, right);
});
