/**
 * Fused LSTM / GRU kernels (WebAssembly SIMD, built from kernels/rnn.c) and their bindings.
 *
 * The functions here work on plain Float32Arrays in the TensorFlow.js/Keras layouts: sequences
 * `[batch, steps, features]`, LSTM kernel `[inputDim, 4 * units]` (gates i, f, c, o), recurrent
 * kernel `[units, 4 * units]`, bias `[4 * units]`; GRU the same with 3 gates z, r, h
 * (`resetAfter: false`, the only mode tfjs has). See `layers.ts` for the tfjs integration and
 * `predict.ts` for whole-model inference without tfjs.
 *
 * @module
 */

/** Recurrent activation of the gates: tfjs's default is `"hardSigmoid"`. */
export type RecurrentActivation = "sigmoid" | "hardSigmoid";

/** Shape and options of one recurrent layer call. */
export interface RnnOptions {
  /** Number of sequences. */
  batch: number;
  /** Time steps per sequence. */
  steps: number;
  /** Features per step. */
  inputDim: number;
  /** Hidden units. */
  units: number;
  /** Return every step's output (`[batch, steps, units]`) or only the last (`[batch, units]`). */
  returnSequences: boolean;
  /** Gate activation; defaults to `"hardSigmoid"` like tfjs. */
  recurrentActivation?: RecurrentActivation;
  /** Keep what the backward pass needs (default true); false for inference only. */
  keepCache?: boolean;
}

/** Weights of one LSTM or GRU layer, in the stock tfjs layout. */
export interface RnnWeights {
  /** `[inputDim, G * units]`, G = 4 (LSTM) or 3 (GRU). */
  kernel: Float32Array;
  /** `[units, G * units]`. */
  recurrentKernel: Float32Array;
  /** `[G * units]`, or null for `useBias: false`. */
  bias: Float32Array | null;
}

/** What a forward pass saves for its backward pass (host copies, owned by the caller). */
export interface RnnCache {
  /** Which kernel made it. */
  cell: "lstm" | "gru";
  /** The options of the forward call. */
  options: Required<RnnOptions>;
  /** The weights of the forward call. */
  weights: RnnWeights;
  /** The input sequence `[batch, steps, inputDim]`. */
  x: Float32Array;
  /** Hidden states `[batch, steps, units]`. */
  h: Float32Array;
  /** Activated gates `[batch, steps, G * units]`. */
  gates: Float32Array;
  /** LSTM: cell states; GRU: `r * hPrev`; both `[batch, steps, units]`. */
  extra: Float32Array;
}

/** Result of a forward pass. */
export interface RnnForwardResult {
  /** `[batch, steps, units]` or `[batch, units]`. */
  output: Float32Array;
  /** For the backward pass; null when `keepCache` was false. */
  cache: RnnCache | null;
}

/** Gradients of a backward pass. */
export interface RnnGradients {
  /** `[batch, steps, inputDim]`. */
  dx: Float32Array;
  /** `[inputDim, G * units]`. */
  dKernel: Float32Array;
  /** `[units, G * units]`. */
  dRecurrent: Float32Array;
  /** `[G * units]`. */
  dBias: Float32Array;
}

interface KernelExports {
  memory: WebAssembly.Memory;
  __heap_base: WebAssembly.Global;
  lstm_forward(...args: number[]): void;
  lstm_backward(...args: number[]): void;
  gru_forward(...args: number[]): void;
  gru_backward(...args: number[]): void;
  dense_forward(...args: number[]): void;
  reverse_time(...args: number[]): void;
  concat_features(...args: number[]): void;
}

let compiled: WebAssembly.Module | null = null;

/**
 * The compiled kernel module, read from `kernels/rnn.wasm` next to this package (works from
 * source and from `deno compile --include kernels/rnn.wasm`); compiled once per process.
 *
 * @example
 * ```ts
 * const module = kernelModule();
 * console.log(WebAssembly.Module.exports(module).length > 0); // true
 * ```
 */
export function kernelModule(): WebAssembly.Module {
  if (compiled === null) {
    const url = new URL("../../../kernels/rnn.wasm", import.meta.url);
    compiled = new WebAssembly.Module(Deno.readFileSync(url));
  }
  return compiled;
}

/**
 * One instance of the kernels with its own linear memory and a bump allocator over it.
 * Allocations below a `mark()` survive `release()` to that mark, so an instance can hold
 * resident weights at the bottom and per-call scratch above them.
 *
 * @example
 * ```ts
 * const k = new KernelInstance();
 * const p = k.alloc(4);
 * k.f32(p, 4).set([1, 2, 3, 4]);
 * k.release(0);
 * ```
 */
export class KernelInstance {
  /** The raw exports of the wasm instance. */
  readonly exports: KernelExports;
  #base: number;
  #top: number;

  constructor() {
    const instance = new WebAssembly.Instance(kernelModule(), {});
    this.exports = instance.exports as unknown as KernelExports;
    this.#base = ((this.exports.__heap_base.value as number) + 15) & ~15;
    this.#top = this.#base;
  }

