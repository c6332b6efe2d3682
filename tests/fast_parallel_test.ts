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

for (const cell of ["lstm", "gru"] as const) {
  Deno.test(`${cell}: a batch computes to the same bits with or without the worker`, async () => {
    const g = cell === "lstm" ? 4 : 3;
    const o = { batch: 13, steps: 6, inputDim: 4, units: 5, returnSequences: true };
    const w = {
      kernel: randoms(o.inputDim * g * o.units, 11),
      recurrentKernel: randoms(o.units * g * o.units, 12),
      bias: randoms(g * o.units, 13),
    };
    const x = randoms(o.batch * o.steps * o.inputDim, 14);
    const dy = randoms(o.batch * o.steps * o.units, 15);
    const alone = splitForward(cell, w, x, o);
    const aloneGrads = splitBackward(alone.cache!, dy);
    await startSecondCore();
    try {
      const split = splitForward(cell, w, x, o);
      assert.ok(split.cache !== null && "local" in split.cache && split.cache.second === null);
      const grads = splitBackward(split.cache!, dy);
      assert.deepEqual(split.output, alone.output);
      for (const key of ["dx", "dKernel", "dRecurrent", "dBias"] as const) {
        assert.deepEqual(grads[key], aloneGrads[key], key);
      }
      assert.equal(cacheBytes(), 0);
    } finally {
      stopSecondCore();
    }
  });
}

for (const arch of ["lstm", "gru"] as const) {
  Deno.test(`${arch}: training with the second core gives the same weights as without it`, async () => {
    const { buildModel, selectBackend, trainModel } = await import("../src/model/mod.ts");
    const { randomWindows } = await import("./model_fixtures.ts");
    const { fusedStepReason } = await import("../src/model/fast/layers.ts");
    const { profileSnapshot, setProfiling } = await import("../src/model/fast/profile.ts");
    await selectBackend("cpu");
    const data = {
      train: randomWindows(40, { seed: 2 }),
      validation: randomWindows(16, { seed: 3 }),
    };
    const weights: Float32Array[][] = [];
    for (const secondCore of [false, true]) {
      const model = buildModel(arch, { inputShape: [8, 3], lstmUnits: 6, seed: 5, kernel: "fast" });
      assert.equal(fusedStepReason(model), null, "expected the fused training step");
      setProfiling(true);
      try {
        await trainModel(model, data, { epochs: 2, batchSize: 16, seed: 9, secondCore });
      } finally {
        setProfiling(false);
      }
      // The worker computed half of each batch when it ran, and none when it did not.
      const waited = profileSnapshot()["step.wait"]?.calls ?? 0;
      if (secondCore) assert.ok(waited > 0, "expected the worker to take half the batches");
      else assert.equal(waited, 0);
      weights.push(model.getWeights().map((t) => t.dataSync() as Float32Array));
      model.dispose();
    }
    assert.deepEqual(weights[1], weights[0]);
  });
}

Deno.test("a long-lived worker trains many models, re-sent a plan it dropped", async () => {
  const { buildModel, selectBackend, trainModel } = await import("../src/model/mod.ts");
  const { randomWindows } = await import("./model_fixtures.ts");
  const { setSplitPolicy } = await import("../src/model/fast/parallel.ts");
  await selectBackend("cpu");
  const data = { train: randomWindows(16, { seed: 2 }), validation: randomWindows(8, { seed: 3 }) };
  await startSecondCore();
  setSplitPolicy("always");
  try {
    const models = Array.from(
      { length: 6 },
      (_, i) => buildModel("lstm", { inputShape: [8, 3], lstmUnits: 3 + i, seed: i }),
    );
    for (const model of [...models, models[0]]) {
      const result = await trainModel(model, data, { epochs: 1, batchSize: 16, secondCore: true });
      assert.ok(Number.isFinite(result.history[0].loss));
    }
    models.forEach((m) => m.dispose());
  } finally {
    setSplitPolicy("auto");
    stopSecondCore();
  }
});

for (const cell of ["lstm", "gru"] as const) {
  Deno.test(`${cell}: a prediction spreads over every worker, to the same bits as on one thread`, async () => {
    const { profileSnapshot, setProfiling } = await import("../src/model/fast/profile.ts");
    const { setSplitPolicy, setThreadLimit, stopWorkers, startWorkers } = await import(
      "../src/model/fast/parallel.ts"
    );
    const g = cell === "lstm" ? 4 : 3;
    // 101 sequences: parts of 34, 34 and 33, one per thread on 3 threads, two on the first of 2.
    const o = { batch: 101, steps: 6, inputDim: 4, units: 5, returnSequences: false };
    const w = {
      kernel: randoms(o.inputDim * g * o.units, 21),
      recurrentKernel: randoms(o.units * g * o.units, 22),
      bias: randoms(g * o.units, 23),
    };
    const x = randoms(o.batch * o.steps * o.inputDim, 24);
    const options = { ...o, keepCache: false };
    const alone = splitForward(cell, w, x, options);
    assert.equal(alone.cache, null);
    await startWorkers(3);
    // Oversubscribed, the workers may be judged slower and paused: split every call regardless.
    setSplitPolicy("always");
    try {
      for (const threads of [2, 3, 4]) {
        const previous = setThreadLimit(threads);
        setProfiling(true);
        let spread;
        try {
          spread = splitForward(cell, w, x, options);
        } finally {
          setProfiling(false);
          setThreadLimit(previous);
        }
        assert.equal(spread.cache, null);
        assert.deepEqual(spread.output, alone.output, `${threads} threads`);
        // Three parts: one worker's share on 2 threads, two workers' on 3 and on 4.
        const shares = Math.min(threads, 3) - 1;
        assert.equal(profileSnapshot()["worker.compute"]?.calls, shares, `${threads} threads`);
      }
      assert.equal(cacheBytes(), 0);
    } finally {
      setSplitPolicy("auto");
      stopWorkers();
    }
  });
}

