/**
 * Splitting a batch across the main thread and one worker (the machine's second core): each
 * fused call (a recurrent layer's forward or backward pass, or the whole fused training step of
 * `step.ts`) runs the first half of the batch here and the second half in the worker at the same
 * time. Requests and answers go through shared memory (`channel.ts`): the worker blocks in
 * `Atomics.wait` between requests and the main thread in `Atomics.wait` for the answer, so the
 * API stays synchronous and a round trip costs tens of microseconds. Off until
 * `startSecondCore()`; pauses itself while the other core is busy.
 *
 * @module
 */
import {
  disposeCache,
  gruBackward,
  gruForward,
  kernelBuild,
  lstmBackward,
  lstmForward,
  type RnnCache,
  type RnnForwardResult,
  type RnnGradients,
  type RnnOptions,
  type RnnWeights,
} from "./mod.ts";
import type { WorkerStart } from "./worker.ts";
import { addPhase, profiling } from "./profile.ts";
import {
  C,
  type ChannelBuffers,
  channelBuffers,
  ensurePayload,
  H,
  HEADER_INTS,
  MAX_DISPOSE,
  MAX_PLANS,
  OP,
  payload,
  SPIN_MS,
  spinWhile,
} from "./channel.ts";
import type { RemoteFill, RemoteHalf, TrainPlan } from "./step.ts";
import { StepChooser } from "./chooser.ts";

/** Smallest batch worth splitting (smaller batches are computed whole, with or without worker). */
export const MIN_SPLIT = 8;
/** Calls run unsplit after the worker was found slower (a busy second core), before retrying. */
const PAUSE_CALLS = 200;

/** Moving average of (time waited for the worker) / (time of this thread's own half). */
let waitRatio = 0;
let pausedCalls = 0;
/** Calls run unsplit because the worker was judged slower (for the profile). */
let pausedTotal = 0;

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
let channel: ChannelBuffers | null = null;
let nextId = 1;
/** Worker caches to free with the next request. */
const pendingDispose: number[] = [];
/** Training plans the current worker holds. */
const plansSent = new Set<number>();

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

const orphans = new FinalizationRegistry<number>((id) => {
  if (worker !== null) pendingDispose.push(id);
});

/**
 * Starts the worker that takes half of every batch of at least 8 sequences; it runs the kernel
 * build this thread runs ({@linkcode kernelBuild}).
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
  resetStepChooser();
  pendingDispose.length = 0;
  plansSent.clear();
  const w = new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
  const buffers = channelBuffers();
  // The worker loads its module graph and warms its kernels up before it answers: V8 first runs
  // wasm in its baseline compiler and optimises a function only after enough calls, so a cold
  // worker is several times slower than this thread and the split would not pay for a while.
  const c = new Int32Array(buffers.control);
  Atomics.store(c, C.state, 1);
  const start: WorkerStart = { ...buffers, build: kernelBuild() };
  w.postMessage(start);
  const wait = Atomics.waitAsync(c, C.state, 1, TIMEOUT_MS);
  if (wait.async) await wait.value;
  if (Atomics.load(c, C.state) !== 2) {
    w.terminate();
    throw new Error("Expected the kernel worker to start, found no answer");
  }
  worker = w;
  channel = buffers;
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
  if (worker === null || channel === null) return;
  // The worker blocks in Atomics.wait, which terminate() does not interrupt: ask it to leave.
  const c = new Int32Array(channel.control);
  if (Atomics.load(c, C.state) !== 1) {
    header()[H.op] = OP.stop;
    post();
    const deadline = performance.now() + 1000;
    while (Atomics.load(c, C.state) === 1 && performance.now() < deadline) {
      Atomics.wait(c, C.state, 1, 50);
    }
  }
  worker.terminate();
  worker = null;
  channel = null;
}

/**
 * Calls that ran unsplit because the worker was judged slower than this thread, since the worker
 * started (the bench's profile reports it).
 *
 * @example
 * ```ts
 * console.log(pausedSplitCalls());
 * ```
 */
export function pausedSplitCalls(): number {
  return pausedTotal;
}

