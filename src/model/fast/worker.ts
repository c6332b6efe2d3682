/**
 * Worker side of `parallel.ts` (one of the pool's workers): after one start message it blocks in
 * `Atomics.wait` on its shared control word, runs each request from its shared buffer
 * (`channel.ts`) on its share of a batch (a recurrent layer's forward or backward pass, or its
 * parts of a fused training step), and keeps the forward caches of that share until their
 * backward pass.
 *
 * @module
 */
import {
  disposeCache,
  gruBackward,
  gruForward,
  type KernelBuild,
  KernelInstance,
  lstmBackward,
  lstmForward,
  type RnnCache,
  type RnnOptions,
  type RnnWeights,
  setKernelBuild,
} from "./mod.ts";
import {
  C,
  H,
  HEADER_INTS,
  MAX_PLANS,
  OP,
  payload,
  shareLayout,
  SPIN_MS,
  spinWhile,
} from "./channel.ts";
import { PartStep, type TrainPlan } from "./part.ts";

/** The start message: the channel and the kernel build to run. */
export interface WorkerStart {
  /** Control words (see `channel.ts`). */
  control: SharedArrayBuffer;
  /** Header and payload. */
  data: SharedArrayBuffer;
  /** The build the main thread runs. */
  build: KernelBuild;
}

/**
 * Runs every kernel often enough at small shapes that V8 optimises it (about 50 ms), so the
 * worker computes as fast as the main thread from its first real call.
 */
function warmUp(): void {
  const options: RnnOptions = {
    batch: 4,
    steps: 12,
    inputDim: 8,
    units: 12,
    returnSequences: true,
  };
  for (const [cell, g] of [["lstm", 4], ["gru", 3]] as const) {
    const weights: RnnWeights = {
      kernel: new Float32Array(8 * g * 12).fill(0.01),
      recurrentKernel: new Float32Array(12 * g * 12).fill(0.01),
      bias: new Float32Array(g * 12),
    };
    const x = new Float32Array(4 * 12 * 8).fill(0.1);
    const dy = new Float32Array(4 * 12 * 12).fill(0.1);
    for (let i = 0; i < 300; i++) {
      const { cache } = (cell === "lstm" ? lstmForward : gruForward)(weights, x, options);
      (cell === "lstm" ? lstmBackward : gruBackward)(cache!, dy);
    }
  }
  // The fused step's other kernels.
  const plan: TrainPlan = {
    steps: 6,
    features: 4,
    layers: [
      {
        kind: "rnn",
        cell: "lstm",
        units: 8,
        inputDim: 4,
        returnSequences: false,
        act: 1,
        kernel: 0,
        recurrent: 128,
        bias: 384,
      },
      { kind: "dropout", rate: 0.5, mask: 0 },
      { kind: "dense", units: 4, inputDim: 8, act: 1, kernel: 416, bias: 448 },
      { kind: "dense", units: 1, inputDim: 4, act: 2, kernel: 452, bias: 456 },
    ],
    weightCount: 460,
    maskSizes: [8],
    epsilon: 1e-7,
  };
  const k = new KernelInstance();
  const w = k.alloc(plan.weightCount);
  k.f32(w, plan.weightCount).fill(0.05);
  const part = new PartStep(k, plan, 4);
  part.mask(0).fill(2);
  for (let i = 0; i < 300; i++) part.run(w, 8);
  part.dispose();
  k.free(w);
}

const caches = new Map<number, RnnCache>();
const plans = new Map<number, TrainPlan>();
let stepKernels: KernelInstance | null = null;
/** The weights buffer of each plan in `stepKernels`, and its parts' buffers by rows. */
const stepBuffers = new Map<number, { weights: number; parts: Map<number, PartStep> }>();

/** The buffers of a part of `rows` sequences of a plan, and the plan's weights buffer. */
function partFor(plan: TrainPlan, key: number, rows: number): { part: PartStep; weights: number } {
  const k = stepKernels!;
  let buffers = stepBuffers.get(key);
  if (!buffers) {
    buffers = { weights: k.alloc(plan.weightCount), parts: new Map() };
    stepBuffers.set(key, buffers);
  }
  let part = buffers.parts.get(rows);
  if (!part) {
    part = new PartStep(k, plan, rows);
    buffers.parts.set(rows, part);
  }
  return { part, weights: buffers.weights };
}

