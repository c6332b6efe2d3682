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

import { RNN_RELAXED_WASM_BASE64, RNN_WASM_BASE64 } from "../../../kernels/rnn_wasm.ts";

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

/**
 * What a forward pass saves for its backward pass. It lives in the kernels' memory (no copy):
 * the backward pass frees it, or `disposeCache` when no backward pass will come (a cache that is
 * only dropped is freed when it is garbage-collected).
 */
export interface RnnCache {
  /** Which kernel made it. */
  readonly cell: "lstm" | "gru";
  /** The options of the forward call. */
  readonly options: Required<RnnOptions>;
  /** Byte address of the cache block in the shared kernel instance; 0 once freed. */
  ptr: number;
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
  dense_backward(...args: number[]): void;
  reverse_time(...args: number[]): void;
  concat_features(...args: number[]): void;
  mul_into(n: number, a: number, m: number): void;
  add_into(n: number, a: number, b: number): void;
  adam_step(...args: number[]): void;
  rmsprop_step(...args: number[]): void;
  lstm_infer(...args: number[]): void;
  lstm_infer_scratch(units: number): number;
  alea_mask(n: number, state: number, keep: number, scale: number, out: number): void;
}

/**
 * Which build of `kernels/rnn.c` runs: `plain` WASM SIMD (every multiply and add rounded
 * separately: the same bits on every machine) or `relaxed` SIMD (fused multiply-add in the hot
 * loops: reproducible per machine and runtime, within float rounding of `plain`).
 */
export type KernelBuild = "plain" | "relaxed";

/**
 * The smallest module that uses relaxed SIMD: one function returning
 * `f32x4.relaxed_madd(a, b, c)`. `WebAssembly.validate` accepts it only where the runtime has
 * relaxed SIMD.
 */
const RELAXED_PROBE = new Uint8Array([
  0,
  97,
  115,
  109,
  1,
  0,
  0,
  0,
  1,
  8,
  1,
  96,
  3,
  123,
  123,
  123,
  1,
  123,
  3,
  2,
  1,
  0,
  10,
  13,
  1,
  11,
  0,
  32,
  0,
  32,
  1,
  32,
  2,
  253,
  133,
  2,
  11,
]);

/**
 * Whether this runtime validates relaxed-SIMD WebAssembly (V8 does since 11.4; Deno 2 has it).
 *
 * @example
 * ```ts
 * console.log(relaxedSimdSupported()); // true under Deno 2
 * ```
 */
export function relaxedSimdSupported(): boolean {
  return WebAssembly.validate(RELAXED_PROBE);
}

let chosenBuild: KernelBuild | null = null;

/**
 * The build the kernels run: chosen once at start-up, `relaxed` where the runtime supports it,
 * else `plain`; {@linkcode setKernelBuild} overrides it.
 *
 * @example
 * ```ts
 * console.log(kernelBuild()); // "relaxed" or "plain"
 * ```
 */
export function kernelBuild(): KernelBuild {
  if (chosenBuild === null) chosenBuild = relaxedSimdSupported() ? "relaxed" : "plain";
  return chosenBuild;
}

/**
 * Chooses the kernel build for what runs from now on (`auto`: the start-up choice). Call it before
 * training, or between runs: a forward cache still alive in the old build is an error, and the
 * second-core worker takes the build it was started with (restart it to change).
 *
 * @example
 * ```ts
 * setKernelBuild("plain"); // the same bits on every machine
 * ```
 */
export function setKernelBuild(build: KernelBuild | "auto"): void {
  if (build === "relaxed" && !relaxedSimdSupported()) {
    throw new Error("Expected a runtime with relaxed SIMD for the relaxed kernels, found none");
  }
  const next = build === "auto" ? (relaxedSimdSupported() ? "relaxed" : "plain") : build;
  if (next === chosenBuild) return;
  if (shared !== null && shared.allocatedBytes() > 0) {
    throw new Error(
      `Expected no live kernel caches to switch builds, found ${shared.allocatedBytes()} bytes`,
    );
  }
  chosenBuild = next;
  shared = null;
}