function header(): Int32Array {
  return new Int32Array(channel!.data, 0, HEADER_INTS);
}

/** Whether this call goes to the worker (counts down a pause). */
function useWorker(): boolean {
  if (worker === null) return false;
  if (pausedCalls > 0) {
    pausedCalls--;
    pausedTotal++;
    return false;
  }
  return true;
}

let postedAt = 0;

/** Signals the request now in the header and payload. */
function post(): void {
  const h = header();
  const n = Math.min(pendingDispose.length, MAX_DISPOSE);
  h[H.disposeCount] = n;
  for (let i = 0; i < n; i++) h[H.disposeIds + i] = pendingDispose[i];
  pendingDispose.splice(0, n);
  const c = new Int32Array(channel!.control);
  Atomics.store(c, C.state, 1);
  postedAt = performance.timeOrigin + performance.now();
  Atomics.add(c, C.seq, 1);
  Atomics.notify(c, C.seq);
}

/**
 * Waits for the worker; `started` is when this thread began its own half (null: a request with
 * no half here, which the judge does not see).
 */
function collect(started: number | null): void {
  const localDone = performance.now();
  const c = new Int32Array(channel!.control);
  const deadline = localDone + TIMEOUT_MS;
  spinWhile(c, C.state, 1, localDone + SPIN_MS);
  while (Atomics.load(c, C.state) === 1) {
    if (performance.now() > deadline) {
      throw new Error("Expected the kernel worker to answer, found a timeout");
    }
    Atomics.wait(c, C.state, 1, 100);
  }
  if (Atomics.load(c, C.state) !== 2) {
    throw new Error("Expected the kernel worker to succeed, found an error");
  }
  const woke = performance.now();
  if (started === null) return;
  judge(localDone - started, woke - localDone);
  if (profiling()) {
    const times = new Float64Array(channel!.control);
    addPhase("split.local", localDone - started);
    addPhase("split.wait", woke - localDone);
    addPhase("worker.dispatch", times[C.started64] - postedAt);
    addPhase("worker.compute", times[C.ended64] - times[C.started64]);
  }
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
  const remote = useWorker();
  const id = remote && keep ? nextId++ : 0;
  if (remote) {
    const { kernel, recurrentKernel, bias } = weights;
    const nIn = kernel.length + recurrentKernel.length + (bias?.length ?? 0) + x.length - cut;
    ensurePayload(channel!.data, Math.max(nIn, theirs * perSeq));
    const h = header();
    h[H.op] = OP.forward;
    h[H.id] = id;
    h[H.cell] = cell === "lstm" ? 0 : 1;
    h[H.batch] = theirs;
    h[H.steps] = steps;
    h[H.inputDim] = inputDim;
    h[H.units] = units;
    h[H.returnSequences] = options.returnSequences ? 1 : 0;
    h[H.act] = options.recurrentActivation === "sigmoid" ? 0 : 1;
    h[H.keepCache] = keep ? 1 : 0;
    h[H.hasBias] = bias === null ? 0 : 1;
    let at = 0;
    for (const part of [kernel, recurrentKernel, bias, x.subarray(cut)]) {
      if (part === null) continue;
      payload(channel!.data, at, part.length).set(part);
      at += part.length;
    }
    post();
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
  if (remote) output.set(payload(channel!.data, 0, theirs * perSeq), mine * perSeq);
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
    const total = sizes.reduce((a, b) => a + b, 0);
    ensurePayload(channel!.data, Math.max(total, theirs * perSeq));
    const h = header();
    h[H.op] = OP.backward;
    h[H.id] = cache.id;
    payload(channel!.data, 0, theirs * perSeq).set(dOutput.subarray(mine * perSeq));
    post();
    const started = performance.now();
    try {
      local = backward(cache.local, dOutput.subarray(0, mine * perSeq));
    } finally {
      collect(started);
    }
    remote = payload(channel!.data, 0, total);
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

/** How the fused step uses the worker: measured (`auto`), or forced, for diagnosis. */
export type SplitPolicy = "auto" | "always" | "never";
let policy: SplitPolicy = "auto";

/**
 * Sets how the fused training step uses a running worker: `auto` (default) measures both ways
 * and keeps the faster, `always` splits every batch, `never` computes both halves here. The
 * weights are the same bits under every policy.
 *
 * @example
 * ```ts
 * setSplitPolicy("always"); // profile the split even where it does not pay
 * ```
 */
export function setSplitPolicy(next: SplitPolicy): void {
  policy = next;
}

/** Split or not, step by step, under the `auto` policy (see `chooser.ts`). */
const chooser = new StepChooser();

function resetStepChooser(): void {
  chooser.reset();
}

/** Whether the next fused step runs split (the worker is running). */
function chooseSplitStep(): boolean {
  if (policy !== "auto") return policy === "always";
  const split = chooser.choose();
  if (!split && !chooser.trying) pausedTotal++;
  return split;
}

/** Records a fused step's time per sequence in the mode it ran. */
function recordStep(split: boolean, msPerSequence: number): void {
  if (policy === "auto") chooser.record(split, msPerSequence);
}

/**
 * The worker's half of the fused training step (`step.ts`), or null when the worker is off: it
 * sends the plan once per worker, then per batch the weights, inputs, labels and dropout masks of
 * the second half, and returns that half's gradients, loss sum and correct count.
 *
 * @example
 * ```ts
 * const [loss, acc] = trainer.step(x, y, remoteTrainHalf());
 * ```
 */
export function remoteTrainHalf(): RemoteHalf | null {
  if (worker === null) return null;
  let weightCount = 0;
  return {
    post(
      plan: TrainPlan,
      planKey: number,
      rows: number,
      batchTotal: number,
      fill: RemoteFill,
    ): boolean {
      if (!chooseSplitStep()) return false;
      const t0 = performance.now();
      if (!plansSent.has(planKey)) {
        const bytes = new TextEncoder().encode(JSON.stringify(plan));
        ensurePayload(channel!.data, Math.ceil(bytes.length / 4));
        new Uint8Array(channel!.data, HEADER_INTS * 4, bytes.length).set(bytes);
        const h = header();
        h[H.op] = OP.plan;
        h[H.plan] = planKey;
        h[H.bytes] = bytes.length;
        post();
        collect(null);
        plansSent.add(planKey);
        // The worker keeps the newest MAX_PLANS plans (in the order sent): forget the others.
        for (const old of [...plansSent].slice(0, Math.max(0, plansSent.size - MAX_PLANS))) {
          plansSent.delete(old);
        }
      }
      weightCount = plan.weightCount;
      const perX = plan.steps * plan.features;
      ensurePayload(channel!.data, weightCount + rows * perX + rows);
      let at = 0;
      const view = (n: number): Float32Array => {
        const v = payload(channel!.data, at, n);
        at += n;
        return v;
      };
      fill("weights", view(weightCount));
      fill("x", view(rows * perX));
      fill("y", view(rows));
      const h = header();
      h[H.op] = OP.trainHalf;
      h[H.plan] = planKey;
      h[H.batch] = rows;
      h[H.batchTotal] = batchTotal;
      Atomics.store(new Int32Array(channel!.control), C.masks, 0);
      post();
      addPhase("step.copyIn", performance.now() - t0);
      return true;
    },
    masks(states: Float64Array): void {
      new Float64Array(channel!.data, 0, HEADER_INTS / 2).set(states, H.states64);
      const c = new Int32Array(channel!.control);
      Atomics.store(c, C.masks, 1);
      Atomics.notify(c, C.masks);
    },
    done(split: boolean, ms: number, batch: number): void {
      recordStep(split, ms / batch);
    },
    collect(started: number): { grads: Float32Array; lossSum: number; correct: number } {
      collect(started);
      const f64 = new Float64Array(channel!.data, 0, HEADER_INTS / 2);
      return {
        grads: payload(channel!.data, 0, weightCount),
        lossSum: f64[H.lossSum64],
        correct: f64[H.correct64],
      };
    },
  };
}
