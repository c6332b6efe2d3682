/**
 * The kernel workers: a pool of workers (the machine's other cores), each with its own
 * shared-memory channel (`channel.ts`). The fused training step (`step.ts`) computes the parts of
 * a batch on as many threads as it is given: this thread's parts here, each worker's in that
 * worker, at the same time ({@linkcode remoteParts}). A fused layer call outside it (a recurrent
 * layer's forward or backward pass in tfjs-layers' own training, or a prediction) splits two
 * ways when it keeps a cache for its backward pass (the first half here, the second in the first
 * worker), and over every thread when it keeps none (a prediction). Requests and answers go through
 * shared memory: a worker blocks in `Atomics.wait` between requests and the main thread in
 * `Atomics.wait` for the answer, so the API stays synchronous and a round trip costs tens of
 * microseconds. Off until `startWorkers()`; the step measures whether the workers pay (the other
 * cores may be busy) and computes every part here while they do not (`chooser.ts`).
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
  MAX_SHARE_PARTS,
  OP,
  payload,
  shareLayout,
  SPIN_MS,
  spinWhile,
} from "./channel.ts";
import {
  MIN_SPLIT,
  type PartResult,
  partRows,
  type RemoteParts,
  type Share,
  type StepInputs,
  type TrainPlan,
} from "./part.ts";
import { StepChooser } from "./chooser.ts";

/** Layer calls run here alone after the workers were found slower (busy cores), before retrying. */
const PAUSE_CALLS = 200;

/** Moving average of (time waited for the workers) / (what computing their shares here costs). */
let waitRatio = 0;
let pausedCalls = 0;
/** Calls or steps run here alone because the workers were judged slower (for the profile). */
let pausedTotal = 0;

/**
 * A layer call over `shares` workers costs this thread's share plus the wait for them; computing
 * every share here costs `shares + 1` shares. So spreading pays while the wait is shorter than
 * `shares` of this thread's share. The moving average rides out a scheduling hiccup (a V8
 * background thread on another core); when it says the workers are slower than running their
 * shares here, the other cores are busy (other processes): run here alone for a while, then try
 * again. Either way the results are the same bits.
 */
function judge(localMs: number, waitMs: number, shares = 1): void {
  const ratio = waitMs / Math.max(localMs * shares, 1e-3);
  waitRatio = 0.9 * waitRatio + 0.1 * Math.min(ratio, 10);
  if (waitRatio > 1) {
    waitRatio = 0;
    pausedCalls = PAUSE_CALLS;
  }
}
const TIMEOUT_MS = 60_000;

/** One worker of the pool and its channel. */
interface PoolWorker {
  worker: Worker;
  channel: ChannelBuffers;
  /** Training plans this worker holds. */
  plansSent: Set<number>;
  /** When its current request was posted (epoch ms, for the profile). */
  postedAt: number;
}

/** The pool; `pool[0]` takes the second half of two-way layer calls. */
const pool: PoolWorker[] = [];
/** Most threads a step or call uses, this one included (`setThreadLimit`). */
let limit = Infinity;
let nextId = 1;
/** Worker caches (of `pool[0]`) to free with the next request. */
const pendingDispose: number[] = [];

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
  if (pool.length > 0) pendingDispose.push(id);
});

/** Starts one worker and waits until it has warmed its kernels up. */
async function startWorker(): Promise<PoolWorker> {
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
  return { worker: w, channel: buffers, plansSent: new Set(), postedAt: 0 };
}

/**
 * Starts workers until the pool has `count` (started together; a pool that has as many already
 * is left as it is). Each runs the kernel build this thread runs ({@linkcode kernelBuild}).
 *
 * @example
 * ```ts
 * await startWorkers((navigator.hardwareConcurrency ?? 1) - 1);
 * // ... train with FastLSTM layers ...
 * stopWorkers();
 * ```
 */
