/**
 * `deno task backtest` end to end, as a subprocess, on a tiny model trained
 * once on seeded synthetic SPY bars: the --json shape, buy-and-hold against
 * an independent computation (with and without costs), the A/B test's two
 * arms, the report's charts, and one clear line with the right exit code for
 * each failure.
 */
import assert from "node:assert/strict";
import { readCard } from "../src/model/card.ts";
import { formatBarsCsv, loadSeries } from "../src/data/mod.ts";
import type { Bar } from "../src/data/types.ts";
import { cli, trainTinyModel } from "./tiny_model_fixture.ts";

const TMP = await Deno.makeTempDir({ prefix: "backtest_cli_" });
/** The version folder the train command writes (`model/v1`; `model/current.json` names it). */
const MODEL = `${TMP}/model/v1`;
let trained: Promise<void> | undefined;
globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));

/**
 * Trains the tiny model the first time a test needs it, uncalibrated: these tests are about the
 * replay, and a tiny model without validation skill, calibrated, hands out the base rate on every
 * bar and never trades (the last test here checks exactly that).
 */
function model(): Promise<void> {
  trained ??= trainTinyModel(`${TMP}/model`, "SPY", ["--calibration", "none"]);
  return trained;
}

async function backtest(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  await model();
  return await cli(["backtest", ...args], TMP);
}

function assertOneLineFailure(
  run: { code: number; stdout: string; stderr: string },
  code: number,
  pattern: RegExp,
): void {
  assert.equal(run.code, code, run.stderr);
  assert.equal(run.stdout, "");
  const lines = run.stderr.trim().split("\n");
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], pattern);
}

/** Buy-and-hold from the open of the bar at `from` to the last close, adjusted prices. */
function holdReturn(bars: readonly Bar[], from: string, costBps: number): number {
  const adjusted = (b: Bar, price: number): number =>
    b.adjClose === undefined ? price : price * b.adjClose / b.close;
  const first = bars.find((b) => b.time === from)!;
  const last = bars[bars.length - 1];
  return (1 - costBps / 10_000) * adjusted(last, last.close) / adjusted(first, first.open) - 1;
}

Deno.test("backtest --json has the strategy and buy-and-hold statistics, out of sample on the model's own series", async () => {
  const run = await backtest("--model", MODEL, "--json");
  assert.equal(run.code, 0, run.stderr);
  const r = JSON.parse(run.stdout);
  const config = await readCard(MODEL);
  assert.equal(r.ticker, "SPY");
  assert.match(r.scope, /out of sample/);
  assert.ok(r.first > config.data.ranges.validation.last, "first fill after the validation range");
  for (const arm of [r.strategy, r.buyAndHold]) {
    for (const key of ["totalReturn", "annualReturn", "sharpe", "sortino", "maxDrawdown"]) {
      assert.equal(typeof arm[key], "number", key);
    }
    assert.ok(arm.maxDrawdown >= 0 && arm.maxDrawdown < 1);
  }
  assert.equal(r.buyAndHold.exposure, 1);
  assert.ok(r.strategy.exposure >= 0 && r.strategy.exposure <= 1);
  assert.equal(r.trades.length, r.strategy.trades);
  const { bars } = await loadSeries({ ticker: "SPY", source: "synthetic" });
  assert.equal(r.last, bars[bars.length - 1].time);
  assert.equal(r.rows, bars.length - bars.findIndex((b) => b.time === r.first));
  assert.ok(Math.abs(r.buyAndHold.totalReturn - holdReturn(bars, r.first, 0)) < 1e-12);
});

Deno.test("backtest --cost-bps charges buy-and-hold exactly once and costs the strategy without changing its decisions", async () => {
  const free = JSON.parse(
    (await backtest("--model", MODEL, "--json", "--start", "2023-01-01")).stdout,
  );
  const run = await backtest(
    "--model",
    MODEL,
    "--json",
    "--start",
    "2023-01-01",
    "--cost-bps",
    "25",
  );
  assert.equal(run.code, 0, run.stderr);
  const paid = JSON.parse(run.stdout);
  const { bars } = await loadSeries({ ticker: "SPY", source: "synthetic" });
  assert.equal(paid.first.slice(0, 7), "2023-01");
  assert.match(paid.scope, /decisions from 2023-01-\d{2} .* were seen in training/);
  assert.ok(Math.abs(paid.buyAndHold.totalReturn - holdReturn(bars, paid.first, 25)) < 1e-12);
  assert.deepEqual(
    paid.trades.map((t: { entryTime: string }) => t.entryTime),
    free.trades.map((t: { entryTime: string }) => t.entryTime),
    "costs do not change the decisions",
  );
  assert.ok(paid.trades.length > 0, "the model trades in 2023-2024");
  assert.ok(paid.strategy.totalReturn < free.strategy.totalReturn);
});

