/**
 * The one owner of the summary statistics (src/eval/stats.ts): its
 * conventions, and the modules that used to compute them themselves agree
 * with it.
 */

import assert from "node:assert/strict";
import {
  aucEvidence,
  bootstrapBlockLength,
  mean,
  median,
  resampleBlocks,
  rocAuc,
  sharpeRatio,
  standardDeviation,
} from "../src/eval/stats.ts";
import { scoreProbabilities } from "../src/eval/metrics.ts";
import { fitCalibration } from "../src/model/calibration.ts";
import { createRng } from "../src/util/random.ts";

Deno.test("mean, median and the sample standard deviation, NaN for no values", () => {
  assert.equal(mean([1, 2, 3, 4]), 2.5);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([1, 5, 9], { sorted: true }), 5);
  assert.equal(standardDeviation([1, 2, 3]), 1);
  assert.equal(standardDeviation([1, 3], { population: true }), 1);
  assert.equal(standardDeviation([7]), 0);
  for (const f of [mean, median, standardDeviation]) assert.ok(Number.isNaN(f([])));
});

Deno.test("the Sharpe ratio is annualised mean over sample sd, 0 without variation", () => {
  const r = [0.01, -0.005, 0.002];
  assert.ok(
    Math.abs(sharpeRatio(r, 252) - (mean(r) / standardDeviation(r)) * Math.sqrt(252)) < 1e-12,
  );
  assert.equal(sharpeRatio([0.01, 0.01], 252), 0);
  assert.ok(Number.isNaN(sharpeRatio([], 252)));
});

Deno.test("AUC: ties share their rank, a single class is NaN (no ranking to measure)", () => {
  assert.equal(rocAuc([0.9, 0.2, 0.6, 0.4], [1, 0, 0, 1]), 0.75);
  assert.equal(rocAuc([0.5, 0.5, 0.5, 0.5], [1, 0, 0, 1]), 0.5);
  assert.ok(Number.isNaN(rocAuc([0.9, 0.2], [1, 1])));
  assert.ok(Number.isNaN(aucEvidence([0.9, 0.2], [0, 0]).z));
  const probs = [0.1, 0.7, 0.3, 0.9, 0.6];
  const labels = [0, 1, 1, 1, 0];
  assert.equal(scoreProbabilities(probs, labels).auc, rocAuc(probs, labels));
  assert.ok(Number.isNaN(scoreProbabilities([0.2, 0.8], [1, 1]).auc));
});

Deno.test("calibration on validation rows of one class says so and keeps the base rate", () => {
  // All up: a calibrator can beat the base rate on log loss, but nothing is ranked.
  const n = 200;
  const raw = Float64Array.from({ length: n }, (_, i) => 0.4 + 0.2 * (i % 7) / 7);
  const labels = new Float64Array(n).fill(1);
  const cal = fitCalibration(raw, labels, { method: "platt", baseRate: 0.5 });
  assert.equal(cal.shrinkage, 1);
  assert.match(cal.reason, /^no evidence .*validation rows of one class, no AUC/);
  assert.doesNotMatch(cal.reason, /NaN/);
});

Deno.test("the block bootstrap: default length, circular blocks of consecutive rows", () => {
  assert.equal(bootstrapBlockLength(1000), 20);
  assert.equal(bootstrapBlockLength(50), 10);
  assert.equal(bootstrapBlockLength(3), 1);
  assert.throws(() => bootstrapBlockLength(10, 0), /positive integer/);
  const idx = new Int32Array(37);
  resampleBlocks(idx, { blockLength: 5, rng: createRng(1) });
  for (let k = 0; k < idx.length; k++) {
    assert.ok(idx[k] >= 0 && idx[k] < 37);
    if (k % 5 !== 0) assert.equal(idx[k], (idx[k - 1] + 1) % 37);
  }
});
