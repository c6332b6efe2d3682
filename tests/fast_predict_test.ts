import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { FastPredictor } from "../src/model/fast/predict.ts";

await tf.setBackend("cpu");

/** Deterministic uniform values in [-1, 1) (mulberry32). */
function randoms(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

const STEPS = 11, FEATURES = 6;

function init(seed: number): Record<string, ReturnType<typeof tf.initializers.glorotUniform>> {
  return {
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    recurrentInitializer: tf.initializers.orthogonal({ seed: seed + 1, gain: 1 }),
    biasInitializer: tf.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: seed + 2 }),
  };
}

const HEAD = (): tf.layers.Layer[] => [
  tf.layers.dense({ units: 5, activation: "relu", ...init(20) }),
  tf.layers.dense({ units: 1, activation: "sigmoid", ...init(30) }),
];
const inputShape = [STEPS, FEATURES];

const MODELS: Record<string, () => tf.layers.Layer[]> = {
  lstm: () => [
    tf.layers.lstm({ units: 9, returnSequences: true, inputShape, ...init(1) }),
    tf.layers.dropout({ rate: 0.2 }),
    tf.layers.lstm({ units: 7, ...init(4) }),
    tf.layers.dropout({ rate: 0.2 }),
    ...HEAD(),
  ],
  gru: () => [
    tf.layers.gru({ units: 9, returnSequences: true, inputShape, ...init(1) }),
    tf.layers.gru({ units: 7, recurrentActivation: "sigmoid", ...init(4) }),
    ...HEAD(),
  ],
  deep: () => [
    tf.layers.lstm({ units: 12, returnSequences: true, inputShape, ...init(1) }),
    tf.layers.lstm({ units: 6, returnSequences: true, ...init(4) }),
    tf.layers.lstm({ units: 3, recurrentActivation: "sigmoid", ...init(7) }),
    ...HEAD(),
  ],
  bidirectional: () => [
    tf.layers.bidirectional({
      layer: tf.layers.lstm({ units: 5, returnSequences: true, ...init(1) }) as unknown as tf.RNN,
      inputShape,
    }),
    tf.layers.dropout({ rate: 0.2 }),
    tf.layers.bidirectional({
      layer: tf.layers.lstm({ units: 4, ...init(4) }) as unknown as tf.RNN,
    }),
    ...HEAD(),
  ],
  "sequence output": () => [
    tf.layers.gru({ units: 4, returnSequences: true, inputShape, ...init(1) }),
    tf.layers.dense({ units: 2, activation: "tanh", ...init(9) }),
  ],
};

for (const [name, layers] of Object.entries(MODELS)) {
  for (const batch of [1, 3]) {
    Deno.test(`${name}: FastPredictor matches stock predict to 1e-5 at batch ${batch}`, () => {
      const model = tf.sequential({ layers: layers() });
      const predictor = FastPredictor.fromModel(model);
      const x = randoms(batch * STEPS * FEATURES, 7 + batch);
      const ref = (model.predict(tf.tensor(x, [batch, STEPS, FEATURES])) as tf.Tensor).dataSync();
      const out = predictor.predict(x, batch);
      assert.equal(out.length, ref.length);
      let err = 0;
      for (let i = 0; i < out.length; i++) err = Math.max(err, Math.abs(out[i] - ref[i]));
      assert.ok(err < 1e-5, `max abs error ${err}`);
      // A second call reuses the scratch memory and must give the same numbers.
      assert.deepEqual(predictor.predict(x, batch), out);
    });
  }
}

Deno.test("FastPredictor rejects an input of the wrong size", () => {
  const predictor = FastPredictor.fromModel(tf.sequential({ layers: MODELS.gru() }));
  assert.throws(
    () => predictor.predict(new Float32Array(5)),
    /Expected 1 x 11 x 6 = 66 input values/,
  );
});

Deno.test("FastPredictor rejects layers it does not implement", () => {
  const model = tf.sequential({
    layers: [tf.layers.simpleRNN({ units: 2, inputShape }), tf.layers.dense({ units: 1 })],
  });
  assert.throws(() => FastPredictor.fromModel(model), /found SimpleRNN/);
});

Deno.test("FastPredictor keeps its scratch memory across batches of one size and not others", () => {
  const model = tf.sequential({ layers: MODELS.deep() });
  const predictor = FastPredictor.fromModel(model);
  const inputs = [1, 3, 1, 12, 1].map((b, i) => ({ b, x: randoms(b * STEPS * FEATURES, 40 + i) }));
  const fresh = inputs.map(({ b, x }) => FastPredictor.fromModel(model).predict(x, b));
  // The same predictor, called with changing batches, twice over: the same bits each time.
  for (let round = 0; round < 2; round++) {
    inputs.forEach(({ b, x }, i) => assert.deepEqual(predictor.predict(x, b), fresh[i]));
  }
});