Deno.test("backtest --compare reports the crossover rule alone and filtered by the model", async () => {
  const run = await backtest(
    "--model",
    MODEL,
    "--json",
    "--compare",
    "--fast",
    "5",
    "--slow",
    "20",
  );
  assert.equal(run.code, 0, run.stderr);
  const { comparison } = JSON.parse(run.stdout);
  assert.match(comparison.rule, /SMA 5\/20 crossover/);
  for (const arm of [comparison.ruleAlone, comparison.ruleWithModel]) {
    for (const key of ["totalReturn", "sharpe", "maxDrawdown"]) {
      assert.equal(typeof arm[key], "number", key);
    }
  }
  assert.ok(comparison.ruleAlone.trades > 0);
  assert.ok(
    comparison.ruleWithModel.exposure <= comparison.ruleAlone.exposure,
    "the model can only veto the rule's longs",
  );
  const text = await backtest("--model", MODEL, "--compare");
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /\s+model\s+buy-and-hold\s+rule alone\s+rule \+ model/);
  assert.match(text.stdout, /Sharpe\s+-?\d/);
});

Deno.test("backtest --short can hold short positions", async () => {
  const run = await backtest("--model", MODEL, "--json", "--short", "--start", "2021-01-01");
  assert.equal(run.code, 0, run.stderr);
  const r = JSON.parse(run.stdout);
  assert.equal(r.settings.short, true);
  assert.ok(r.trades.some((t: { side: string }) => t.side === "short"));
  assert.equal(r.strategy.exposure, 1, "long/short with no band is always in the market");
});

Deno.test("backtest --report writes the equity curve against buy-and-hold and the drawdown", async () => {
  const page = `${TMP}/backtest.html`;
  const run = await backtest("--model", MODEL, "--json", "--report", page);
  assert.equal(run.code, 0, run.stderr);
  const { rows } = JSON.parse(run.stdout);
  const html = await Deno.readTextFile(page);
  for (const series of ["strategy", "buy-and-hold", "drawdown"]) {
    assert.match(html, new RegExp(`data-series="${series}" data-points="${rows}"`), series);
  }
  assert.doesNotMatch(html, /<script src=|<link /);
});

Deno.test("backtest fails in one line for a folder without a model", async () => {
  await Deno.mkdir(`${TMP}/empty`, { recursive: true });
  assertOneLineFailure(await backtest("--model", `${TMP}/empty`), 1, /Expected a model in/);
});

Deno.test("backtest fails in one line when the ticker has too little history", async () => {
  const { bars } = await loadSeries({ ticker: "NEW", source: "synthetic" });
  const csv = `${TMP}/NEW.csv`;
  await Deno.writeTextFile(csv, formatBarsCsv(bars.slice(0, 40)));
  assertOneLineFailure(
    await backtest("--model", MODEL, "--csv", csv),
    1,
    /Expected at least 44 bars of NEW .* found 40/,
  );
});

Deno.test("backtest rejects misuse with exit code 2", async () => {
  assertOneLineFailure(await backtest("--model", MODEL, "--threshold", "1.5"), 2, /--threshold/);
  assertOneLineFailure(await backtest("--model", MODEL, "--fast", "5"), 2, /--compare/);
  assertOneLineFailure(
    await backtest("--model", MODEL, "--compare", "--fast", "50", "--slow", "20"),
    2,
    /--fast below --slow/,
  );
  const help = await backtest("--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--cost-bps/);
});

Deno.test("a calibrated model without validation skill hands every bar the base rate: the strategy holds or stays out", async () => {
  await trainTinyModel(`${TMP}/calibrated`, "SPY");
  const card = await readCard(`${TMP}/calibrated/v1`);
  assert.equal(card.calibration?.shrinkage, 1, card.calibration?.reason);
  const run = await backtest("--model", `${TMP}/calibrated`, "--json");
  assert.equal(run.code, 0, run.stderr);
  const r = JSON.parse(run.stdout);
  if (card.calibration!.baseRate > 0.5) {
    assert.equal(r.trades.length, 1, "one long trade, held to the end");
    assert.ok(Math.abs(r.strategy.totalReturn - r.buyAndHold.totalReturn) < 1e-9);
  } else {
    assert.equal(r.trades.length, 0, "never long");
    assert.equal(r.strategy.totalReturn, 0);
  }
});
