import assert from "node:assert/strict";
import {
  loadSeries,
  prepareTicker,
  readCache,
  updateCache,
  validateTicker,
} from "../src/data/mod.ts";
import { DataError, UsageError } from "../src/util/errors.ts";

const CHART = new URL("../fixtures/providers/yahoo_spy_chart.json", import.meta.url);

function yahooReplay(): { fetch: typeof fetch; urls: string[] } {
  const urls: string[] = [];
  const fake = async (input: string | URL | Request): Promise<Response> => {
    urls.push(String(input));
    return new Response(await Deno.readTextFile(CHART));
  };
  return { fetch: fake as typeof fetch, urls };
}

const BARS = [
  { time: "2024-01-02", open: 10, high: 11, low: 9, close: 10.5, volume: 100 },
  { time: "2024-01-03", open: 10.5, high: 11, low: 10, close: 10.8, volume: 120 },
];

Deno.test("a second prepare fetches only from the day after the cached last bar and appends", async () => {
  const dataDir = await Deno.makeTempDir();
  const { fetch, urls } = yahooReplay();
  const now = new Date("2024-01-10T00:00:00Z");
  const first = await prepareTicker("SPY", {
    source: "yahoo",
    start: "2024-01-02",
    end: "2024-01-03",
    dataDir,
    fetch,
    now,
  });
  assert.equal(first.rows, 2);
  const second = await prepareTicker("SPY", {
    source: "yahoo",
    start: "2024-01-02",
    end: "2024-01-05",
    dataDir,
    fetch,
    now,
  });
  const period1 = new URL(urls[1]).searchParams.get("period1");
  assert.equal(period1, String(Date.parse("2024-01-04T00:00:00Z") / 1000));
  assert.deepEqual(second.fetched, { start: "2024-01-04", end: "2024-01-05" });
  assert.equal(second.added, 1);
  assert.equal(second.rows, 3);
  assert.equal(second.last, "2024-01-04");
  await Deno.remove(dataDir, { recursive: true });
});

Deno.test("prepare skips the fetch when the cache already reaches the end date", async () => {
  const dataDir = await Deno.makeTempDir();
  const { fetch, urls } = yahooReplay();
  const options = {
    source: "yahoo" as const,
    start: "2024-01-02",
    end: "2024-01-04",
    dataDir,
    fetch,
  };
  await prepareTicker("SPY", options);
  const again = await prepareTicker("SPY", options);
  assert.equal(urls.length, 1);
  assert.equal(again.added, 0);
  assert.equal(again.fetched, null);
  await Deno.remove(dataDir, { recursive: true });
});

Deno.test("updateCache leaves no temporary files and records the CSV's hash", async () => {
  const dataDir = await Deno.makeTempDir();
  const { meta } = await updateCache(
    { symbol: "SPY", interval: "1d", source: "csv", bars: BARS },
    { dataDir, fetchedAt: "2024-01-10T00:00:00.000Z" },
  );
  const names = [...Deno.readDirSync(dataDir)].map((e) => e.name).sort();
  assert.deepEqual(names, ["SPY_1d.csv", "SPY_1d.meta.json"]);
  assert.equal(meta.rows, 2);
  assert.equal(meta.first, "2024-01-02");
  assert.equal(meta.last, "2024-01-03");
  assert.match(meta.sha256, /^[0-9a-f]{64}$/);
  await Deno.remove(dataDir, { recursive: true });
});

Deno.test("readCache rejects a CSV that no longer matches its metadata hash", async () => {
  const dataDir = await Deno.makeTempDir();
  const { path } = await updateCache(
    { symbol: "SPY", interval: "1d", source: "csv", bars: BARS },
    { dataDir, fetchedAt: null },
  );
  await Deno.writeTextFile(path, "time,open,high,low,close,adj_close,volume\n", { append: true });
  await assert.rejects(
    () => readCache("SPY", { dataDir, interval: "1d" }),
    (error: unknown) => error instanceof DataError && /match the hash/.test(error.message),
  );
  await Deno.remove(dataDir, { recursive: true });
});

Deno.test("a strict prepare that fails leaves the existing cache untouched", async () => {
  const dataDir = await Deno.makeTempDir();
  await prepareTicker("SPY", { source: "synthetic", years: 1, dataDir });
  const before = await Deno.readTextFile(`${dataDir}/SPY_1d.csv`);
  const csv = new URL("../fixtures/providers/problem_non_numeric.csv", import.meta.url).pathname;
  await assert.rejects(() => prepareTicker("SPY", { csv, dataDir, strict: true }), DataError);
  assert.equal(await Deno.readTextFile(`${dataDir}/SPY_1d.csv`), before);
  await Deno.remove(dataDir, { recursive: true });
});

Deno.test("loadSeries names the prepare command when nothing is cached", async () => {
  const dataDir = await Deno.makeTempDir();
  await assert.rejects(
    () => loadSeries({ ticker: "spy", dataDir }),
    (error: unknown) =>
      error instanceof DataError &&
      error.message ===
        `No cached bars for SPY 1d in ${dataDir}/; run \`deno task prepare --ticker SPY --data-dir ${dataDir}\` first`,
  );
  await Deno.remove(dataDir, { recursive: true });
});

