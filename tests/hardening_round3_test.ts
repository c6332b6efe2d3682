/**
 * Issue 23, third round of hardening (#17-#20): predict refuses too few bars, input that was
 * silently ignored is said, failing commands change nothing, and temporaries of a killed writer
 * go at once.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { atomicWriteDir, sweepStaleTemps } from "../src/util/fs.ts";
import { cli, trainTinyModel } from "./tiny_model_fixture.ts";
import { symlink } from "./fs_fixture.ts";

const HEADER = "Date,Open,High,Low,Close,Adj Close,Volume";

async function names(dir: string): Promise<string[]> {
  const list: string[] = [];
  for await (const entry of Deno.readDir(dir)) list.push(entry.name);
  return list.sort();
}

/** A tree's files and their contents, to show a failing command changed nothing. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(sub: string): Promise<void> {
    for await (const entry of Deno.readDir(join(dir, sub))) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory) await walk(rel);
      else if (entry.isFile) out[rel] = await Deno.readTextFile(join(dir, rel));
      else out[rel] = "(link)";
    }
  }
  await walk("");
  return out;
}

function csvRows(n: number, from = Date.UTC(2020, 0, 1)): string {
  const lines = [HEADER];
  let day = 0;
  for (let i = 0; i < n; day++) {
    const d = new Date(from + day * 86_400_000);
    if (d.getUTCDay() === 0 || d.getUTCDay() === 6) continue;
    const close = 100 + Math.sin(i / 7) * 5 + i * 0.01;
    lines.push(
      `${d.toISOString().slice(0, 10)},${close.toFixed(2)},${(close + 1).toFixed(2)},${
        (close - 1).toFixed(2)
      },${close.toFixed(2)},${close.toFixed(2)},${1000 + i}`,
    );
    i++;
  }
  return lines.join("\n") + "\n";
}

// ---- #20: a killed writer's temporaries go at once ----

Deno.test("#20 a young temporary file whose writer took its lock and died goes at once", async () => {
  const dir = await Deno.makeTempDir();
  const young = join(dir, "current.json.tmp-999999-abc123");
  await Deno.writeTextFile(young, '{"current":"v2"'); // written, so it was locked: the lock is free
  const fresh = join(dir, "SPY_1d.csv.tmp-999999-fresh0"); // empty: maybe not locked yet
  await Deno.writeTextFile(fresh, "");
  assert.deepEqual(await sweepStaleTemps(dir), [young]);
  assert.deepEqual(await names(dir), ["SPY_1d.csv.tmp-999999-fresh0"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("#20 a young version folder of a killed writer goes at once; a live one stays", async () => {
  const root = await Deno.makeTempDir();
  const lstm = join(root, "lstm");
  await Deno.mkdir(lstm);
  // Killed while renaming: its files are written, its lock file is there and free.
  const dead = join(lstm, "v4.tmp-999999-0a1b2c");
  await Deno.mkdir(dead);
  await Deno.writeTextFile(join(dead, ".writer.lock"), "");
  await Deno.writeTextFile(join(dead, "weights.bin"), "half");
  // Just created: only its (not yet locked) lock file.
  const starting = join(lstm, "v5.tmp-999999-9z8y7x");
  await Deno.mkdir(starting);
  await Deno.writeTextFile(join(starting, ".writer.lock"), "");
  // A live writer paused before its rename: its lock is held, so the sweep leaves it.
  let live: string[] = [];
  await atomicWriteDir(join(lstm, "v6"), async (tmp) => {
    await Deno.writeTextFile(join(tmp, "model.json"), "{}");
    live = await sweepStaleTemps(root);
  });
  assert.deepEqual(live, [dead]);
  assert.deepEqual(await names(lstm), ["v5.tmp-999999-9z8y7x", "v6"]);
  assert.deepEqual(await names(join(lstm, "v6")), ["model.json"]);
  await Deno.remove(root, { recursive: true });
});

// ---- #17: predict without enough bars ----

const TMP = await Deno.makeTempDir();
await trainTinyModel(`${TMP}/lstm`, "SPY");

Deno.test("#17 predict with too few bars exits 1 saying how many the model needs", async () => {
  const oneRow = `${TMP}/one/SPY.csv`;
  await Deno.mkdir(`${TMP}/one`, { recursive: true });
  await Deno.writeTextFile(oneRow, `${HEADER}\n2024-02-14,500,501,499,500.5,500.5,1000\n`);
  const sameDate = `${TMP}/same/SPY.csv`;
  await Deno.mkdir(`${TMP}/same`, { recursive: true });
  await Deno.writeTextFile(
    sameDate,
    [HEADER, ...Array.from({ length: 800 }, () => "2024-02-14,500,501,499,500.5,500.5,1000")]
      .join("\n") + "\n",
  );
  for (const file of [oneRow, sameDate]) {
    const run = await cli(["predict", "--model", `${TMP}/lstm`, "--csv", file], TMP);
    assert.equal(run.code, 1, `${file}: ${run.stdout}${run.stderr}`);
    assert.equal(run.stdout, "");
    assert.match(
      run.stderr,
      /^error: Expected at least \d+ bars of SPY to predict \(the model's feature warm-up and window\), found 1\n$/,
    );
  }
  // Enough bars still predict.
  const enough = `${TMP}/enough/SPY.csv`;
  await Deno.mkdir(`${TMP}/enough`, { recursive: true });
  await Deno.writeTextFile(enough, csvRows(200));
  const ok = await cli(["predict", "--model", `${TMP}/lstm`, "--csv", enough], TMP);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^SPY 20\d\d-\d\d-\d\d: P\(up in 1 bar\)/);
});

// ---- #18/#19: a universe folder's odd entries are said, and a failing import writes nothing ----

Deno.test("#18 #19 --csv-dir says a DIR.csv folder and a looping link, and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  const u = join(dir, "u");
  await Deno.mkdir(join(u, "DIR.csv"), { recursive: true });
  await Deno.writeTextFile(join(u, "AAA.csv"), csvRows(30));
  await symlink("LOOP.csv", join(u, "LOOP.csv"));
  const data = join(dir, "d");
  await Deno.mkdir(data);
  const before = await snapshot(dir);
  const run = await cli(["prepare", "--csv-dir", u, "--data-dir", data], dir);
  assert.equal(run.code, 1, run.stderr);
  const lines = run.stdout.trimEnd().split("\n");
  assert.deepEqual(lines.slice(0, 2), [
    `DIR.csv: failed: Expected ${u}/DIR.csv to be a CSV file, found a folder`,
    `LOOP.csv: failed: Expected ${u}/LOOP.csv to be a CSV file, found a link that leads nowhere (a missing target or a loop)`,
  ]);
  assert.match(lines[2], /^u: prepared 0 of 3 symbols into .*; 0 with data problems, 2 failed$/);
  assert.equal(
    run.stderr.trim(),
    "error: 2 of 3 symbols could not be imported, so nothing was written (see the lines above; fix or remove those files)",
  );
  assert.deepEqual(await snapshot(dir), before, "the good symbol's cache is not written");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("#18 --tickers-file with --ticker, and a header with two Close columns, are refused", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "t.txt"), "SYNA\n");
  const both = await cli(
    [
      "prepare",
      "--tickers-file",
      join(dir, "t.txt"),
      "--ticker",
      "SYNB",
      "--source",
      "synthetic",
      "--data-dir",
      join(dir, "d"),
    ],
    dir,
  );
  assert.equal(both.code, 2, both.stderr);
  assert.equal(
    both.stderr,
    "error: Expected --tickers-file or --ticker to name the symbols, found both: pass one list\n",
  );
  const file = join(dir, "X.csv");
  await Deno.writeTextFile(file, csvRows(30).replace("Adj Close", "Close"));
  const two = await cli(
    ["prepare", "--ticker", "X", "--csv", file, "--data-dir", join(dir, "d")],
    dir,
  );
  assert.equal(two.code, 1, two.stderr);
  assert.equal(
    two.stderr,
    `error: Expected one close column in ${file}, found two: "Close" (column 5) and "Close" (column 6); remove or rename one\n`,
  );
  assert.deepEqual(await names(dir), ["X.csv", "t.txt"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("#18 a shadow naming a missing version: models shadow v9 and models list refuse", async () => {
  const root = `${TMP}/lstm`;
  const set = await cli(["models", "shadow", "v9", "--model", root], TMP);
  assert.equal(set.code, 1, set.stderr);
  assert.match(
    set.stderr,
    /^error: Expected a version to shadow, found v9, which is missing in .* \(versions: v1\); plugins run no such shadow\n$/,
  );
  await Deno.writeTextFile(`${root}/shadow.json`, '{"shadow":["v9"]}\n');
  try {
    const read = await cli(["models", "shadow", "--model", root], TMP);
    assert.equal(read.code, 1, read.stderr);
    assert.match(read.stderr, /shadow\.json names v9, which is missing/);
    const list = await cli(["models", "list", "--model", root], TMP);
    assert.equal(list.code, 1, list.stderr);
    assert.match(
      list.stderr,
      /^error: .*shadow\.json names v9, which is missing: plugins run no such shadow/,
    );
  } finally {
    await Deno.remove(`${root}/shadow.json`);
  }
});

Deno.test("#19 models promote that fails (usage or missing version) removes no stray temporary", async () => {
  const root = `${TMP}/lstm`;
  const stray = `${root}/v5.tmp-999999-zz`;
  await Deno.mkdir(stray);
  await Deno.writeTextFile(`${stray}/model.json`, "{}"); // a killed writer's: swept at once
  for (const [version, code] of [["v5.tmp-999999-zz", 2], ["v9", 1]] as const) {
    const run = await cli(["models", "promote", version, "--model", root], TMP);
    assert.equal(run.code, code, run.stderr);
    assert.deepEqual(await names(stray), ["model.json"], `models promote ${version}`);
  }
  const ok = await cli(["models", "promote", "v1", "--model", root], TMP);
  assert.equal(ok.code, 0, ok.stderr);
  assert.ok(!(await names(root)).includes("v5.tmp-999999-zz"), "a succeeding promote sweeps");
});
