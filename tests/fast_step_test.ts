/**
 * The fused training step (`src/model/fast/step.ts`): a whole `trainOnBatch` in the WASM kernels
 * (dropout masks, dense head, binary cross-entropy and Adam included) against tfjs's own step;
 * when it applies and when it falls back; its dropout masks against `tf.dropout`; and the lazy
 * write-back of the weights against `getWeights`/`setWeights`.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { buildModel, selectBackend, trainModel } from "../src/model/mod.ts";
import { fusedStepReason, setFusedTraining } from "../src/model/fast/layers.ts";
import { dropoutMask } from "../src/model/fast/step.ts";
import { randomWindows } from "./model_fixtures.ts";

await selectBackend("wasm");

const data = {
  train: randomWindows(48, { seed: 2, seqLen: 8, nFeatures: 3 }),
  validation: randomWindows(16, { seed: 3, seqLen: 8, nFeatures: 3 }),
};

async function trained(
  arch: "lstm" | "gru" | "deep" | "paper",
  kernel: "fast" | "stock",
  fused: boolean,
): Promise<{ weights: Float32Array[]; losses: number[]; reason: string | null }> {
  setFusedTraining(fused);
  try {
    const model = buildModel(arch, { inputShape: [8, 3], lstmUnits: 6, seed: 5, kernel });
    const reason = fusedStepReason(model);
    const result = await trainModel(model, data, {
      epochs: 3,
      batchSize: 16,
      seed: 9,
      patience: 5,
      secondCore: false,
    });
    const weights = model.getWeights().map((t) => t.dataSync() as Float32Array);
    model.dispose();
    return { weights, losses: result.history.flatMap((h) => [h.loss, h.val_loss]), reason };
  } finally {
    setFusedTraining(true);
  }
}

// `paper` is the papers' network: LSTM → Dropout → Dense(1), trained with RMSprop.
for (const arch of ["lstm", "gru", "deep", "paper"] as const) {
  Deno.test(`${arch}: the fused step trains to tfjs's weights and losses within float rounding`, async () => {
    const fused = await trained(arch, "fast", true);
    const stock = await trained(arch, "stock", false);
    assert.equal(fused.reason, null, "expected the fused step to run");
    assert.notEqual(stock.reason, null);
    assert.equal(fused.losses.length, stock.losses.length);
    fused.losses.forEach((loss, i) => {
      assert.ok(
        Math.abs(loss - stock.losses[i]) < 1e-5,
        `loss ${i}: ${loss} vs ${stock.losses[i]}`,
      );
    });
    let worst = 0, moved = 0;
    fused.weights.forEach((w, i) => {
      for (let j = 0; j < w.length; j++) {
        worst = Math.max(worst, Math.abs(w[j] - stock.weights[i][j]));
        moved = Math.max(moved, Math.abs(w[j]));
      }
    });
    assert.ok(worst < 1e-5, `max |fused - tfjs| weight = ${worst}`);
    assert.ok(moved > 0.01);
  });
}

Deno.test("the fused step says why a model falls back to tfjs's step", () => {
  const attention = buildModel("attention", { inputShape: [8, 3], lstmUnits: 4, kernel: "fast" });
  assert.match(fusedStepReason(attention) ?? "", /layer/);
  const l2 = buildModel("lstm", { inputShape: [8, 3], lstmUnits: 4, l2: 0.01, kernel: "fast" });
  assert.match(fusedStepReason(l2) ?? "", /regularizer/);
  const stock = buildModel("lstm", { inputShape: [8, 3], lstmUnits: 4, kernel: "stock" });
  assert.match(fusedStepReason(stock) ?? "", /stock/);
  const plain = buildModel("lstm", { inputShape: [8, 3], lstmUnits: 4, kernel: "fast" });
  assert.equal(fusedStepReason(plain), null);
  // tfjs's optimizers all answer instanceof AdamOptimizer: the class name decides.
  const sgd = buildModel("lstm", { inputShape: [8, 3], lstmUnits: 4, kernel: "fast" });
  sgd.compile({ optimizer: tf.train.sgd(0.01), loss: "binaryCrossentropy" });
  assert.match(fusedStepReason(sgd) ?? "", /optimizer/);
  const paper = buildModel("paper", { inputShape: [8, 3], lstmUnits: 4, kernel: "fast" });
  assert.equal(fusedStepReason(paper), null);
  for (const m of [attention, l2, stock, plain, sgd, paper]) m.dispose();
});

Deno.test("dropout masks are tf.dropout's bits", () => {
  for (const [rate, seed] of [[0.2, 12345], [0.5, 4_000_000_001], [0.35, 7]]) {
    const n = 5000;
    const ones = tf.ones([n]);
    const expected = tf.dropout(ones, rate, undefined, seed);
    assert.deepEqual(dropoutMask(rate, seed, n), expected.dataSync());
    tf.dispose([ones, expected]);
  }
});

Deno.test("weights set between fused steps are the ones the next step starts from", async () => {
  const batch = randomWindows(16, { seed: 11, seqLen: 8, nFeatures: 3 });
  const x = tf.tensor3d(batch.x, [16, 8, 3]);
  const y = tf.tensor2d(Float32Array.from(batch.y), [16, 1]);
  const run = async (fused: boolean): Promise<Float32Array[]> => {
    setFusedTraining(fused);
    try {
      const model = buildModel("lstm", { inputShape: [8, 3], lstmUnits: 5, seed: 1, dropout: 0 });
      const start = model.getWeights().map((t) => t.clone());
      await model.trainOnBatch(x, y);
      // Back to the start while the fused step's weights are not yet written back: the next step
      // must begin from these, not from the step's own.
      model.setWeights(start);
      await model.trainOnBatch(x, y);
      const out = model.getWeights().map((t) => t.dataSync() as Float32Array);
      tf.dispose(start);
      model.dispose();
      return out;
    } finally {
      setFusedTraining(true);
    }
  };
  const fused = await run(true);
  const reference = await run(false);
  const fresh = buildModel("lstm", { inputShape: [8, 3], lstmUnits: 5, seed: 1, dropout: 0 });
  const initial = fresh.getWeights().map((t) => t.dataSync() as Float32Array);
  fresh.dispose();
  assert.notDeepEqual(fused[1], initial[1], "expected two steps to move the weights");
  fused.forEach((w, i) => {
    for (let j = 0; j < w.length; j++) {
      assert.ok(Math.abs(w[j] - reference[i][j]) < 1e-6, `weight ${i}[${j}]`);
    }
  });
  tf.dispose([x, y]);
});
