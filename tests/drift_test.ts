import assert from "node:assert/strict";
import {
  populationStability,
  readReference,
  REFERENCE_FILE,
  referenceProfile,
} from "../src/eval/drift.ts";
import { DataError } from "../src/util/errors.ts";
import { createRng } from "../src/util/random.ts";

function normals(n: number, seed: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng.normal());
}

function uniforms(n: number, seed: number, lo: number, hi: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => lo + (hi - lo) * rng.next());
}

Deno.test("referenceProfile puts decile edges of 0..100 at 10, 20, ..., 90", () => {
  const values = Array.from({ length: 101 }, (_, i) => i);
  const profile = referenceProfile(values.map((v) => [v]), ["x"], values.map((v) => v / 100));
  assert.deepEqual(profile.features[0].edges, [10, 20, 30, 40, 50, 60, 70, 80, 90]);
  assert.equal(profile.features[0].fractions[0], 11 / 101); // 0..10 fall in the first bin
  assert.equal(profile.features[0].fractions[9], 10 / 101);
  const probEdges = profile.probabilities.edges;
  assert.deepEqual(probEdges.map((e) => Math.round(e * 100) / 100), [
    0.1,
    0.2,
    0.3,
    0.4,
    0.5,
    0.6,
    0.7,
    0.8,
    0.9,
  ]);
  assert.equal(profile.bins, 10);
  assert.equal(profile.rows, 101);
});

Deno.test("referenceProfile floors empty bins at a small epsilon and survives JSON", () => {
  const values = [...new Array(50).fill(0), ...new Array(50).fill(1)];
  const profile = referenceProfile(values.map((v) => [v]), ["flag"], values.map(() => 0.5));
  const fractions = profile.features[0].fractions;
  assert.ok(fractions.every((f) => f > 0), `every share positive: ${fractions}`);
  assert.ok(fractions.some((f) => f === profile.epsilon), "empty bins get the floor");
  assert.deepEqual(JSON.parse(JSON.stringify(profile)), profile);
});

Deno.test("populationStability is about 0 for a sample of the same distribution", () => {
  const ref = normals(5000, 1);
  const live = normals(5000, 2);
  const profile = referenceProfile(ref.map((x) => [x]), ["z"], uniforms(5000, 3, 0.3, 0.7));
  const report = populationStability(profile, live.map((x) => [x]), uniforms(5000, 4, 0.3, 0.7));
  assert.ok(report.features.z !== null && report.features.z < 0.02, `psi ${report.features.z}`);
  assert.ok(report.probabilities !== null && report.probabilities < 0.02);
  assert.equal(report.rows, 5000);
});

Deno.test("populationStability is large for a shifted distribution", () => {
  const profile = referenceProfile(
    normals(5000, 1).map((x) => [x, x]),
    ["shifted", "same"],
    uniforms(5000, 3, 0.3, 0.7),
  );
  const live = normals(2000, 5).map((x) => [x + 1, x]);
  const report = populationStability(profile, live, uniforms(2000, 6, 0.6, 0.9));
  assert.ok(report.features.shifted! > 0.25, `shifted psi ${report.features.shifted}`);
  assert.ok(report.features.same! < 0.1, `unshifted psi ${report.features.same}`);
  assert.ok(report.probabilities! > 0.25, `probability psi ${report.probabilities}`);
});

Deno.test("populationStability skips non-finite values and reports null when none are left", () => {
  const profile = referenceProfile(normals(500, 1).map((x) => [x, x]), ["a", "b"], [0.5]);
  const report = populationStability(profile, [[NaN, 0.1], [NaN, -0.2]], []);
  assert.equal(report.features.a, null);
  assert.equal(typeof report.features.b, "number");
  assert.equal(report.probabilities, null);
});

Deno.test("referenceProfile rejects rows whose width differs from the names", () => {
  assert.throws(
    () => referenceProfile([[1, 2], [3]], ["a", "b"], [0.5, 0.5]),
    /Expected feature rows of 2 values, found 1 at row 1/,
  );
});

Deno.test("readReference names the file and says how to get one when it is missing or malformed", async () => {
  const dir = await Deno.makeTempDir();
  await assert.rejects(
    () => readReference(dir),
    (error: Error) =>
      error instanceof DataError && error.message.includes(REFERENCE_FILE) &&
      error.message.includes("retrain with this version of the module"),
  );
  await Deno.writeTextFile(`${dir}/${REFERENCE_FILE}`, JSON.stringify({ format: 1, bins: 10 }));
  await assert.rejects(() => readReference(dir), /reference\.json to hold a reference profile/);
  await Deno.writeTextFile(`${dir}/${REFERENCE_FILE}`, "{not json");
  await assert.rejects(() => readReference(dir), /reference\.json, found a file that does not/);
  const profile = referenceProfile([[1], [2], [3]], ["x"], [0.4, 0.5, 0.6]);
  await Deno.writeTextFile(`${dir}/${REFERENCE_FILE}`, JSON.stringify(profile));
  assert.deepEqual(await readReference(dir), profile);
  await Deno.remove(dir, { recursive: true });
});