Deno.test("loadSeries reads what prepare cached, filtered to start and end", async () => {
  const dataDir = await Deno.makeTempDir();
  await prepareTicker("SPY", { source: "synthetic", years: 1, dataDir });
  const series = await loadSeries({
    ticker: "SPY",
    dataDir,
    start: "2024-06-01",
    end: "2024-06-30",
  });
  assert.equal(series.source, "synthetic");
  assert.equal(series.bars[0].time, "2024-06-03");
  assert.equal(series.bars[series.bars.length - 1].time, "2024-06-28");
  await Deno.remove(dataDir, { recursive: true });
});

Deno.test("loadSeries with source synthetic generates the same bars prepare caches", async () => {
  const dataDir = await Deno.makeTempDir();
  await prepareTicker("SPY", { source: "synthetic", dataDir });
  const cached = await loadSeries({ ticker: "SPY", dataDir });
  const generated = await loadSeries({ ticker: "SPY", source: "synthetic" });
  assert.deepEqual(generated.bars, cached.bars);
  await Deno.remove(dataDir, { recursive: true });
});

Deno.test("loadSeries imports a CSV file when given one", async () => {
  const csv = new URL("../fixtures/providers/dialect_stooq.csv", import.meta.url).pathname;
  const series = await loadSeries({ ticker: "SPY", csv });
  assert.equal(series.source, "csv");
  assert.equal(series.bars.length, 3);
});

Deno.test("validateTicker upper-cases a valid ticker", () => {
  assert.equal(validateTicker("brk.b"), "BRK.B");
  assert.equal(validateTicker("eurusd=x"), "EURUSD=X");
});

Deno.test("validateTicker rejects path-like and empty tickers with a usage error", () => {
  for (const bad of ["", "../x", "a/b", "..", "A..B", "TOO-LONG-TICKER-NAME-X"]) {
    assert.throws(() => validateTicker(bad), UsageError, bad);
  }
});

Deno.test("readCache refuses a meta file that names another ticker, row count or range than its CSV holds", async () => {
  const edits: Array<[string, (meta: Record<string, unknown>) => void, RegExp]> = [
    ["ticker", (m) => (m.ticker = "QQQ"), /ticker SPY\), found ticker QQQ/],
    ["rows", (m) => (m.rows = 5), /rows 2\), found rows 5/],
    ["range", (m) => (m.first = "2023-12-29"), /range 2024-01-02\.\.2024-01-03\), found range/],
  ];
  for (const [what, edit, message] of edits) {
    const dataDir = await Deno.makeTempDir();
    await updateCache(
      { symbol: "SPY", interval: "1d", source: "csv", bars: BARS },
      { dataDir, fetchedAt: null },
    );
    const metaPath = `${dataDir}/SPY_1d.meta.json`;
    const meta = JSON.parse(await Deno.readTextFile(metaPath));
    edit(meta);
    await Deno.writeTextFile(metaPath, JSON.stringify(meta));
    await assert.rejects(
      () => readCache("SPY", { dataDir, interval: "1d" }),
      (error: unknown) => error instanceof DataError && message.test(error.message),
      what,
    );
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("issue 23 #5: a cache without its metadata is damaged: never read as bars, never overwritten unasked", async () => {
  const dataDir = await Deno.makeTempDir();
  const bars = Array.from({ length: 30 }, (_, i) => {
    const time = new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
    return { time, open: 10, high: 11, low: 9, close: 10 + i / 100, volume: 100 };
  });
  await updateCache(
    { symbol: "SPY", interval: "1d", source: "csv", bars },
    { dataDir, fetchedAt: null },
  );
  await Deno.remove(`${dataDir}/SPY_1d.meta.json`);
  const before = await Deno.readTextFile(`${dataDir}/SPY_1d.csv`);
  const damaged = (error: unknown): boolean =>
    error instanceof DataError &&
    /^Expected .*SPY_1d\.meta\.json beside .*SPY_1d\.csv, found none: the cache is damaged; run prepare again with --replace$/
      .test(error.message);
  await assert.rejects(() => readCache("SPY", { dataDir, interval: "1d" }), damaged);
  await assert.rejects(() => loadSeries({ ticker: "SPY", dataDir }), damaged);
  const short = `${dataDir}/short.csv`;
  await Deno.writeTextFile(short, "Date,Open,High,Low,Close,Volume\n2024-02-01,10,11,9,10,100\n");
  await assert.rejects(() => prepareTicker("SPY", { csv: short, dataDir }), damaged);
  assert.equal(await Deno.readTextFile(`${dataDir}/SPY_1d.csv`), before);
  // --replace is the way out.
  const replaced = await prepareTicker("SPY", { csv: short, dataDir, replace: true });
  assert.equal(replaced.rows, 1);
  await Deno.remove(dataDir, { recursive: true });
});

Deno.test("issue 23 #15: a CSV whose rows are all in the future gets the same line from prepare and loadSeries", async () => {
  const dir = await Deno.makeTempDir();
  const csv = `${dir}/future.csv`;
  await Deno.writeTextFile(
    csv,
    "Date,Open,High,Low,Close,Volume\n2999-01-04,10,11,9,10,100\n2999-01-05,10,11,9,10,100\n",
  );
  const future = (error: unknown): boolean =>
    error instanceof DataError &&
    /^Expected usable bars in .*future\.csv, found none among its 2 rows \(rejected: 2 invalid time\); first at line 2: Expected a date not in the future/
      .test(error.message);
  await assert.rejects(() => prepareTicker("SPY", { csv, dataDir: `${dir}/data` }), future);
  await assert.rejects(() => loadSeries({ ticker: "SPY", csv }), future);
  await Deno.remove(dir, { recursive: true });
});
