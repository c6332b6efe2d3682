/**
 * Pointers never leave their folder (issue 23, items 1, 6, 14, 15, 16 and the
 * BOM part of 15): `current.json`, `shadow.json` and composite members name
 * only version names (`v` and a number without leading zeros) of complete
 * version folders inside their root; the loader, `models list` (through
 * inspectModelRoot) and rollback apply the same check and say the same; a
 * temporary folder is never loadable; a byte-order mark is not corruption.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  inspectModelRoot,
  listVersions,
  promote,
  readPointer,
  readShadow,
  resolveModelDir,
  rollback,
  writeShadow,
} from "../src/model/versions.ts";
import { isVersionName, versionProblem } from "../src/model/layout.ts";
import { readComposite } from "../src/model/composite.ts";
import { DataError, UsageError } from "../src/util/errors.ts";
import { cli } from "./tiny_model_fixture.ts";

async function fakeVersion(root: string, version: string): Promise<void> {
  await Deno.mkdir(join(root, version), { recursive: true });
  await Deno.writeTextFile(join(root, version, "model.json"), `{"v":"${version}"}`);
}

/** Two model roots side by side: `lstm` (v1, v2; current v2) and `b` (v1). */
async function twoRoots(): Promise<{ lstm: string; b: string }> {
  const top = await Deno.makeTempDir({ prefix: "pointers_" });
  const lstm = join(top, "lstm");
  const b = join(top, "b");
  await fakeVersion(lstm, "v1");
  await fakeVersion(lstm, "v2");
  await fakeVersion(b, "v1");
  await promote(lstm, "v1");
  await promote(lstm, "v2");
  return { lstm, b };
}

const pointer = (root: string) => join(root, "current.json");

Deno.test("a version name is v and a number without leading zeros", () => {
  for (const ok of ["v0", "v1", "v12", "v100"]) assert.ok(isVersionName(ok), ok);
  for (
    const bad of ["v007", "v01", "v 7", "vX", "v", "../b/v1", "v4.tmp-999999-abc", "V3", "v3/"]
  ) {
    assert.ok(!isVersionName(bad), bad);
  }
});

Deno.test("current.json naming a path out of its root is refused by the loader and by list alike", async () => {
  const { lstm } = await twoRoots();
  for (const bad of ["../b/v1", "../../etc", "/tmp", "v007"]) {
    await Deno.writeTextFile(pointer(lstm), JSON.stringify({ current: bad, history: [] }));
    await assert.rejects(() => resolveModelDir(lstm), (e: Error) => {
      assert.ok(e instanceof DataError, e.message);
      assert.match(e.message, /current\.json to hold .*current = .*not a version name like v3/);
      return true;
    });
    const health = await inspectModelRoot(lstm);
    assert.match(health.pointerProblem ?? "", /current\.json to hold .*not a version name/, bad);
  }
});

Deno.test("a temporary folder of an interrupted write is never loadable", async () => {
  const { lstm } = await twoRoots();
  const tmp = join(lstm, "v4.tmp-999999-abc");
  await fakeVersion(lstm, "v4.tmp-999999-abc");
  await Deno.writeTextFile(pointer(lstm), '{"current":"v4.tmp-999999-abc","history":[]}');
  await assert.rejects(() => resolveModelDir(lstm), /not a version name/);
  await assert.rejects(() => resolveModelDir(tmp), /temporary folder of an interrupted write/);
  await assert.rejects(() => promote(lstm, "v4.tmp-999999-abc"), UsageError);
});

Deno.test("the loader and list say the same of a pointer to a missing version", async () => {
  const { lstm } = await twoRoots();
  await Deno.writeTextFile(pointer(lstm), '{"current":"v9","history":[]}');
  const loader = await resolveModelDir(lstm).then(() => "", (e: Error) => e.message);
  const health = await inspectModelRoot(lstm);
  assert.match(loader, /current\.json names v9, which is missing: plugins load no model/);
  assert.equal(health.pointerProblem, loader);
  await Deno.writeTextFile(join(lstm, "v3"), "not a folder");
  await Deno.writeTextFile(pointer(lstm), '{"current":"v3","history":[]}');
  await assert.rejects(
    () => resolveModelDir(lstm),
    /names v3, which is a file, not a version folder/,
  );
});

Deno.test("rollback refuses a missing or out-of-root history entry and changes nothing", async () => {
  const { lstm } = await twoRoots();
  for (const history of [["v7"], ["../../b/v1"], ["v1", "v007"]]) {
    const text = JSON.stringify({ current: "v2", history });
    await Deno.writeTextFile(pointer(lstm), text);
    await assert.rejects(() => rollback(lstm), DataError, history.join(","));
    assert.equal(await Deno.readTextFile(pointer(lstm)), text, "current.json unchanged");
  }
  await Deno.writeTextFile(pointer(lstm), '{"current":"v2","history":["v7"]}');
  await assert.rejects(
    () => rollback(lstm),
    /Expected v7, the version before v2 in .*current\.json, to be a complete model to roll back to, found it missing/,
  );
});

Deno.test("current.json that is a folder is one house-style line, in list and loader", async () => {
  const { lstm } = await twoRoots();
  await Deno.remove(pointer(lstm));
  await Deno.mkdir(pointer(lstm));
  const expected = /Expected [^ ]*current\.json to be a file, found a folder$/;
  await assert.rejects(() => resolveModelDir(lstm), expected);
  await assert.rejects(() => readPointer(lstm), expected);
  assert.match((await inspectModelRoot(lstm)).pointerProblem ?? "", expected);
});

