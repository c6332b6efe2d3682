import assert from "node:assert/strict";
import {
  calibrationTable,
  edgeVerdict,
  pValueVsAlwaysUp,
  rocCurve,
  scoreProbabilities,
  withIntervals,
} from "../src/eval/metrics.ts";
import { createRng } from "../src/util/random.ts";

const close = (a: number, b: number, eps = 1e-12): void =>
  assert.ok(Math.abs(a - b) < eps, `expected ${b}, found ${a}`);

/** A series with autocorrelated labels (runs), base rate about `up`. */
function labelsWithRuns(n: number, seed: number, up = 0.55): Uint8Array {
  const rng = createRng(seed);
  const y = new Uint8Array(n);
  let state = 1;
  for (let i = 0; i < n; i++) {
    if (rng.next() < 0.3) state = rng.next() < up ? 1 : 0;
    y[i] = state;
  }
  return y;
}

Deno.test("scoreProbabilities matches a hand-computed confusion matrix and rates", () => {
  // p:  0.9 0.8 0.7 0.3 0.2 0.6   predicted: 1 1 1 0 0 1
  // y:  1   1   0   1   0   0     tp=2 fp=2 tn=1 fn=1
  const s = scoreProbabilities([0.9, 0.8, 0.7, 0.3, 0.2, 0.6], [1, 1, 0, 1, 0, 0]);
  assert.deepEqual(s.confusion, { tp: 2, fp: 2, tn: 1, fn: 1 });
  close(s.accuracy, 3 / 6);
  close(s.precision, 2 / 4);
  close(s.recall, 2 / 3);
  close(s.f1, (2 * 0.5 * (2 / 3)) / (0.5 + 2 / 3));
  close(s.mcc, (2 * 1 - 2 * 1) / Math.sqrt(4 * 3 * 3 * 2));
  close(s.baseRate, 0.5);
});

Deno.test("scoreProbabilities computes log loss and Brier by hand", () => {
  const s = scoreProbabilities([0.8, 0.4], [1, 0]);
  close(s.logLoss, -(Math.log(0.8) + Math.log(0.6)) / 2);
  close(s.brier, (0.04 + 0.16) / 2);
});

Deno.test("log loss clips certain wrong predictions at 1e-7, like Keras", () => {
  const s = scoreProbabilities([0, 1], [1, 0]);
  close(s.logLoss, -Math.log(1e-7), 1e-9);
});

Deno.test("AUC counts pairs and averages ties", () => {
  // Positives 0.8, 0.5; negatives 0.5, 0.2: pairs (0.8>0.5)=1, (0.8>0.2)=1, (0.5=0.5)=0.5, (0.5>0.2)=1
  const s = scoreProbabilities([0.8, 0.5, 0.5, 0.2], [1, 1, 0, 0]);
  close(s.auc, 3.5 / 4);
});

Deno.test("AUC of constant probabilities is exactly 0.5", () => {
  const y = labelsWithRuns(500, 3);
  assert.equal(scoreProbabilities(new Float64Array(500).fill(0.5), y).auc, 0.5);
});

Deno.test("Matthews correlation is 0 when a margin is empty", () => {
  const s = scoreProbabilities([0.9, 0.9, 0.9], [1, 0, 1]);
  assert.equal(s.mcc, 0);
  assert.equal(s.confusion.tn + s.confusion.fn, 0);
});

Deno.test("scoreProbabilities rejects mismatched lengths with a clear message", () => {
  assert.throws(
    () => scoreProbabilities([0.5], [1, 0]),
    /Expected as many probabilities as labels, found 1 probabilities and 2 labels/,
  );
});

Deno.test("calibration table bins by tenths and puts 1 in the last bin", () => {
  const t = calibrationTable([0.05, 0.07, 0.55, 1], [0, 1, 1, 1]);
  assert.equal(t.length, 10);
  assert.equal(t[0].count, 2);
  close(t[0].meanPredicted!, 0.06);
  close(t[0].observedRate!, 0.5);
  assert.equal(t[5].count, 1);
  assert.equal(t[9].count, 1);
  assert.equal(t[3].meanPredicted, null);
});

Deno.test("ROC curve runs from (0,0) to (1,1) with one point per distinct probability", () => {
  const roc = rocCurve([0.9, 0.7, 0.7, 0.1], [1, 0, 1, 0]);
  assert.deepEqual(roc.map((p) => [p.fpr, p.tpr]), [[0, 0], [0, 0.5], [0.5, 1], [1, 1]]);
});

