import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  fastBidirectional,
  FastGRU,
  FastLSTM,
  toFastLayer,
  toFastModel,
} from "../src/model/fast/layers.ts";
import { cacheBytes } from "../src/model/fast/mod.ts";

await tf.setBackend("cpu");

/** Deterministic uniform values in [-scale, scale) (mulberry32). */
function randoms(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  return maxAbsDiff(a, b) / Math.max(scale, 1e-12);
}

type Recurrent = "lstm" | "gru" | "bidirectional";

/** The seed's shape of model (recurrent → dropout → recurrent → dropout → dense head). */
function seedModel(kind: Recurrent, fast: boolean, steps: number, features: number): tf.Sequential {
  const units = 12;
  const rnn = (returnSequences: boolean, inputShape?: number[]): tf.layers.Layer => {
    const args = {
      units,
      returnSequences,
      ...(inputShape ? { inputShape } : {}),
      kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      recurrentInitializer: tf.initializers.orthogonal({ seed: 2, gain: 1 }),
    };
    if (kind === "gru") return fast ? new FastGRU(args) : tf.layers.gru(args);
    if (kind === "lstm") return fast ? new FastLSTM(args) : tf.layers.lstm(args);
    const inner = tf.layers.lstm({ ...args, inputShape: undefined });
    const biArgs = { layer: inner as unknown as tf.RNN, ...(inputShape ? { inputShape } : {}) };
    return fast ? fastBidirectional(biArgs) : tf.layers.bidirectional(biArgs);
  };
  return tf.sequential({
    layers: [
      rnn(true, [steps, features]),
      tf.layers.dropout({ rate: 0.2, seed: 3 }),
      rnn(false),
      tf.layers.dropout({ rate: 0.2, seed: 4 }),
      tf.layers.dense({ units: 6, activation: "relu" }),
      tf.layers.dense({ units: 1, activation: "sigmoid" }),
    ],
  });
}

function data(n: number, steps: number, features: number): { x: tf.Tensor; y: tf.Tensor } {
  const x = tf.tensor(randoms(n * steps * features, 11), [n, steps, features]);
  const labels = randoms(n, 12).map((v) => (v > 0 ? 1 : 0));
  return { x, y: tf.tensor(labels, [n, 1]) };
}

