/**
 * The `ccxt` source offline: recorded-shape `fetchOHLCV` replies replayed
 * (fixtures/ccxt/), pages and the rate limit between them, the unfinished
 * candle, incremental updates, pair names as cache file names, and the four
 * failures (an exchange CCXT does not know, a pair or an interval the
 * exchange does not offer, an exchange that cannot be reached) in one line
 * with nothing written.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  cachePaths,
  fetchCcxtBars,
  fileStemOf,
  prepareTicker,
  readCache,
  symbolOfFileStem,
  validateTicker,
} from "../src/data/mod.ts";
import { DataError, UsageError } from "../src/util/errors.ts";
import { type ReplayCall, replayExchange } from "../fixtures/ccxt/replay.ts";
import { cli, type Run } from "./tiny_model_fixture.ts";

const TMP = await Deno.makeTempDir({ prefix: "ccxt_" });
globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));

const RANGE = { start: "2024-01-01", end: "2024-01-28", interval: "1h" as const };
const NOW = new Date("2024-02-01T00:00:00Z");
const HOUR = 3_600_000;

async function emptyDir(name: string): Promise<string> {
  const dir = join(TMP, name);
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}

async function filesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

Deno.test("fetchCcxtBars pages through the history from since, waiting the rate limit between pages", async () => {
  const calls: ReplayCall[] = [];
  const sleeps: number[] = [];
  const bars = await fetchCcxtBars("BTC/USDT", RANGE, {
    exchange: "binance",
    exchangeClient: (id) => replayExchange(id, { calls }),
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    now: NOW,
  });
  assert.equal(bars.length, 667); // 672 hours less the exchange's 5-hour hole
  assert.equal(bars[0].time, "2024-01-01T00:00:00Z");
  assert.equal(bars.at(-1)!.time, "2024-01-28T23:00:00Z");
  assert.equal(new Set(bars.map((b) => b.time)).size, bars.length);
  // A page of 500 (the recorded exchange's cap), the next from the bar after its last.
  assert.deepEqual(calls.map((c) => c.rows).slice(0, 2), [500, 167]);
  assert.equal(calls[0].since, Date.UTC(2024, 0, 1));
  assert.equal(calls[1].since, Date.parse(bars[499].time) + HOUR);
  assert.equal(calls[0].timeframe, "1h");
  assert.deepEqual(sleeps, Array(calls.length - 1).fill(50));
});

Deno.test("fetchCcxtBars drops the candle still forming at now", async () => {
  const bars = await fetchCcxtBars("BTC/USDT", RANGE, {
    exchange: "binance",
    exchangeClient: (id) => replayExchange(id),
    sleep: () => Promise.resolve(),
    now: new Date("2024-01-28T23:30:00Z"),
  });
  assert.equal(bars.at(-1)!.time, "2024-01-28T22:00:00Z");
});

Deno.test("pairs are tickers, and their / and : become safe cache file names that round-trip", () => {
  assert.equal(validateTicker("btc/usdt"), "BTC/USDT");
  assert.equal(validateTicker("BTC/USDT:USDT"), "BTC/USDT:USDT");
  for (const bad of ["a/b", "BTC/", "/USDT", "BTC/USDT/X", "../BTC/USDT", "BTC\\USDT"]) {
    assert.throws(() => validateTicker(bad), UsageError, bad);
  }
  const paths = cachePaths("BTC/USDT:USDT", { dataDir: "data", interval: "1h" });
  assert.equal(paths.csv, join("data", "BTC_USDT+USDT_1h.csv"));
  assert.equal(paths.meta, join("data", "BTC_USDT+USDT_1h.meta.json"));
  for (const symbol of ["BTC/USDT", "BTC/USDT:USDT", "ETH/BTC", "SPY", "BRK.B", "^GSPC"]) {
    assert.equal(symbolOfFileStem(fileStemOf(symbol)), symbol);
    assert.doesNotMatch(fileStemOf(symbol), /[/:\\]/);
  }
});

Deno.test("prepare --source ccxt caches the pair under a safe name with its exchange and venue", async () => {
  const dataDir = await emptyDir("prepare");
  const result = await prepareTicker("BTC/USDT", {
    ...RANGE,
    source: "ccxt",
    exchange: "binance",
    exchangeClient: (id) => replayExchange(id),
    sleep: () => Promise.resolve(),
    now: NOW,
    dataDir,
  });
  assert.equal(result.rows, 667);
  assert.equal(result.meta.exchange, "binance");
  assert.equal(result.meta.venue, "crypto");
  assert.deepEqual(await filesIn(dataDir), ["BTC_USDT_1h.csv", "BTC_USDT_1h.meta.json"]);
  // The exchange's hole is reported once, as a gap; no weekend is missing.
  assert.deepEqual(result.report.counts, { missing_bars: 1 });
  assert.match(
    result.report.problems[0].detail,
    /between 2024-01-10T04:00:00Z and 2024-01-10T10:00:00Z \(5 bars missing\)/,
  );
  const cached = await readCache("BTC/USDT", { dataDir, interval: "1h" });
  assert.equal(cached!.series.venue, "crypto");
  assert.equal(cached!.series.exchange, "binance");
  assert.equal(cached!.series.symbol, "BTC/USDT");
});

Deno.test("a second prepare fetches from the cached last bar's day and adds only new bars", async () => {
  const dataDir = await emptyDir("incremental");
  const common = {
    source: "ccxt" as const,
    exchange: "binance",
    interval: "1h" as const,
    start: "2024-01-01",
    sleep: () => Promise.resolve(),
    dataDir,
  };
  const first = await prepareTicker("ETH/USDT", {
    ...common,
    end: "2024-01-14",
    now: new Date("2024-01-14T12:10:00Z"),
    exchangeClient: (id) => replayExchange(id),
  });
  assert.equal(first.last, "2024-01-14T11:00:00Z"); // 12:00 was still forming
  const calls: ReplayCall[] = [];
  const second = await prepareTicker("ETH/USDT", {
    ...common,
    end: "2024-01-28",
    now: NOW,
    exchangeClient: (id) => replayExchange(id, { calls }),
  });
  assert.equal(calls[0].since, Date.UTC(2024, 0, 14));
  assert.equal(second.mode, "merged");
  assert.equal(second.unchanged, 12);
  assert.equal(second.added, 672 - first.rows);
  assert.equal(second.rows, 672);
});

Deno.test("an exchange CCXT does not know is one line and writes nothing", async () => {
  const dataDir = await emptyDir("unknown_exchange");
  await assert.rejects(
    () => prepareTicker("BTC/USDT", { ...RANGE, source: "ccxt", exchange: "binanse", dataDir }),
    (e: unknown) =>
      e instanceof UsageError && /^Expected an exchange CCXT knows \(.*\), found "binanse"$/
        .test(e.message),
  );
  assert.deepEqual(await filesIn(dataDir), []);
});

Deno.test("a pair the exchange does not list is one line and writes nothing", async () => {
  const dataDir = await emptyDir("unknown_pair");
  await assert.rejects(
    () =>
      prepareTicker("DOGE/USDT", {
        ...RANGE,
        source: "ccxt",
        exchange: "binance",
        exchangeClient: (id) => replayExchange(id),
        dataDir,
      }),
    (e: unknown) =>
      e instanceof DataError &&
      /^Expected a pair binance lists \(like .*BTC\/USDT.*\), found "DOGE\/USDT"$/.test(e.message),
  );
  assert.deepEqual(await filesIn(dataDir), []);
});

Deno.test("an interval the exchange does not offer is one line and writes nothing", async () => {
  const dataDir = await emptyDir("unknown_interval");
  await assert.rejects(
    () =>
      prepareTicker("BTC/USDT", {
        ...RANGE,
        interval: "5m",
        source: "ccxt",
        exchange: "binance",
        exchangeClient: (id) => replayExchange(id, { timeframes: ["1h", "1d"] }),
        dataDir,
      }),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message === 'Expected an interval binance offers (1h, 1d), found "5m"',
  );
  assert.deepEqual(await filesIn(dataDir), []);
});

Deno.test("an unreachable exchange (a refused connection) is one line and writes nothing", async () => {
  const dataDir = await emptyDir("unreachable");
  // CCXT's own binance client, its requests sent to a port nothing listens on.
  const refused: typeof fetch = (_input, init) => fetch("http://127.0.0.1:9/", init);
  await assert.rejects(
    () =>
      prepareTicker("BTC/USDT", {
        ...RANGE,
        source: "ccxt",
        exchange: "binance",
        fetch: refused,
        timeoutMs: 5_000,
        dataDir,
      }),
    (e: unknown) =>
      e instanceof DataError && !e.message.includes("\n") &&
      /^Expected its markets from binance \(api\.binance\.com.*\), found the exchange unreachable/
        .test(e.message),
  );
  assert.deepEqual(await filesIn(dataDir), []);
});

/** `cli.ts` run with the permissions a ccxt prepare needs (CCXT reads WS_NO_BUFFER_UTIL). */
async function ccxtCli(args: string[], writeDir: string): Promise<Run> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      `--allow-write=${writeDir}`,
      "--allow-env=WS_NO_BUFFER_UTIL",
      "--allow-net=api.binance.com,fapi.binance.com,dapi.binance.com",
      "cli.ts",
      ...args,
    ],
    cwd: new URL("..", import.meta.url),
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

