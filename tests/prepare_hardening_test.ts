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

/** Every file under `dir`, relative, sorted (what a failing command must not change). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string, prefix: string): void => {
    for (const e of Deno.readDirSync(at)) {
      const name = `${prefix}${e.name}`;
      if (e.isDirectory) walk(join(at, e.name), `${name}/`);
      else out.push(name);
    }
  };
  walk(dir, "");
  return out.sort();
}

const bars = (n: number, base: number): string[] =>
  Array.from({ length: n }, (_, i) => {
    const day = new Date(Date.UTC(2022, 0, 3) + i * 86_400_000).toISOString().slice(0, 10);
    const p = base + i / 10;
    return `${day},${p},${p + 1},${p - 1},${p + 0.5},${p + 0.5},100`;
  });

Deno.test("issue 23 #2: two files naming one symbol are refused in one line, nothing written", async () => {
  for (const second of ["aapl.csv", "AAPL.CSV"]) {
    const dir = await Deno.makeTempDir();
    const u = join(dir, "u");
    await Deno.mkdir(u);
    await Deno.writeTextFile(join(u, "AAPL.csv"), [HEADER, ...bars(30, 100)].join("\n") + "\n");
    await Deno.writeTextFile(join(u, second), [HEADER, ...bars(30, 20)].join("\n") + "\n");
    const run = await prepare(["--csv-dir", u, "--data-dir", join(dir, "d")], dir);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stderr.trimEnd().split("\n").length, 1, run.stderr);
    assert.match(run.stderr, /^error: Expected one source per symbol in .*u, found /);
    assert.match(run.stderr, / both naming AAPL: rename or remove one\n$/);
    for (const name of ["AAPL.csv", second]) {
      assert.ok(run.stderr.includes(` ${name} `), run.stderr);
    }
    assert.deepEqual(filesUnder(dir), ["u/AAPL.csv", `u/${second}`].sort());
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("issue 23 #2: a long CSV with AAA and aaa is refused; the tickers file never lists a symbol twice", async () => {
  const dir = await Deno.makeTempDir();
  const long = join(dir, "long.csv");
  const rows = (symbol: string, n: number, base: number): string[] =>
    bars(n, base).map((r) => `${symbol},${r}`);
  await Deno.writeTextFile(
    long,
    [
      "symbol,Date,Open,High,Low,Close,Adj Close,Volume",
      ...rows("AAA", 100, 50),
      ...rows("aaa", 50, 10),
    ]
      .join("\n") + "\n",
  );
  const run = await prepare(["--csv", long, "--data-dir", join(dir, "d")], dir);
  assert.equal(run.code, 1, run.stderr);
  assert.match(
    run.stderr,
    /^error: Expected one source per symbol in .*long\.csv, found symbol "AAA" and symbol "aaa" both naming AAA: rename or remove one\n$/,
  );
  assert.deepEqual(filesUnder(dir), ["long.csv"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("issue 23 #3: a long-CSV import needs write access to the data folder alone", async () => {
  const dir = await Deno.makeTempDir();
  const data = join(dir, "data");
  const long = join(dir, "long.csv");
  await Deno.writeTextFile(
    long,
    [
      "symbol,Date,Open,High,Low,Close,Adj Close,Volume",
      ...bars(20, 50).map((r) => `AAA,${r}`),
      ...bars(20, 80).map((r) => `BBB,${r}`),
    ].join("\n") + "\n",
  );
  const command = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      `--allow-write=${data}`,
      "cli.ts",
      "prepare",
      "--csv",
      long,
      "--data-dir",
      data,
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
  });
  const { code, stderr } = await command.output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.deepEqual(filesUnder(data), [
    "AAA_1d.csv",
    "AAA_1d.meta.json",
    "BBB_1d.csv",
    "BBB_1d.meta.json",
    "long.tickers.txt",
  ]);
  assert.equal(await Deno.readTextFile(join(data, "long.tickers.txt")), "AAA\nBBB\n");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("issue 23 #12: a binary tickers file is one line, no raw bytes", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "t.txt");
  const bytes = new Uint8Array(3000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 256;
  await Deno.writeFile(file, bytes);
  const run = await prepare(["--tickers-file", file, "--data-dir", join(dir, "d")], dir);
  assert.equal(run.code, 2, run.stderr);
  assert.match(
    run.stderr,
    /^error: Expected a text file of tickers \(one per line\) at .*t\.txt, found binary content\n$/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("issue 23 #13: a tickers file that is a folder is named as itself, before any cache is written", async () => {
  const dir = await Deno.makeTempDir();
  const u = join(dir, "u5");
  const data = join(dir, "data");
  await Deno.mkdir(u);
  await Deno.writeTextFile(join(u, "AAA.csv"), [HEADER, ...bars(20, 50)].join("\n") + "\n");
  await Deno.mkdir(join(data, "u5.tickers.txt"), { recursive: true });
  const run = await prepare(["--csv-dir", u, "--data-dir", data], dir);
  assert.equal(run.code, 1, run.stderr);
  assert.match(
    run.stderr,
    /^error: Expected .*data\/u5\.tickers\.txt to be a file, found a folder\n$/,
  );
  assert.doesNotMatch(run.stderr, /\.tmp-/);
  assert.deepEqual(filesUnder(data), []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("issue 23 #4: the interval is checked against the data: one line naming what the bars look like", async () => {
  const dir = await Deno.makeTempDir();
  const data = join(dir, "data");
  const daily = join(dir, "daily.csv");
  await Deno.writeTextFile(daily, [HEADER, ...bars(60, 50)].join("\n") + "\n");
  const minute = join(dir, "minute.csv");
  const start = Date.UTC(2024, 0, 2, 14, 30);
  await Deno.writeTextFile(
    minute,
    [
      "Datetime,Open,High,Low,Close,Volume",
      ...Array.from({ length: 300 }, (_, i) => {
        const t = new Date(start + i * 60_000).toISOString().replace(".000Z", "Z");
        return `${t},10,10.2,9.8,${10 + (i % 5) / 100},100`;
      }),
    ].join("\n") + "\n",
  );
  const cases: [string[], RegExp][] = [
    [
      ["--csv", daily, "--interval", "1h"],
      /^error: Expected 1h bars in .*daily\.csv, found bars that look like 1d bars \(1 day apart at the median\); use interval 1d for them\n$/,
    ],
    [
      ["--csv", daily, "--interval", "1wk"],
      /^error: Expected 1wk bars in .*daily\.csv, found bars that look like 1d bars/,
    ],
    [
      ["--csv", minute],
      /^error: Expected 1d bars in .*minute\.csv, found bars that look like 1m bars \(1 minute apart at the median\)/,
    ],
  ];
  for (const [args, expected] of cases) {
    const run = await prepare(["--ticker", "FZ", ...args, "--data-dir", data], dir);
    assert.equal(run.code, 1, `${args}: ${run.stderr}`);
    assert.match(run.stderr, expected);
  }
  assert.equal([...Deno.readDirSync(dir)].some((e) => e.name === "data"), false, "nothing written");
  // The data layer refuses a universe read at another interval than its bars (train/evaluate
  // --universe … --interval 1h pass the flag through to loadUniverse).
  const { loadUniverse } = await import("../src/data/universe.ts");
  const u = join(dir, "u");
  await Deno.mkdir(u);
  await Deno.copyFile(daily, join(u, "AAA.csv"));
  await assert.rejects(
    () => loadUniverse({ kind: "csv-dir", name: "u", path: u }, { interval: "1h" }),
    /found bars that look like 1d bars/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a file whose rows mostly share a time with other prices is refused, not collapsed onto a few bars", async () => {
  const dir = await Deno.makeTempDir();
  const rows = Array.from(
    { length: 400 },
    (_, i) =>
      `2021-03-04,${100 + i / 100},${101 + i / 100},${99 + i / 100},${100.5 + i / 100},1000`,
  );
  await Deno.writeTextFile(
    join(dir, "in.csv"),
    ["Date,Open,High,Low,Close,Volume", ...rows].join("\n"),
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "cli.ts",
      "prepare",
      "--ticker",
      "ZZZ",
      "--csv",
      join(dir, "in.csv"),
      "--data-dir",
      join(dir, "data"),
    ],
    cwd: new URL("..", import.meta.url).pathname,
  }).output();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  assert.equal(out.code, 1, stderr);
  assert.match(
    stderr,
    /^error: Expected one 1d bar per time in .*, found 400 rows on 1 distinct times/,
  );
  assert.equal(stderr.split("\n").length, 1);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["in.csv"]);
});
