/**
 * Intraday bars end to end: the synthetic intraday market (session hours,
 * daylight saving, seeded; the daily market unchanged), recorded hourly
 * Yahoo and Alpaca replies replayed into the cache, annualisation and
 * session gaps in the backtest host, and one tiny hourly model taken through
 * `prepare --interval 1h`, train, evaluate (walk-forward too), backtest,
 * predict, monitor and retrain as subprocesses, with the one-line refusal of
 * another interval on the command line and in the plugin.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadSeries, prepareTicker } from "../src/data/mod.ts";
import {
  generateSyntheticBars,
  generateSyntheticIntradayBars,
  newYorkDst,
  synthetic,
} from "../src/data/providers/synthetic.ts";
import { validateBars } from "../src/data/validate.ts";
import {
  barsPerSession,
  barsPerYear,
  crossesGap,
  observedBarsPerSession,
} from "../src/data/interval.ts";
import { maCrossoverRule, runBacktest } from "../src/eval/backtest.ts";
import { readCard } from "../src/model/card.ts";
import { createLstmSignal } from "../plugins/lstm_signal.ts";
import { DataError } from "../src/util/errors.ts";
import { cli, type Run } from "./tiny_model_fixture.ts";

const TMP = await Deno.makeTempDir({ prefix: "intraday_" });
globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));

const FIXTURES = new URL("../fixtures/providers/", import.meta.url);

/** A fetch that answers every request with one recorded file, and records the URLs asked. */
function replay(file: string): { fetch: typeof fetch; urls: string[] } {
  const urls: string[] = [];
  const fake = async (input: string | URL | Request): Promise<Response> => {
    urls.push(String(input instanceof Request ? input.url : input));
    return new Response(await Deno.readTextFile(new URL(file, FIXTURES)), { status: 200 });
  };
  return { fetch: fake as typeof fetch, urls };
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("synthetic hourly bars fall in New York session hours, daylight saving included", () => {
  const winter = generateSyntheticIntradayBars("SPY", {
    start: "2024-01-02",
    end: "2024-01-02",
    interval: "1h",
  });
  assert.deepEqual(winter.map((b) => b.time.slice(11)), [
    "14:30:00Z",
    "15:30:00Z",
    "16:30:00Z",
    "17:30:00Z",
    "18:30:00Z",
    "19:30:00Z",
    "20:30:00Z",
  ]);
  // 2024-03-10 is the second Sunday of March: the Monday after opens an hour earlier in UTC.
  assert.equal(newYorkDst("2024-03-08"), false);
  assert.equal(newYorkDst("2024-03-11"), true);
  assert.equal(newYorkDst("2024-11-04"), false);
  const summer = generateSyntheticIntradayBars("SPY", {
    start: "2024-03-09",
    end: "2024-03-11",
    interval: "1h",
  });
  assert.equal(summer.length, 7, "the weekend has no bars");
  assert.equal(summer[0].time, "2024-03-11T13:30:00Z");
  const fives = generateSyntheticIntradayBars("SPY", {
    start: "2024-01-02",
    end: "2024-01-03",
    interval: "5m",
  });
  assert.equal(fives.length, 2 * 78);
  assert.equal(fives[77].time, "2024-01-02T20:55:00Z");
});

Deno.test("synthetic intraday bars are seeded, valid, and their own market per interval", async () => {
  const range = { start: "2023-01-01", end: "2024-12-31", interval: "1h" as const };
  const a = generateSyntheticIntradayBars("SPY", { ...range, seed: 42 });
  assert.deepEqual(generateSyntheticIntradayBars("SPY", { ...range, seed: 42 }), a);
  assert.notDeepEqual(generateSyntheticIntradayBars("SPY", { ...range, seed: 43 }), a);
  assert.deepEqual(await synthetic.fetchBars("SPY", range, { seed: 42 }), a);
  const { bars, report } = validateBars(a, { interval: "1h" });
  assert.equal(bars.length, a.length);
  assert.deepEqual(report.counts, {});
  // Overnight gaps: the first bar of a session opens away from the last close.
  const firsts = a.filter((_, i) => i > 0 && crossesGap(a[i - 1].time, a[i].time, "1h"));
  assert.ok(firsts.length > 400, `${firsts.length} sessions`);
  // Volume follows the intraday U: first and last bars of a session trade more than midday.
  const meanAt = (k: number): number => {
    const xs = a.filter((b) => b.time.slice(11, 13) === String(14 + k)).map((b) => b.volume);
    return xs.reduce((s, x) => s + x, 0) / xs.length;
  };
  assert.ok(meanAt(0) > meanAt(3), `${meanAt(0)} vs ${meanAt(3)}`);
});

Deno.test("the default daily synthetic market is byte-identical through the provider", async () => {
  const bars = await synthetic.fetchBars("SPY", {
    start: "2020-01-01",
    end: "2024-12-31",
    interval: "1d",
  }, { seed: 42 });
  assert.equal(
    await sha256(JSON.stringify(bars)),
    "e8625da21cc40d06929a2978c29531402696729c0694b70d928a5b41a52092e8",
  );
  assert.deepEqual(
    bars,
    generateSyntheticBars("SPY", { start: "2020-01-01", end: "2024-12-31", seed: 42 }),
  );
  await assert.rejects(
    () => synthetic.fetchBars("SPY", { start: "2024-01-01", end: "2024-12-31", interval: "1wk" }),
    /Expected --interval 1d or an intraday interval/,
  );
});

Deno.test("bars per year follow the interval: 252 sessions of 6.5 hours for intraday bars", () => {
  assert.equal(barsPerYear("1d"), 252);
  assert.equal(barsPerYear("1wk"), 52);
  assert.equal(barsPerSession("1h"), 7);
  assert.equal(barsPerYear("1h"), 1764);
  assert.equal(barsPerYear("5m"), 19656);
});

Deno.test("a recorded hourly Yahoo reply is replayed into the 1h cache, its open bar dropped", async () => {
  const dataDir = join(TMP, "yahoo");
  const { fetch, urls } = replay("yahoo_spy_1h_chart.json");
  const result = await prepareTicker("SPY", {
    source: "yahoo",
    interval: "1h",
    start: "2024-01-02",
    end: "2024-01-03",
    dataDir,
    fetch,
    now: new Date("2024-01-04T00:00:00Z"),
  });
  assert.match(urls[0], /interval=60m/);
  assert.equal(result.rows, 13);
  assert.equal(result.report.dropped, 1, "the bar still open: Yahoo's nulls");
  const series = await loadSeries({ ticker: "SPY", interval: "1h", dataDir });
  assert.equal(series.interval, "1h");
  assert.equal(series.bars[0].time, "2024-01-02T14:30:00Z");
  assert.equal(series.bars[7].time, "2024-01-03T14:30:00Z");
  assert.equal(observedBarsPerSession(series.bars.map((b) => b.time), "1h"), 7);
  await assert.rejects(
    () => loadSeries({ ticker: "SPY", dataDir }),
    /No cached bars for SPY 1d/,
  );
});

Deno.test("an hourly update leaves out the bar still trading, then fetches the rest of that session", async () => {
  const dataDir = join(TMP, "yahoo_update");
  const options = {
    source: "yahoo" as const,
    interval: "1h" as const,
    start: "2024-01-02",
    end: "2024-01-03",
    dataDir,
  };
  // At 17:00 UTC on the second day the 16:30 bar is still trading: left out, never cached.
  const first = await prepareTicker("SPY", {
    ...options,
    fetch: replay("yahoo_spy_1h_chart.json").fetch,
    now: new Date("2024-01-03T17:00:00Z"),
  });
  assert.equal(first.rows, 9);
  assert.equal(first.last, "2024-01-03T15:30:00Z");
  // The next update asks again from that session's date, so its later bars arrive.
  const { fetch, urls } = replay("yahoo_spy_1h_chart.json");
  const second = await prepareTicker("SPY", {
    ...options,
    fetch,
    now: new Date("2024-01-04T00:00:00Z"),
  });
  assert.match(urls[0], new RegExp(`period1=${Date.parse("2024-01-03T00:00:00Z") / 1000}&`));
  assert.equal(second.rows, 13);
  assert.equal(second.added, 4);
  assert.equal(second.unchanged, 2);
  assert.equal(second.conflicting, 0);
});

Deno.test("a recorded hourly Alpaca reply keeps its extended-hours bars, and a session counts them", async () => {
  const dataDir = join(TMP, "alpaca");
  const { fetch, urls } = replay("alpaca_spy_1h.json");
  const result = await prepareTicker("SPY", {
    source: "alpaca",
    interval: "1h",
    start: "2024-01-02",
    end: "2024-01-03", // its last bar, 19:00 New York, is 00:00 UTC the next day
    dataDir,
    fetch,
    env: () => "key",
    now: new Date("2024-01-04T00:00:00Z"),
  });
  assert.match(urls[0], /timeframe=1Hour/);
  assert.equal(result.rows, 16);
  const { bars } = await loadSeries({ ticker: "SPY", interval: "1h", dataDir });
  assert.equal(bars[0].time, "2024-01-02T09:00:00Z");
  assert.equal(observedBarsPerSession(bars.map((b) => b.time), "1h"), 16);
});

Deno.test("an hourly backtest annualises with 1764 bars a year and counts the session gaps it crosses", async () => {
  const bars = generateSyntheticIntradayBars("SPY", {
    start: "2024-01-01",
    end: "2024-06-30",
    interval: "1h",
  });
  const run = async (interval: "1h" | "1d") => {
    const rule = maCrossoverRule({ fast: 5, slow: 20 });
    await rule.init();
    return await runBacktest(bars, rule, { symbol: "SPY", interval });
  };
  const hourly = await run("1h");
  const daily = await run("1d");
  assert.equal(hourly.barsPerYear, 1764);
  assert.ok(
    Math.abs(hourly.stats.sharpe / daily.stats.sharpe - Math.sqrt(1764 / 252)) < 1e-9,
  );
  const sessions = new Set(bars.map((b) => b.time.slice(0, 10))).size;
  assert.equal(hourly.sessions.gaps, sessions - 1);
  assert.ok(hourly.sessions.heldAcrossGap > 0 && hourly.sessions.heldAcrossGap < sessions);
  assert.ok(
    hourly.sessions.fillsAcrossGap > 0,
    "a crossover decided at a close fills next morning",
  );
  assert.deepEqual(daily.sessions, { gaps: 0, fillsAcrossGap: 0, heldAcrossGap: 0 });
});

// ---------------------------------------------------------------------------------------------
// One tiny hourly model through every command.

const DATA = join(TMP, "data");
const MODELS = join(TMP, "models");
const MODEL = join(MODELS, "hourly");
const TINY = [
  "--epochs",
  "1",
  "--sequence-length",
  "10",
  "--lstm-units",
  "4",
  "--batch-size",
  "128",
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

function oneLine(run: Run, code: number, pattern: RegExp): void {
  assert.equal(run.code, code, run.stderr);
  const lines = run.stderr.trim().split("\n");
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0], pattern);
}

