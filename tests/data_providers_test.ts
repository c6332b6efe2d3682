import assert from "node:assert/strict";
import { yahoo } from "../src/data/providers/yahoo.ts";
import { alpaca } from "../src/data/providers/alpaca.ts";
import { stooq } from "../src/data/providers/stooq.ts";
import { generateSyntheticBars, synthetic } from "../src/data/providers/synthetic.ts";
import { createCsvProvider } from "../src/data/providers/csv.ts";
import { validateBars } from "../src/data/validate.ts";
import { DataError } from "../src/util/errors.ts";

const RANGE = { start: "2024-01-02", end: "2024-01-05", interval: "1d" } as const;

function fixtureUrl(name: string): URL {
  return new URL(`../fixtures/providers/${name}`, import.meta.url);
}

/** A fetch that replays `replies` in order and records each request. */
function replay(
  replies: { file?: string; body?: string; status?: number }[],
): { fetch: typeof fetch; requests: Request[] } {
  const requests: Request[] = [];
  let i = 0;
  const fake = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    requests.push(new Request(input, init));
    const reply = replies[i++];
    if (!reply) throw new Error("Expected no more requests");
    const body = reply.file ? await Deno.readTextFile(fixtureUrl(reply.file)) : reply.body ?? "";
    return new Response(body, { status: reply.status ?? 200 });
  };
  return { fetch: fake as typeof fetch, requests };
}

const noSleep = (): Promise<void> => Promise.resolve();

Deno.test("yahoo parses a recorded chart into dated bars with adjusted close", async () => {
  const { fetch, requests } = replay([{ file: "yahoo_spy_chart.json" }]);
  const bars = await yahoo.fetchBars("SPY", RANGE, { fetch });
  assert.deepEqual(bars.map((b) => b.time), [
    "2024-01-02",
    "2024-01-03",
    "2024-01-04",
    "2024-01-05",
  ]);
  assert.equal(bars[0].adjClose, 466.43);
  assert.match(requests[0].url, /chart\/SPY\?period1=1704153600&period2=1704499200&interval=1d/);
});

Deno.test("yahoo's null row becomes a missing value for validation", async () => {
  const { fetch } = replay([{ file: "yahoo_spy_chart.json" }]);
  const { bars, report } = validateBars(await yahoo.fetchBars("SPY", RANGE, { fetch }));
  assert.equal(bars.length, 3);
  assert.ok((report.counts.missing_value ?? 0) > 0);
});

Deno.test("yahoo turns its error payload into an unknown symbol error", async () => {
  const { fetch } = replay([{ file: "yahoo_unknown_symbol.json", status: 404 }]);
  await assert.rejects(
    () => yahoo.fetchBars("NOPE", RANGE, { fetch }),
    (error: unknown) =>
      error instanceof DataError &&
      /^Unknown symbol "NOPE" at Yahoo: No data found/.test(error.message),
  );
});

Deno.test("alpaca follows next_page_token across two pages", async () => {
  const { fetch, requests } = replay([{ file: "alpaca_page1.json" }, {
    file: "alpaca_page2.json",
  }]);
  const env = (name: string): string => `test-${name}`;
  const bars = await alpaca.fetchBars("SPY", RANGE, { fetch, env });
  assert.deepEqual(bars.map((b) => b.time), ["2024-01-02", "2024-01-03", "2024-01-04"]);
  assert.equal(requests.length, 2);
  assert.equal(new URL(requests[0].url).searchParams.get("page_token"), null);
  assert.equal(
    new URL(requests[1].url).searchParams.get("page_token"),
    "U1BZfEJ8MjAyNC0wMS0wM1QwNTowMDowMFo=",
  );
  assert.equal(requests[0].headers.get("APCA-API-KEY-ID"), "test-APCA_API_KEY_ID");
  assert.equal(new URL(requests[0].url).searchParams.get("adjustment"), "all");
});

Deno.test("alpaca names the missing key variables before any request", async () => {
  const { fetch, requests } = replay([]);
  await assert.rejects(
    () => alpaca.fetchBars("SPY", RANGE, { fetch, env: () => undefined }),
    (error: unknown) =>
      error instanceof DataError && error.message.includes("APCA_API_KEY_ID") &&
      error.message.includes("APCA_API_SECRET_KEY"),
  );
  assert.equal(requests.length, 0);
});

Deno.test("alpaca's 401 gives one credentials error without retrying", async () => {
  const { fetch, requests } = replay([{ body: '{"message":"forbidden"}', status: 401 }]);
  await assert.rejects(
    () => alpaca.fetchBars("SPY", RANGE, { fetch, env: () => "k", sleep: noSleep }),
    (error: unknown) => error instanceof DataError && /found HTTP 401/.test(error.message),
  );
  assert.equal(requests.length, 1);
});

Deno.test("stooq parses its CSV reply and asks for the .us symbol", async () => {
  const { fetch, requests } = replay([{ file: "stooq_spy.csv" }]);
  const bars = await stooq.fetchBars("SPY", RANGE, { fetch });
  assert.deepEqual(bars.map((b) => b.close), [472.65, 468.79, 467.28]);
  assert.match(requests[0].url, /\?s=spy\.us&d1=20240102&d2=20240105&i=d$/);
});

