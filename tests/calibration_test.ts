/**
 * Calibration (src/model/calibration.ts): Platt scaling recovers a known map,
 * isotonic regression pools adjacent violators, the shrinkage weight is 1
 * (the base rate itself) without validation skill and below 1 with it (how
 * far below follows the evidence: tests/calibration_replay_test.ts), the
 * identity for cards saved before calibration, and the card's schema.
 */
import assert from "node:assert/strict";
import {
  applyCalibration,
  calibrateAll,
  type Calibration,
  calibrationSchema,
  cardCalibration,
  fitCalibration,
  IDENTITY_CALIBRATION,
  MIN_CALIBRATION_ROWS,
  splitSkill,
} from "../src/model/calibration.ts";
import { createCard, parseCard } from "../src/model/card.ts";
import { brierScore } from "../src/eval/scores.ts";
import { createRng } from "../src/util/random.ts";
import { cardDraft } from "./model_fixtures.ts";

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const logit = (p: number): number => Math.log(p / (1 - p));

/** `n` raw probabilities in (0.2, 0.8) and labels drawn from `truth(raw)`, seeded. */
function sample(
  n: number,
  truth: (raw: number) => number,
  seed = 1,
): { raw: number[]; labels: number[] } {
  const rng = createRng(seed);
  const raw: number[] = [], labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = 0.2 + 0.6 * rng.next();
    raw.push(r);
    labels.push(rng.next() < truth(r) ? 1 : 0);
  }
  return { raw, labels };
}

const sharp = (r: number): number => sigmoid(2 * logit(r) - 0.3);

Deno.test("Platt scaling recovers a known slope and intercept on logit(raw)", () => {
  const { raw, labels } = sample(20000, sharp);
  // The calibrator is centred on the base rate; at the rows' own up rate that moves nothing.
  const rate = labels.reduce((s, y) => s + y, 0) / labels.length;
  const cal = fitCalibration(raw, labels, { method: "platt", baseRate: rate });
  assert.ok(Math.abs(cal.platt!.slope - 2) < 0.1, `slope ${cal.platt!.slope}`);
  assert.ok(Math.abs(cal.platt!.intercept + 0.3) < 0.06, `intercept ${cal.platt!.intercept}`);
  assert.equal(cal.isotonic, null);
});

Deno.test("fitting is deterministic: the same rows give the same calibration", () => {
  const { raw, labels } = sample(500, sharp, 3);
  for (const method of ["platt", "isotonic"] as const) {
    assert.deepEqual(
      fitCalibration(raw, labels, { method, baseRate: 0.52 }),
      fitCalibration(raw, labels, { method, baseRate: 0.52 }),
    );
  }
});

Deno.test("a network whose ranking is backwards gets Platt slope 0, never a reversed map", () => {
  const { raw, labels } = sample(2000, (r) => 1 - r, 4);
  const cal = fitCalibration(raw, labels, { method: "platt", baseRate: 0.5 });
  assert.equal(cal.platt!.slope, 0);
  assert.equal(cal.shrinkage, 1, "no skill: the base rate");
});

Deno.test("isotonic regression pools adjacent violators and interpolates between the blocks", () => {
  // Sorted raw 0.1..0.4 with labels 0, 1, 0, 1: the middle two violate and pool to 0.5.
  const raw = [0.4, 0.1, 0.3, 0.2], labels = [1, 0, 0, 1];
  const cal = fitCalibration(raw, labels, { method: "isotonic", baseRate: 0.5 });
  assert.deepEqual(cal.isotonic!.raw.map((x) => Number(x.toFixed(10))), [0.1, 0.25, 0.4]);
  assert.deepEqual(cal.isotonic!.calibrated, [0.01, 0.5, 0.99], "0 and 1 kept inside [0.01, 0.99]");
  const identity = { ...cal, shrinkage: 0 };
  assert.equal(applyCalibration(identity, 0.05), 0.01, "flat below the first knot");
  assert.equal(applyCalibration(identity, 0.9), 0.99, "flat above the last knot");
  assert.ok(Math.abs(applyCalibration(identity, 0.175) - (0.01 + 0.49 / 2)) < 1e-12);
});

Deno.test("isotonic regression pools tied raw probabilities and is non-decreasing", () => {
  const { raw, labels } = sample(3000, sharp, 5);
  const rounded = raw.map((r) => Math.round(r * 50) / 50); // many ties
  const cal = fitCalibration(rounded, labels, { method: "isotonic", baseRate: 0.5 });
  const { raw: x, calibrated: y } = cal.isotonic!;
  for (let i = 1; i < x.length; i++) {
    assert.ok(x[i] > x[i - 1], "knots strictly increasing in raw");
    assert.ok(y[i] > y[i - 1], "pooled rates strictly increasing");
  }
});

Deno.test("without validation skill the weight is 1: every raw probability becomes the base rate", () => {
  const { raw, labels } = sample(600, () => 0.55, 6); // labels independent of raw
  for (const method of ["platt", "isotonic"] as const) {
    const cal = fitCalibration(raw, labels, { method, baseRate: 0.53 });
    assert.equal(cal.shrinkage, 1, cal.reason);
    for (const r of [0, 0.2, 0.5, 0.77, 1]) assert.equal(applyCalibration(cal, r), 0.53);
    assert.deepEqual(cal.validation!.calibrated, { brierSkill: 0, logLossSkill: 0 });
    assert.equal(cal.validation!.rows, 600);
  }
});

