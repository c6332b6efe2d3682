/**
 * Reading a universe: tickers files, what `--universe` names, a folder of
 * CSVs and a long CSV through the one reader and validator (one line per
 * symbol with problems, then a total), and `prepare --csv-dir` / `--csv
 * LONG.csv` on tiny files and on four real files of ../shared/data/universe.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { formatBarsCsv } from "../src/data/csv.ts";
import { generateSyntheticBars } from "../src/data/providers/synthetic.ts";
import { readCache } from "../src/data/cache.ts";
import { loadUniverse, parseTickers, resolveUniverse, splitLongCsv } from "../src/data/universe.ts";
import { UsageError } from "../src/util/errors.ts";

const UNIVERSE_DIR = new URL("../../shared/data/universe", import.meta.url).pathname;

const yahoo = (rows: string[]): string =>
  ["Date,Open,High,Low,Close,Adj Close,Volume", ...rows].join("\n") + "\n";

/** A folder with a clean file, a file with one bad row and a file that is not bars at all. */
async function csvFolder(): Promise<string> {
  const dir = await Deno.makeTempDir();
  const bars = generateSyntheticBars("AAA", { start: "2024-01-01", end: "2024-03-31", seed: 1 });
  await Deno.writeTextFile(join(dir, "AAA.csv"), formatBarsCsv(bars));
  await Deno.writeTextFile(
    join(dir, "BBB.csv"),
    yahoo([
      "2024-01-02,10,11,9,10.5,10.5,100",
      "2024-01-03,10.5,9,11,10,10,100", // high below low: dropped
      "2024-01-04,10,11,9.5,10.8,10.8,100",
    ]),
  );
  await Deno.writeTextFile(join(dir, "CCC.csv"), "when,what\n2024-01-02,1\n");
  return dir;
}

Deno.test("a tickers file: one per line, comments and blanks ignored, duplicates once, bad lines named", () => {
  assert.deepEqual(parseTickers("aapl\n# tech\n\nMSFT  # soft\nAAPL\r\nbrk.b\n"), [
    "AAPL",
    "MSFT",
    "BRK.B",
  ]);
  assert.throws(
    () => parseTickers("AAPL\n../etc\n", "t.txt"),
    (e: Error) => e instanceof UsageError && /line 2/.test(e.message) && /t\.txt/.test(e.message),
  );
  assert.throws(() => parseTickers("# nothing\n"), UsageError);
});

Deno.test("--universe names a folder, a long CSV, a tickers file or an inline list", async () => {
  const dir = await csvFolder();
  const long = join(dir, "long.txt.csv");
  await Deno.writeTextFile(long, "date,open,high,low,close,volume,Name\n");
  const list = join(dir, "mine.tickers.txt");
  await Deno.writeTextFile(list, "AAA\nBBB\n");
  assert.deepEqual(await resolveUniverse(dir), {
    kind: "csv-dir",
    name: dir.split("/").pop(),
    path: dir,
  });
  assert.equal((await resolveUniverse(long)).kind, "long-csv");
  assert.deepEqual(await resolveUniverse(list), {
    kind: "list",
    name: "mine",
    symbols: ["AAA", "BBB"],
    file: list,
  });
  assert.deepEqual(await resolveUniverse("aapl, msft"), {
    kind: "list",
    name: "list",
    symbols: ["AAPL", "MSFT"],
  });
  await assert.rejects(() => resolveUniverse(join(dir, "missing.txt")), /nothing there/);
});

Deno.test("a folder universe: every file through the validator, one line per problem symbol and a total", async () => {
  const dir = await csvFolder();
  const { members, reports, text } = await loadUniverse(await resolveUniverse(dir));
  assert.deepEqual(members.map((m) => m.symbol), ["AAA", "BBB"]);
  assert.equal(members[1].bars.length, 2, "the bad row of BBB is dropped");
  assert.equal(reports.find((r) => r.symbol === "CCC")?.error !== undefined, true);
  const lines = text.split("\n");
  assert.equal(lines.length, 3, text);
  assert.match(lines[0], /^BBB: .*high below low/);
  assert.match(lines[1], /^CCC: failed: Expected columns/);
  assert.match(
    lines[2],
    /: 2 symbols, \d+ rows, 2024-01-0\d \.\. 2024-03-29; 1 with data problems, 1 failed$/,
  );
});

