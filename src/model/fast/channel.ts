/**
 * The shared-memory channel between the main thread and one kernel worker (`parallel.ts`,
 * `worker.ts`; each worker of the pool has its own): one request at a time, its header and
 * payload in a growable SharedArrayBuffer,
 * signalled with `Atomics.notify` on a control word. No `postMessage` per call: the worker blocks
 * in `Atomics.wait` between requests, so a round trip costs tens of microseconds instead of a
 * structured clone and an event-loop turn on each side.
 *
 * @module
 */

/** Request codes (header word 0). */
export const OP = {
  /** Forward pass of one recurrent layer on the worker's share of a batch. */
  forward: 1,
  /** Backward pass of a forward the worker keeps (by id). */
  backward: 2,
  /** A training plan (JSON) for later `trainParts` requests. */
  plan: 3,
  /** The whole fused training step of a model on the worker's parts of a batch. */
  trainParts: 4,
  /** Leave the request loop (before `terminate`). */
  stop: 5,
} as const;

/** Ints in the header, before the payload (1 KiB). */
export const HEADER_INTS = 256;
/** Header words of a request, by name. */
export const H = {
  op: 0,
  id: 1,
  cell: 2,
  batch: 3,
  steps: 4,
  inputDim: 5,
  units: 6,
  returnSequences: 7,
  act: 8,
  keepCache: 9,
  hasBias: 10,
  /** trainParts: the plan's id. */
  plan: 11,
  /** trainParts: sequences of the whole batch (the loss is a mean over it). */
  batchTotal: 12,
  /** plan: bytes of JSON. */
  bytes: 13,
  /** trainParts: how many parts the worker computes (their rows from `partRows`). */
  parts: 14,
  /** Ids of worker caches to free, before the request (up to 16). */
  disposeCount: 16,
  disposeIds: 17,
  /** trainParts answer: Float64 index of each part's loss sum (up to MAX_SHARE_PARTS). */
  partLoss64: 32,
  /** trainParts answer: Float64 index of each part's correct count. */
  partCorrect64: 64,
  /** trainParts: the rows of each of the worker's parts, in order (Int32 index). */
  partRows: 200,
} as const;
/** Most parts one worker computes in one request (their answers fit the header). */
export const MAX_SHARE_PARTS = 32;
/**
 * Training plans (and their buffers) a worker keeps: the newest ones, as many as this; the main
 * thread forgets the same ones, so it sends an evicted plan again.
 */
export const MAX_PLANS = 4;
/** Most cache ids freed per request. */
export const MAX_DISPOSE = 16;

/** Control words (Int32) and the worker's timestamps (Float64), in `control`. */
export const C = {
  /** Incremented by the main thread to post a request. */
  seq: 0,
  /** 1 busy, 2 done, 3 failed. */
  state: 1,
  /** Float64 index: when the worker began the request (epoch ms). */
  started64: 1,
  /** Float64 index: when it finished. */
  ended64: 2,
} as const;

/**
 * Where a `trainParts` request keeps what (float offsets into the payload): the weights, the
 * share's sequences, labels and dropout masks (each mask over the share's rows, in mask order),
 * then the answer: each part's gradients. Main thread and worker both place by it.
 *
 * @example
 * ```ts
 * const at = shareLayout({ weightCount: 100, steps: 5, features: 2, maskSizes: [4] }, 8, 2);
 * at.grads; // 100 + 80 + 8 + 32
 * ```
 */
export function shareLayout(
  plan: { weightCount: number; steps: number; features: number; maskSizes: number[] },
  rows: number,
  parts: number,
): { x: number; y: number; masks: number[]; grads: number; end: number } {
  const x = plan.weightCount, y = x + rows * plan.steps * plan.features;
  let at = y + rows;
  const masks = plan.maskSizes.map((size) => {
    const from = at;
    at += rows * size;
    return from;
  });
  return { x, y, masks, grads: at, end: at + parts * plan.weightCount };
}

/** Largest data buffer (virtual: only what `grow` asked for is committed). */
const MAX_BYTES = 2 ** 31;

/** The two shared buffers of a channel. */
export interface ChannelBuffers {
  /** Control words and timestamps (32 bytes). */
  control: SharedArrayBuffer;
  /** Header + payload, growable. */
  data: SharedArrayBuffer;
}

/**
 * New channel buffers (`data` starts at 1 MiB and grows on demand).
 *
 * @example
 * ```ts
 * const { control, data } = channelBuffers();
 * ```
 */
export function channelBuffers(): ChannelBuffers {
  return {
    control: new SharedArrayBuffer(32),
    data: new SharedArrayBuffer(1 << 20, { maxByteLength: MAX_BYTES }),
  };
}

/**
 * Grows `data` so that the payload holds `floats` f32 values.
 *
 * @example
 * ```ts
 * ensurePayload(data, 1000);
 * ```
 */
export function ensurePayload(data: SharedArrayBuffer, floats: number): void {
  const need = HEADER_INTS * 4 + floats * 4;
  if (data.byteLength < need) {
    if (need > data.maxByteLength) {
      throw new Error(`Expected a request under ${data.maxByteLength} bytes, found ${need}`);
    }
    data.grow(Math.min(data.maxByteLength, Math.max(need, data.byteLength * 2)));
  }
}

/**
 * A view of `n` f32 payload values from float offset `at`.
 *
 * @example
 * ```ts
 * payload(data, 0, 4).set([1, 2, 3, 4]);
 * ```
 */
export function payload(data: SharedArrayBuffer, at: number, n: number): Float32Array {
  return new Float32Array(data, HEADER_INTS * 4 + at * 4, n);
}

/**
 * How long a thread spins on a control word before it blocks in `Atomics.wait`: a blocked
 * thread takes tens to hundreds of microseconds to wake (a futex wake, on a VM an interrupt to an
 * idle virtual CPU), a spinning one a fraction of a microsecond. Short, so that a spinning thread
 * never takes long from another that needs the core.
 */
export const SPIN_MS = 1;

/**
 * Spins while `words[index]` holds `value`, until `until` (a `performance.now()` time); returns
 * whether the word changed. The clock is read every few dozen loads only.
 *
 * @example
 * ```ts
 * if (!spinWhile(c, C.state, 1, performance.now() + SPIN_MS)) Atomics.wait(c, C.state, 1);
 * ```
 */
export function spinWhile(words: Int32Array, index: number, value: number, until: number): boolean {
  for (;;) {
    for (let i = 0; i < 64; i++) if (Atomics.load(words, index) !== value) return true;
    if (performance.now() >= until) return Atomics.load(words, index) !== value;
  }
}
