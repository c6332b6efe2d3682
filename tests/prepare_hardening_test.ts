import assert from "node:assert/strict";
import { join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const HEADER = "Date,Open,High,Low,Close,Adj Close,Volume";

async function prepare(
  args: string[],
  writeDir: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const command = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", `--allow-write=${writeDir}`, "cli.ts", "prepare", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
  });
  const { code, stdout, stderr } = await command.output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

Deno.test("prepare --csv with one row merges it into a 1,258-row cache", async () => {
  const dir = await Deno.makeTempDir();
  const data = join(dir, "data");
  const first = await prepare(
    ["--ticker", "SPY", "--csv", "../shared/data/SPY.csv", "--years", "5", "--data-dir", data],
    dir,
  );
  assert.equal(first.code, 0, first.stderr);
  const oneRow = join(dir, "one_row.csv");
  await Deno.writeTextFile(oneRow, `${HEADER}\n2024-02-14,500,501,499,500.5,500.5,1000\n`);
  const run = await prepare(
    ["--ticker", "SPY", "--source", "csv", "--csv", oneRow, "--data-dir", data],
    dir,
  );
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^SPY: 1259 rows 2019-02-14 \.\. 2024-02-14 \(source csv\)$/m);
  assert.match(run.stdout, /^ {2}added 1, unchanged 0, conflicting 0; problems: no problems$/m);

  // The same row with another close conflicts: reported, the cached bar kept.
  await Deno.writeTextFile(oneRow, `${HEADER}\n2024-02-14,500,501,499,500.25,500.25,1000\n`);
  const again = await prepare(
    ["--ticker", "SPY", "--csv", oneRow, "--json", "--data-dir", data],
    dir,
  );
  assert.equal(again.code, 0, again.stderr);
  const result = JSON.parse(again.stdout);
  assert.deepEqual(
    [result.rows, result.added, result.unchanged, result.conflicting, result.mode],
    [1259, 0, 0, 1, "merged"],
  );
  assert.equal(result.conflicts[0].cached.close, 500.5);
  assert.equal(result.conflicts[0].incoming.close, 500.25);
  await Deno.remove(dir, { recursive: true });
});

