/**
 * Crypto venues end to end, offline (issue 26): the continuous calendar
 * (no weekend missing, each gap reported once, 8,760 hourly bars a year),
 * the seeded 24/7 synthetic market, and prepare → train → evaluate (walk-
 * forward too) → backtest → predict on the hand-made hourly BTC/USDT
 * replies of fixtures/ccxt/ with no network.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  generateSyntheticContinuousBars,
  loadSeries,
  prepareTicker,
  readCache,
  syntheticVenue,
  validateBars,
} from "../src/data/mod.ts";
import { barsPerYear } from "../src/data/interval.ts";
import { defaultCostBps, maCrossoverRule, runBacktest } from "../src/eval/backtest.ts";
import { readCard } from "../src/model/card.ts";
import { replayExchange } from "../fixtures/ccxt/replay.ts";
import { cli, type Run } from "./tiny_model_fixture.ts";

const TMP = await Deno.makeTempDir({ prefix: "crypto_" });
globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));

const hourly = (from: string, hours: number, skip: number[] = []): {
  time: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}[] =>
  Array.from({ length: hours }, (_, h) => h).filter((h) => !skip.includes(h)).map((h) => ({
    time: new Date(Date.parse(from) + h * 3_600_000).toISOString().replace(".000Z", "Z"),
    open: 100 + (h % 5),
    high: 106,
    low: 99,
    close: 100 + ((h + 1) % 5),
    volume: 10,
  }));

Deno.test("a crypto year is every interval of 365 days; the NYSE's is unchanged", () => {
  assert.equal(barsPerYear("1h", "crypto"), 8760);
  assert.equal(barsPerYear("1d", "crypto"), 365);
  assert.equal(barsPerYear("5m", "crypto"), 105_120);
  assert.equal(barsPerYear("1h"), 1764);
  assert.equal(barsPerYear("1d", "nyse"), 252);
  assert.equal(defaultCostBps("crypto"), 10);
  assert.equal(defaultCostBps(undefined), 0);
});

Deno.test("on a crypto venue a weekend is not missing, and a gap is reported once with its length", () => {
  // Friday 2024-01-05 00:00 to Monday 2024-01-08 23:00, hours 60..62 missing (Sunday).
  const bars = hourly("2024-01-05T00:00:00Z", 96, [60, 61, 62]);
  const { report } = validateBars(bars, { interval: "1h", venue: "crypto" });
  assert.deepEqual(report.counts, { missing_bars: 1 });
  assert.equal(report.problems[0].time, "2024-01-07T11:00:00Z");
  assert.match(report.problems[0].detail, /\(3 bars missing\); not filled$/);
  const whole = validateBars(hourly("2024-01-05T00:00:00Z", 96), {
    interval: "1h",
    venue: "crypto",
  });
  assert.deepEqual(whole.report.counts, {});
  // Daily crypto bars: the weekends are there, a missing Wednesday is one gap.
  const days = Array.from({ length: 14 }, (_, d) => d).filter((d) => d !== 9).map((d) => ({
    time: new Date(Date.UTC(2024, 0, 1 + d)).toISOString().slice(0, 10),
    open: 1,
    high: 1,
    low: 1,
    close: 1,
    volume: 1,
  }));
  const daily = validateBars(days, { interval: "1d", venue: "crypto" });
  assert.deepEqual(daily.report.counts, { missing_bars: 1 });
  assert.match(
    daily.report.problems[0].detail,
    /between 2024-01-09 and 2024-01-11 \(1 bar missing\)/,
  );
});

Deno.test("the seeded synthetic 24/7 market has a bar every hour, weekends included", async () => {
  assert.equal(syntheticVenue("SYNTH-CRYPTO"), "crypto");
  assert.equal(syntheticVenue("BTC/USDT"), "crypto");
  assert.equal(syntheticVenue("SPY"), "nyse");
  const range = { start: "2024-01-06", end: "2024-01-07", interval: "1h" as const };
  const a = generateSyntheticContinuousBars("SYNTH-CRYPTO", range);
  assert.equal(a.length, 48);
  assert.deepEqual(generateSyntheticContinuousBars("SYNTH-CRYPTO", range), a);
  assert.notDeepEqual(generateSyntheticContinuousBars("SYNTH-CRYPTO", { ...range, seed: 7 }), a);
  const { report } = validateBars(a, {
    interval: "1h",
    venue: "crypto",
    now: new Date("2025-01-01"),
  });
  assert.equal(report.problems.length, 0);
  const dataDir = join(TMP, "synthetic");
  const result = await prepareTicker("SYNTH-CRYPTO", {
    start: "2024-06-01",
    end: "2024-06-30",
    interval: "1h",
    dataDir,
  });
  assert.equal(result.rows, 30 * 24);
  assert.equal(result.meta.venue, "crypto");
  const series = await loadSeries({ ticker: "SYNTH-CRYPTO", interval: "1h", dataDir });
  assert.equal(series.venue, "crypto");
  // --venue crypto turns any synthetic ticker into the 24/7 market; SPY stays in session hours.
  const spy = await loadSeries({
    ticker: "SPY",
    source: "synthetic",
    interval: "1h",
    start: "2024-06-01",
    end: "2024-06-02",
    venue: "crypto",
  });
  assert.equal(spy.bars.length, 48);
});

Deno.test("a backtest on a crypto venue annualises with 8,760 hourly bars and charges the taker fee", async () => {
  const bars = generateSyntheticContinuousBars("SYNTH-CRYPTO", {
    start: "2024-03-01",
    end: "2024-03-31",
    interval: "1h",
  });
  const run = async (venue?: "crypto"): Promise<Awaited<ReturnType<typeof runBacktest>>> => {
    const rule = maCrossoverRule({ fast: 5, slow: 20 });
    await rule.init();
    return await runBacktest(bars, rule, { symbol: "SYNTH-CRYPTO", interval: "1h", venue });
  };
  const crypto = await run("crypto");
  const nyse = await run();
  assert.equal(crypto.barsPerYear, 8760);
  assert.equal(nyse.barsPerYear, 1764);
  assert.deepEqual(crypto.sessions, { gaps: 0, fillsAcrossGap: 0, heldAcrossGap: 0 });
  assert.ok(crypto.stats.turnover > 10);
  // Same trades, but each side pays 10 bps on crypto and nothing by default on the NYSE.
  assert.equal(crypto.stats.turnover, nyse.stats.turnover);
  assert.ok(crypto.equity.at(-1)! < nyse.equity.at(-1)!);
});

// ---------------------------------------------------------------------------------------------
// Hourly BTC/USDT from the recorded replies through every command.

const DATA = join(TMP, "data");
const MODELS = join(TMP, "models");
const MODEL = join(MODELS, "btc");
const TINY = [
  "--epochs",
  "1",
  "--sequence-length",
  "10",
  "--lstm-units",
  "4",
  "--batch-size",
  "64",
  "--seed",
  "42",
  "--backend",
  "cpu",
];

async function ok(args: string[]): Promise<Run> {
  const run = await cli(args, TMP);
  assert.equal(run.code, 0, `${args[0]}: ${run.stderr}`);
  return run;
}

let trained: Promise<void> | undefined;
/** prepare BTC/USDT 1h from the replayed exchange, then train on the cache (once). */
function btcModel(): Promise<void> {
  trained ??= (async () => {
    const result = await prepareTicker("BTC/USDT", {
      source: "ccxt",
      exchange: "binance",
      exchangeClient: (id) => replayExchange(id),
      sleep: () => Promise.resolve(),
      start: "2024-01-01",
      end: "2024-01-28",
      interval: "1h",
      now: new Date("2024-02-01T00:00:00Z"),
      dataDir: DATA,
    });
    assert.deepEqual(result.report.counts, { missing_bars: 1 });
    await ok([
      "train",
      "--ticker",
      "BTC/USDT",
      "--interval",
      "1h",
      "--data-dir",
      DATA,
      ...TINY,
      "--model-dir",
      MODELS,
      "--name",
      "btc",
    ]);
  })();
  return trained;
}