for (const kind of ["lstm", "gru", "bidirectional"] as const) {
  Deno.test(`${kind}: fast model has the stock model's config and weight names`, () => {
    const stock = seedModel(kind, false, 7, 4);
    const fast = seedModel(kind, true, 7, 4);
    const strip = (m: tf.Sequential): string =>
      JSON.stringify(m.getConfig()).replace(/"name":"[^"]*"/g, "");
    assert.equal(strip(fast), strip(stock));
    const names = (m: tf.Sequential): string[] =>
      m.weights.map((w) => w.name.replace(/^[a-z_]*?_?\d+\//, "").replace(/\d+/g, ""));
    assert.deepEqual(names(fast), names(stock));
  });

  Deno.test(`${kind}: fast model predictions and gradients match stock on the same weights`, () => {
    const stock = seedModel(kind, false, 9, 5);
    const fast = seedModel(kind, true, 9, 5);
    fast.setWeights(stock.getWeights());
    const { x, y } = data(3, 9, 5);
    const pStock = (stock.predict(x) as tf.Tensor).dataSync();
    const pFast = (fast.predict(x) as tf.Tensor).dataSync();
    const err = maxAbsDiff(pFast, pStock);
    console.log(`${kind} predict max abs ${err.toExponential(2)}`);
    assert.ok(err < 1e-5, `prediction error ${err}`);
    const grads = (m: tf.Sequential): tf.Tensor[] => {
      const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
      const { grads } = tf.variableGrads(
        () => tf.losses.logLoss(y, m.apply(x, { training: false }) as tf.Tensor) as tf.Scalar,
        vars,
      );
      return vars.map((v) => grads[v.name]);
    };
    const gs = grads(stock), gf = grads(fast);
    let worst = 0;
    gs.forEach((g, i) => (worst = Math.max(worst, relDiff(gf[i].dataSync(), g.dataSync()))));
    console.log(`${kind} gradient max rel ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-4, `gradient relative error ${worst}`);
  });
}

for (const kind of ["lstm", "gru"] as const) {
  Deno.test(`${kind}: a short training run gives the stock loss curve within 1e-4`, async () => {
    const stock = seedModel(kind, false, 10, 4);
    const fast = seedModel(kind, true, 10, 4);
    fast.setWeights(stock.getWeights());
    const { x, y } = data(48, 10, 4);
    const curve = async (m: tf.Sequential): Promise<number[]> => {
      m.compile({ optimizer: tf.train.adam(0.01), loss: "binaryCrossentropy" });
      const h = await m.fit(x, y, { epochs: 4, batchSize: 16, shuffle: false, verbose: 0 });
      return h.history.loss as number[];
    };
    const ls = await curve(stock), lf = await curve(fast);
    const err = maxAbsDiff(lf, ls);
    console.log(`${kind} loss curves stock ${ls.map((v) => v.toFixed(5))} max abs diff ${err}`);
    assert.ok(ls[3] < ls[0], "expected the loss to fall");
    assert.ok(err < 1e-4, `loss curves differ by ${err}`);
    assert.equal(cacheBytes(), 0, "every forward cache was consumed by its backward pass");
  });
}

Deno.test("a model trained with fast layers loads in stock tfjs and predicts the same", async () => {
  const fast = seedModel("lstm", true, 8, 3);
  const { x, y } = data(32, 8, 3);
  fast.compile({ optimizer: tf.train.adam(0.01), loss: "binaryCrossentropy" });
  await fast.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
  let saved: tf.io.ModelArtifacts | null = null;
  await fast.save(tf.io.withSaveHandler((a) => {
    saved = a;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  const text = JSON.stringify(saved!.modelTopology);
  assert.ok(text.includes('"class_name":"LSTM"'));
  const stock = await tf.loadLayersModel(tf.io.fromMemory(saved!));
  assert.ok(!stock.layers.some((l) => l instanceof FastLSTM));
  const err = maxAbsDiff(
    (stock.predict(x) as tf.Tensor).dataSync(),
    (fast.predict(x) as tf.Tensor).dataSync(),
  );
  assert.ok(err < 1e-5, `prediction error ${err}`);
});

Deno.test("toFastLayer turns stock recurrent layers into fast twins with the same config", () => {
  const stock = tf.layers.gru({ units: 4, returnSequences: true, recurrentActivation: "sigmoid" });
  const fast = toFastLayer(stock);
  assert.ok(fast instanceof FastGRU);
  assert.deepEqual(fast.getConfig(), stock.getConfig());
});

for (const kind of ["lstm", "gru"] as const) {
  Deno.test(`${kind}: the fast layer runs one fused kernel, not the stock per-step loop`, async () => {
    const args = { units: 6, returnSequences: true };
    const layers = {
      fast: kind === "lstm" ? new FastLSTM(args) : new FastGRU(args),
      stock: kind === "lstm" ? tf.layers.lstm(args) : tf.layers.gru(args),
    };
    const x = tf.ones([2, 9, 3]);
    const kernels = async (layer: tf.layers.Layer): Promise<number> => {
      layer.apply(x); // builds the weights (the orthogonal initializer runs tfjs ops itself)
      return (await tf.profile(() => layer.apply(x) as tf.Tensor)).kernels.length;
    };
    const fast = await kernels(layers.fast), stock = await kernels(layers.stock);
    assert.ok(stock > 9 * 5, `expected the stock layer to run ops per step, found ${stock} ops`);
    assert.ok(fast <= 2, `expected at most 2 tfjs ops around the fused kernel, found ${fast}`);
  });
}

Deno.test("a saved stock model loads into the fast path and predicts and trains like stock", async () => {
  const stock = seedModel("bidirectional", false, 8, 3);
  let saved: tf.io.ModelArtifacts | null = null;
  await stock.save(tf.io.withSaveHandler((a) => {
    saved = a;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!)) as tf.Sequential;
  const fast = toFastModel(loaded);
  const { x, y } = data(16, 8, 3);
  const err = maxAbsDiff(
    (fast.predict(x) as tf.Tensor).dataSync(),
    (stock.predict(x) as tf.Tensor).dataSync(),
  );
  assert.ok(err < 1e-5, `prediction error ${err}`);
  const curve = async (m: tf.Sequential): Promise<number[]> => {
    m.compile({ optimizer: tf.train.sgd(0.1), loss: "binaryCrossentropy" });
    const h = await m.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    return h.history.loss as number[];
  };
  const lf = await curve(fast), ls = await curve(loaded);
  assert.ok(maxAbsDiff(lf, ls) < 1e-4, `loss curves ${lf} vs ${ls}`);
  const profile = await tf.profile(() => fast.predict(x) as tf.Tensor);
  assert.ok(!profile.kernelNames.includes("Unpack"), "expected no per-step unstacking");
});
