import assert from "node:assert/strict";
import { join } from "node:path";
import {
  listVersions,
  nextVersion,
  promote,
  readPointer,
  resolveModelDir,
  rollback,
} from "../src/model/versions.ts";
import { DataError, UsageError } from "../src/util/errors.ts";

async function fakeVersion(root: string, version: string): Promise<void> {
  await Deno.mkdir(join(root, version), { recursive: true });
  await Deno.writeTextFile(join(root, version, "model.json"), `{"v":"${version}"}`);
}

Deno.test("versions are listed in numeric order", async () => {
  const root = await Deno.makeTempDir();
  for (const v of ["v10", "v2", "v1"]) await fakeVersion(root, v);
  await Deno.mkdir(join(root, "notes"));
  assert.deepEqual(await listVersions(root), ["v1", "v2", "v10"]);
  assert.equal(await nextVersion(root), "v11");
});

Deno.test("a new root starts at v1 and has no pointer", async () => {
  const root = join(await Deno.makeTempDir(), "lstm");
  assert.equal(await nextVersion(root), "v1");
  assert.equal(await readPointer(root), null);
  assert.equal(await resolveModelDir(root), null);
});

Deno.test("promote then rollback follows the history", async () => {
  const root = await Deno.makeTempDir();
  await fakeVersion(root, "v1");
  await fakeVersion(root, "v2");
  await promote(root, "v1");
  await promote(root, "v2");
  assert.deepEqual(await readPointer(root), { current: "v2", history: ["v1"] });
  assert.deepEqual(await resolveModelDir(root), { dir: join(root, "v2"), version: "v2" });
  await rollback(root);
  assert.deepEqual(await readPointer(root), { current: "v1", history: [], retired: ["v2"] });
  assert.equal(await Deno.readTextFile(join(root, "v2", "model.json")), '{"v":"v2"}');
});

Deno.test("rollback past the first version is refused", async () => {
  const root = await Deno.makeTempDir();
  await fakeVersion(root, "v1");
  await promote(root, "v1");
  await assert.rejects(() => rollback(root), DataError);
});

Deno.test("promoting a missing or malformed version is refused", async () => {
  const root = await Deno.makeTempDir();
  await fakeVersion(root, "v1");
  await assert.rejects(() => promote(root, "v7"), /No model version v7 .* found v1/);
  await assert.rejects(() => promote(root, "latest"), UsageError);
});

Deno.test("a corrupted pointer names its file", async () => {
  const root = await Deno.makeTempDir();
  await Deno.writeTextFile(join(root, "current.json"), "{oops");
  await assert.rejects(() => readPointer(root), /current\.json/);
});

Deno.test("a plain model folder resolves to itself", async () => {
  const root = await Deno.makeTempDir();
  await Deno.writeTextFile(join(root, "model.json"), "{}");
  assert.deepEqual(await resolveModelDir(root), { dir: root, version: "unversioned" });
});

Deno.test("promotion leaves no temporary files", async () => {
  const root = await Deno.makeTempDir();
  await fakeVersion(root, "v1");
  await promote(root, "v1");
  const names = [];
  for await (const e of Deno.readDir(root)) names.push(e.name);
  assert.deepEqual(names.sort(), ["current.json", "v1"]);
});