export async function startWorkers(count: number): Promise<void> {
  const missing = Math.floor(count) - pool.length;
  if (missing <= 0) return;
  if (pool.length === 0) {
    waitRatio = 0;
    pausedCalls = 0;
    pendingDispose.length = 0;
  }
  chooser.reset();
  const started = await Promise.allSettled(Array.from({ length: missing }, startWorker));
  for (const result of started) if (result.status === "fulfilled") pool.push(result.value);
  const failed = started.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/**
 * Workers in the pool.
 *
 * @example
 * ```ts
 * if (workerCount() === 0) await startWorkers(1);
 * ```
 */
export function workerCount(): number {
  return pool.length;
}

/**
 * Stops the pool's workers from index `from` on (default: all); later calls run on the
 * remaining ones, or this thread only.
 *
 * @example
 * ```ts
 * stopWorkers();
 * ```
 */
export function stopWorkers(from = 0): void {
  for (const w of pool.splice(Math.max(0, from))) {
    // A worker blocks in Atomics.wait, which terminate() does not interrupt: ask it to leave.
    const c = new Int32Array(w.channel.control);
    if (Atomics.load(c, C.state) !== 1) {
      header(w)[H.op] = OP.stop;
      post(w);
      const deadline = performance.now() + 1000;
      while (Atomics.load(c, C.state) === 1 && performance.now() < deadline) {
        Atomics.wait(c, C.state, 1, 50);
      }
    }
    w.worker.terminate();
  }
  if (pool.length === 0) pendingDispose.length = 0;
  chooser.reset();
}

/**
 * Sets the most threads (this one included) a fused step or layer call uses, whatever the pool
 * holds: 1 runs everything here. Returns the previous limit (`Infinity`: no limit).
 *
 * @example
 * ```ts
 * const previous = setThreadLimit(2);
 * // ... train on this thread and one worker ...
 * setThreadLimit(previous);
 * ```
 */
export function setThreadLimit(threads: number): number {
  const previous = limit;
  limit = Math.max(1, threads);
  return previous;
}

/**
 * The most threads a fused step or layer call uses now (`Infinity`: as many as the pool has).
 *
 * @example
 * ```ts
 * threadLimit(); // Infinity until setThreadLimit
 * ```
 */
export function threadLimit(): number {
  return limit;
}

/**
 * Starts the one worker of a two-way split (the pool's first worker).
 *
 * @deprecated Use {@linkcode startWorkers}.
 * @example
 * ```ts
 * await startSecondCore();
 * ```
 */
export function startSecondCore(): Promise<void> {
  return startWorkers(1);
}

/**
 * Stops every worker.
 *
 * @deprecated Use {@linkcode stopWorkers}.
 * @example
 * ```ts
 * stopSecondCore();
 * ```
 */
export function stopSecondCore(): void {
  stopWorkers();
}

/**
 * Whether the pool has a worker.
 *
 * @deprecated Use {@linkcode workerCount}.
 * @example
 * ```ts
 * if (!secondCoreRunning()) await startSecondCore();
 * ```
 */
export function secondCoreRunning(): boolean {
  return pool.length > 0;
}

/**
 * Calls and steps that ran here alone because the workers were judged slower than this thread
 * (the bench's profile reports it).
 *
 * @example
 * ```ts
 * console.log(pausedSplitCalls());
 * ```
 */
export function pausedSplitCalls(): number {
  return pausedTotal;
}

function header(w: PoolWorker): Int32Array {
  return new Int32Array(w.channel.data, 0, HEADER_INTS);
}

/** The worker of split layer calls, or null when this call runs here (counts down a pause). */
function layerWorker(): PoolWorker | null {
  if (pool.length === 0 || limit < 2 || policy === "never") return null;
  if (pausedCalls > 0 && policy === "auto") {
    pausedCalls--;
    pausedTotal++;
    return null;
  }
  return pool[0];
}

/** Signals the request now in the worker's header and payload. */
function post(w: PoolWorker): void {
  const h = header(w);
  const n = w === pool[0] ? Math.min(pendingDispose.length, MAX_DISPOSE) : 0;
  h[H.disposeCount] = n;
  for (let i = 0; i < n; i++) h[H.disposeIds + i] = pendingDispose[i];
  pendingDispose.splice(0, n);
  const c = new Int32Array(w.channel.control);
  Atomics.store(c, C.state, 1);
  w.postedAt = performance.timeOrigin + performance.now();
  Atomics.add(c, C.seq, 1);
  Atomics.notify(c, C.seq);
}

/** Waits for a worker's answer; throws on a timeout or a failure. */
function waitFor(w: PoolWorker): void {
  const c = new Int32Array(w.channel.control);
  const now = performance.now();
  const deadline = now + TIMEOUT_MS;
  spinWhile(c, C.state, 1, now + SPIN_MS);
  while (Atomics.load(c, C.state) === 1) {
    if (performance.now() > deadline) {
      throw new Error("Expected the kernel worker to answer, found a timeout");
    }
    Atomics.wait(c, C.state, 1, 100);
  }
  if (Atomics.load(c, C.state) !== 2) {
    throw new Error("Expected the kernel worker to succeed, found an error");
  }
}

/** Adds a worker's own timings to the profile. */
function profileWorker(w: PoolWorker): void {
  const times = new Float64Array(w.channel.control);
  addPhase("worker.dispatch", times[C.started64] - w.postedAt);
  addPhase("worker.compute", times[C.ended64] - times[C.started64]);
}

/**
 * Waits for the first worker's answer to a split layer call; `started` is when this thread began
 * its own half.
 */
function collect(w: PoolWorker, started: number): void {
  const localDone = performance.now();
  waitFor(w);
  const woke = performance.now();
  judge(localDone - started, woke - localDone);
  if (profiling()) {
    addPhase("split.local", localDone - started);
    addPhase("split.wait", woke - localDone);
    profileWorker(w);
  }
}

/**
 * Posts a forward pass of `x` (`rows` sequences in all) to a worker: one call that keeps its
 * cache under `id` when `rows` is one number, else one call per part, keeping none.
 */
function postForward(
  w: PoolWorker,
  cell: "lstm" | "gru",
  weights: RnnWeights,
  x: Float32Array,
  options: RnnOptions,
  { id, rows }: { id: number; rows: number[] },
): void {
  const { steps, inputDim, units } = options;
  const batch = rows.reduce((a, b) => a + b, 0);
  const perSeq = options.returnSequences ? steps * units : units;
  const { kernel, recurrentKernel, bias } = weights;
  const nIn = kernel.length + recurrentKernel.length + (bias?.length ?? 0) + x.length;
  ensurePayload(w.channel.data, Math.max(nIn, batch * perSeq));
  const h = header(w);
  h[H.op] = OP.forward;
  h[H.id] = id;
  h[H.cell] = cell === "lstm" ? 0 : 1;
  h[H.batch] = batch;
  h[H.steps] = steps;
  h[H.inputDim] = inputDim;
  h[H.units] = units;
  h[H.returnSequences] = options.returnSequences ? 1 : 0;
  h[H.act] = options.recurrentActivation === "sigmoid" ? 0 : 1;
  h[H.keepCache] = id === 0 ? 0 : 1;
  h[H.hasBias] = bias === null ? 0 : 1;
  const parts = rows.length > 1 || id === 0 ? rows : [];
  h[H.parts] = parts.length;
  parts.forEach((r, j) => (h[H.partRows + j] = r));
  let at = 0;
  for (const part of [kernel, recurrentKernel, bias, x]) {
    if (part === null) continue;
    payload(w.channel.data, at, part.length).set(part);
    at += part.length;
  }
  post(w);
}

/**
 * A forward pass that keeps no cache (a prediction) over the batch's parts
 * ({@linkcode partRows}, one kernel call each), consecutive parts on each thread as the training
 * step spreads them: the same bits on any number of threads.
 */
function spreadForward(
  cell: "lstm" | "gru",
  weights: RnnWeights,
  x: Float32Array,
  options: RnnOptions,
): Float32Array {
  const run = cell === "lstm" ? lstmForward : gruForward;
  const { batch, steps, inputDim, units } = options;
  const perX = steps * inputDim, perSeq = options.returnSequences ? steps * units : units;
  const rows = partRows(batch);
  const starts = rows.map((_, p) => rows.slice(0, p).reduce((a, b) => a + b, 0));
  const threads = layerWorker() === null ? 1 : Math.min(pool.length + 1, limit, rows.length);
  const cuts = Array.from(
    { length: threads + 1 },
    (_, t) => Math.floor((t * rows.length) / threads),
  );
  const busy = pool.slice(0, threads - 1);
  busy.forEach((w, i) => {
    const from = starts[cuts[i + 1]], share = rows.slice(cuts[i + 1], cuts[i + 2]);
    const n = share.reduce((a, b) => a + b, 0);
    postForward(w, cell, weights, x.subarray(from * perX, (from + n) * perX), options, {
      id: 0,
      rows: share,
    });
  });
  const output = new Float32Array(batch * perSeq);
  const started = performance.now();
  let failure: unknown = null;
  try {
    for (let p = 0; p < cuts[1]; p++) {
      const from = starts[p], r = rows[p];
      const part = run(weights, x.subarray(from * perX, (from + r) * perX), {
        ...options,
        batch: r,
        keepCache: false,
      });
      output.set(part.output, from * perSeq);
    }
  } finally {
    // Every worker answers before anything is read or thrown.
    const localDone = performance.now();
    for (const w of busy) {
      try {
        waitFor(w);
      } catch (error) {
        failure ??= error;
      }
    }
    if (busy.length > 0) {
      const woke = performance.now();
      judge(localDone - started, woke - localDone, busy.length);
      if (profiling()) {
        addPhase("split.local", localDone - started);
        addPhase("split.wait", woke - localDone);
        busy.forEach(profileWorker);
      }
    }
  }
  if (failure !== null) throw failure;
  busy.forEach((w, i) => {
    const from = starts[cuts[i + 1]];
    const n = rows.slice(cuts[i + 1], cuts[i + 2]).reduce((a, b) => a + b, 0);
    output.set(payload(w.channel.data, 0, n * perSeq), from * perSeq);
  });
  return output;
}

/**
 * Forward pass of a fused LSTM/GRU over a batch, split with the first worker when the pool runs
 * and the batch is large enough (two halves), or, keeping no cache (a prediction), spread over
 * every thread in the parts of {@linkcode partRows}. The cache goes to `splitBackward`.
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
  const keep = options.keepCache ?? true;
  if (!keep) return { output: spreadForward(cell, weights, x, options), cache: null };
  const { batch, steps, inputDim, units } = options;
  const mine = Math.ceil(batch / 2), theirs = batch - mine;
  const cut = mine * steps * inputDim;
  const perSeq = options.returnSequences ? steps * units : units;
  const output = new Float32Array(batch * perSeq);
  const remote = layerWorker();
  const id = remote ? nextId++ : 0;
  if (remote) postForward(remote, cell, weights, x.subarray(cut), options, { id, rows: [theirs] });
  let local: RnnForwardResult;
  const started = performance.now();
  try {
    local = run(weights, x.subarray(0, cut), { ...options, batch: mine });
  } finally {
    if (remote) collect(remote, started);
  }
  output.set(local.output);
  let second: RnnForwardResult | null = null;
  if (remote) output.set(payload(remote.channel.data, 0, theirs * perSeq), mine * perSeq);
  else {
    second = run(weights, x.subarray(cut), { ...options, batch: theirs });
    output.set(second.output, mine * perSeq);
  }
  if (local.cache === null) return { output, cache: null };
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
    const w = pool[0];
    if (w === undefined) {
      disposeCache(cache.local);
      throw new Error("Expected the kernel worker that holds this cache, found it stopped");
    }
    const total = sizes.reduce((a, b) => a + b, 0);
    ensurePayload(w.channel.data, Math.max(total, theirs * perSeq));
    const h = header(w);
    h[H.op] = OP.backward;
    h[H.id] = cache.id;
    payload(w.channel.data, 0, theirs * perSeq).set(dOutput.subarray(mine * perSeq));
    post(w);
    const started = performance.now();
    try {
      local = backward(cache.local, dOutput.subarray(0, mine * perSeq));
    } finally {
      collect(w, started);
    }
    remote = payload(w.channel.data, 0, total);
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

/** How the fused step uses the workers: measured (`auto`), or forced, for diagnosis. */
export type SplitPolicy = "auto" | "always" | "never";
let policy: SplitPolicy = "auto";

/**
 * Sets how the fused training step and layer calls use running workers: `auto` (default)
 * measures both ways and keeps the faster, `always` spreads every batch over the threads, `never`
 * computes everything here. The results are the same bits under every policy.
 *
 * @example
 * ```ts
 * setSplitPolicy("always"); // profile the split even where it does not pay
 * ```
 */
export function setSplitPolicy(next: SplitPolicy): void {
  policy = next;
}

/** Spread or not, step by step, under the `auto` policy (see `chooser.ts`). */
const chooser = new StepChooser();

/** Whether the next fused step spreads over the workers. */
function chooseSplitStep(): boolean {
  if (policy !== "auto") return policy === "always";
  const split = chooser.choose();
  if (!split && !chooser.trying) pausedTotal++;
  return split;
}

/** Sends `plan` to each worker that does not hold it, and waits for them all. */
function sendPlan(workers: PoolWorker[], plan: TrainPlan, planKey: number): void {
  const missing = workers.filter((w) => !w.plansSent.has(planKey));
  if (missing.length === 0) return;
  const bytes = new TextEncoder().encode(JSON.stringify(plan));
  for (const w of missing) {
    ensurePayload(w.channel.data, Math.ceil(bytes.length / 4));
    new Uint8Array(w.channel.data, HEADER_INTS * 4, bytes.length).set(bytes);
    const h = header(w);
    h[H.op] = OP.plan;
    h[H.plan] = planKey;
    h[H.bytes] = bytes.length;
    post(w);
  }
  for (const w of missing) {
    waitFor(w);
    w.plansSent.add(planKey);
    // The worker keeps the newest MAX_PLANS plans (in the order sent): forget the others.
    for (const old of [...w.plansSent].slice(0, Math.max(0, w.plansSent.size - MAX_PLANS))) {
      w.plansSent.delete(old);
    }
  }
}

/** Writes a share's inputs into its worker's payload and posts the request. */
function postShare(
  w: PoolWorker,
  plan: TrainPlan,
  planKey: number,
  inputs: StepInputs,
  share: Share,
): void {
  const rows = share.rows.reduce((a, b) => a + b, 0);
  const at = shareLayout(plan, rows, share.rows.length);
  const data = w.channel.data;
  ensurePayload(data, at.end);
  const perX = plan.steps * plan.features, from = share.from;
  payload(data, 0, plan.weightCount).set(inputs.weights);
  payload(data, at.x, rows * perX).set(inputs.x.subarray(from * perX, (from + rows) * perX));
  payload(data, at.y, rows).set(inputs.y.subarray(from, from + rows));
  plan.maskSizes.forEach((size, i) => {
    if (size === 0) return;
    payload(data, at.masks[i], rows * size)
      .set(inputs.masks[i].subarray(from * size, (from + rows) * size));
  });
  const h = header(w);
  h[H.op] = OP.trainParts;
  h[H.plan] = planKey;
  h[H.batchTotal] = inputs.y.length;
  h[H.parts] = share.rows.length;
  share.rows.forEach((r, j) => (h[H.partRows + j] = r));
  post(w);
}

/**
 * The workers' side of the fused training step (`step.ts`), or null when no worker runs or the
 * thread limit is 1: it sends each worker the plan once, then per batch the weights and its
 * share's inputs, labels and dropout masks, and returns each remote part's gradients, loss sum
 * and correct count.
 *
 * @example
 * ```ts
 * const [loss, acc] = trainer.step(x, y, remoteParts());
 * ```
 */
export function remoteParts(): RemoteParts | null {
  const threads = Math.min(pool.length + 1, limit);
  if (threads < 2) return null;
  let busy: PoolWorker[] = [];
  let plan: TrainPlan | null = null;
  let shares: Share[] = [];
  return {
    threads,
    post(next: TrainPlan, planKey: number, inputs: StepInputs, nextShares: Share[]): boolean {
      if (!chooseSplitStep()) return false;
      if (nextShares.length > pool.length) {
        throw new Error(`Expected at most ${pool.length} shares, found ${nextShares.length}`);
      }
      if (nextShares.some((s) => s.rows.length > MAX_SHARE_PARTS)) {
        throw new Error(`Expected at most ${MAX_SHARE_PARTS} parts per worker`);
      }
      const t0 = performance.now();
      busy = pool.slice(0, nextShares.length);
      plan = next;
      shares = nextShares;
      sendPlan(busy, plan, planKey);
      busy.forEach((w, i) => postShare(w, next, planKey, inputs, nextShares[i]));
      addPhase("step.copyIn", performance.now() - t0);
      return true;
    },
    collect(): PartResult[] {
      // Every worker answers before anything is read or thrown: a worker left running would
      // answer the next request with this one's state.
      let failure: unknown = null;
      for (const w of busy) {
        try {
          waitFor(w);
        } catch (error) {
          failure ??= error;
        }
      }
      if (failure !== null) throw failure;
      const results: PartResult[] = [];
      for (const [i, w] of busy.entries()) {
        const rows = shares[i].rows.reduce((a, b) => a + b, 0);
        const at = shareLayout(plan!, rows, shares[i].rows.length);
        const f64 = new Float64Array(w.channel.data, 0, HEADER_INTS / 2);
        shares[i].rows.forEach((_, j) => {
          results.push({
            grads: payload(w.channel.data, at.grads + j * plan!.weightCount, plan!.weightCount),
            lossSum: f64[H.partLoss64 + j],
            correct: f64[H.partCorrect64 + j],
          });
        });
        if (profiling()) {
          profileWorker(w);
          const times = new Float64Array(w.channel.control);
          addPhase("step.worker", times[C.ended64] - times[C.started64]);
        }
      }
      return results;
    },
    done(split: boolean, ms: number, batch: number): void {
      if (policy === "auto") chooser.record(split, ms / batch);
    },
  };
}