// Batches of 128 (4 parts of 32) and a last one of 44 (2 of 22); batches of 101 (parts of 34, 34
// and 33: a worker's share holds parts of two sizes) and a last one of 98 (33, 33, 32).
const THREAD_CASES = [
  { arch: "lstm", batchSize: 128, parts: [[32, 32, 32, 32], [32, 32, 32, 32], [22, 22]] },
  { arch: "paper", batchSize: 128, parts: [[32, 32, 32, 32], [32, 32, 32, 32], [22, 22]] },
  { arch: "lstm", batchSize: 101, parts: [[34, 34, 33], [34, 34, 33], [33, 33, 32]] },
] as const;

for (const { arch, batchSize, parts } of THREAD_CASES) {
  Deno.test(`${arch}, batch ${batchSize}: training on 1, 2, 3 and 4 threads gives the same weights, bit for bit`, async () => {
    const { buildModel, selectBackend, trainModel } = await import("../src/model/mod.ts");
    const { randomWindows } = await import("./model_fixtures.ts");
    const { fusedStepReason } = await import("../src/model/fast/layers.ts");
    const { setSplitPolicy, workerCount } = await import("../src/model/fast/parallel.ts");
    const { partRows } = await import("../src/model/fast/part.ts");
    const { profileSnapshot, setProfiling } = await import("../src/model/fast/profile.ts");
    await selectBackend("cpu");
    // 300 windows, with dropout: every thread count cuts each batch into the same parts; 3 and 4
    // threads oversubscribe a 2-core machine.
    const sizes = [batchSize, batchSize, 300 - 2 * batchSize];
    assert.deepEqual(sizes.map(partRows), parts);
    const data = {
      train: randomWindows(300, { seed: 2 }),
      validation: randomWindows(16, { seed: 3 }),
    };
    const weights: Uint32Array[][] = [];
    const losses: number[][] = [];
    setSplitPolicy("always");
    try {
      for (const threads of [1, 2, 3, 4]) {
        const model = buildModel(arch, {
          inputShape: [8, 3],
          lstmUnits: 6,
          dropout: 0.3,
          seed: 5,
          kernel: "fast",
        });
        assert.equal(fusedStepReason(model), null, "expected the fused training step");
        setProfiling(true);
        let result;
        try {
          result = await trainModel(model, data, { epochs: 2, batchSize, seed: 9, threads });
        } finally {
          setProfiling(false);
        }
        // Each step posts one share to each worker it uses: min(threads, parts) - 1 of them.
        const shares = 2 * parts.reduce((a, p) => a + Math.min(threads, p.length) - 1, 0);
        assert.equal(profileSnapshot()["step.worker"]?.calls ?? 0, shares, `${threads} threads`);
        assert.equal(workerCount(), 0, "expected trainModel to stop the workers it started");
        losses.push(result.history.map((h) => h.loss));
        weights.push(
          model.getWeights().map((t) =>
            new Uint32Array((t.dataSync() as Float32Array).slice().buffer)
          ),
        );
        model.dispose();
      }
    } finally {
      setSplitPolicy("auto");
    }
    for (const t of [1, 2, 3]) {
      assert.deepEqual(losses[t], losses[0], `losses on ${t + 1} threads`);
      assert.deepEqual(weights[t], weights[0], `weights on ${t + 1} threads`);
    }
  });
}

Deno.test("withTrainingThreads starts the workers once for every model trained inside", async () => {
  const { buildModel, selectBackend, trainModel } = await import("../src/model/mod.ts");
  const { withTrainingThreads } = await import("../src/model/train.ts");
  const { randomWindows } = await import("./model_fixtures.ts");
  const { threadLimit, workerCount } = await import("../src/model/fast/parallel.ts");
  const { profileSnapshot, setProfiling } = await import("../src/model/fast/profile.ts");
  await selectBackend("cpu");
  const data = { train: randomWindows(64, { seed: 2 }), validation: randomWindows(8, { seed: 3 }) };
  const seen: number[] = [];
  setProfiling(true);
  try {
    await withTrainingThreads(3, async () => {
      for (const seed of [1, 2]) {
        const model = buildModel("lstm", { inputShape: [8, 3], lstmUnits: 4, seed });
        await trainModel(model, data, { epochs: 1, batchSize: 64 });
        seen.push(workerCount(), threadLimit());
        model.dispose();
      }
    });
  } finally {
    setProfiling(false);
  }
  // Two workers, kept between the models; the models trained on 3 threads by default (but a
  // batch of 64 is 2 parts: one worker's share per step, unless a step ran here alone).
  assert.deepEqual(seen, [2, 3, 2, 3]);
  assert.ok((profileSnapshot()["step.worker"]?.calls ?? 0) >= 1);
  assert.equal(workerCount(), 0);
  assert.equal(threadLimit(), Infinity);
});
