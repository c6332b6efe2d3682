import assert from "node:assert/strict";
import { join } from "node:path";
import { prepareTicker, readCache, updateCache } from "../src/data/mod.ts";
import { DataError } from "../src/util/errors.ts";

const HEADER = "Date,Open,High,Low,Close,Adj Close,Volume";

async function csvFile(dir: string, name: string, rows: string[]): Promise<string> {
  const path = join(dir, name);
  await Deno.writeTextFile(path, [HEADER, ...rows].join("\n") + "\n");
  return path;
}

const ROWS = [
  "2024-01-02,10,11,9,10.5,10.5,100",
  "2024-01-03,10.5,11,10,10.8,10.8,120",
  "2024-01-04,10.8,11.2,10.6,11,11,110",
];

Deno.test("a CSV import merges into the cache: new bars added, conflicts keep the cached bar", async () => {
  const dir = await Deno.makeTempDir();
  const dataDir = join(dir, "data");
  await prepareTicker("SPY", { csv: await csvFile(dir, "a.csv", ROWS), dataDir });
  const update = await csvFile(dir, "b.csv", [
    "2024-01-04,10.8,11.2,10.6,11,11,110", // the same bar
    "2024-01-03,10.5,11,10,10.9,10.9,120", // a different close
    "2024-01-05,11,11.5,10.9,11.2,11.2,90", // new
  ]);
  const merged = await prepareTicker("SPY", { csv: update, dataDir });
  assert.equal(merged.mode, "merged");
  assert.deepEqual(
    [merged.added, merged.unchanged, merged.conflicting, merged.removed],
    [1, 1, 1, 0],
  );
  assert.equal(merged.rows, 4);
  assert.equal(merged.conflicts[0].time, "2024-01-03");
  assert.equal(merged.conflicts[0].cached.close, 10.8);
  assert.equal(merged.conflicts[0].incoming.close, 10.9);
  const cached = await readCache("SPY", { dataDir, interval: "1d" });
  assert.deepEqual(cached!.series.bars.map((b) => b.close), [10.5, 10.8, 11, 11.2]);

  const replaced = await prepareTicker("SPY", { csv: update, dataDir, replace: true });
  assert.equal(replaced.mode, "replaced");
  assert.deepEqual([replaced.added, replaced.conflicting, replaced.removed], [0, 1, 1]);
  const after = await readCache("SPY", { dataDir, interval: "1d" });
  assert.deepEqual(after!.series.bars.map((b) => b.close), [10.9, 11, 11.2]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("synthetic bars do not replace a cache of real bars without replace", async () => {
  const dir = await Deno.makeTempDir();
  const dataDir = join(dir, "data");
  const rows = Array.from({ length: 10 }, (_, i) => {
    const day = new Date(Date.UTC(2024, 5, 3 + i + 2 * Math.floor(i / 5)));
    return `${day.toISOString().slice(0, 10)},10,11,9,10.5,10.5,100`;
  });
  await prepareTicker("SPY", { csv: await csvFile(dir, "real.csv", rows), dataDir });
  const before = await Deno.readFile(join(dataDir, "SPY_1d.csv"));
  const meta = await Deno.readFile(join(dataDir, "SPY_1d.meta.json"));
  await assert.rejects(
    () => prepareTicker("SPY", { source: "synthetic", years: 1, dataDir }),
    (error: unknown) =>
      error instanceof DataError &&
      /Expected to keep the 10 real bars cached in .*, found that synthetic bars would replace or remove 10 of them; pass --replace/
        .test(error.message),
  );
  assert.deepEqual(await Deno.readFile(join(dataDir, "SPY_1d.csv")), before);
  assert.deepEqual(await Deno.readFile(join(dataDir, "SPY_1d.meta.json")), meta);
  const replaced = await prepareTicker("SPY", {
    source: "synthetic",
    years: 1,
    dataDir,
    replace: true,
  });
  assert.equal(replaced.meta.synthetic, true);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a merge refuses bars without an adjusted close into a cache that has one", async () => {
  const dir = await Deno.makeTempDir();
  const dataDir = join(dir, "data");
  await prepareTicker("SPY", { csv: await csvFile(dir, "yahoo.csv", ROWS), dataDir });
  const stooq = join(dir, "stooq.csv");
  await Deno.writeTextFile(
    stooq,
    "Date,Open,High,Low,Close,Volume\n2024-01-05,11,11.5,10.9,11.2,90\n",
  );
  await assert.rejects(
    () => prepareTicker("SPY", { csv: stooq, dataDir }),
    (error: unknown) =>
      error instanceof DataError &&
      /Expected bars with an adjusted close in .*stooq\.csv, like those cached in .*, found bars without one; pass --replace/
        .test(error.message),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a cache of bars without an adjusted close reads back", async () => {
  const dataDir = await Deno.makeTempDir();
  const bars = [
    { time: "2024-01-02", open: 10, high: 11, low: 9, close: 10.5, volume: 100 },
    { time: "2024-01-03", open: 10.5, high: 11, low: 10, close: 10.8, volume: 120 },
  ];
  await updateCache({ symbol: "SPY", interval: "1d", source: "stooq", bars }, {
    dataDir,
    fetchedAt: null,
  });
  const cached = await readCache("SPY", { dataDir, interval: "1d" });
  assert.deepEqual(cached!.series.bars, bars);
  await Deno.remove(dataDir, { recursive: true });
});

/** The two pairs of an update from A to B, and the files on disk for a state between them. */
async function interruptedUpdate(
  dataDir: string,
): Promise<{ csvA: string; csvB: string; metaA: object; metaB: object }> {
  const a = [{ time: "2024-01-02", open: 10, high: 11, low: 9, close: 10.5, volume: 100 }];
  const b = [...a, { time: "2024-01-03", open: 10.5, high: 11, low: 10, close: 10.8, volume: 9 }];
  const files = { csv: join(dataDir, "SPY_1d.csv"), meta: join(dataDir, "SPY_1d.meta.json") };
  const one = await updateCache({ symbol: "SPY", interval: "1d", source: "csv", bars: a }, {
    dataDir,
    fetchedAt: null,
  });
  const csvA = await Deno.readTextFile(files.csv);
  const two = await updateCache({ symbol: "SPY", interval: "1d", source: "csv", bars: b }, {
    dataDir,
    fetchedAt: null,
  });
  const csvB = await Deno.readTextFile(files.csv);
  return { csvA, csvB, metaA: one.meta, metaB: two.meta };
}

Deno.test("readCache reads the old pair when a kill landed between the two renames", async () => {
  const dataDir = await Deno.makeTempDir();
  const { csvA, csvB, metaA, metaB } = await interruptedUpdate(dataDir);
  // Killed after the metadata's rename, before the CSV's: new metadata, old CSV.
  await Deno.writeTextFile(
    join(dataDir, "SPY_1d.meta.json"),
    JSON.stringify({ ...metaB, previous: metaA }),
  );
  await Deno.writeTextFile(join(dataDir, "SPY_1d.csv"), csvA);
  const old = await readCache("SPY", { dataDir, interval: "1d" });
  assert.deepEqual(old!.meta, metaA);
  assert.equal(old!.series.bars.length, 1);
  // Killed after the CSV's rename, before the final metadata: the new pair.
  await Deno.writeTextFile(join(dataDir, "SPY_1d.csv"), csvB);
  const fresh = await readCache("SPY", { dataDir, interval: "1d" });
  assert.deepEqual(fresh!.meta, metaB);
  assert.equal(fresh!.series.bars.length, 2);
  await Deno.remove(dataDir, { recursive: true });
});

Deno.test("readCache refuses a CSV that matches neither its metadata nor the pair it replaces", async () => {
  const dataDir = await Deno.makeTempDir();
  const { csvA, metaA, metaB } = await interruptedUpdate(dataDir);
  await Deno.writeTextFile(
    join(dataDir, "SPY_1d.meta.json"),
    JSON.stringify({ ...metaB, previous: metaA }),
  );
  await Deno.writeTextFile(join(dataDir, "SPY_1d.csv"), csvA.replace("10.5", "10.6"));
  await assert.rejects(
    () => readCache("SPY", { dataDir, interval: "1d" }),
    (error: unknown) =>
      error instanceof DataError &&
      /to match the hash in .*; run prepare again with --replace$/.test(error.message),
  );
  await Deno.remove(dataDir, { recursive: true });
});

Deno.test("an update's metadata names the pair it replaces only until the CSV is in place", async () => {
  const dataDir = await Deno.makeTempDir();
  const { metaB } = await interruptedUpdate(dataDir);
  const onDisk = JSON.parse(await Deno.readTextFile(join(dataDir, "SPY_1d.meta.json")));
  assert.deepEqual(onDisk, metaB);
  assert.equal("previous" in onDisk, false);
  await Deno.remove(dataDir, { recursive: true });
});
