import assert from "node:assert/strict";
import {
  cacheBytes,
  gruBackward,
  gruForward,
  lstmBackward,
  lstmForward,
} from "../src/model/fast/mod.ts";
import {
  splitBackward,
  splitForward,
  startSecondCore,
  stopSecondCore,
} from "../src/model/fast/parallel.ts";

/** Deterministic uniform values in [-0.5, 0.5) (mulberry32). */
function randoms(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) - 0.5;
  }
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

for (const cell of ["lstm", "gru"] as const) {
  for (const returnSequences of [true, false]) {
    Deno.test(`${cell} seq=${returnSequences}: a batch split with the worker gives the unsplit results`, async () => {
      await startSecondCore();
      try {
        const g = cell === "lstm" ? 4 : 3;
        const o = { batch: 11, steps: 7, inputDim: 5, units: 6, returnSequences };
        const w = {
          kernel: randoms(o.inputDim * g * o.units, 1),
          recurrentKernel: randoms(o.units * g * o.units, 2),
          bias: randoms(g * o.units, 3),
        };
        const x = randoms(o.batch * o.steps * o.inputDim, 4);
        const dy = randoms(o.batch * o.units * (returnSequences ? o.steps : 1), 5);
        const one = (cell === "lstm" ? lstmForward : gruForward)(w, x, o);
        const ref = (cell === "lstm" ? lstmBackward : gruBackward)(one.cache!, dy);
        const split = splitForward(cell, w, x, o);
        assert.ok(split.cache !== null && "local" in split.cache, "expected the batch to be split");
        assert.ok(maxAbsDiff(split.output, one.output) < 1e-7);
        const grads = splitBackward(split.cache!, dy);
        assert.ok(maxAbsDiff(grads.dx, ref.dx) < 1e-7);
        // Partial sums add in a different order: agree to float rounding.
        assert.ok(maxAbsDiff(grads.dKernel, ref.dKernel) < 1e-5);
        assert.ok(maxAbsDiff(grads.dRecurrent, ref.dRecurrent) < 1e-5);
        assert.ok(maxAbsDiff(grads.dBias, ref.dBias) < 1e-5);
        assert.equal(cacheBytes(), 0);
      } finally {
        stopSecondCore();
      }
    });
  }
}