Deno.test("folders v007, v 7 and vX are strays, never another existing version", async () => {
  const { lstm } = await twoRoots();
  for (const name of ["v007", "v 7", "vX"]) await fakeVersion(lstm, name);
  assert.deepEqual(await listVersions(lstm), ["v1", "v2"]);
  const health = await inspectModelRoot(lstm);
  assert.deepEqual(health.versions.map((v) => v.version), ["v1", "v2"]);
  assert.deepEqual(health.strays, ["v 7", "v007", "vX"]);
});

Deno.test("shadow.json names only versions; writing one checks the folder", async () => {
  const { lstm } = await twoRoots();
  await Deno.writeTextFile(join(lstm, "shadow.json"), '{"shadow":["../b/v1"]}');
  await assert.rejects(() => readShadow(lstm), /shadow\.json to hold .*not a version name/);
  await assert.rejects(() => writeShadow(lstm, ["v007"]), UsageError);
  await assert.rejects(() => writeShadow(lstm, ["v9"]), /No model version v9/);
  assert.deepEqual(await writeShadow(lstm, ["v1"]), ["v1"]);
});

Deno.test("a UTF-8 byte-order mark before current.json or shadow.json is read, not refused", async () => {
  const { lstm } = await twoRoots();
  await Deno.writeTextFile(pointer(lstm), '\uFEFF{"current":"v1","history":[]}');
  assert.deepEqual(await readPointer(lstm), { current: "v1", history: [] });
  assert.deepEqual(await resolveModelDir(lstm), { dir: join(lstm, "v1"), version: "v1" });
  await Deno.writeTextFile(join(lstm, "shadow.json"), '\uFEFF{"shadow":["v2"]}');
  assert.deepEqual(await readShadow(lstm), ["v2"]);
});

Deno.test("versionProblem: complete, missing, a file, or a folder without model files", async () => {
  const { lstm } = await twoRoots();
  await Deno.mkdir(join(lstm, "v5"));
  await Deno.writeTextFile(join(lstm, "v6"), "");
  assert.equal(await versionProblem(lstm, "v1"), null);
  assert.equal(await versionProblem(lstm, "v9"), "missing");
  assert.equal(await versionProblem(lstm, "v6"), "a file, not a version folder");
  assert.match((await versionProblem(lstm, "v5"))!, /without model\.json or composite\.json/);
  assert.equal(await versionProblem(join(lstm, "current.json"), "v1"), "missing");
});

/** A composite folder holding `spec` as composite.json (text as given, or JSON). */
async function composite(spec: unknown): Promise<string> {
  const dir = join(await Deno.makeTempDir({ prefix: "composite_" }), "ens", "v1");
  await Deno.mkdir(dir, { recursive: true });
  const text = typeof spec === "string" ? spec : JSON.stringify(spec);
  await Deno.writeTextFile(join(dir, "composite.json"), text);
  return dir;
}

const noCheck = (): Promise<never> => Promise.reject(new Error("no member should be loaded"));

Deno.test("composite.json whose weights are all 0 is refused by the loader, as by the writer", async () => {
  const dir = await composite({
    schemaVersion: 1,
    kind: "ensemble",
    members: [{ path: "../../a", version: "v1", weight: 0 }, {
      path: "../../b",
      version: "v1",
      weight: 0,
    }],
    createdAt: "2024-01-01T00:00:00.000Z",
  });
  await assert.rejects(() => readComposite(dir, noCheck), /member weight above 0/);
});

Deno.test("composite members name version names of existing folders; a path through a file is one line", async () => {
  const { lstm } = await twoRoots();
  const spec = (path: string, version: string) => ({
    schemaVersion: 1,
    kind: "ensemble",
    members: [{ path, version }],
    createdAt: "2024-01-01T00:00:00.000Z",
  });
  await assert.rejects(
    () => composite(spec(lstm, "v007")).then((d) => readComposite(d, noCheck)),
    /composite\.json to hold .*version = "v007" \(not a version name/,
  );
  await assert.rejects(
    () => composite(spec(lstm, "v9")).then((d) => readComposite(d, noCheck)),
    /member .* v9 of .*composite\.json to be a complete version folder .*found missing/,
  );
  await assert.rejects(
    () => composite(spec(join(lstm, "current.json"), "v2")).then((d) => readComposite(d, noCheck)),
    (e: Error) => {
      assert.match(e.message, /found a file where its model folder should be$/);
      assert.doesNotMatch(e.message, /os error/);
      return true;
    },
  );
});

Deno.test("a byte-order mark before composite.json is read, not refused", async () => {
  const dir = await composite(
    '\uFEFF{"schemaVersion":1,"kind":"ensemble","members":[{"path":"/nowhere","version":"v1"}],"createdAt":"x"}',
  );
  // Parsed (the BOM is no corruption); it then fails on the missing member, not on the file.
  await assert.rejects(() => readComposite(dir, noCheck), /member .*found no such model folder/);
});

Deno.test("models show and rollback through the command: one line, nothing changed", async () => {
  const { lstm } = await twoRoots();
  const cwd = await Deno.makeTempDir({ prefix: "pointers_cli_" });
  for (const bad of ["../b/v1", "../../etc", "v007"]) {
    const run = await cli(["models", "show", bad, "--model", lstm], cwd);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr.trim(), /^error: Expected a version like v3, found "/);
    assert.equal(run.stdout, "");
  }
  const text = '{"current":"v2","history":["../../b/v1"]}';
  await Deno.writeTextFile(pointer(lstm), text);
  const run = await cli(["models", "rollback", "--model", lstm], cwd);
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  assert.match(run.stderr, /current\.json to hold .*history\[0\] = "\.\.\/\.\.\/b\/v1"/);
  assert.equal(await Deno.readTextFile(pointer(lstm)), text);
});
