/**
 * Worker side of `parallel.ts`: runs the fused kernels on its share of a batch and keeps the
 * forward caches of that share until their backward pass. Results go back through a
 * SharedArrayBuffer (the main thread blocks on `Atomics.wait` meanwhile).
 *
 * @module
 */
import {
  disposeCache,
  gruBackward,
  gruForward,
  lstmBackward,
  lstmForward,
  type RnnCache,
  type RnnOptions,
  type RnnWeights,
} from "./mod.ts";

/** A request from the main thread. */
export type WorkerRequest =
  | {
    op: "forward";
    id: number;
    cell: "lstm" | "gru";
    weights: RnnWeights;
    x: Float32Array;
    options: RnnOptions;
    control: SharedArrayBuffer;
    result: SharedArrayBuffer;
  }
  | {
    op: "backward";
    id: number;
    dOutput: Float32Array;
    control: SharedArrayBuffer;
    result: SharedArrayBuffer;
  }
  | { op: "dispose"; id: number }
  | { op: "warmup"; control: SharedArrayBuffer; result: SharedArrayBuffer };

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
}

const caches = new Map<number, RnnCache>();

function reply(control: SharedArrayBuffer, state: number): void {
  const c = new Int32Array(control);
  Atomics.store(c, 0, state);
  Atomics.notify(c, 0);
}

globalThis.addEventListener("message", (e: Event): void => {
  const event = e as MessageEvent<WorkerRequest>;
  const m = event.data;
  if (m.op === "dispose") {
    const cache = caches.get(m.id);
    if (cache) disposeCache(cache);
    caches.delete(m.id);
    return;
  }
  try {
    const out = new Float32Array(m.result);
    if (m.op === "warmup") {
      warmUp();
    } else if (m.op === "forward") {
      const run = m.cell === "lstm" ? lstmForward : gruForward;
      const { output, cache } = run(m.weights, m.x, m.options);
      if (cache) caches.set(m.id, cache);
      out.set(output);
    } else {
      const cache = caches.get(m.id);
      if (!cache) throw new Error(`Expected a cache with id ${m.id}, found none`);
      caches.delete(m.id);
      const g = (cache.cell === "lstm" ? lstmBackward : gruBackward)(cache, m.dOutput);
      let at = 0;
      for (const part of [g.dx, g.dKernel, g.dRecurrent, g.dBias]) {
        out.set(part, at);
        at += part.length;
      }
    }
    reply(m.control, 2);
  } catch (e) {
    console.error(e);
    reply(m.control, 3);
  }
});