let trained: Promise<void> | undefined;
/** prepare --interval 1h --source synthetic, then train --interval 1h from the cache (once). */
function hourlyModel(): Promise<void> {
  trained ??= (async () => {
    await ok([
      "prepare",
      "--ticker",
      "SPY",
      "--interval",
      "1h",
      "--source",
      "synthetic",
      "--data-dir",
      DATA,
    ]);
    await ok([
      "train",
      "--ticker",
      "SPY",
      "--interval",
      "1h",
      "--data-dir",
      DATA,
      ...TINY,
      "--model-dir",
      MODELS,
      "--name",
      "hourly",
    ]);
  })();
  return trained;
}

const common = (): string[] => ["--model", MODEL, "--ticker", "SPY", "--data-dir", DATA];

Deno.test("prepare --interval 1h, then train --interval 1h saves the interval in the card", async () => {
  await hourlyModel();
  const card = await readCard(join(MODEL, "v1"));
  assert.equal(card.data.interval, "1h");
  assert.equal(card.data.source, "synthetic");
  assert.match(card.data.ranges.test.last, /^2024-12-31T\d\d:30:00Z$/);
});

Deno.test("evaluate and walk-forward score the hourly model on its own interval by default", async () => {
  await hourlyModel();
  const card = await readCard(join(MODEL, "v1"));
  const single = JSON.parse((await ok(["evaluate", ...common(), "--json"])).stdout);
  assert.ok(single.rows > 1000, `${single.rows} rows`);
  assert.ok(single.first > card.data.ranges.validation.last, "out of sample");
  assert.match(single.first, /T\d\d:30:00Z$/);
  const walk = JSON.parse(
    (await ok([
      "evaluate",
      ...common(),
      "--interval",
      "1h",
      "--walk-forward",
      "--folds",
      "2",
      "--epochs",
      "1",
      "--json",
    ])).stdout,
  );
  assert.equal(walk.folds.length, 2);
  assert.match(walk.last, /^2024-12-31T/);
});