Deno.test("with validation skill the weight is below 1, chosen out of fold, and the map is w·base + (1 − w)·cal(raw)", () => {
  const { raw, labels } = sample(600, sharp, 7);
  const cal = fitCalibration(raw, labels, { method: "platt", baseRate: 0.45 });
  assert.ok(cal.shrinkage < 1, cal.reason);
  assert.match(cal.reason, /^validation skill \(validation AUC 0\.\d{3} \(z \d+\.\d\d\)/);
  assert.ok(cal.validation!.calibrated.brierSkill! > 0);
  assert.ok(cal.validation!.calibrated.logLossSkill! > 0);
  const { slope, intercept } = cal.platt!;
  const w = cal.shrinkage;
  for (const r of [0.25, 0.5, 0.71]) {
    const expected = w * 0.45 + (1 - w) * sigmoid(slope * logit(r) + intercept);
    assert.ok(Math.abs(applyCalibration(cal, r) - expected) < 1e-12);
  }
  // Better than the base rate on fresh rows from the same process.
  const fresh = sample(4000, sharp, 8);
  const skill = splitSkill(cal, fresh.raw, fresh.labels);
  assert.ok(skill.calibrated.brierSkill! > 0.05, JSON.stringify(skill));
});

Deno.test("too few validation rows to show skill: the base rate", () => {
  const { raw, labels } = sample(MIN_CALIBRATION_ROWS - 1, sharp, 9);
  const cal = fitCalibration(raw, labels, { method: "platt", baseRate: 0.5 });
  assert.equal(cal.shrinkage, 1);
  assert.match(cal.reason, /fewer than 40/);
});

Deno.test("method none is the raw network probability, and its validation skill is the raw one", () => {
  const { raw, labels } = sample(300, sharp, 10);
  const cal = fitCalibration(raw, labels, { method: "none", baseRate: 0.5 });
  assert.equal(cal.shrinkage, 0);
  assert.deepEqual(Array.from(calibrateAll(cal, raw)), raw);
  assert.deepEqual(cal.validation!.calibrated, cal.validation!.raw);
});

Deno.test("splitSkill compares the raw and calibrated probabilities with the base rate", () => {
  const labels = [1, 0, 1, 1];
  const cal: Calibration = {
    ...IDENTITY_CALIBRATION,
    method: "platt",
    shrinkage: 1,
    baseRate: 0.6,
  };
  const s = splitSkill(cal, [0.9, 0.1, 0.8, 0.7], labels);
  const reference = brierScore([0.6, 0.6, 0.6, 0.6], labels);
  assert.ok(
    Math.abs(s.raw.brierSkill! - (1 - brierScore([0.9, 0.1, 0.8, 0.7], labels) / reference)) <
      1e-12,
  );
  assert.deepEqual(s.calibrated, { brierSkill: 0, logLossSkill: 0 });
});

Deno.test("bad inputs are refused with one clear line", () => {
  assert.throws(
    () => fitCalibration([0.5], [1, 0], { method: "platt", baseRate: 0.5 }),
    /Expected as many raw probabilities as labels, found 1 and 2/,
  );
  assert.throws(
    () => fitCalibration([], [], { method: "platt", baseRate: 0.5 }),
    /Expected at least one validation row/,
  );
  assert.throws(
    () => fitCalibration([1.5], [1], { method: "platt", baseRate: 0.5 }),
    /Expected raw probabilities in \[0, 1\], found 1.5 at row 0/,
  );
});

Deno.test("a card without calibration reads as the identity; a card with one round-trips through JSON", () => {
  const weightsSha256 = "0".repeat(64);
  const provenance = { weightsSha256, tfjs: "4.22.0", module: "0.1.0" };
  const old = createCard(cardDraft(), provenance);
  assert.equal(old.calibration, undefined);
  assert.equal(cardCalibration(old), IDENTITY_CALIBRATION);
  assert.equal(applyCalibration(cardCalibration(old), 0.61), 0.61);

  const { raw, labels } = sample(400, sharp, 11);
  const calibration = fitCalibration(raw, labels, { method: "isotonic", baseRate: 0.5 });
  const card = createCard(cardDraft({ calibration }), provenance);
  const back = parseCard(JSON.parse(JSON.stringify(card)), "model_config.json");
  assert.deepEqual(back.calibration, calibration);
  assert.deepEqual(calibrationSchema.parse(JSON.parse(JSON.stringify(calibration))), calibration);
});

Deno.test("a card whose calibration is malformed fails in one line naming the field", () => {
  const card = createCard(cardDraft(), {
    weightsSha256: "0".repeat(64),
    tfjs: "4.22.0",
    module: "0",
  });
  const broken = { ...card, calibration: { ...IDENTITY_CALIBRATION, shrinkage: 2 } };
  assert.throws(
    () => parseCard(JSON.parse(JSON.stringify(broken)), "m/model_config.json"),
    /^DataError: Expected calibration\.shrinkage in m\/model_config\.json to be valid \(.*\), found 2$/,
  );
});
