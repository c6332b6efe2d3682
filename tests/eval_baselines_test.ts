import assert from "node:assert/strict";
import {
  alwaysUp,
  baseRate,
  fitLogistic,
  lastBarFeatures,
  logisticBaseline,
  predictLogistic,
  previousDirection,
  yesterdayUp,
} from "../src/eval/baselines.ts";
import type { WindowSet } from "../src/dataset/types.ts";
import { createRng } from "../src/util/random.ts";

/** A random-walk close series and its next-bar labels for reference bars 1..n-2. */
function walk(n: number, seed: number): { closes: number[]; refs: number[]; labels: Uint8Array } {
  const rng = createRng(seed);
  const closes = [100];
  for (let i = 1; i < n; i++) closes.push(closes[i - 1] * (1 + 0.01 * rng.normal() + 0.0005));
  const refs: number[] = [];
  for (let t = 1; t < n - 1; t++) refs.push(t);
  const labels = Uint8Array.from(refs, (t) => (closes[t + 1] > closes[t] ? 1 : 0));
  return { closes, refs, labels };
}

Deno.test("always-up accuracy equals an independent count of up days", () => {
  const { closes, refs, labels } = walk(300, 4);
  let ups = 0;
  for (const t of refs) if (closes[t + 1] > closes[t]) ups++;
  assert.equal(alwaysUp(labels).accuracy, ups / refs.length);
  assert.equal(baseRate(labels), ups / refs.length);
});

Deno.test("previous-direction accuracy equals an independent count of repeats", () => {
  const { closes, refs, labels } = walk(300, 6);
  let same = 0;
  for (const t of refs) {
    const yesterday = closes[t] > closes[t - 1];
    const tomorrow = closes[t + 1] > closes[t];
    if (yesterday === tomorrow) same++;
  }
  const score = previousDirection(yesterdayUp(closes, refs), labels);
  assert.equal(score.accuracy, same / refs.length);
  assert.equal(score.n, refs.length);
});

Deno.test("yesterdayUp counts an unchanged close as down and rejects index 0", () => {
  assert.deepEqual(Array.from(yesterdayUp([10, 10, 11], [1, 2])), [0, 1]);
  assert.throws(
    () => yesterdayUp([10, 11], [0]),
    /Expected reference indices in \[1, 1\], found 0/,
  );
});

Deno.test("logistic regression recovers a known separating direction", () => {
  const rng = createRng(12);
  const trueW = [2, -1, 0];
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const row = [rng.normal(), rng.normal(), rng.normal()];
    const z = 0.5 + trueW[0] * row[0] + trueW[1] * row[1];
    x.push(row);
    y.push(rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0);
  }
  const model = fitLogistic(x, y, { l2: 1e-3 });
  assert.ok(Math.abs(model.weights[0] - 2) < 0.3, `w0 = ${model.weights[0]}`);
  assert.ok(Math.abs(model.weights[1] + 1) < 0.2, `w1 = ${model.weights[1]}`);
  assert.ok(Math.abs(model.weights[2]) < 0.15, `w2 = ${model.weights[2]}`);
  assert.ok(Math.abs(model.intercept - 0.5) < 0.2, `b = ${model.intercept}`);
  assert.ok(model.iterations < 20);
});

Deno.test("the L2 penalty keeps separable data finite and is deterministic", () => {
  const x = [[-2], [-1], [1], [2]];
  const a = fitLogistic(x, [0, 0, 1, 1], { l2: 1 });
  const b = fitLogistic(x, [0, 0, 1, 1], { l2: 1 });
  assert.deepEqual(a, b);
  assert.ok(Number.isFinite(a.weights[0]) && a.weights[0] > 0);
  const p = predictLogistic(a, [[-2], [2]]);
  assert.ok(p[0] < 0.5 && p[1] > 0.5);
});

Deno.test("logisticBaseline fits on training windows' last bars and scores the test windows", () => {
  // Feature 0 of the last bar decides the label; earlier bars carry noise of the opposite sign.
  const make = (n: number, seed: number): WindowSet => {
    const rng = createRng(seed);
    const seqLen = 3, nFeatures = 2;
    const x = new Float32Array(n * seqLen * nFeatures);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const v = rng.normal();
      y[i] = v > 0 ? 1 : 0;
      for (let t = 0; t < seqLen; t++) {
        x[(i * seqLen + t) * nFeatures] = t === seqLen - 1 ? v : -v;
        x[(i * seqLen + t) * nFeatures + 1] = rng.normal();
      }
    }
    return { x, y, refTimes: [], n, seqLen, nFeatures };
  };
  const train = make(300, 1), test = make(200, 2);
  assert.deepEqual(Array.from(lastBarFeatures(test)[0]), Array.from(test.x.subarray(4, 6)));
  const score = logisticBaseline(train, test, { l2: 0.1 });
  assert.equal(score.n, 200);
  assert.ok(score.accuracy > 0.95, `accuracy ${score.accuracy}`);
  assert.ok(score.auc! > 0.99);
});
