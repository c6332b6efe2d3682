import assert from "node:assert/strict";
import { join } from "node:path";
import { atomicWriteDir, atomicWriteFile, sweepStaleTemps } from "../src/util/fs.ts";

const MINUTE_AGO = () => new Date(Date.now() - 60_000);
const HOUR_AGO = () => new Date(Date.now() - 3_600_000);

async function names(dir: string): Promise<string[]> {
  const list: string[] = [];
  for await (const entry of Deno.readDir(dir)) list.push(entry.name);
  return list.sort();
}

/** A temporary file whose writer (pid 999999) is gone: no lock, a minute old. */
async function deadTemp(path: string, when = MINUTE_AGO()): Promise<string> {
  await Deno.writeTextFile(path, "partial");
  await Deno.utime(path, when, when);
  return path;
}

Deno.test("a temporary file's name says which process writes it", async () => {
  const dir = await Deno.makeTempDir();
  let during: string[] = [];
  await atomicWriteFile(join(dir, "SPY_1d.csv"), "time\n", {
    beforeRename: async () => {
      during = await names(dir);
    },
  });
  assert.equal(during.length, 1);
  assert.match(during[0], new RegExp(`^SPY_1d\\.csv\\.tmp-${Deno.pid}-[0-9a-z]+$`));
  assert.deepEqual(await names(dir), ["SPY_1d.csv"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sweepStaleTemps removes temporary files and folders whose writer is gone", async () => {
  const root = await Deno.makeTempDir();
  const data = join(root, "data");
  await Deno.mkdir(data);
  await Deno.writeTextFile(join(data, "SPY_1d.csv"), "kept");
  const file = await deadTemp(join(data, "SPY_1d.csv.tmp-999999-abc123"));
  const meta = await deadTemp(join(data, "SPY_1d.meta.json.tmp-999999-def456"));
  assert.deepEqual((await sweepStaleTemps(data)).sort(), [file, meta].sort());
  assert.deepEqual(await names(data), ["SPY_1d.csv"]);

  // The model root: models/<name>/vN.tmp-* folders and current.json.tmp-* one level down.
  const models = join(root, "models");
  const lstm = join(models, "lstm");
  await Deno.mkdir(join(lstm, "v1"), { recursive: true });
  const version = join(lstm, "v2.tmp-999999-0a1b2c");
  await Deno.mkdir(version);
  await Deno.writeTextFile(join(version, ".writer.lock"), "");
  await Deno.writeTextFile(join(version, "weights.bin"), "half");
  await Deno.utime(version, MINUTE_AGO(), MINUTE_AGO());
  await Deno.utime(join(version, ".writer.lock"), MINUTE_AGO(), MINUTE_AGO());
  const pointer = await deadTemp(join(lstm, "current.json.tmp-999999-zz9"));
  assert.deepEqual((await sweepStaleTemps(models)).sort(), [pointer, version].sort());
  assert.deepEqual(await names(lstm), ["v1"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("sweepStaleTemps keeps a temporary file a live process holds, however old", async () => {
  const dir = await Deno.makeTempDir();
  const path = await deadTemp(join(dir, "SPY_1d.csv.tmp-1-held"), HOUR_AGO());
  // A child process takes the writer's lock, as atomicWriteFile does, and waits.
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `const f = await Deno.open(${JSON.stringify(path)}, { write: true });
       await f.lock(true); console.log("locked"); await new Promise((r) => setTimeout(r, 60000));`,
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  assert.match(new TextDecoder().decode(value), /locked/);
  assert.deepEqual(await sweepStaleTemps(dir), []);
  assert.deepEqual(await names(dir), ["SPY_1d.csv.tmp-1-held"]);
  child.kill("SIGKILL");
  await child.status;
  reader.releaseLock();
  await child.stdout.cancel();
  // The writer is gone (and its pid may be reused): the lock is free, the file goes.
  assert.deepEqual(await sweepStaleTemps(dir), [path]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sweepStaleTemps leaves young, foreign and old-format recent entries alone", async () => {
  const dir = await Deno.makeTempDir();
  // Just created, not yet locked by its writer (a writer locks before its first byte).
  await Deno.writeTextFile(join(dir, "SPY_1d.csv.tmp-999999-young"), "");
  await Deno.writeTextFile(join(dir, "notes.tmp"), "not ours");
  await deadTemp(join(dir, "SPY_1d.meta.json.tmp-lz4k2abc9"), MINUTE_AGO()); // old format
  const legacy = await deadTemp(join(dir, "SPY_1d.csv.tmp-lz4k2abd0"), HOUR_AGO());
  assert.deepEqual(await sweepStaleTemps(dir), [legacy]);
  assert.deepEqual(await names(dir), [
    "SPY_1d.csv.tmp-999999-young",
    "SPY_1d.meta.json.tmp-lz4k2abc9",
    "notes.tmp",
  ]);
  assert.deepEqual(await sweepStaleTemps(join(dir, "missing")), []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sweepStaleTemps puts back a folder an interrupted overwrite moved aside", async () => {
  const dir = await Deno.makeTempDir();
  const aside = join(dir, "v1.tmp-999999-abc.old");
  await Deno.mkdir(aside);
  await Deno.writeTextFile(join(aside, "model.json"), "{}");
  await Deno.utime(aside, MINUTE_AGO(), MINUTE_AGO());
  assert.deepEqual(await sweepStaleTemps(dir), []);
  assert.deepEqual(await names(dir), ["v1"]);
  assert.equal(await Deno.readTextFile(join(dir, "v1", "model.json")), "{}");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("atomicWriteDir leaves no lock file in the finished folder", async () => {
  const dir = await Deno.makeTempDir();
  const target = join(dir, "v1");
  let held: string[] = [];
  await atomicWriteDir(target, async (tmp) => {
    held = await names(tmp);
    await Deno.writeTextFile(join(tmp, "model.json"), "{}");
  });
  assert.deepEqual(held, [".writer.lock"]);
  assert.deepEqual(await names(target), ["model.json"]);
  assert.deepEqual(await names(dir), ["v1"]);
  await Deno.remove(dir, { recursive: true });
});
