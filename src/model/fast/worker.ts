/**
 * Worker side of `parallel.ts`: after one start message it blocks in `Atomics.wait` on the
 * shared control word, runs each request from the shared buffer (`channel.ts`) on its share of a
 * batch (a recurrent layer's forward or backward pass, or a whole fused training half step), and
 * keeps the forward caches of that share until their backward pass.
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
import { C, H, HEADER_INTS, MAX_PLANS, OP, payload, SPIN_MS, spinWhile } from "./channel.ts";
import { drawMask, HalfStep, type TrainPlan } from "./step.ts";

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
  const half = new HalfStep(k, plan, 4);
  half.mask(0).fill(2);
  for (let i = 0; i < 300; i++) half.run(w, 8);
  half.dispose();
  k.free(w);
}

const caches = new Map<number, RnnCache>();
const plans = new Map<number, TrainPlan>();
let stepKernels: KernelInstance | null = null;
const halves = new Map<string, { half: HalfStep; weights: number; state: number }>();

function handle(data: SharedArrayBuffer, control: SharedArrayBuffer): boolean {
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
    const { output, cache } = (g === 4 ? lstmForward : gruForward)(weights, x, options);
    if (cache) caches.set(h[H.id], cache);
    payload(data, 0, output.length).set(output);
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
      for (const [key, entry] of halves) {
        if (key.startsWith(`${old}:`)) {
          entry.half.dispose();
          stepKernels!.free(entry.weights);
          stepKernels!.free(entry.state);
          halves.delete(key);
        }
      }
    }
  } else if (op === OP.trainHalf) {
    const plan = plans.get(h[H.plan]);
    if (!plan) throw new Error(`Expected a training plan with id ${h[H.plan]}, found none`);
    const rows = h[H.batch];
    stepKernels ??= new KernelInstance();
    const key = `${h[H.plan]}:${rows}`;
    let entry = halves.get(key);
    if (!entry) {
      entry = {
        half: new HalfStep(stepKernels, plan, rows),
        weights: stepKernels.alloc(plan.weightCount),
        state: stepKernels.alloc(8),
      };
      halves.set(key, entry);
    }
    const { half, weights, state } = entry;
    const k = stepKernels;
    let at = 0;
    const take = (n: number): Float32Array => {
      const v = payload(data, at, n);
      at += n;
      return v;
    };
    k.f32(weights, plan.weightCount).set(take(plan.weightCount));
    half.input().set(take(rows * plan.steps * plan.features));
    half.labels().set(take(rows));
    // The masks of these rows continue the main thread's draws: wait (once) for where they begin.
    const c = new Int32Array(control);
    const rates = new Map<number, number>();
    for (const l of plan.layers) if (l.kind === "dropout") rates.set(l.mask, l.rate);
    const beforeMask = (index: number, ptr: number, n: number): void => {
      const deadline = performance.now() + 60_000;
      spinWhile(c, C.masks, 0, performance.now() + SPIN_MS);
      while (Atomics.load(c, C.masks) === 0) {
        if (performance.now() > deadline) throw new Error("Expected dropout states, found none");
        Atomics.wait(c, C.masks, 0, 1000);
      }
      const states = new Float64Array(data, 0, HEADER_INTS / 2);
      new Float64Array(k.exports.memory.buffer, state, 4).set(
        states.subarray(H.states64 + 4 * index, H.states64 + 4 * index + 4),
      );
      drawMask(k, rates.get(index)!, n, state, ptr);
    };
    const { lossSum, correct } = half.run(weights, h[H.batchTotal], beforeMask);
    payload(data, 0, plan.weightCount).set(stepKernels.f32(half.grads, plan.weightCount));
    const f64 = new Float64Array(data, 0, HEADER_INTS / 2);
    f64[H.lossSum64] = lossSum;
    f64[H.correct64] = correct;
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
      more = handle(start.data, start.control);
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
