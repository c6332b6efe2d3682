/**
 * `models list` says which figure is whose and when a version has no skill (issues 23 and 24):
 * the accuracy is the raw network's, the skill the calibrated model's, and a version whose
 * calibration hands out the base rate (`withoutSkill`) says so in words.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import type { ModelRootHealth } from "../src/model/versions.ts";
import { readCard } from "../src/model/card.ts";
import { withoutSkill } from "../src/model/calibration.ts";
import { modelsListText, type VersionSummary } from "../src/views/models.ts";
import { cli, trainTinyModel } from "./tiny_model_fixture.ts";

const TMP = await Deno.makeTempDir({ prefix: "models_list_" });
globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));

/** A `models list` row with skill; `noSkill` and `shrinkage` as given. */
function row(noSkill: boolean, shrinkage: number): VersionSummary {
  return {
    version: "v1",
    composite: null,
    current: true,
    promoted: true,
    health: "ok",
    createdAt: "2024-01-02T00:00:00.000Z",
    arch: "lstm",
    ticker: "SPY",
    train: "2010-01-04..2019-12-31 (2000)",
    test: "2022-01-03..2023-12-29 (400)",
    testAccuracy: 0.5312,
    testBaseRate: 0.5401,
    skill: {
      calibration: "platt",
      shrinkage,
      noSkill,
      validation: null,
      test: { brierSkill: noSkill ? -0.0004 : 0.0123, logLossSkill: noSkill ? -0.0002 : 0.0087 },
    },
    interruptedTraining: false,
    retrain: null,
    shadow: false,
    shadowDecision: null,
  };
}

/** A root whose pointer and folders are fine: only the rows are shown. */
const NO_HEALTH_PROBLEM: ModelRootHealth = {
  root: "models/lstm",
  pointer: { current: "v1", history: [] },
  pointerProblem: null,
  versions: [],
  interrupted: [],
  strays: [],
  shadow: [],
};

Deno.test("models list labels the raw network's test accuracy and the calibrated model's skill", () => {
  const text = modelsListText(NO_HEALTH_PROBLEM, [row(false, 0.35)]);
  assert.match(text, /raw network test accuracy 0\.531 \(test base rate 0\.540\)/);
  assert.match(
    text,
    /calibrated test skill \(Brier \/ log loss\) 0\.0123 \/ 0\.0087 \(platt, weight 0\.35 on the base rate\)/,
  );
  assert.doesNotMatch(text, /no validated skill/);
});

Deno.test("models list says in words when a version has no validated skill", () => {
  const text = modelsListText(NO_HEALTH_PROBLEM, [row(true, 1)]);
  assert.match(
    text,
    /no validated skill: the calibrated model hands out the base rate, signals no-skill \(platt, weight 1\.00 on the base rate; test skill -0\.0004 \/ -0\.0002\)/,
  );
  assert.doesNotMatch(text, /calibrated test skill/);
});

Deno.test("models list reads no skill from the card's calibration: a tiny model has none", async () => {
  const root = join(TMP, "model");
  await trainTinyModel(root, "SPY");
  const card = await readCard(join(root, "v1"));
  assert.ok(card.calibration, "Expected the tiny model's card to carry a calibration");
  assert.ok(withoutSkill(card.calibration), "Expected the tiny model to hand out the base rate");
  const run = await cli(["models", "list", "--model", root], TMP);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /raw network test accuracy \d\.\d{3}/);
  assert.match(run.stdout, /no validated skill: the calibrated model hands out the base rate/);
  assert.doesNotMatch(run.stdout, /calibrated test skill/);
  const json = JSON.parse((await cli(["models", "list", "--model", root, "--json"], TMP)).stdout);
  assert.equal(json.versions[0].skill.noSkill, true);
});
