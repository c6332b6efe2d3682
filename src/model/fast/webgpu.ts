/**
 * Fused LSTM/GRU layers on tfjs's WebGPU backend (`--kernel fast --backend webgpu`): the whole
 * recurrence, forward and backpropagation through time, runs in one WGSL dispatch each, with one
 * persistent workgroup per sequence looping over the time steps with workgroup barriers (stock
 * tfjs dispatches several small kernels per time step). The parts that are not recurrent are
 * large matrix products that tfjs's own WebGPU kernels do well: the input projection `x·K + b`
 * before the forward recurrence, and `dx`, `dK`, `dR`, `db` after the backward one. So a layer's
 * forward pass is 3 dispatches (matMul, add, recurrence) plus a slice, its backward pass about 8,
 * whatever the sequence length. Semantics are the WASM kernels' (kernels/rnn.c): tfjs-layers 4.22
 * LSTM (gates i, f, c, o) and GRU (`resetAfter: false`, gates z, r, h), zero initial state.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { WebGPUBackend, WebGPUProgram } from "@tensorflow/tfjs-backend-webgpu";
import type { RecurrentActivation } from "./mod.ts";

/** Options of `fastRnn` (in `layers.ts`) and of {@linkcode webgpuRnn}. */
export interface FastRnnOptions {
  /** Which cell. */
  cell: "lstm" | "gru";
  /** Return every step (`[batch, steps, units]`) or the last step (`[batch, units]`). */
  returnSequences: boolean;
  /** Gate activation (tfjs default `"hardSigmoid"`). */
  recurrentActivation?: RecurrentActivation;
}

/** Threads per workgroup: each loops over the gates (or units) it owns. */
const WORKGROUP = 64;

/** WGSL helpers shared by the programs: activations and their gradients, as rnn.c has them. */
function helpers(act: "sigmoid" | "hardSigmoid"): string {
  const rec = act === "hardSigmoid"
    ? "return clamp(0.2 * x + 0.5, 0.0, 1.0);"
    : "return 1.0 / (1.0 + exp(-x));";
  const recGrad = act === "hardSigmoid"
    ? "return select(0.0, 0.2, s > 0.0 && s < 1.0);"
    : "return s * (1.0 - s);";
  return `
    fn recAct(x : f32) -> f32 { ${rec} }
    fn recGrad(s : f32) -> f32 { ${recGrad} }
    // tanh from exp(-2|x|): no overflow for large |x| (WGSL's tanh may return NaN there).
    fn tanhSafe(x : f32) -> f32 {
      let e = exp(-2.0 * abs(x));
      let t = (1.0 - e) / (1.0 + e);
      return select(t, -t, x < 0.0);
    }
  `;
}

interface Shape {
  steps: number;
  units: number;
  act: "sigmoid" | "hardSigmoid";
}

