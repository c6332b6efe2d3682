/**
 * Splitting a batch across the main thread and one worker (the machine's second core): each
 * fused forward/backward call runs the first half of the batch here and the second half in the
 * worker at the same time; the main thread waits with `Atomics.wait`, so the API stays
 * synchronous. Off until `startSecondCore()`; pauses itself while the other core is busy.
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
  type RnnForwardResult,
  type RnnGradients,
  type RnnOptions,
  type RnnWeights,
} from "./mod.ts";
import type { WorkerRequest } from "./worker.ts";

/** Smallest batch worth splitting. */
const MIN_SPLIT = 8;
/** Calls run unsplit after the worker was found slower (a busy second core), before retrying. */
const PAUSE_CALLS = 200;

/** Moving average of (time waited for the worker) / (time of this thread's own half). */
let waitRatio = 0;
let pausedCalls = 0;

/**
 * A split call costs this thread's half plus the wait for the worker; computing both halves here
 * costs two halves. So splitting pays while the wait is shorter than a half. The moving average
 * rides out a scheduling hiccup (a V8 background thread on the second core); when it says the
 * worker is slower than running both halves here, the other core is busy (another process): run
 * unsplit for a while, then try again. Either way the results are the same bits.
 */
function judge(localMs: number, waitMs: number): void {
  waitRatio = 0.9 * waitRatio + 0.1 * Math.min(waitMs / Math.max(localMs, 1e-3), 10);
  if (waitRatio > 1) {
    waitRatio = 0;
    pausedCalls = PAUSE_CALLS;
  }
}
const TIMEOUT_MS = 60_000;

let worker: Worker | null = null;
let nextId = 1;
const control = new SharedArrayBuffer(4);
let result = new SharedArrayBuffer(1 << 20);

/**
 * A cache of a batch computed in two halves: the first here, the second in the worker (`id`) or,
 * when the worker is off or paused, here too (`second`).
 */
export interface SplitCache {
  /** The first half's cache. */
  local: RnnCache;
  /** The second half's cache when it was computed on this thread, else null. */
  second: RnnCache | null;
  /** Id of the worker's share (0 when `second` holds it). */
  id: number;
  /** Sequences in the second half. */
  remoteBatch: number;
}

const orphans = new FinalizationRegistry<number>((id) =>
  worker?.postMessage({ op: "dispose", id })
);

/**
 * Starts the worker that takes half of every batch of at least 8 sequences.
 *
 * @example
 * ```ts
 * await startSecondCore();
 * // ... train with FastLSTM layers ...
 * stopSecondCore();
 * ```
 */
export async function startSecondCore(): Promise<void> {
  if (worker !== null) return;
  waitRatio = 0;
  pausedCalls = 0;
  const w = new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
  worker = w;
  // One round trip that loads the worker's module graph and warms its kernels up: V8 first runs
  // wasm in its baseline compiler and optimises a function only after enough calls, so a cold
  // worker is several times slower than this thread and the split would not pay for a while.
  const probe: WorkerRequest = { op: "warmup", control, result };
  const c = new Int32Array(control);
  Atomics.store(c, 0, 1);
  w.postMessage(probe);
  const wait = Atomics.waitAsync(c, 0, 1, TIMEOUT_MS);
  if (wait.async) await wait.value;
  if (Atomics.load(c, 0) !== 2) {
    throw new Error("Expected the kernel worker to start, found no answer");
  }
}

/**
 * Whether the worker runs (after `startSecondCore`, before `stopSecondCore`).
 *
 * @example
 * ```ts
 * if (!secondCoreRunning()) await startSecondCore();
 * ```
 */
export function secondCoreRunning(): boolean {
  return worker !== null;
}

/**
 * Stops the worker; later calls run on this thread only.
 *
 * @example
 * ```ts
 * stopSecondCore();
 * ```
 */
export function stopSecondCore(): void {
  worker?.terminate();
  worker = null;
}

function post(message: WorkerRequest, resultFloats: number): void {
  if (result.byteLength < resultFloats * 4) result = new SharedArrayBuffer(resultFloats * 8);
  (message as { result: SharedArrayBuffer }).result = result;
  Atomics.store(new Int32Array(control), 0, 1);
  worker!.postMessage(message);
}

/** Waits for the worker; `started` is when this thread began its own half. */
function collect(started: number): Float32Array {
  const localDone = performance.now();
  const c = new Int32Array(control);
  const deadline = performance.now() + TIMEOUT_MS;
  while (Atomics.load(c, 0) === 1) {
    if (performance.now() > deadline) {
      throw new Error("Expected the kernel worker to answer, found a timeout");
    }
    Atomics.wait(c, 0, 1, 100);
  }
  if (Atomics.load(c, 0) !== 2) {
    throw new Error("Expected the kernel worker to succeed, found an error");
  }
  judge(localDone - started, performance.now() - localDone);
  return new Float32Array(result);
}