const REJECTED: [string, string, RegExp][] = [
  [
    "quoted thousands",
    `${HEADER}\n2024-01-02,"1,234.5","1,240","1,200","1,230","1,230",100\n`,
    /found none among its 1 row \(rejected: 1 non numeric\); first at line 2: Expected a number for open, found "1,234\.5" \(a thousands separator/,
  ],
  [
    "unquoted thousands",
    `${HEADER}\n2024-01-02,1,234.5,1,240,1,200,1,230,1230,100\n2024-01-03,1,234.5,1,240,1,200,1,230,1230,100\n`,
    /found none among its 2 rows \(rejected: 2 extra cells\); first at line 2: Expected one cell per header column, found 4 more/,
  ],
  [
    "month first",
    `${HEADER}\n01/02/2024,10,11,9,10.5,10.5,100\n01/03/2024,10,11,9,10.5,10.5,100\n`,
    /found none among its 2 rows \(rejected: 2 invalid time\); first at line 2: Expected a date as YYYY-MM-DD \(like 2024-01-31\), found "01\/02\/2024"$/,
  ],
  [
    "overflow",
    `${HEADER}\n2024-01-02,1e400,11,9,10.5,10.5,100\n`,
    /\(rejected: 1 non numeric\); first at line 2: Expected a number for open, found "1e400" \(too large for a number\)$/,
  ],
  [
    "negative volumes",
    `${HEADER}\n2024-01-02,10,11,9,10.5,10.5,-100\n2024-01-03,10,11,9,10.5,10.5,-5\n`,
    /\(rejected: 2 negative volume\); first at line 2: Expected a volume of at least 0, found -100$/,
  ],
  [
    "year 9999",
    `${HEADER}\n9999-01-02,10,11,9,10.5,10.5,100\n`,
    /\(rejected: 1 invalid time\); first at line 2: Expected a date not in the future \(\d{4}-\d{2}-\d{2} at the latest\), found "9999-01-02"$/,
  ],
  [
    "header only",
    `${HEADER}\n`,
    /^error: Expected rows of bars in .*header_only\.csv after its header, found none$/,
  ],
];

Deno.test("a file whose every row is rejected gets one line naming the reason, not a date range", async () => {
  const dir = await Deno.makeTempDir();
  const data = join(dir, "data");
  for (const [name, text, expected] of REJECTED) {
    const file = join(dir, `${name.replaceAll(" ", "_")}.csv`);
    await Deno.writeTextFile(file, text);
    const run = await prepare(["--ticker", "SPY", "--csv", file, "--data-dir", data], dir);
    assert.equal(run.code, 1, `${name}: ${run.stderr}`);
    const lines = run.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, `${name}: ${run.stderr}`);
    assert.match(lines[0], expected, name);
    assert.doesNotMatch(lines[0], /between/, name);
  }
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).includes("data"), false);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a date range the user gave appears in the error when no row falls in it", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "early.csv");
  await Deno.writeTextFile(
    file,
    `${HEADER}\n2024-01-02,10,11,9,10.5,10.5,100\n2024-01-03,10,11,9,10.6,10.6,100\n`,
  );
  const run = await prepare(
    ["--ticker", "SPY", "--csv", file, "--end", "2023-06-30", "--data-dir", join(dir, "data")],
    dir,
  );
  assert.equal(run.code, 1);
  assert.match(
    run.stderr,
    /^error: Expected bars for SPY in .*early\.csv between its first row and 2023-06-30, found none: its 2 usable rows run from 2024-01-02 to 2024-01-03\n$/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("prepare repairs a bad print, counts missing trading days and says so", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "lnt.csv");
  await Deno.writeTextFile(
    file,
    [
      HEADER,
      "2016-05-17,36.9,36.925,35.82,35.99,35.99,1356858",
      "2016-05-18,35.76,36.25,35.19,35.35,35.35,1061648",
      "2016-05-19,35.19,35.785,35.085,17.87,17.87,1231722",
      "2016-05-20,35.8,36.32,35.55,35.91,35.91,997954",
      "2016-05-24,35.91,36.09,35.74,35.75,35.75,1090320", // 2016-05-23 is missing
    ].join("\r\n"),
  );
  const run = await prepare(
    ["--ticker", "LNT", "--csv", file, "--json", "--data-dir", join(dir, "data")],
    dir,
  );
  assert.equal(run.code, 0, run.stderr);
  assert.match(
    run.stderr,
    /^warning: LNT: 1 bad print, 1 missing trading day; 1 rows repaired; first at row 4 2016-05-19: Expected a close near its neighbours', found a one-bar spike that reverts/,
  );
  const result = JSON.parse(run.stdout);
  assert.deepEqual(result.problems.counts, { bad_print: 1, missing_trading_day: 1 });
  assert.equal(result.problems.repaired, 1);
  const cached = await Deno.readTextFile(join(dir, "data", "LNT_1d.csv"));
  assert.match(cached, /^2016-05-19,35\.19,35\.785,35\.085,35\.63,35\.63,1231722$/m);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("prepare removes the temporary files killed runs left in the data folder", async () => {
  const dir = await Deno.makeTempDir();
  const data = join(dir, "data");
  await Deno.mkdir(data);
  const stale = join(data, "SPY_1d.csv.tmp-999999-k1ll3d");
  await Deno.writeTextFile(stale, "time,open\n2024-01-02,");
  const old = new Date(Date.now() - 60_000);
  await Deno.utime(stale, old, old);
  const run = await prepare(["--ticker", "SPY", "--years", "1", "--data-dir", data], dir);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /^prepare: removed 1 temporary file left in .*data by killed runs$/m);
  assert.deepEqual([...Deno.readDirSync(data)].map((e) => e.name).sort(), [
    "SPY_1d.csv",
    "SPY_1d.meta.json",
  ]);
  await Deno.remove(dir, { recursive: true });
});