const compiled = new Map<KernelBuild, WebAssembly.Module>();

/**
 * The compiled kernel module of a build (default: {@linkcode kernelBuild}), from the bytes of
 * `kernels/rnn.wasm` / `kernels/rnn_relaxed.wasm` that `kernels/build.sh` also writes into
 * `kernels/rnn_wasm.ts`: importing them needs no file read, so inference runs with read access
 * to the model folder alone, and `deno compile` needs no `--include` for them. Compiled once per
 * process (per worker) and build.
 *
 * @example
 * ```ts
 * const module = kernelModule();
 * console.log(WebAssembly.Module.exports(module).length > 0); // true
 * ```
 */
export function kernelModule(build: KernelBuild = kernelBuild()): WebAssembly.Module {
  let module = compiled.get(build);
  if (module === undefined) {
    const text = atob(build === "relaxed" ? RNN_RELAXED_WASM_BASE64 : RNN_WASM_BASE64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    module = new WebAssembly.Module(bytes);
    compiled.set(build, module);
  }
  return module;
}

/**
 * One instance of the kernels with its own linear memory and a first-fit allocator over it
 * (16-byte aligned blocks, freed blocks coalesced, memory grown on demand).
 *
 * @example
 * ```ts
 * const k = new KernelInstance();
 * const p = k.alloc(4);
 * k.f32(p, 4).set([1, 2, 3, 4]);
 * k.free(p);
 * ```
 */
export class KernelInstance {
  /** The raw exports of the wasm instance. */
  readonly exports: KernelExports;
  /** The build this instance runs. */
  readonly build: KernelBuild;
  #top: number;
  readonly #used = new Map<number, number>();
  /** Free blocks below `#top`, sorted by address. */
  #free: { ptr: number; size: number }[] = [];

  /** A fresh instance of `build` (default: {@linkcode kernelBuild}). */
  constructor(build: KernelBuild = kernelBuild()) {
    this.build = build;
    const instance = new WebAssembly.Instance(kernelModule(build), {});
    this.exports = instance.exports as unknown as KernelExports;
    this.#top = ((this.exports.__heap_base.value as number) + 15) & ~15;
  }

  /** Allocates `n` f32 values (uninitialised); returns the byte address. */
  alloc(n: number): number {
    const size = Math.max(16, (n * 4 + 15) & ~15);
    const i = this.#free.findIndex((b) => b.size >= size);
    let ptr: number;
    if (i >= 0) {
      const block = this.#free[i];
      ptr = block.ptr;
      if (block.size === size) this.#free.splice(i, 1);
      else this.#free[i] = { ptr: ptr + size, size: block.size - size };
    } else {
      ptr = this.#top;
      this.#top += size;
      const mem = this.exports.memory;
      if (this.#top > mem.buffer.byteLength) {
        mem.grow(Math.ceil((this.#top - mem.buffer.byteLength) / 65536));
      }
    }
    this.#used.set(ptr, size);
    return ptr;
  }

  /** Frees a block from `alloc`. */
  free(ptr: number): void {
    const size = this.#used.get(ptr);
    if (size === undefined) throw new Error(`Expected an allocated block, found address ${ptr}`);
    this.#used.delete(ptr);
    let i = this.#free.findIndex((b) => b.ptr > ptr);
    if (i < 0) i = this.#free.length;
    this.#free.splice(i, 0, { ptr, size });
    const next = this.#free[i + 1];
    if (next && ptr + size === next.ptr) {
      this.#free[i].size += next.size;
      this.#free.splice(i + 1, 1);
    }
    const prev = this.#free[i - 1];
    if (prev && prev.ptr + prev.size === ptr) {
      prev.size += this.#free[i].size;
      this.#free.splice(i, 1);
      i--;
    }
    const last = this.#free[this.#free.length - 1];
    if (last && last.ptr + last.size === this.#top) {
      this.#top = last.ptr;
      this.#free.pop();
    }
  }

  /** Bytes currently allocated (for leak checks). */
  allocatedBytes(): number {
    let n = 0;
    for (const size of this.#used.values()) n += size;
    return n;
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

/**
 * Bytes the shared kernel instance holds for live caches (0 when every cache was consumed by a
 * backward pass or disposed).
 *
 * @example
 * ```ts
 * console.log(cacheBytes()); // 0
 * ```
 */
export function cacheBytes(): number {
  return shared === null ? 0 : shared.allocatedBytes();
}

const orphans = new FinalizationRegistry<number>((ptr) => shared?.free(ptr));

/**
 * Frees a cache that no backward pass will consume; a no-op on a freed cache.
 *
 * @example
 * ```ts
 * const { cache } = lstmForward(weights, x, options);
 * disposeCache(cache!);
 * ```
 */
export function disposeCache(cache: RnnCache): void {
  if (cache.ptr !== 0) {
    orphans.unregister(cache);
    sharedInstance().free(cache.ptr);
    cache.ptr = 0;
  }
}

type CachePart = "x" | "kernel" | "recurrent" | "bias" | "h" | "extra" | "gates" | "tanhC";

interface CacheLayout {
  /** Floats per part. */
  sizes: Record<CachePart, number>;
  /** Float offset of each part in the block (16-byte aligned). */
  offsets: Record<CachePart, number>;
  /** Floats in the block. */
  total: number;
  /** Gates per unit (4 LSTM, 3 GRU). */
  g: number;
}

/** Float offsets of the parts of a cache block. */
function layout(cell: "lstm" | "gru", o: RnnOptions): CacheLayout {
  const { batch: B, steps: T, inputDim: I, units: U } = o;
  const g = cell === "lstm" ? 4 : 3;
  const sizes: Record<CachePart, number> = {
    x: B * T * I,
    kernel: I * g * U,
    recurrent: U * g * U,
    bias: g * U,
    h: B * T * U,
    extra: B * T * U,
    gates: B * T * g * U,
    /** LSTM only: tanh of the cell states. */
    tanhC: cell === "lstm" ? B * T * U : 0,
  };
  const offsets: Record<CachePart, number> = { ...sizes };
  let total = 0;
  for (const key of Object.keys(sizes) as CachePart[]) {
    offsets[key] = total;
    total += (sizes[key] + 3) & ~3;
  }
  return { sizes, offsets, total, g };
}

/**
 * The code the C kernels use for a recurrent activation (0 sigmoid, 1 hard sigmoid).
 *
 * @example
 * ```ts
 * console.log(activationCode("hardSigmoid")); // 1
 * ```
 */
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
  const { sizes, offsets, total, g } = layout(cell, o);
  checkSizes(cell.toUpperCase(), g, weights, x, o);
  if (cell === "lstm" && !o.keepCache) return { output: lstmInfer(weights, x, o), cache: null };
  const k = sharedInstance();
  const ptr = k.alloc(total);
  const at = (key: CachePart): number => ptr + 4 * offsets[key];
  try {
    const { batch: B, steps: T, inputDim: I, units: U } = o;
    const mem = k.f32(ptr, total);
    mem.set(x, offsets.x);
    mem.set(weights.kernel, offsets.kernel);
    mem.set(weights.recurrentKernel, offsets.recurrent);
    if (weights.bias !== null) mem.set(weights.bias, offsets.bias);
    const pb = weights.bias === null ? 0 : at("bias");
    const act = activationCode(o.recurrentActivation);
    const args = [B, T, I, U, at("x"), at("kernel"), at("recurrent"), pb, act] as const;
    if (cell === "lstm") {
      k.exports.lstm_forward(...args, at("h"), at("extra"), at("gates"), at("tanhC"));
    } else k.exports.gru_forward(...args, at("h"), at("gates"), at("extra"));
    const h = k.f32(at("h"), sizes.h);
    const output = o.returnSequences ? h.slice() : lastStep(h, o);
    if (!o.keepCache) {
      k.free(ptr);
      return { output, cache: null };
    }
    const cache: RnnCache = { cell, options: o, ptr };
    orphans.register(cache, ptr, cache);
    return { output, cache };
  } catch (e) {
    k.free(ptr);
    throw e;
  }
}

/** The LSTM's output for inference (kernels/rnn.c `lstm_infer`: running state only, same bits). */
function lstmInfer(weights: RnnWeights, x: Float32Array, o: Required<RnnOptions>): Float32Array {
  const { batch: B, steps: T, inputDim: I, units: U } = o;
  const k = sharedInstance();
  const outSize = o.returnSequences ? B * T * U : B * U;
  const sizes = [x.length, I * 4 * U, U * 4 * U, 4 * U, outSize, k.exports.lstm_infer_scratch(U)];
  const ptrs = sizes.map((n) => k.alloc(n));
  try {
    const [px, pk, pr, pb, out, scratch] = ptrs;
    k.f32(px, x.length).set(x);
    k.f32(pk, sizes[1]).set(weights.kernel);
    k.f32(pr, sizes[2]).set(weights.recurrentKernel);
    if (weights.bias !== null) k.f32(pb, sizes[3]).set(weights.bias);
    const act = activationCode(o.recurrentActivation);
    const bias = weights.bias === null ? 0 : pb;
    k.exports.lstm_infer(
      B,
      T,
      I,
      U,
      px,
      pk,
      pr,
      bias,
      act,
      o.returnSequences ? 1 : 0,
      out,
      scratch,
    );
    return k.read(out, outSize);
  } finally {
    for (const p of ptrs) k.free(p);
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
  if (cache.ptr === 0) throw new Error("Expected a live cache, found one already used or disposed");
  const o = cache.options;
  const { batch: B, steps: T, inputDim: I, units: U } = o;
  const { offsets, g } = layout(cache.cell, o);
  const expected = o.returnSequences ? B * T * U : B * U;
  if (dOutput.length !== expected) {
    throw new Error(`Expected dOutput of ${expected} values, found ${dOutput.length}`);
  }
  const k = sharedInstance();
  const at = (key: CachePart): number => cache.ptr + 4 * offsets[key];
  // dOutput, then dx, dKernel, dRecurrent, dBias, then three [B, U] scratch blocks.
  const parts = [expected, B * T * I, I * g * U, U * g * U, g * U, B * U, B * U, B * U];
  const sizes = parts.map((n) => (n + 3) & ~3);
  const scratch = k.alloc(sizes.reduce((a, b) => a + b, 0));
  try {
    const ptrs: number[] = [];
    let p = scratch;
    for (const n of sizes) {
      ptrs.push(p);
      p += 4 * n;
    }
    const [pd, pdx, pdk, pdr, pdb, s1, s2, s3] = ptrs;
    k.f32(pd, expected).set(dOutput);
    const act = activationCode(o.recurrentActivation);
    const seq = o.returnSequences ? 1 : 0;
    const head = [B, T, I, U, at("x"), at("kernel"), at("recurrent"), act, at("h")] as const;
    const tail = [pd, seq, pdx, pdk, pdr, pdb, s1, s2] as const;
    if (cache.cell === "lstm") {
      k.exports.lstm_backward(...head, at("extra"), at("tanhC"), at("gates"), ...tail);
    } else k.exports.gru_backward(...head, at("gates"), at("extra"), ...tail, s3);
    return {
      dx: k.read(pdx, B * T * I),
      dKernel: k.read(pdk, I * g * U),
      dRecurrent: k.read(pdr, U * g * U),
      dBias: k.read(pdb, g * U),
    };
  } finally {
    k.free(scratch);
    disposeCache(cache);
  }
}
