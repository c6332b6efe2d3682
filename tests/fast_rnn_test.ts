import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  disposeCache,
  gruBackward,
  gruForward,
  lstmBackward,
  lstmForward,
  type RecurrentActivation,
  type RnnWeights,
} from "../src/model/fast/mod.ts";

await tf.setBackend("cpu");

/** Deterministic uniform values in [-scale, scale) (mulberry32). */
function randoms(n: number, seed: number, scale = 0.5): Float32Array {
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

interface Case {
  batch: number;
  steps: number;
  inputDim: number;
  units: number;
  returnSequences: boolean;
  recurrentActivation: RecurrentActivation;
}

const CASES: Case[] = [
  // A batch of 19 spans three of the kernels' blocks of 8 sequences.
  {
    batch: 19,
    steps: 7,
    inputDim: 3,
    units: 5,
    returnSequences: true,
    recurrentActivation: "sigmoid",
  },
  {
    batch: 1,
    steps: 6,
    inputDim: 4,
    units: 8,
    returnSequences: false,
    recurrentActivation: "hardSigmoid",
  },
  {
    batch: 3,
    steps: 5,
    inputDim: 7,
    units: 5,
    returnSequences: true,
    recurrentActivation: "hardSigmoid",
  },
  {
    batch: 3,
    steps: 5,
    inputDim: 7,
    units: 5,
    returnSequences: false,
    recurrentActivation: "sigmoid",
  },
  {
    batch: 2,
    steps: 1,
    inputDim: 3,
    units: 4,
    returnSequences: true,
    recurrentActivation: "sigmoid",
  },
  {
    batch: 5,
    steps: 1,
    inputDim: 2,
    units: 9,
    returnSequences: false,
    recurrentActivation: "hardSigmoid",
  },
  {
    batch: 6,
    steps: 12,
    inputDim: 10,
    units: 16,
    returnSequences: true,
    recurrentActivation: "sigmoid",
  },
];

function weightsFor(cell: "lstm" | "gru", c: Case, seed: number): RnnWeights {
  const g = cell === "lstm" ? 4 : 3;
  return {
    kernel: randoms(c.inputDim * g * c.units, seed + 1),
    recurrentKernel: randoms(c.units * g * c.units, seed + 2),
    bias: randoms(g * c.units, seed + 3, 0.3),
  };
}

function stockLayer(cell: "lstm" | "gru", c: Case, w: RnnWeights): tf.layers.Layer {
  const args = {
    units: c.units,
    returnSequences: c.returnSequences,
    recurrentActivation: c.recurrentActivation,
  };
  const layer = cell === "lstm" ? tf.layers.lstm(args) : tf.layers.gru(args);
  tf.tidy(() => {
    layer.apply(tf.zeros([c.batch, c.steps, c.inputDim]));
  });
  const g = cell === "lstm" ? 4 : 3;
  layer.setWeights([
    tf.tensor(w.kernel, [c.inputDim, g * c.units]),
    tf.tensor(w.recurrentKernel, [c.units, g * c.units]),
    tf.tensor(w.bias!, [g * c.units]),
  ]);
  return layer;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** max |a - b| / max |b|: error relative to the gradient's scale. */
function relDiff(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  return maxAbsDiff(a, b) / Math.max(scale, 1e-12);
}

const worst: Record<string, number> = {};
function record(key: string, v: number): void {
  worst[key] = Math.max(worst[key] ?? 0, v);
}

for (const cell of ["lstm", "gru"] as const) {
  for (const [n, c] of CASES.entries()) {
    const label = `${cell} b${c.batch} t${c.steps} i${c.inputDim} u${c.units} ` +
      `seq=${c.returnSequences} ${c.recurrentActivation}`;
    const seed = 100 * n + (cell === "lstm" ? 0 : 50);
    const w = weightsFor(cell, c, seed);
    const x = randoms(c.batch * c.steps * c.inputDim, seed + 7, 1);
    const outLen = c.batch * c.units * (c.returnSequences ? c.steps : 1);
    const dy = randoms(outLen, seed + 9, 1);
    const fwd = cell === "lstm" ? lstmForward : gruForward;

    Deno.test(`${label}: forward matches the stock layer to 1e-5`, () => {
      const { output } = fwd(w, x, { ...c, keepCache: false });
      const layer = stockLayer(cell, c, w);
      const ref = tf.tidy(() =>
        (layer.apply(tf.tensor(x, [c.batch, c.steps, c.inputDim])) as tf.Tensor).dataSync()
      ) as Float32Array;
      const err = maxAbsDiff(output, ref);
      record(`${cell} forward abs`, err);
      assert.ok(err < 1e-5, `max abs error ${err}`);
    });

    Deno.test(`${label}: gradients match the stock layer to relative 1e-4`, () => {
      const { cache } = fwd(w, x, c);
      const grads = (cell === "lstm" ? lstmBackward : gruBackward)(cache!, dy);
      const layer = stockLayer(cell, c, w);
      const xt = tf.tensor(x, [c.batch, c.steps, c.inputDim]);
      const dyt = tf.tensor(
        dy,
        c.returnSequences ? [c.batch, c.steps, c.units] : [c.batch, c.units],
      );
      // tfjs cannot differentiate its RNN loop for one step (tf.stack of a single tensor fails
      // in the gradient), so for steps = 1 the reference is one call of the stock cell on a zero
      // state, which is exactly what the RNN loop computes.
      const run = (input: tf.Tensor): tf.Tensor => {
        if (c.steps > 1) return layer.apply(input) as tf.Tensor;
        const zerosState = tf.zeros([c.batch, c.units]);
        const state = cell === "lstm" ? [zerosState, zerosState] : [zerosState];
        const cellLayer = (layer as unknown as { cell: tf.layers.Layer }).cell;
        const h = (cellLayer.call([tf.squeeze(input, [1]), ...state], {}) as tf.Tensor[])[0];
        return c.returnSequences ? tf.expandDims(h, 1) : h;
      };
      const loss = (input: tf.Tensor): tf.Scalar => tf.sum(tf.mul(run(input), dyt));
      const dxRef = tf.grad(loss)(xt).dataSync() as Float32Array;
      const vars = layer.trainableWeights.map((v) => v.read() as tf.Variable);
      const { grads: vg } = tf.variableGrads(() => loss(xt), vars);
      const [dk, dr, db] = vars.map((v) => vg[v.name].dataSync() as Float32Array);
      const errs = {
        dx: relDiff(grads.dx, dxRef),
        dKernel: relDiff(grads.dKernel, dk),
        dRecurrent: relDiff(grads.dRecurrent, dr),
        dBias: relDiff(grads.dBias, db),
      };
      for (const [k, v] of Object.entries(errs)) record(`${cell} ${k} rel`, v);
      for (const [k, v] of Object.entries(errs)) assert.ok(v < 1e-4, `${k} relative error ${v}`);
    });
  }
}

Deno.test("worst errors are reported", () => {
  console.log(JSON.stringify(worst));
  assert.ok(Object.keys(worst).length > 0);
});

Deno.test("an LSTM forward for inference (no cache) gives the training forward's bits", () => {
  for (const c of CASES) {
    for (const returnSequences of [true, false]) {
      const w = weightsFor("lstm", c, 7);
      const x = randoms(c.batch * c.steps * c.inputDim, 11, 1.5);
      const options = { ...c, returnSequences, recurrentActivation: "sigmoid" as const };
      const trained = lstmForward(w, x, { ...options, keepCache: true });
      const inferred = lstmForward(w, x, { ...options, keepCache: false });
      assert.equal(inferred.cache, null);
      assert.deepEqual(
        new Uint32Array(inferred.output.buffer.slice(0)),
        new Uint32Array(trained.output.buffer.slice(0)),
        `${c.batch}×${c.steps}×${c.inputDim}→${c.units}, sequences ${returnSequences}`,
      );
      disposeCache(trained.cache!);
    }
  }
});