/**
 * Forward pass of a fused LSTM/GRU over a batch, split with the worker when it runs and the
 * batch is large enough. The cache goes to `splitBackward`.
 *
 * @example
 * ```ts
 * const { output, cache } = splitForward("lstm", weights, x, options);
 * const grads = splitBackward(cache!, dOutput);
 * ```
 */
export function splitForward(
  cell: "lstm" | "gru",
  weights: RnnWeights,
  x: Float32Array,
  options: RnnOptions,
): { output: Float32Array; cache: RnnCache | SplitCache | null } {
  const run = cell === "lstm" ? lstmForward : gruForward;
  if (options.batch < MIN_SPLIT) return run(weights, x, options);
  const { batch, steps, inputDim, units } = options;
  const mine = Math.ceil(batch / 2), theirs = batch - mine;
  const cut = mine * steps * inputDim;
  const perSeq = options.returnSequences ? steps * units : units;
  const keep = options.keepCache ?? true;
  const output = new Float32Array(batch * perSeq);
  const remote = worker !== null && pausedCalls === 0;
  if (!remote) pausedCalls = Math.max(0, pausedCalls - 1);
  const id = remote ? nextId++ : 0;
  if (remote) {
    post({
      op: "forward",
      id,
      cell,
      weights,
      x: x.slice(cut),
      options: { ...options, batch: theirs },
      control,
      result,
    }, theirs * perSeq);
  }
  let local: RnnForwardResult;
  const started = performance.now();
  try {
    local = run(weights, x.subarray(0, cut), { ...options, batch: mine });
  } finally {
    if (remote) collect(started);
  }
  output.set(local.output);
  let second: RnnForwardResult | null = null;
  if (remote) output.set(new Float32Array(result, 0, theirs * perSeq), mine * perSeq);
  else {
    second = run(weights, x.subarray(cut), { ...options, batch: theirs });
    output.set(second.output, mine * perSeq);
  }
  if (!keep || local.cache === null) return { output, cache: null };
  const cache: SplitCache = {
    local: local.cache,
    second: second?.cache ?? null,
    id,
    remoteBatch: theirs,
  };
  if (remote) orphans.register(cache, id, cache);
  return { output, cache };
}

/**
 * Backward pass for a cache from `splitForward` (split or not).
 *
 * @example
 * ```ts
 * const grads = splitBackward(cache, dOutput);
 * console.log(grads.dKernel.length);
 * ```
 */
export function splitBackward(cache: RnnCache | SplitCache, dOutput: Float32Array): RnnGradients {
  if (!("local" in cache)) {
    return (cache.cell === "lstm" ? lstmBackward : gruBackward)(cache, dOutput);
  }
  const backward = cache.local.cell === "lstm" ? lstmBackward : gruBackward;
  const o = cache.local.options;
  const mine = o.batch, theirs = cache.remoteBatch;
  const perSeq = o.returnSequences ? o.steps * o.units : o.units;
  const g = cache.local.cell === "lstm" ? 4 : 3;
  const sizes = [
    theirs * o.steps * o.inputDim,
    o.inputDim * g * o.units,
    o.units * g * o.units,
    g * o.units,
  ];
  let remote: Float32Array;
  let local: RnnGradients;
  if (cache.second !== null) {
    // Both halves on this thread, summed exactly as a split call sums them.
    local = backward(cache.local, dOutput.subarray(0, mine * perSeq));
    const other = backward(cache.second, dOutput.subarray(mine * perSeq));
    remote = new Float32Array(sizes.reduce((a, b) => a + b, 0));
    let at = 0;
    for (const part of [other.dx, other.dKernel, other.dRecurrent, other.dBias]) {
      remote.set(part, at);
      at += part.length;
    }
  } else {
    orphans.unregister(cache);
    if (worker === null) {
      disposeCache(cache.local);
      throw new Error("Expected the kernel worker that holds this cache, found it stopped");
    }
    post(
      { op: "backward", id: cache.id, dOutput: dOutput.slice(mine * perSeq), control, result },
      sizes.reduce((a, b) => a + b, 0),
    );
    const started = performance.now();
    try {
      local = backward(cache.local, dOutput.subarray(0, mine * perSeq));
    } finally {
      collect(started);
    }
    remote = new Float32Array(result);
  }
  const dx = new Float32Array(local.dx.length + sizes[0]);
  dx.set(local.dx);
  dx.set(remote.subarray(0, sizes[0]), local.dx.length);
  let at = sizes[0];
  const add = (mineG: Float32Array, n: number): Float32Array => {
    for (let i = 0; i < n; i++) mineG[i] += remote[at + i];
    at += n;
    return mineG;
  };
  const dKernel = add(local.dKernel, sizes[1]);
  const dRecurrent = add(local.dRecurrent, sizes[2]);
  const dBias = add(local.dBias, sizes[3]);
  return { dx, dKernel, dRecurrent, dBias };
}
