import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;

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

async function listFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

Deno.test("prepare --source synthetic writes byte-identical files on two runs", async () => {
  const a = await Deno.makeTempDir();
  const b = await Deno.makeTempDir();
  for (const dir of [a, b]) {
    const run = await prepare([
      "--ticker",
      "SPY",
      "--source",
      "synthetic",
      "--years",
      "5",
      "--data-dir",
      dir,
    ], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /synthetic data, seed 42, not real prices/);
  }
  for (const name of ["SPY_1d.csv", "SPY_1d.meta.json"]) {
    assert.deepEqual(
      await Deno.readFile(`${a}/${name}`),
      await Deno.readFile(`${b}/${name}`),
      name,
    );
  }
  const meta = JSON.parse(await Deno.readTextFile(`${a}/SPY_1d.meta.json`));
  assert.equal(meta.fetchedAt, null);
  assert.equal(meta.synthetic, true);
  await Deno.remove(a, { recursive: true });
  await Deno.remove(b, { recursive: true });
});

Deno.test("prepare imports the real SPY CSV and reports its rows and range as JSON", async () => {
  const dir = await Deno.makeTempDir();
  const run = await prepare(
    [
      "--ticker",
      "SPY",
      "--source",
      "csv",
      "--csv",
      "../shared/data/SPY.csv",
      "--json",
      "--data-dir",
      dir,
    ],
    dir,
  );
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout);
  assert.equal(result.ticker, "SPY");
  assert.equal(result.source, "csv");
  assert.equal(result.rows, 6067);
  assert.equal(result.first, "2000-01-03");
  assert.equal(result.last, "2024-02-13");
  assert.equal(result.problems.total, 0);
  assert.equal(result.path, `${dir}/SPY_1d.csv`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("prepare --csv --years 5 keeps the file's last five years", async () => {
  const dir = await Deno.makeTempDir();
  const run = await prepare(
    ["--ticker", "SPY", "--csv", "../shared/data/SPY.csv", "--years", "5", "--json"].concat(
      ["--data-dir", dir],
    ),
    dir,
  );
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout);
  assert.equal(result.first, "2019-02-14");
  assert.equal(result.last, "2024-02-13");
  assert.equal(result.rows, 1258); // rows dated 2019-02-14 or later in the file
  await Deno.remove(dir, { recursive: true });
});

Deno.test("prepare prints a JSON array for several tickers", async () => {
  const dir = await Deno.makeTempDir();
  const run = await prepare(
    ["--ticker", "SPY,qqq", "--years", "1", "--json", "--data-dir", dir],
    dir,
  );
  assert.equal(run.code, 0, run.stderr);
  const results = JSON.parse(run.stdout);
  assert.deepEqual(results.map((r: { ticker: string }) => r.ticker), ["SPY", "QQQ"]);
  assert.notEqual(results[0].path, results[1].path);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("prepare fails with one line and exit 1 on a CSV without a close column", async () => {
  const dir = await Deno.makeTempDir();
  const run = await prepare(
    ["--ticker", "SPY", "--csv", "fixtures/providers/no_close_column.csv", "--data-dir", dir],
    dir,
  );
  assert.equal(run.code, 1);
  assert.equal(run.stdout, "");
  const lines = run.stderr.trim().split("\n");
  assert.equal(lines.length, 1, run.stderr);
  assert.match(
    lines[0],
    /^error: Expected columns .* in fixtures\/providers\/no_close_column\.csv, found Date, Open, High, Low, Volume/,
  );
  assert.doesNotMatch(run.stderr, /\bat .*\.ts:\d+/);
  assert.deepEqual(await listFiles(dir), []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("prepare drops a row with a non-numeric price and warns in one line", async () => {
  const dir = await Deno.makeTempDir();
  const run = await prepare(
    [
      "--ticker",
      "SPY",
      "--csv",
      "fixtures/providers/problem_non_numeric.csv",
      "--json",
      "--data-dir",
      dir,
    ],
    dir,
  );
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stderr.trim().split("\n");
  assert.equal(lines.length, 1);
  assert.match(
    lines[0],
    /^warning: SPY: 1 non numeric; 1 of 3 rows dropped; first at row 3 2024-01-03/,
  );
  const result = JSON.parse(run.stdout);
  assert.equal(result.rows, 2);
  assert.equal(result.problems.counts.non_numeric, 1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("prepare --strict fails with exit 1 on a non-numeric price and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  const run = await prepare(
    [
      "--ticker",
      "SPY",
      "--csv",
      "fixtures/providers/problem_non_numeric.csv",
      "--strict",
      "--data-dir",
      dir,
    ],
    dir,
  );
  assert.equal(run.code, 1);
  assert.equal(run.stderr.trim().split("\n").length, 1);
  assert.match(
    run.stderr,
    /^error: Expected clean bars in .*problem_non_numeric\.csv \(--strict\), found 1 non numeric/,
  );
  assert.deepEqual(await listFiles(dir), []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("prepare rejects --ticker ../etc with exit 2 before touching a path", async () => {
  const dir = await Deno.makeTempDir();
  const run = await prepare(["--ticker", "../etc", "--data-dir", dir], dir);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /^error: Expected a ticker .* found "\.\.\/etc"\n$/);
  assert.deepEqual(await listFiles(dir), []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("prepare rejects an unknown flag with exit 2", async () => {
  const dir = await Deno.makeTempDir();
  const run = await prepare(["--ticker", "SPY", "--frobnicate"], dir);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /frobnicate/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("prepare rejects --years abc with exit 2", async () => {
  const dir = await Deno.makeTempDir();
  const run = await prepare(["--ticker", "SPY", "--years", "abc"], dir);
  assert.equal(run.code, 2);
  assert.match(
    run.stderr,
    /^error: Expected --years to be an integer from 1 to 100, found "abc"\n$/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("prepare without --ticker is a usage error", async () => {
  const dir = await Deno.makeTempDir();
  const run = await prepare(["--years", "5"], dir);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /Expected --ticker/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("prepare --help prints the flags and exits 0", async () => {
  const dir = await Deno.makeTempDir();
  const run = await prepare(["--help"], dir);
  assert.equal(run.code, 0);
  assert.match(
    run.stdout,
    /--source NAME {5}yahoo \| alpaca \| stooq \| csv \| synthetic \(default: synthetic/,
  );
  assert.match(run.stdout, /Exit codes: 0 ok, 1 failed \(data, network, file\), 2 usage/);
  await Deno.remove(dir, { recursive: true });
});
