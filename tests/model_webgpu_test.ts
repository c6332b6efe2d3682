import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  buildModel,
  predictProbabilities,
  predictProbabilitiesAsync,
  selectBackend,
  trainModel,
} from "../src/model/mod.ts";
import { randomWindows } from "./model_fixtures.ts";

const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
const hasAdapter = gpu !== undefined && (await gpu.requestAdapter()) !== null;

Deno.test({
  name: "webgpu trains a step and predicts what cpu predicts with the same weights",
  ignore: !hasAdapter,
  async fn() {
    const windows = randomWindows(16, { seed: 4 });
    await selectBackend("webgpu");
    const model = buildModel("lstm", { inputShape: [8, 3], lstmUnits: 4, seed: 2 });
    const result = await trainModel(model, { train: windows, validation: windows }, {
      epochs: 1,
      batchSize: 16,
    });
    assert.ok(Number.isFinite(result.history[0].loss));
    const onGpu = await predictProbabilitiesAsync(model, windows);
    const weights = await Promise.all(
      model.getWeights().map(async (w) => ({ shape: w.shape, data: await w.data() })),
    );
    await selectBackend("cpu");
    const twin = buildModel("lstm", { inputShape: [8, 3], lstmUnits: 4, seed: 2 });
    twin.setWeights(weights.map((w) => tf.tensor(w.data, w.shape)));
    const onCpu = predictProbabilities(twin, windows);
    for (let i = 0; i < windows.n; i++) {
      assert.ok(Math.abs(onGpu[i] - onCpu[i]) < 1e-4, `window ${i}: ${onGpu[i]} vs ${onCpu[i]}`);
    }
  },
});

Deno.test({
  name: "webgpu: the fused WGSL layers (the default) and stock layers train to the same losses",
  ignore: !hasAdapter,
  async fn() {
    const { fastLayerCount } = await import("../src/model/fast/layers.ts");
    const train = randomWindows(24, { seed: 6 });
    const validation = randomWindows(8, { seed: 7 });
    await selectBackend("webgpu");
    const losses: number[][] = [];
    for (const kernel of ["fast", "stock"] as const) {
      const model = buildModel("gru", { inputShape: [8, 3], lstmUnits: 4, seed: 3, kernel });
      assert.equal(fastLayerCount(model), kernel === "fast" ? 2 : 0);
      const result = await trainModel(model, { train, validation }, {
        epochs: 2,
        batchSize: 12,
        seed: 4,
        secondCore: false,
      });
      losses.push(result.history.flatMap((h) => [h.loss, h.val_loss]));
      model.dispose();
    }
    const [fused, stock] = losses;
    fused.forEach((loss, i) => {
      assert.ok(Math.abs(loss - stock[i]) < 1e-4, `loss ${i}: ${loss} vs ${stock[i]}`);
    });
    await selectBackend("cpu");
  },
});