/** The forward recurrence of an LSTM: packed [B, T, 6U] = h, c, i, f, g, o per step. */
function lstmForwardProgram(batch: number, s: Shape): WebGPUProgram {
  const { steps: T, units: U } = s;
  return {
    variableNames: ["gx", "R"],
    outputShape: [batch, T, 6 * U],
    shaderKey: `fusedLstmForward_${T}_${U}_${s.act}`,
    dispatchLayout: { x: [0, 1, 2] },
    dispatch: [batch, 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    getUserCode: () => `
      ${helpers(s.act)}
      var<workgroup> hPrev : array<f32, ${U}>;
      var<workgroup> cPrev : array<f32, ${U}>;
      var<workgroup> pre : array<f32, ${4 * U}>;
      fn main(index : i32) {
        let b = i32(workgroupId.x);
        let tid = i32(localId.x);
        // tfjs binds its uniforms; a pipeline's automatic layout keeps only used bindings.
        if (b >= uniforms.outShape.x) { return; }
        // Loop bounds from the uniforms, not constants: a compiler (llvmpipe's LLVM) would unroll
        // constant loops whole, which takes it tens of seconds at 4U = 280.
        let kT = uniforms.outShape.y;
        let kU = uniforms.rShape.x;
        let kG = uniforms.rShape.y;
        for (var j = tid; j < kU; j += ${WORKGROUP}) { hPrev[j] = 0.0; cPrev[j] = 0.0; }
        workgroupBarrier();
        for (var t = 0; t < kT; t++) {
          let row = b * kT + t;
          for (var g = tid; g < kG; g += ${WORKGROUP}) {
            var acc = gx[row * kG + g];
            for (var k = 0; k < kU; k++) { acc += hPrev[k] * R[k * kG + g]; }
            pre[g] = acc;
          }
          workgroupBarrier();
          for (var j = tid; j < kU; j += ${WORKGROUP}) {
            let i = recAct(pre[j]);
            let f = recAct(pre[kU + j]);
            let gg = tanhSafe(pre[2 * kU + j]);
            let o = recAct(pre[3 * kU + j]);
            let c = f * cPrev[j] + i * gg;
            let h = o * tanhSafe(c);
            let base = row * 6 * kU;
            result[base + j] = h;
            result[base + kU + j] = c;
            result[base + 2 * kU + j] = i;
            result[base + 3 * kU + j] = f;
            result[base + 4 * kU + j] = gg;
            result[base + 5 * kU + j] = o;
            hPrev[j] = h;
            cPrev[j] = c;
          }
          workgroupBarrier();
        }
      }
    `,
  };
}

/**
 * Backpropagation through time of an LSTM: dgates [B, T, 4U] (pre-activation gradients) from
 * the packed forward values and dy ([B, T, U] with `seq`, else [B, U] for the last step).
 */
function lstmBackwardProgram(batch: number, s: Shape, seq: boolean): WebGPUProgram {
  const { steps: T, units: U } = s;
  return {
    variableNames: ["P", "dy", "R"],
    outputShape: [batch, T, 4 * U],
    shaderKey: `fusedLstmBackward_${T}_${U}_${s.act}_${seq}`,
    dispatchLayout: { x: [0, 1, 2] },
    dispatch: [batch, 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    getUserCode: () => `
      ${helpers(s.act)}
      var<workgroup> dhNext : array<f32, ${U}>;
      var<workgroup> dcNext : array<f32, ${U}>;
      var<workgroup> ds : array<f32, ${4 * U}>;
      fn main(index : i32) {
        let b = i32(workgroupId.x);
        let tid = i32(localId.x);
        // tfjs binds its uniforms; a pipeline's automatic layout keeps only used bindings.
        if (b >= uniforms.outShape.x) { return; }
        // Loop bounds from the uniforms, not constants: a compiler (llvmpipe's LLVM) would unroll
        // constant loops whole, which takes it tens of seconds at 4U = 280.
        let kT = uniforms.outShape.y;
        let kU = uniforms.rShape.x;
        let kG = uniforms.rShape.y;
        for (var j = tid; j < kU; j += ${WORKGROUP}) { dhNext[j] = 0.0; dcNext[j] = 0.0; }
        workgroupBarrier();
        for (var t = kT - 1; t >= 0; t--) {
          let row = b * kT + t;
          for (var j = tid; j < kU; j += ${WORKGROUP}) {
            let base = row * 6 * kU;
            var dh = dhNext[j];
            ${seq ? "dh += dy[row * kU + j];" : "if (t == kT - 1) { dh += dy[b * kU + j]; }"}
            let c = P[base + kU + j];
            let i = P[base + 2 * kU + j];
            let f = P[base + 3 * kU + j];
            let gg = P[base + 4 * kU + j];
            let o = P[base + 5 * kU + j];
            let tc = tanhSafe(c);
            var cp = 0.0;
            if (t > 0) { cp = P[base - 6 * kU + kU + j]; }
            let dc = dcNext[j] + dh * o * (1.0 - tc * tc);
            let di = dc * gg * recGrad(i);
            let df = dc * cp * recGrad(f);
            let dg = dc * i * (1.0 - gg * gg);
            let dout = dh * tc * recGrad(o);
            let at = row * kG;
            result[at + j] = di;
            result[at + kU + j] = df;
            result[at + 2 * kU + j] = dg;
            result[at + 3 * kU + j] = dout;
            ds[j] = di;
            ds[kU + j] = df;
            ds[2 * kU + j] = dg;
            ds[3 * kU + j] = dout;
            dcNext[j] = dc * f;
          }
          workgroupBarrier();
          for (var k = tid; k < kU; k += ${WORKGROUP}) {
            var acc = 0.0;
            for (var g = 0; g < kG; g++) { acc += ds[g] * R[k * kG + g]; }
            dhNext[k] = acc;
          }
          workgroupBarrier();
        }
      }
    `,
  };
}

/** The forward recurrence of a GRU: packed [B, T, 5U] = h, z, r, hh, r·h_prev per step. */
function gruForwardProgram(batch: number, s: Shape): WebGPUProgram {
  const { steps: T, units: U } = s;
  return {
    variableNames: ["gx", "R"],
    outputShape: [batch, T, 5 * U],
    shaderKey: `fusedGruForward_${T}_${U}_${s.act}`,
    dispatchLayout: { x: [0, 1, 2] },
    dispatch: [batch, 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    getUserCode: () => `
      ${helpers(s.act)}
      var<workgroup> hPrev : array<f32, ${U}>;
      var<workgroup> rh : array<f32, ${U}>;
      var<workgroup> pre : array<f32, ${2 * U}>;
      fn main(index : i32) {
        let b = i32(workgroupId.x);
        let tid = i32(localId.x);
        // tfjs binds its uniforms; a pipeline's automatic layout keeps only used bindings.
        if (b >= uniforms.outShape.x) { return; }
        // Loop bounds from the uniforms, not constants: a compiler (llvmpipe's LLVM) would unroll
        // constant loops whole, which takes it tens of seconds at 4U = 280.
        let kT = uniforms.outShape.y;
        let kU = uniforms.rShape.x;
        let kG = uniforms.rShape.y;
        for (var j = tid; j < kU; j += ${WORKGROUP}) { hPrev[j] = 0.0; }
        workgroupBarrier();
        for (var t = 0; t < kT; t++) {
          let row = b * kT + t;
          let base = row * 5 * kU;
          for (var g = tid; g < 2 * kU; g += ${WORKGROUP}) {
            var acc = gx[row * kG + g];
            for (var k = 0; k < kU; k++) { acc += hPrev[k] * R[k * kG + g]; }
            pre[g] = acc;
          }
          workgroupBarrier();
          for (var j = tid; j < kU; j += ${WORKGROUP}) {
            let z = recAct(pre[j]);
            let r = recAct(pre[kU + j]);
            rh[j] = r * hPrev[j];
            result[base + kU + j] = z;
            result[base + 2 * kU + j] = r;
            result[base + 4 * kU + j] = rh[j];
          }
          workgroupBarrier();
          for (var j = tid; j < kU; j += ${WORKGROUP}) {
            var acc = gx[row * kG + 2 * kU + j];
            for (var k = 0; k < kU; k++) { acc += rh[k] * R[k * kG + 2 * kU + j]; }
            let hh = tanhSafe(acc);
            let z = recAct(pre[j]);
            let h = z * hPrev[j] + (1.0 - z) * hh;
            result[base + 3 * kU + j] = hh;
            result[base + j] = h;
            hPrev[j] = h;
          }
          workgroupBarrier();
        }
      }
    `,
  };
}

/** Backpropagation through time of a GRU: dgates [B, T, 3U] (dz, dr, dhh pre-activation). */
function gruBackwardProgram(batch: number, s: Shape, seq: boolean): WebGPUProgram {
  const { steps: T, units: U } = s;
  return {
    variableNames: ["P", "dy", "R"],
    outputShape: [batch, T, 3 * U],
    shaderKey: `fusedGruBackward_${T}_${U}_${s.act}_${seq}`,
    dispatchLayout: { x: [0, 1, 2] },
    dispatch: [batch, 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    getUserCode: () => `
      ${helpers(s.act)}
      var<workgroup> dhNext : array<f32, ${U}>;
      var<workgroup> carry : array<f32, ${U}>;
      var<workgroup> dzr : array<f32, ${2 * U}>;
      var<workgroup> dhh : array<f32, ${U}>;
      fn main(index : i32) {
        let b = i32(workgroupId.x);
        let tid = i32(localId.x);
        // tfjs binds its uniforms; a pipeline's automatic layout keeps only used bindings.
        if (b >= uniforms.outShape.x) { return; }
        // Loop bounds from the uniforms, not constants: a compiler (llvmpipe's LLVM) would unroll
        // constant loops whole, which takes it tens of seconds at 4U = 280.
        let kT = uniforms.outShape.y;
        let kU = uniforms.rShape.x;
        let kG = uniforms.rShape.y;
        for (var j = tid; j < kU; j += ${WORKGROUP}) { dhNext[j] = 0.0; }
        workgroupBarrier();
        for (var t = kT - 1; t >= 0; t--) {
          let row = b * kT + t;
          let base = row * 5 * kU;
          let at = row * kG;
          for (var j = tid; j < kU; j += ${WORKGROUP}) {
            var dh = dhNext[j];
            ${seq ? "dh += dy[row * kU + j];" : "if (t == kT - 1) { dh += dy[b * kU + j]; }"}
            let z = P[base + kU + j];
            let hh = P[base + 3 * kU + j];
            var hp = 0.0;
            if (t > 0) { hp = P[base - 5 * kU + j]; }
            let dz = dh * (hp - hh) * recGrad(z);
            let dh2 = dh * (1.0 - z) * (1.0 - hh * hh);
            result[at + j] = dz;
            result[at + 2 * kU + j] = dh2;
            dzr[j] = dz;
            dhh[j] = dh2;
            carry[j] = dh * z;
          }
          workgroupBarrier();
          for (var k = tid; k < kU; k += ${WORKGROUP}) {
            var drh = 0.0;
            for (var j = 0; j < kU; j++) { drh += dhh[j] * R[k * kG + 2 * kU + j]; }
            let r = P[base + 2 * kU + k];
            var hp = 0.0;
            if (t > 0) { hp = P[base - 5 * kU + k]; }
            let dr = drh * hp * recGrad(r);
            result[at + kU + k] = dr;
            dzr[kU + k] = dr;
            carry[k] = carry[k] + drh * r;
          }
          workgroupBarrier();
          for (var k = tid; k < kU; k += ${WORKGROUP}) {
            var acc = carry[k];
            for (var g = 0; g < 2 * kU; g++) { acc += dzr[g] * R[k * kG + g]; }
            dhNext[k] = acc;
          }
          workgroupBarrier();
        }
      }
    `,
  };
}

function run(program: WebGPUProgram, inputs: tf.Tensor[]): tf.Tensor {
  const backend = tf.backend() as unknown as WebGPUBackend;
  const info = backend.runWebGPUProgram(program, inputs, "float32");
  return tf.engine().makeTensorFromTensorInfo(info);
}

/** h of every step [B, T, U] from the packed forward values. */
function hidden(packed: tf.Tensor, units: number): tf.Tensor3D {
  const [b, t] = packed.shape;
  return tf.slice(packed, [0, 0, 0], [b, t, units]) as tf.Tensor3D;
}

/**
 * The fused layer on the WebGPU backend: same arguments and result as `fastRnn` in `layers.ts`
 * (which calls this when the active backend is `webgpu`), differentiable through `tf.customGrad`.
 *
 * @example
 * ```ts
 * await selectBackend("webgpu");
 * const y = webgpuRnn(tf.ones([2, 5, 3]), tf.ones([3, 16]), tf.zeros([4, 16]), tf.zeros([16]),
 *   { cell: "lstm", returnSequences: false });
 * console.log(y.shape); // [2, 4]
 * ```
 */
export function webgpuRnn(
  x: tf.Tensor,
  kernel: tf.Tensor,
  recurrentKernel: tf.Tensor,
  bias: tf.Tensor | null,
  options: FastRnnOptions,
): tf.Tensor {
  const [batch, steps, inputDim] = x.shape;
  const units = recurrentKernel.shape[0];
  const { cell, returnSequences } = options;
  const g = cell === "lstm" ? 4 : 3;
  const shape: Shape = { steps, units, act: options.recurrentActivation ?? "hardSigmoid" };
  const forward = (xs: tf.Tensor, k: tf.Tensor, r: tf.Tensor, b: tf.Tensor | null) => {
    const gx = tf.tidy(() => {
      const projected = tf.matMul(
        tf.reshape(xs, [batch * steps, inputDim]) as tf.Tensor2D,
        k as tf.Tensor2D,
      );
      return tf.reshape(b === null ? projected : tf.add(projected, b), [batch, steps, g * units]);
    });
    const program = cell === "lstm"
      ? lstmForwardProgram(batch, shape)
      : gruForwardProgram(batch, shape);
    const packed = run(program, [gx, r]);
    gx.dispose();
    const output = tf.tidy(() => {
      const h = hidden(packed, units);
      return returnSequences
        ? h
        : tf.reshape(tf.slice(h, [0, steps - 1, 0], [batch, 1, units]), [batch, units]);
    });
    return { packed, output };
  };
  if (tf.engine().state.gradientDepth === 0) {
    const { packed, output } = forward(x, kernel, recurrentKernel, bias);
    packed.dispose();
    return output;
  }
  const biasTensor = bias ?? tf.zeros([g * units]);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, k, r, b] = args as tf.Tensor[];
    const save = args[4] as tf.GradSaveFunc;
    const { packed, output } = forward(xs, k, r, bias === null ? null : b);
    save([xs, k, r, packed]); // save keeps clones
    packed.dispose();
    return {
      value: output,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
        const [xs2, k2, r2, p] = saved;
        const program = cell === "lstm"
          ? lstmBackwardProgram(batch, shape, returnSequences)
          : gruBackwardProgram(batch, shape, returnSequences);
        const dgates = run(program, [p, dy, r2]);
        return tf.tidy(() => {
          const d2 = tf.reshape(dgates, [batch * steps, g * units]) as tf.Tensor2D;
          const x2 = tf.reshape(xs2, [batch * steps, inputDim]) as tf.Tensor2D;
          const dx = tf.reshape(tf.matMul(d2, k2 as tf.Tensor2D, false, true), [
            batch,
            steps,
            inputDim,
          ]);
          const dK = tf.matMul(x2, d2, true, false);
          const h = hidden(p, units);
          const hPrev = tf.reshape(
            tf.concat([
              tf.zeros([batch, 1, units]),
              tf.slice(h, [0, 0, 0], [batch, steps - 1, units]),
            ], 1),
            [batch * steps, units],
          ) as tf.Tensor2D;
          let dR: tf.Tensor;
          if (cell === "lstm") dR = tf.matMul(hPrev, d2, true, false);
          else {
            // z and r gates from h_prev; the candidate's recurrent part from r·h_prev.
            const rh = tf.reshape(tf.slice(p, [0, 0, 4 * units], [batch, steps, units]), [
              batch * steps,
              units,
            ]) as tf.Tensor2D;
            const dzr = tf.slice(d2, [0, 0], [batch * steps, 2 * units]) as tf.Tensor2D;
            const dhh = tf.slice(d2, [0, 2 * units], [batch * steps, units]) as tf.Tensor2D;
            dR = tf.concat(
              [tf.matMul(hPrev, dzr, true, false), tf.matMul(rh, dhh, true, false)],
              1,
            );
          }
          const db = tf.sum(d2, 0);
          dgates.dispose();
          return [dx, dK, dR, db];
        });
      },
    };
  });
  return op(x, kernel, recurrentKernel, biasTensor);
}
