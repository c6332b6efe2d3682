/**
 * A long universe import says how far it is (issue 24: importing 505 CSVs printed nothing for
 * 21 s): the import's progress callback counts up, symbol by symbol, through reading and then
 * writing; `prepare --csv-dir` prints a line every 50 symbols or 2 s on stderr, and a short
 * import prints none.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { formatBarsCsv, generateSyntheticBars, type ImportProgress } from "../src/data/mod.ts";
import { prepareUniverse } from "../src/pipeline/prepare.ts";
import { importProgress } from "../src/cli/prepare.ts";
import { cli } from "./tiny_model_fixture.ts";

const TMP = await Deno.makeTempDir({ prefix: "prepare_progress_" });
globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));

/** A folder of `n` small daily CSVs (S000.csv, S001.csv, …). */
async function folder(name: string, n: number): Promise<string> {
  const dir = join(TMP, name);
  await Deno.mkdir(dir);
  const bars = generateSyntheticBars("SPY", { start: "2024-01-01", end: "2024-02-29" });
  for (let i = 0; i < n; i++) {
    await Deno.writeTextFile(join(dir, `S${String(i).padStart(3, "0")}.csv`), formatBarsCsv(bars));
  }
  return dir;
}

Deno.test("a universe import reports each symbol read, then each cache written, counting up", async () => {
  const seen: ImportProgress[] = [];
  const result = await prepareUniverse({ csvDir: await folder("seven", 7) }, {
    dataDir: join(TMP, "seven_data"),
    onProgress: (p) => seen.push(p),
  });
  assert.equal(result.results.length, 7);
  const read = seen.filter((p) => p.phase === "read");
  const write = seen.filter((p) => p.phase === "write");
  assert.deepEqual(read.map((p) => p.done), [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(write.map((p) => p.done), [1, 2, 3, 4, 5, 6, 7]);
  assert.ok(seen.every((p) => p.total === 7));
  // Reading comes first: nothing is written before every symbol was read (all or nothing).
  assert.equal(seen.findIndex((p) => p.phase === "write"), 7);
});

Deno.test("progress lines come every 50 symbols or 2 s, the last one only after another", () => {
  let clock = 0;
  const lines: string[] = [];
  const onProgress = importProgress("csv", { now: () => clock, say: (l) => lines.push(l) });
  for (let done = 1; done <= 120; done++) onProgress({ phase: "read", done, total: 120 });
  assert.deepEqual(lines, [
    "prepare: imported 50/120 symbols",
    "prepare: imported 100/120 symbols",
    "prepare: imported 120/120 symbols",
  ]);
  lines.length = 0;
  // Slow symbols (a live source): a line once 2 s have passed since the last.
  const fetched = importProgress("ccxt", { now: () => clock, say: (l) => lines.push(l) });
  for (let done = 1; done <= 5; done++) {
    clock += 900;
    fetched({ phase: "read", done, total: 5 });
  }
  for (let done = 1; done <= 5; done++) fetched({ phase: "write", done, total: 5 });
  assert.deepEqual(lines, [
    "prepare: fetched 3/5 symbols",
    "prepare: fetched 5/5 symbols",
  ]);
  // A short, quick import says nothing.
  lines.length = 0;
  const quick = importProgress("csv", { now: () => 0, say: (l) => lines.push(l) });
  for (let done = 1; done <= 30; done++) quick({ phase: "read", done, total: 30 });
  assert.deepEqual(lines, []);
});

Deno.test("prepare --csv-dir of 60 files prints its progress on stderr", async () => {
  const dir = await folder("sixty", 60);
  const run = await cli(["prepare", "--csv-dir", dir, "--data-dir", join(TMP, "sixty_data")], TMP);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stderr.trim().split("\n");
  assert.ok(lines.includes("prepare: imported 50/60 symbols"), run.stderr);
  assert.ok(lines.includes("prepare: imported 60/60 symbols"), run.stderr);
  assert.match(run.stdout, /sixty: prepared 60 of 60 symbols/);
});