Deno.test("bootstrap intervals contain the estimate and are reproducible with the seed", () => {
  const y = labelsWithRuns(400, 11);
  const rng = createRng(5);
  const p = Array.from(
    y,
    (v) => Math.min(1, Math.max(0, 0.5 + (v ? 0.1 : -0.1) + 0.2 * rng.normal())),
  );
  const a = withIntervals(p, y, { seed: 9, resamples: 300 });
  const b = withIntervals(p, y, { seed: 9, resamples: 300 });
  assert.deepEqual(a, b);
  for (const [name, ci] of Object.entries(a)) {
    assert.ok(ci.lower <= ci.estimate && ci.estimate <= ci.upper, `${name}: ${JSON.stringify(ci)}`);
    assert.ok(ci.upper > ci.lower, `${name} interval has width`);
  }
  const c = withIntervals(p, y, { seed: 10, resamples: 300 });
  assert.notEqual(c.accuracy.lower, a.accuracy.lower);
});

Deno.test("a label-shuffled predictor shows no edge over always-up", () => {
  const y = labelsWithRuns(1000, 21);
  const rng = createRng(8);
  // A strong model on y, then scored against labels shuffled out of order.
  const p = Array.from(y, (v) => (v ? 0.7 : 0.3) + 0.05 * rng.normal());
  const shuffled = Uint8Array.from(y);
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  const pShuffled = pValueVsAlwaysUp(p, shuffled, { seed: 1 });
  assert.ok(pShuffled > 0.2, `p = ${pShuffled}`);
  assert.match(edgeVerdict(pShuffled), /^no evidence of an edge over always-up \(p = /);
});

Deno.test("a strong predictor shows an edge over always-up", () => {
  const y = labelsWithRuns(1000, 21);
  const rng = createRng(8);
  const p = Array.from(y, (v) => (rng.next() < 0.7 ? v : 1 - v) * 0.4 + 0.3);
  const pStrong = pValueVsAlwaysUp(p, y, { seed: 1 });
  assert.ok(pStrong < 0.01, `p = ${pStrong}`);
  assert.match(edgeVerdict(pStrong), /^evidence of an edge over always-up \(p [<=] 0\.00/);
});

Deno.test("a model that always says up has p = 1 against always-up", () => {
  const y = labelsWithRuns(200, 2);
  assert.equal(pValueVsAlwaysUp(new Float64Array(200).fill(0.9), y, { resamples: 99 }), 1);
});

Deno.test("edgeVerdict words and formats the p-value", () => {
  assert.equal(edgeVerdict(0.4123), "no evidence of an edge over always-up (p = 0.41)");
  assert.equal(edgeVerdict(0.0031), "evidence of an edge over always-up (p = 0.003)");
  assert.equal(edgeVerdict(0.0004), "evidence of an edge over always-up (p < 0.001)");
});

Deno.test("the default block is 20 rows when n^(1/3) is shorter", () => {
  const y = labelsWithRuns(400, 30);
  const p = Array.from(y, (v, i) => (v ? 0.6 : 0.4) + 0.001 * (i % 7));
  assert.deepEqual(
    withIntervals(p, y, { seed: 4, resamples: 50 }),
    withIntervals(p, y, { seed: 4, resamples: 50, blockLength: 20 }),
  );
});

// Seeds fixed: 4 of these 100 nulls are rejected; an i.i.d. bootstrap (blockLength 1) rejects 9.
Deno.test("the test against always-up holds its 5% level when calls and labels come in runs", () => {
  let rejected = 0;
  const sims = 100;
  for (let s = 0; s < sims; s++) {
    const rng = createRng(5000 + s);
    let regime = 1, call = 1;
    const y: number[] = [], p: number[] = [];
    for (let i = 0; i < 500; i++) {
      if (rng.next() < 0.1) regime = rng.next() < 0.5 ? 1 : 0;
      if (rng.next() < 0.05) call = rng.next() < 0.5 ? 1 : 0;
      y.push(rng.next() < 0.7 ? regime : 1 - regime);
      p.push(call ? 0.6 : 0.4); // independent of the labels: no edge
    }
    if (pValueVsAlwaysUp(p, y, { seed: s, resamples: 200 }) < 0.05) rejected++;
  }
  assert.ok(rejected <= 7, `rejected ${rejected} of ${sims} true nulls at the 5% level`);
});

Deno.test("the bootstrap rejects a resample count that is not a positive integer", () => {
  assert.throws(
    () => withIntervals([0.4, 0.6], [0, 1], { resamples: 0 }),
    /Expected resamples to be a positive integer, found 0/,
  );
});