Deno.test("prepare --source ccxt on the command line: a missing or wrong exchange is one line", async () => {
  const dataDir = await emptyDir("cli");
  const base = ["prepare", "--source", "ccxt", "--ticker", "BTC/USDT", "--interval", "1h"];
  const none = await cli([...base, "--data-dir", dataDir], TMP);
  assert.equal(none.code, 2);
  assert.equal(
    none.stderr.trim(),
    "error: Expected --exchange NAME with --source ccxt (like binance), found none",
  );
  const wrong = await ccxtCli([...base, "--exchange", "binanse", "--data-dir", dataDir], TMP);
  assert.equal(wrong.code, 2, wrong.stderr);
  assert.equal(wrong.stderr.trim().split("\n").length, 1, wrong.stderr);
  assert.match(wrong.stderr, /Expected an exchange CCXT knows .*found "binanse"/);
  assert.deepEqual(await filesIn(dataDir), []);
});

Deno.test("without the env permission CCXT needs, prepare --source ccxt says which, in one line", async () => {
  const dataDir = await emptyDir("cli_env");
  const run = await cli(
    [
      "prepare",
      "--source",
      "ccxt",
      "--exchange",
      "binance",
      "--ticker",
      "BTC/USDT",
      "--data-dir",
      dataDir,
    ],
    TMP,
  );
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  assert.match(
    run.stderr,
    /Expected env access to WS_NO_BUFFER_UTIL .*add --allow-env=WS_NO_BUFFER_UTIL/,
  );
  assert.deepEqual(await filesIn(dataDir), []);
});
