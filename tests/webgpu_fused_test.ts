/**
 * The fused WebGPU LSTM/GRU (`src/model/fast/webgpu.ts`, `--kernel fast --backend webgpu`)
 * against the WASM kernels: the same weights and inputs give the same outputs and gradients
 * within 1e-4. Runs on whatever adapter `navigator.gpu` offers (Mesa's software llvmpipe on the
 * project's machines); skipped without one.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../src/model/backend.ts";
import { gruBackward, gruForward, lstmBackward, lstmForward } from "../src/model/fast/mod.ts";
import { fastRnn } from "../src/model/fast/layers.ts";

const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
const hasAdapter = gpu !== undefined && (await gpu.requestAdapter()) !== null;

/** Deterministic uniform values in [-scale, scale) (mulberry32). */
function randoms(n: number, seed: number, scale = 0.5): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) - 0.5) * 2 * scale;
  }
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const CASES = [
  { cell: "lstm", batch: 3, steps: 7, inputDim: 5, units: 6, seq: true, act: "hardSigmoid" },
  { cell: "lstm", batch: 4, steps: 9, inputDim: 3, units: 70, seq: false, act: "sigmoid" },
  { cell: "gru", batch: 3, steps: 7, inputDim: 5, units: 6, seq: false, act: "hardSigmoid" },
  { cell: "gru", batch: 2, steps: 6, inputDim: 4, units: 70, seq: true, act: "sigmoid" },
] as const;

for (const c of CASES) {
  const name = `${c.cell} b${c.batch} t${c.steps} i${c.inputDim} u${c.units} seq=${c.seq} ${c.act}`;
  Deno.test({
    name: `webgpu fused ${name}: outputs and gradients match the WASM kernels within 1e-4`,
    ignore: !hasAdapter,
    async fn() {
      const g = c.cell === "lstm" ? 4 : 3;
      const { batch, steps, inputDim, units } = c;
      const w = {
        kernel: randoms(inputDim * g * units, 1),
        recurrentKernel: randoms(units * g * units, 2, 0.3),
        bias: randoms(g * units, 3),
      };
      const x = randoms(batch * steps * inputDim, 4, 1);
      const dy = randoms(batch * units * (c.seq ? steps : 1), 5, 1);
      const options = {
        batch,
        steps,
        inputDim,
        units,
        returnSequences: c.seq,
        recurrentActivation: c.act,
      };
      const ref = (c.cell === "lstm" ? lstmForward : gruForward)(w, x, options);
      const refGrads = (c.cell === "lstm" ? lstmBackward : gruBackward)(ref.cache!, dy);

      await selectBackend("webgpu");
      const tx = tf.tensor3d(x, [batch, steps, inputDim]);
      const tk = tf.tensor2d(w.kernel, [inputDim, g * units]);
      const tr = tf.tensor2d(w.recurrentKernel, [units, g * units]);
      const tb = tf.tensor1d(w.bias);
      const tdy = tf.tensor(dy, c.seq ? [batch, steps, units] : [batch, units]);
      const rnn = (a: tf.Tensor, k: tf.Tensor, r: tf.Tensor, b: tf.Tensor): tf.Tensor =>
        fastRnn(a, k, r, b, {
          cell: c.cell,
          returnSequences: c.seq,
          recurrentActivation: c.act,
        });
      const y = rnn(tx, tk, tr, tb);
      const grads = tf.grads((a, k, r, b) => tf.sum(tf.mul(rnn(a, k, r, b), tdy)))([
        tx,
        tk,
        tr,
        tb,
      ]);
      const [yv, dx, dk, dr, db] = await Promise.all(
        [y, ...grads].map(async (t) => (await t.data()) as Float32Array),
      );
      tf.dispose([tx, tk, tr, tb, tdy, y, ...grads]);
      const errors = {
        output: maxAbsDiff(yv, ref.output),
        dx: maxAbsDiff(dx, refGrads.dx),
        dKernel: maxAbsDiff(dk, refGrads.dKernel),
        dRecurrent: maxAbsDiff(dr, refGrads.dRecurrent),
        dBias: maxAbsDiff(db, refGrads.dBias),
      };
      for (const [what, error] of Object.entries(errors)) {
        assert.ok(error < 1e-4, `${what}: max |webgpu - wasm| = ${error}`);
      }
      // The comparison is not vacuous: the gradients are far from zero.
      assert.ok(Math.max(...refGrads.dRecurrent.map(Math.abs)) > 1e-2);
    },
  });
}