Deno.test("a long CSV gives the same members as one file per symbol, line numbers kept", async () => {
  const dir = await Deno.makeTempDir();
  const lines = ["date,open,high,low,close,volume,Name"];
  const perFile = await Deno.makeTempDir();
  for (const symbol of ["AAA", "BBB"]) {
    const bars = generateSyntheticBars(symbol, { start: "2024-01-01", end: "2024-02-29", seed: 3 });
    await Deno.writeTextFile(join(perFile, `${symbol}.csv`), formatBarsCsv(bars));
    for (const b of bars) {
      lines.push(`${b.time},${b.open},${b.high},${b.low},${b.close},${b.volume},${symbol}`);
    }
  }
  lines.push("2024-03-01,1,0.5,2,1,10,BBB"); // high below low, at line 86
  const long = join(dir, "all.csv");
  await Deno.writeTextFile(long, lines.join("\n") + "\n");
  const groups = splitLongCsv(await Deno.readTextFile(long), long);
  assert.deepEqual([...groups.keys()], ["AAA", "BBB"]);
  assert.equal(groups.get("BBB")!.at(-1)!.row, lines.length);
  const a = await loadUniverse(await resolveUniverse(long));
  const b = await loadUniverse(await resolveUniverse(perFile));
  assert.deepEqual(
    a.members.map((m) => m.bars.map((x) => [x.time, x.close])),
    b.members.map((m) => m.bars.map((x) => [x.time, x.close])),
  );
  assert.match(a.text, new RegExp(`^BBB: .*high below low`, "m"));
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli.ts", ...args],
    cwd: new URL("..", import.meta.url).pathname,
    env: { NO_COLOR: "1" },
  }).output();
  const text = (b: Uint8Array): string => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("prepare --csv-dir on real files: LNT's bad print, DHR's missing days and EBAY's spin-off are named, one line each", async () => {
  const data = await Deno.makeTempDir();
  const run = await cli(
    "prepare",
    "--csv-dir",
    UNIVERSE_DIR,
    "--ticker",
    "LNT,DHR,EBAY,AAPL",
    "--data-dir",
    data,
  );
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split("\n");
  assert.equal(lines.length, 4, run.stdout);
  assert.match(run.stdout, /^LNT: .*bad print/m);
  assert.match(run.stdout, /^DHR: .*18 missing trading day/m);
  assert.match(run.stdout, /^EBAY: .*implausible jump/m);
  assert.doesNotMatch(run.stdout, /^AAPL:/m);
  assert.match(
    lines.at(-1)!,
    /^universe: prepared 4 of 4 symbols into .*: \d+ rows, 2013-02-08 \.\. 2018-02-07; 3 with data problems, 0 failed; tickers in .*universe\.tickers\.txt$/,
  );
  assert.equal(
    await Deno.readTextFile(join(data, "universe.tickers.txt")),
    "LNT\nDHR\nEBAY\nAAPL\n",
  );
  const aapl = await readCache("AAPL", { dataDir: data, interval: "1d" });
  assert.equal(aapl?.series.bars.length, 1259);
});

Deno.test("prepare --csv LONG.csv: a symbol that fails is named, exit 1 and nothing written; fixed, every symbol is cached", async () => {
  const dir = await Deno.makeTempDir();
  const data = await Deno.makeTempDir();
  const long = join(dir, "stocks.csv");
  await Deno.writeTextFile(
    long,
    [
      "symbol,date,open,high,low,close,volume",
      "AAA,2024-01-02,10,11,9,10.5,100",
      "AAA,2024-01-03,10.5,11,10,10.7,100",
      "BBB,2024-01-02,20,21,19,20.5,100",
      "CCC,2024-01-02,x,y,z,w,1",
    ].join("\n") + "\n",
  );
  const run = await cli("prepare", "--csv", long, "--data-dir", data, "--json");
  assert.equal(run.code, 1, run.stderr);
  const out = JSON.parse(run.stdout);
  assert.equal(out.symbols, 0);
  assert.deepEqual(out.failed.map((f: { ticker: string }) => f.ticker), ["CCC"]);
  assert.doesNotMatch(
    out.failed[0].error,
    /lstm-signal-universe-/,
    "the temporary file is not named",
  );
  // All or nothing (issue 23 #19): the good symbols' caches are not written either.
  assert.deepEqual([...Deno.readDirSync(data)], []);
  const fixed = (await Deno.readTextFile(long)).replace("CCC,2024-01-02,x,y,z,w,1\n", "");
  await Deno.writeTextFile(long, fixed);
  const again = await cli("prepare", "--csv", long, "--data-dir", data, "--json");
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).symbols, 2);
  assert.equal((await readCache("AAA", { dataDir: data, interval: "1d" }))?.series.bars.length, 2);
  assert.equal(await Deno.readTextFile(join(data, "stocks.tickers.txt")), "AAA\nBBB\n");
});