function handle(data: SharedArrayBuffer): boolean {
  const h = new Int32Array(data, 0, HEADER_INTS);
  for (let i = 0; i < h[H.disposeCount]; i++) {
    const cache = caches.get(h[H.disposeIds + i]);
    if (cache) disposeCache(cache);
    caches.delete(h[H.disposeIds + i]);
  }
  const op = h[H.op];
  if (op === OP.stop) return false;
  if (op === OP.forward) {
    const [B, T, I, U] = [h[H.batch], h[H.steps], h[H.inputDim], h[H.units]];
    const g = h[H.cell] === 0 ? 4 : 3;
    let at = 0;
    const take = (n: number): Float32Array => {
      const v = payload(data, at, n);
      at += n;
      return v;
    };
    const weights: RnnWeights = {
      kernel: take(I * g * U),
      recurrentKernel: take(U * g * U),
      bias: h[H.hasBias] ? take(g * U) : null,
    };
    const x = take(B * T * I);
    const options: RnnOptions = {
      batch: B,
      steps: T,
      inputDim: I,
      units: U,
      returnSequences: h[H.returnSequences] === 1,
      recurrentActivation: h[H.act] === 0 ? "sigmoid" : "hardSigmoid",
      keepCache: h[H.keepCache] === 1,
    };
    const run = g === 4 ? lstmForward : gruForward;
    if (h[H.parts] > 0) {
      // A prediction's parts (no cache), one kernel call each, as the main thread computes them.
      const perSeq = options.returnSequences ? T * U : U;
      const output = new Float32Array(B * perSeq);
      let from = 0;
      for (let j = 0; j < h[H.parts]; j++) {
        const r = h[H.partRows + j];
        const part = run(weights, x.subarray(from * T * I, (from + r) * T * I), {
          ...options,
          batch: r,
          keepCache: false,
        });
        output.set(part.output, from * perSeq);
        from += r;
      }
      payload(data, 0, output.length).set(output);
    } else {
      const { output, cache } = run(weights, x, options);
      if (cache) caches.set(h[H.id], cache);
      payload(data, 0, output.length).set(output);
    }
  } else if (op === OP.backward) {
    const cache = caches.get(h[H.id]);
    if (!cache) throw new Error(`Expected a cache with id ${h[H.id]}, found none`);
    caches.delete(h[H.id]);
    const o = cache.options;
    const n = o.batch * (o.returnSequences ? o.steps : 1) * o.units;
    const dOutput = payload(data, 0, n).slice();
    const g = (cache.cell === "lstm" ? lstmBackward : gruBackward)(cache, dOutput);
    let at = 0;
    for (const part of [g.dx, g.dKernel, g.dRecurrent, g.dBias]) {
      payload(data, at, part.length).set(part);
      at += part.length;
    }
  } else if (op === OP.plan) {
    const bytes = new Uint8Array(data, HEADER_INTS * 4, h[H.bytes]).slice();
    plans.set(h[H.plan], JSON.parse(new TextDecoder().decode(bytes)) as TrainPlan);
    // A long-lived worker may see many models (walk-forward folds): keep the newest few.
    for (const old of [...plans.keys()].slice(0, Math.max(0, plans.size - MAX_PLANS))) {
      plans.delete(old);
      const buffers = stepBuffers.get(old);
      if (buffers) {
        for (const part of buffers.parts.values()) part.dispose();
        stepKernels!.free(buffers.weights);
        stepBuffers.delete(old);
      }
    }
  } else if (op === OP.trainParts) {
    const plan = plans.get(h[H.plan]);
    if (!plan) throw new Error(`Expected a training plan with id ${h[H.plan]}, found none`);
    const partCount = h[H.parts];
    const rows = Array.from({ length: partCount }, (_, j) => h[H.partRows + j]);
    const total = rows.reduce((a, b) => a + b, 0);
    const at = shareLayout(plan, total, partCount);
    stepKernels ??= new KernelInstance();
    const k = stepKernels;
    // Every allocation before any view of the kernel memory (growing it detaches views).
    const entries = rows.map((r) => partFor(plan, h[H.plan], r));
    const weights = entries[0].weights;
    k.f32(weights, plan.weightCount).set(payload(data, 0, plan.weightCount));
    const perX = plan.steps * plan.features;
    const f64 = new Float64Array(data, 0, HEADER_INTS / 2);
    let from = 0;
    for (const [j, r] of rows.entries()) {
      const part = entries[j].part;
      part.input().set(payload(data, at.x + from * perX, r * perX));
      part.labels().set(payload(data, at.y + from, r));
      plan.maskSizes.forEach((size, i) => {
        if (size > 0) part.mask(i).set(payload(data, at.masks[i] + from * size, r * size));
      });
      const { lossSum, correct } = part.run(weights, h[H.batchTotal]);
      payload(data, at.grads + j * plan.weightCount, plan.weightCount)
        .set(k.f32(part.grads, plan.weightCount));
      f64[H.partLoss64 + j] = lossSum;
      f64[H.partCorrect64 + j] = correct;
      from += r;
    }
  }
  return true;
}

function reply(control: SharedArrayBuffer, state: number, started: number): void {
  const times = new Float64Array(control);
  times[C.started64] = started;
  times[C.ended64] = performance.timeOrigin + performance.now();
  const c = new Int32Array(control);
  Atomics.store(c, C.state, state);
  Atomics.notify(c, C.state);
}

function serve(start: WorkerStart): void {
  const c = new Int32Array(start.control);
  // Requests are numbered from 1; one may already be waiting (posted right after the start).
  let seen = 0;
  for (;;) {
    // Spin a moment first: the next request of a training loop comes within a millisecond or
    // so, and a blocked worker wakes late.
    if (!spinWhile(c, C.seq, seen, performance.now() + SPIN_MS)) Atomics.wait(c, C.seq, seen);
    seen = Atomics.load(c, C.seq);
    const started = performance.timeOrigin + performance.now();
    let more = true;
    try {
      more = handle(start.data);
      reply(start.control, 2, started);
    } catch (e) {
      console.error(e);
      reply(start.control, 3, started);
    }
    if (!more) {
      self.close();
      return;
    }
  }
}

globalThis.addEventListener("message", (e: Event): void => {
  const start = (e as MessageEvent<WorkerStart>).data;
  const started = performance.timeOrigin + performance.now();
  try {
    setKernelBuild(start.build);
    warmUp();
    reply(start.control, 2, started);
  } catch (error) {
    console.error(error);
    reply(start.control, 3, started);
    return;
  }
  serve(start);
});