  /** Current allocation mark (pass to `release`). */
  mark(): number {
    return this.#top;
  }

  /** Frees everything allocated after `mark` (0 frees everything). */
  release(mark: number): void {
    this.#top = Math.max(this.#base, mark);
  }

  /** Allocates `n` f32 values (16-byte aligned, uninitialised); returns the byte address. */
  alloc(n: number): number {
    const ptr = this.#top;
    this.#top += (n * 4 + 15) & ~15;
    const mem = this.exports.memory;
    if (this.#top > mem.buffer.byteLength) {
      mem.grow(Math.ceil((this.#top - mem.buffer.byteLength) / 65536));
    }
    return ptr;
  }

  /** Allocates and fills with `data`; returns the byte address. */
  put(data: Float32Array): number {
    const ptr = this.alloc(data.length);
    this.f32(ptr, data.length).set(data);
    return ptr;
  }

  /** A view of `n` f32 values at byte address `ptr` (invalidated when memory grows). */
  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.exports.memory.buffer, ptr, n);
  }

  /** A copy of `n` f32 values at byte address `ptr`. */
  read(ptr: number, n: number): Float32Array {
    return this.f32(ptr, n).slice();
  }
}

let shared: KernelInstance | null = null;

function sharedInstance(): KernelInstance {
  if (shared === null) shared = new KernelInstance();
  return shared;
}

/** Activation code understood by the C kernels. */
export function activationCode(activation: RecurrentActivation): number {
  if (activation === "sigmoid") return 0;
  if (activation === "hardSigmoid") return 1;
  throw new Error(`Expected recurrentActivation "sigmoid" or "hardSigmoid", found "${activation}"`);
}

function complete(options: RnnOptions): Required<RnnOptions> {
  const { batch, steps, inputDim, units } = options;
  for (const [name, v] of Object.entries({ batch, steps, inputDim, units })) {
    if (!Number.isInteger(v) || v < 1) {
      throw new Error(`Expected ${name} to be a positive integer, found ${v}`);
    }
  }
  return {
    ...options,
    recurrentActivation: options.recurrentActivation ?? "hardSigmoid",
    keepCache: options.keepCache ?? true,
  };
}

function checkSizes(cell: string, g: number, w: RnnWeights, x: Float32Array, o: RnnOptions): void {
  const want = (what: string, found: number, expected: number): void => {
    if (found !== expected) {
      throw new Error(`Expected ${cell} ${what} of ${expected} values, found ${found}`);
    }
  };
  want("input", x.length, o.batch * o.steps * o.inputDim);
  want("kernel", w.kernel.length, o.inputDim * g * o.units);
  want("recurrent kernel", w.recurrentKernel.length, o.units * g * o.units);
  if (w.bias !== null) want("bias", w.bias.length, g * o.units);
}

function lastStep(h: Float32Array, o: RnnOptions): Float32Array {
  const { batch, steps, units } = o;
  const out = new Float32Array(batch * units);
  for (let b = 0; b < batch; b++) {
    out.set(h.subarray((b * steps + steps - 1) * units, (b * steps + steps) * units), b * units);
  }
  return out;
}

function forward(
  cell: "lstm" | "gru",
  weights: RnnWeights,
  x: Float32Array,
  opts: RnnOptions,
): RnnForwardResult {
  const o = complete(opts);
  const g = cell === "lstm" ? 4 : 3;
  checkSizes(cell.toUpperCase(), g, weights, x, o);
  const k = sharedInstance();
  const mark = k.mark();
  try {
    const { batch: B, steps: T, inputDim: I, units: U } = o;
    const px = k.put(x);
    const pk = k.put(weights.kernel);
    const pr = k.put(weights.recurrentKernel);
    const pb = weights.bias === null ? 0 : k.put(weights.bias);
    const ph = k.alloc(B * T * U);
    const pe = k.alloc(B * T * U);
    const pg = k.alloc(B * T * g * U);
    const act = activationCode(o.recurrentActivation);
    if (cell === "lstm") k.exports.lstm_forward(B, T, I, U, px, pk, pr, pb, act, ph, pe, pg);
    else k.exports.gru_forward(B, T, I, U, px, pk, pr, pb, act, ph, pg, pe);
    const h = k.read(ph, B * T * U);
    const output = o.returnSequences ? h : lastStep(h, o);
    const cache = o.keepCache
      ? {
        cell,
        options: o,
        weights,
        x,
        h,
        gates: k.read(pg, B * T * g * U),
        extra: k.read(pe, B * T * U),
      }
      : null;
    return { output, cache };
  } finally {
    k.release(mark);
  }
}

/**
 * Runs an LSTM layer over whole sequences in one fused kernel (tfjs `tf.layers.lstm` semantics,
 * zero initial state).
 *
 * @example
 * ```ts
 * const units = 2, inputDim = 1;
 * const { output } = lstmForward(
 *   { kernel: new Float32Array(inputDim * 4 * units).fill(0.1),
 *     recurrentKernel: new Float32Array(units * 4 * units), bias: null },
 *   new Float32Array([1, 2, 3]),
 *   { batch: 1, steps: 3, inputDim, units, returnSequences: false },
 * );
 * console.log(output.length); // 2
 * ```
 */
export function lstmForward(
  weights: RnnWeights,
  x: Float32Array,
  options: RnnOptions,
): RnnForwardResult {
  return forward("lstm", weights, x, options);
}

/**
 * Runs a GRU layer (tfjs `tf.layers.gru`, `resetAfter: false`) over whole sequences.
 *
 * @example
 * ```ts
 * const { output } = gruForward(
 *   { kernel: new Float32Array(6).fill(0.1), recurrentKernel: new Float32Array(12), bias: null },
 *   new Float32Array([1, 2]),
 *   { batch: 1, steps: 2, inputDim: 1, units: 2, returnSequences: true },
 * );
 * console.log(output.length); // 4
 * ```
 */
export function gruForward(
  weights: RnnWeights,
  x: Float32Array,
  options: RnnOptions,
): RnnForwardResult {
  return forward("gru", weights, x, options);
}

/**
 * Backpropagation through time for a cache from `lstmForward`. `dOutput` has the shape of the
 * forward output.
 *
 * @example
 * ```ts
 * const opts = { batch: 1, steps: 2, inputDim: 1, units: 1, returnSequences: false };
 * const w = { kernel: new Float32Array(4).fill(0.5), recurrentKernel: new Float32Array(4),
 *   bias: new Float32Array(4) };
 * const { cache } = lstmForward(w, new Float32Array([1, -1]), opts);
 * const grads = lstmBackward(cache!, new Float32Array([1]));
 * console.log(grads.dKernel.length); // 4
 * ```
 */
export function lstmBackward(cache: RnnCache, dOutput: Float32Array): RnnGradients {
  if (cache.cell !== "lstm") throw new Error(`Expected an LSTM cache, found a ${cache.cell} one`);
  return backward(cache, dOutput);
}

/**
 * Backpropagation through time for a cache from `gruForward`.
 *
 * @example
 * ```ts
 * const opts = { batch: 1, steps: 2, inputDim: 1, units: 1, returnSequences: true };
 * const w = { kernel: new Float32Array(3).fill(0.5), recurrentKernel: new Float32Array(3),
 *   bias: null };
 * const { cache } = gruForward(w, new Float32Array([1, -1]), opts);
 * const grads = gruBackward(cache!, new Float32Array([1, 1]));
 * console.log(grads.dx.length); // 2
 * ```
 */
export function gruBackward(cache: RnnCache, dOutput: Float32Array): RnnGradients {
  if (cache.cell !== "gru") throw new Error(`Expected a GRU cache, found a ${cache.cell} one`);
  return backward(cache, dOutput);
}

function backward(cache: RnnCache, dOutput: Float32Array): RnnGradients {
  const o = cache.options;
  const { batch: B, steps: T, inputDim: I, units: U } = o;
  const g = cache.cell === "lstm" ? 4 : 3;
  const expected = o.returnSequences ? B * T * U : B * U;
  if (dOutput.length !== expected) {
    throw new Error(`Expected dOutput of ${expected} values, found ${dOutput.length}`);
  }
  const k = sharedInstance();
  const mark = k.mark();
  try {
    const px = k.put(cache.x);
    const pk = k.put(cache.weights.kernel);
    const pr = k.put(cache.weights.recurrentKernel);
    const ph = k.put(cache.h);
    const pe = k.put(cache.extra);
    const pg = k.put(cache.gates);
    const pd = k.put(dOutput);
    const pdx = k.alloc(B * T * I);
    const pdk = k.alloc(I * g * U);
    const pdr = k.alloc(U * g * U);
    const pdb = k.alloc(g * U);
    const prt = k.alloc(g * U * U);
    const pkt = k.alloc(g * U * I);
    const s1 = k.alloc(B * U), s2 = k.alloc(B * U), s3 = k.alloc(B * U);
    const act = activationCode(o.recurrentActivation);
    const seq = o.returnSequences ? 1 : 0;
    if (cache.cell === "lstm") {
      k.exports.lstm_backward(
        B,
        T,
        I,
        U,
        px,
        pk,
        pr,
        act,
        ph,
        pe,
        pg,
        pd,
        seq,
        pdx,
        pdk,
        pdr,
        pdb,
        prt,
        pkt,
        s1,
        s2,
      );
    } else {
      k.exports.gru_backward(
        B,
        T,
        I,
        U,
        px,
        pk,
        pr,
        act,
        ph,
        pg,
        pe,
        pd,
        seq,
        pdx,
        pdk,
        pdr,
        pdb,
        prt,
        pkt,
        s1,
        s2,
        s3,
      );
    }
    return {
      dx: k.read(pdx, B * T * I),
      dKernel: k.read(pdk, I * g * U),
      dRecurrent: k.read(pdr, U * g * U),
      dBias: k.read(pdb, g * U),
    };
  } finally {
    k.release(mark);
  }
}