const common = (): string[] => ["--model", MODEL, "--ticker", "BTC/USDT", "--data-dir", DATA];

Deno.test("train on hourly BTC/USDT records the venue and the exchange in the card", async () => {
  await btcModel();
  const card = await readCard(join(MODEL, "v1"));
  assert.equal(card.data.ticker, "BTC/USDT");
  assert.equal(card.data.interval, "1h");
  assert.equal(card.data.source, "ccxt");
  assert.equal(card.data.venue, "crypto");
  assert.equal(card.data.exchange, "binance");
  const cached = await readCache("BTC/USDT", { dataDir: DATA, interval: "1h" });
  assert.equal(cached!.meta.exchange, "binance");
});

Deno.test("evaluate and walk-forward score hourly BTC/USDT from the cache", async () => {
  await btcModel();
  const single = JSON.parse((await ok(["evaluate", ...common(), "--json"])).stdout);
  assert.ok(single.rows > 50, `${single.rows} rows`);
  const walk = JSON.parse(
    (await ok([
      "evaluate",
      ...common(),
      "--walk-forward",
      "--folds",
      "2",
      "--epochs",
      "1",
      "--json",
    ])).stdout,
  );
  assert.equal(walk.folds.length, 2);
  assert.match(walk.last, /^2024-01-28T2[23]:00:00Z$/);
});

Deno.test("backtest of hourly BTC/USDT annualises with 8,760 bars, crosses no weekend gap and pays 10 bps", async () => {
  await btcModel();
  const json = JSON.parse((await ok(["backtest", ...common(), "--json"])).stdout);
  assert.deepEqual(json.interval, { name: "1h", barsPerYear: 8760, venue: "crypto" });
  // Out of sample runs over two weekends of the replies: none is a gap.
  assert.ok(json.first < "2024-01-27", json.first);
  assert.deepEqual(json.sessions, { gaps: 0, fillsAcrossGap: 0, heldAcrossGap: 0 });
  assert.equal(json.settings.costBps, 10);
  const text = (await ok(["backtest", ...common(), "--cost-bps", "4"])).stdout;
  assert.match(
    text,
    /cost 4 bps per side; 1h bars, annualised with 8760 bars a year \(a crypto venue/,
  );
});

Deno.test("predict gives the signal of the last closed hourly BTC/USDT bar", async () => {
  await btcModel();
  const signal = JSON.parse((await ok(["predict", ...common(), "--json"])).stdout);
  assert.equal(signal.time, "2024-01-28T23:00:00Z");
  assert.equal(signal.symbol, "BTC/USDT");
});