Deno.test("stooq's No data reply is an unknown symbol error", async () => {
  const { fetch } = replay([{ file: "stooq_no_data.txt" }]);
  await assert.rejects(
    () => stooq.fetchBars("NOPE", RANGE, { fetch }),
    (error: unknown) =>
      error instanceof DataError && /^Unknown symbol "NOPE" at Stooq/.test(error.message),
  );
});

Deno.test("the csv provider returns the file's bars within the range", async () => {
  const provider = createCsvProvider(fixtureUrl("dialect_yahoo.csv").pathname);
  const bars = await provider.fetchBars("SPY", { ...RANGE, start: "2024-01-03" });
  assert.deepEqual(bars.map((b) => b.time), ["2024-01-03", "2024-01-04"]);
});

Deno.test("synthetic bars are identical for the same seed and differ for another", () => {
  const a = generateSyntheticBars("SPY", { start: "2024-01-01", end: "2024-06-30", seed: 42 });
  const b = generateSyntheticBars("SPY", { start: "2024-01-01", end: "2024-06-30", seed: 42 });
  const c = generateSyntheticBars("SPY", { start: "2024-01-01", end: "2024-06-30", seed: 43 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

Deno.test("synthetic bars fall on business days only", () => {
  const bars = generateSyntheticBars("SPY", { start: "2024-01-01", end: "2024-12-31" });
  assert.equal(bars.length, 262);
  for (const bar of bars) {
    const day = new Date(`${bar.time}T00:00:00Z`).getUTCDay();
    assert.ok(day >= 1 && day <= 5, `${bar.time} is a weekend`);
  }
});

Deno.test("synthetic bars are valid OHLCV with adjusted close equal to close", () => {
  const bars = generateSyntheticBars("QQQ", { start: "2000-01-01", end: "2024-12-31", seed: 7 });
  const { report } = validateBars(bars);
  assert.equal(report.problems.filter((p) => p.kind !== "implausible_jump").length, 0);
  assert.ok(bars.every((b) => b.adjClose === b.close && b.low > 0));
});

Deno.test("synthetic volatility clusters: squared returns are autocorrelated", () => {
  const bars = generateSyntheticBars("SPY", { start: "2000-01-01", end: "2024-12-31" });
  const sq = bars.slice(1).map((b, i) => Math.log(b.close / bars[i].close) ** 2);
  const mean = sq.reduce((s, x) => s + x, 0) / sq.length;
  let num = 0, den = 0;
  for (let i = 0; i < sq.length; i++) {
    den += (sq[i] - mean) ** 2;
    if (i > 0) num += (sq[i] - mean) * (sq[i - 1] - mean);
  }
  assert.ok(num / den > 0.1, `lag-1 autocorrelation of squared returns ${num / den}`);
});

Deno.test("synthetic volume rises with the size of the move", () => {
  const bars = generateSyntheticBars("SPY", { start: "2010-01-01", end: "2024-12-31" });
  const moves = bars.slice(1).map((b, i) => ({
    size: Math.abs(Math.log(b.close / bars[i].close)),
    volume: b.volume,
  })).sort((a, b) => a.size - b.size);
  const avg = (xs: { volume: number }[]): number =>
    xs.reduce((s, x) => s + x.volume, 0) / xs.length;
  const q = Math.floor(moves.length / 4);
  assert.ok(avg(moves.slice(-q)) > 1.3 * avg(moves.slice(0, q)));
});

Deno.test("synthetic rejects weekly bars with a usage error (intraday bars: tests/intraday_pipeline_test.ts)", async () => {
  await assert.rejects(
    () => synthetic.fetchBars("SPY", { ...RANGE, interval: "1wk" }),
    /Expected --interval 1d or an intraday interval \(1m to 1h\) for synthetic data, found "1wk"/,
  );
});

Deno.test("yahoo retries after a 429 and parses the following 200", async () => {
  const { fetch, requests } = replay([
    { body: "Too Many Requests", status: 429 },
    { file: "yahoo_spy_chart.json" },
  ]);
  const waits: number[] = [];
  const sleep = (ms: number): Promise<void> => {
    waits.push(ms);
    return Promise.resolve();
  };
  const bars = await yahoo.fetchBars("SPY", RANGE, { fetch, sleep });
  assert.equal(bars.length, 4);
  assert.equal(requests.length, 2);
  assert.deepEqual(waits, [500]);
});

Deno.test("synthetic bars sometimes open far from the prior close", () => {
  const bars = generateSyntheticBars("SPY", { start: "2015-01-01", end: "2024-12-31" });
  const gaps = bars.slice(1).filter((b, i) => Math.abs(Math.log(b.open / bars[i].close)) > 0.02);
  assert.ok(gaps.length >= 5 && gaps.length < bars.length * 0.1, `${gaps.length} gaps`);
});