Deno.test("backtest --interval 1h annualises hourly and reports the overnight gaps", async () => {
  await hourlyModel();
  const run = await ok(["backtest", ...common(), "--interval", "1h", "--compare", "--json"]);
  const json = JSON.parse(run.stdout);
  assert.deepEqual(json.interval, { name: "1h", barsPerYear: 1764 });
  assert.ok(json.sessions.gaps > 150, `${json.sessions.gaps} gaps`);
  assert.ok(json.sessions.heldAcrossGap <= json.sessions.gaps);
  const text = (await ok(["backtest", ...common()])).stdout;
  assert.match(text, /1h bars, annualised with 1764 bars a year \(252 sessions of 7\)/);
  assert.match(text, /sessions: \d+ overnight\/weekend gaps crossed; \d+ fills? at a session's/);
});

Deno.test("predict gives the signal of the last hourly bar; another interval is refused in one line", async () => {
  await hourlyModel();
  const signal = JSON.parse((await ok(["predict", ...common(), "--json"])).stdout);
  assert.equal(signal.time, "2024-12-31T20:30:00Z");
  assert.equal(signal.model.version, "v1");
  oneLine(
    await cli(["predict", ...common(), "--interval", "1d"], TMP),
    2,
    /^error: Expected --interval 1h \(the model was trained on 1h bars of SPY\), found 1d$/,
  );
  oneLine(
    await cli(["evaluate", ...common(), "--interval", "5m"], TMP),
    2,
    /Expected --interval 1h .*found 5m/,
  );
});

Deno.test("the plugin refuses daily bars and finer bars for an hourly model, and ages it by the hour", async () => {
  await hourlyModel();
  const plugin = createLstmSignal({ modelDir: MODEL, warn: () => {} });
  await plugin.init();
  try {
    await assert.rejects(
      () =>
        plugin.onBar("SPY", { time: "2025-01-02", open: 1, high: 1, low: 1, close: 1, volume: 1 }),
      (e: unknown) =>
        e instanceof DataError &&
        /^Expected 1h bars for the model in .* \(trained on 1h bars\), found a daily bar of SPY at 2025-01-02$/
          .test(e.message),
    );
    const bar = { open: 1, high: 1, low: 1, close: 1, volume: 1 };
    await plugin.onBar("QQQ", { ...bar, time: "2025-01-02T14:30:00Z" });
    await assert.rejects(
      () => plugin.onBar("QQQ", { ...bar, time: "2025-01-02T14:35:00Z" }),
      /found bars of QQQ 5 minutes apart/,
    );
  } finally {
    await plugin.dispose();
  }
  // Aged from the end of its validation range to the minute: ok a day on, stale two days on.
  const card = await readCard(join(MODEL, "v1"));
  const through = Date.parse(card.data.ranges.validation.last);
  const stale = createLstmSignal({
    modelDir: MODEL,
    maxModelAgeDays: 1,
    warn: () => {},
    allowNoSkill: true, // the tiny model shows no skill; its age is what is tested here
  });
  const { bars } = await loadSeries({ ticker: "SPY", source: "synthetic", interval: "1h" });
  const history = bars.filter((b) => Date.parse(b.time) <= through + 86_400_000);
  const later = bars.filter((b) => Date.parse(b.time) <= through + 2 * 86_400_000 + 3_600_000);
  try {
    assert.equal((await stale.predict("SPY", history)).status, "ok");
    assert.equal((await stale.predict("SPY", later)).status, "stale-model");
  } finally {
    await stale.dispose();
  }
});

Deno.test("monitor joins an hourly predictions log by bar time, and retrain keeps the model's interval", async () => {
  await hourlyModel();
  const log = join(TMP, "hourly_predictions.jsonl");
  const plugin = createLstmSignal({ modelDir: MODEL, logPath: log, warn: () => {} });
  await plugin.init();
  const { bars } = await loadSeries({ ticker: "SPY", source: "synthetic", interval: "1h" });
  try {
    for (const bar of bars.slice(-200)) await plugin.onBar("SPY", bar);
  } finally {
    await plugin.dispose();
  }
  const monitor = JSON.parse(
    (await ok(["monitor", ...common(), "--log", log, "--json"])).stdout,
  );
  const text = JSON.stringify(monitor);
  // Every logged bar but the last is matched to its own hourly bar and resolved.
  assert.match(text, /"pending":1\b/);
  assert.match(text, /"unmatched":0\b/);
  const retrain = JSON.parse(
    (await ok([
      "retrain",
      "--ticker",
      "SPY",
      "--data-dir",
      DATA,
      ...TINY,
      "--model-dir",
      MODELS,
      "--name",
      "hourly",
      "--dry-run",
      "--json",
    ])).stdout,
  );
  assert.equal(retrain.interval, "1h");
  assert.match(retrain.holdout.last, /^2024-12-31T/);
  oneLine(
    await cli([
      "retrain",
      "--ticker",
      "SPY",
      "--data-dir",
      DATA,
      ...TINY,
      "--model-dir",
      MODELS,
      "--name",
      "hourly",
      "--interval",
      "1d",
      "--dry-run",
    ], TMP),
    2,
    /Expected --interval 1h/,
  );
});
