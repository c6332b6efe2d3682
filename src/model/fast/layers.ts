/**
 * TensorFlow.js integration of the fused kernels: a differentiable op (`fastRnn`) and drop-in
 * layers (`FastLSTM`, `FastGRU`) that subclass the stock tfjs classes. They keep the stock class
 * name, config and weights (`<name>/kernel`, `recurrent_kernel`, `bias`), so a model built with
 * them saves as plain `LSTM`/`GRU` layers that stock TensorFlow.js loads, and they fall back to
 * the stock per-step code for features the kernels do not cover (dropout inside the cell,
 * masks, initial or returned states, stateful layers, an activation other than tanh).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { RecurrentActivation } from "./mod.ts";
import { remoteParts, splitBackward, splitForward } from "./parallel.ts";
import { type BoundPlan, type FusedOptimizer, fusedPlan, FusedTrainer } from "./step.ts";
import { timed } from "./profile.ts";
import { type FastRnnOptions, webgpuRnn } from "./webgpu.ts";

// The options live with the WebGPU twin, which layers.ts imports (one way, no circle).
export type { FastRnnOptions } from "./webgpu.ts";

/**
 * A whole LSTM/GRU layer as one differentiable tfjs op: the forward pass and the backward pass
 * (through `tf.customGrad`) each run one fused kernel. On the WebGPU backend that is the fused
 * WGSL recurrence of `webgpu.ts`, on the GPU's buffers; on the others the fused wasm kernel on
 * host copies of the tensors (read with `dataSync`), the batch split with a worker after
 * `startWorkers()`.
 *
 * @example
 * ```ts
 * const x = tf.ones([2, 5, 3]);
 * const y = fastRnn(x, tf.ones([3, 16]), tf.zeros([4, 16]), tf.zeros([16]),
 *   { cell: "lstm", returnSequences: false });
 * console.log(y.shape); // [2, 4]
 * ```
 */
export function fastRnn(
  x: tf.Tensor,
  kernel: tf.Tensor,
  recurrentKernel: tf.Tensor,
  bias: tf.Tensor | null,
  options: FastRnnOptions,
): tf.Tensor {
  if (x.rank !== 3) throw new Error(`Expected a [batch, steps, features] input, found ${x.shape}`);
  if (tf.getBackend() === "webgpu") {
    return webgpuRnn(x, kernel, recurrentKernel, bias, options);
  }
  const [batch, steps, inputDim] = x.shape;
  const units = recurrentKernel.shape[0];
  const { cell, returnSequences } = options;
  const recurrentActivation = options.recurrentActivation ?? "hardSigmoid";
  const shape = returnSequences ? [batch, steps, units] : [batch, units];
  const run = (
    xs: tf.Tensor,
    k: tf.Tensor,
    r: tf.Tensor,
    b: tf.Tensor | null,
    keepCache: boolean,
  ): ReturnType<typeof splitForward> => {
    const [weights, xv] = timed("rnn.read", () =>
      [{
        kernel: k.dataSync() as Float32Array,
        recurrentKernel: r.dataSync() as Float32Array,
        bias: b === null ? null : b.dataSync() as Float32Array,
      }, xs.dataSync() as Float32Array] as const);
    return timed("rnn.forward", () =>
      splitForward(cell, weights, xv, {
        batch,
        steps,
        inputDim,
        units,
        returnSequences,
        recurrentActivation,
        keepCache,
      }));
  };
  // Outside tf.grad/variableGrads/minimize nothing will ask for gradients: keep no cache.
  if (tf.engine().state.gradientDepth === 0) {
    return tf.tensor(run(x, kernel, recurrentKernel, bias, false).output, shape);
  }
  const biasTensor = bias ?? tf.zeros([recurrentKernel.shape[1] as number]);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, k, r, b] = args as tf.Tensor[];
    const { output, cache } = run(xs, k, r, bias === null ? null : b, true);
    return {
      value: timed("rnn.tensor", () => tf.tensor(output, shape)),
      gradFunc: (dy: tf.Tensor): tf.Tensor[] => {
        const dyv = timed("rnn.read", () => dy.dataSync() as Float32Array);
        const g = timed("rnn.backward", () => splitBackward(cache!, dyv));
        return timed("rnn.tensor", () => [
          tf.tensor(g.dx, xs.shape),
          tf.tensor(g.dKernel, k.shape),
          tf.tensor(g.dRecurrent, r.shape),
          tf.tensor(g.dBias, b.shape),
        ]);
      },
    };
  });
  return op(x, kernel, recurrentKernel, biasTensor);
}

type LstmArgs = Parameters<typeof tf.layers.lstm>[0];
type GruArgs = Parameters<typeof tf.layers.gru>[0];
type Kwargs = Record<string, unknown>;

interface CellInternals {
  kernel: tf.LayerVariable;
  recurrentKernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  activation: { getClassName(): string };
  recurrentActivation: { getClassName(): string };
  dropout: number;
  recurrentDropout: number;
}

interface RnnInternals {
  cell: CellInternals;
  returnSequences: boolean;
  returnState: boolean;
  goBackwards: boolean;
  stateful: boolean;
}

function stockClass<A>(className: string): new (args: A) => tf.layers.Layer {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (entry === undefined) throw new Error(`Expected tfjs to register class ${className}`);
  return entry[0] as unknown as new (args: A) => tf.layers.Layer;
}

/** The fused kernel's recurrent activation for this layer, or null if it cannot run it. */
function fastActivation(layer: RnnInternals, kwargs: Kwargs): RecurrentActivation | null {
  const c = layer.cell;
  const rec = c.recurrentActivation.getClassName();
  const supported = !layer.returnState && !layer.stateful && (kwargs.mask ?? null) === null &&
    (kwargs.initialState ?? null) === null && c.dropout === 0 && c.recurrentDropout === 0 &&
    c.activation.getClassName() === "tanh" && (rec === "sigmoid" || rec === "hardSigmoid");
  return supported ? rec as RecurrentActivation : null;
}

function fastCall(
  cell: "lstm" | "gru",
  layer: RnnInternals,
  inputs: tf.Tensor | tf.Tensor[],
  activation: RecurrentActivation,
): tf.Tensor {
  return tf.tidy(() => {
    let x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (layer.goBackwards) x = tf.reverse(x, 1);
    const c = layer.cell;
    return fastRnn(
      x,
      c.kernel.read(),
      c.recurrentKernel.read(),
      c.bias === null ? null : c.bias.read(),
      { cell, returnSequences: layer.returnSequences, recurrentActivation: activation },
    );
  });
}

function singleInput(inputs: tf.Tensor | tf.Tensor[]): boolean {
  return !Array.isArray(inputs) || inputs.length === 1;
}

/**
 * Drop-in `tf.layers.lstm` whose whole-sequence forward and backward passes run in the fused
 * wasm kernel. Same constructor arguments, config, class name and weights as the stock layer.
 *
 * @example
 * ```ts
 * const model = tf.sequential({ layers: [
 *   new FastLSTM({ units: 50, returnSequences: false, inputShape: [60, 10] }),
 *   tf.layers.dense({ units: 1, activation: "sigmoid" }),
 * ] });
 * model.predict(tf.zeros([1, 60, 10]));
 * ```
 */
export class FastLSTM extends stockClass<LstmArgs>("LSTM") {
  constructor(args: LstmArgs) {
    super(args);
  }

  /** Runs the fused kernel when the layer's options allow it, the stock loop otherwise. */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as RnnInternals;
    const activation = fastActivation(self, kwargs);
    if (activation === null || !singleInput(inputs)) return super.call(inputs, kwargs);
    return fastCall("lstm", self, inputs, activation);
  }
}

/**
 * Drop-in `tf.layers.gru` (tfjs GRU, `resetAfter: false`) backed by the fused wasm kernel.
 *
 * @example
 * ```ts
 * const layer = new FastGRU({ units: 8, returnSequences: true });
 * const y = layer.apply(tf.zeros([2, 5, 3])) as tf.Tensor;
 * console.log(y.shape); // [2, 5, 8]
 * ```
 */
export class FastGRU extends stockClass<GruArgs>("GRU") {
  constructor(args: GruArgs) {
    super(args);
  }

  /** Runs the fused kernel when the layer's options allow it, the stock loop otherwise. */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as RnnInternals;
    const activation = fastActivation(self, kwargs);
    if (activation === null || !singleInput(inputs)) return super.call(inputs, kwargs);
    return fastCall("gru", self, inputs, activation);
  }
}

interface BidirectionalInternals {
  forwardLayer: tf.layers.Layer;
  backwardLayer: tf.layers.Layer;
}

function fastTwin(layer: tf.layers.Layer): tf.layers.Layer {
  const config = layer.getConfig() as unknown as LstmArgs & GruArgs;
  const name = layer.getClassName();
  if (name === "LSTM") return new FastLSTM(config);
  if (name === "GRU") return new FastGRU(config);
  throw new Error(`Expected an LSTM or GRU layer, found ${name}`);
}

/**
 * Same as `tf.layers.bidirectional`, with both directions running the fused kernels (tfjs
 * rebuilds the wrapped layer from its config, which would give stock layers). Saves as a stock
 * `Bidirectional` layer.
 *
 * @example
 * ```ts
 * const bi = fastBidirectional({ layer: new FastLSTM({ units: 8, returnSequences: true }) });
 * const y = bi.apply(tf.zeros([2, 5, 3])) as tf.Tensor;
 * console.log(y.shape); // [2, 5, 16]
 * ```
 */
export function fastBidirectional(
  args: Parameters<typeof tf.layers.bidirectional>[0],
): tf.layers.Layer {
  return toFastLayer(tf.layers.bidirectional(args));
}

/**
 * The fused twin of a stock (not yet built) LSTM, GRU or Bidirectional layer, with the same
 * config and name; other layers are returned as they are.
 *
 * @example
 * ```ts
 * const layer = toFastLayer(tf.layers.lstm({ units: 50, returnSequences: true }));
 * console.log(layer instanceof FastLSTM); // true
 * ```
 */
export function toFastLayer(layer: tf.layers.Layer): tf.layers.Layer {
  const name = layer.getClassName();
  if (layer instanceof FastLSTM || layer instanceof FastGRU) return layer;
  if (name === "LSTM" || name === "GRU") return fastTwin(layer);
  if (name === "Bidirectional") {
    const bi = layer as unknown as BidirectionalInternals;
    bi.forwardLayer = toFastLayer(bi.forwardLayer);
    bi.backwardLayer = toFastLayer(bi.backwardLayer);
  }
  return layer;
}

/**
 * A copy of a sequential model (for example one loaded from disk with stock layers) whose
 * LSTM, GRU and Bidirectional layers run the fused kernels, with the same config and weights.
 * The copy saves exactly like the original.
 *
 * @example
 * ```ts
 * const stock = await tf.loadLayersModel("file:///path/model.json") as tf.Sequential;
 * const fast = toFastModel(stock);
 * fast.compile({ optimizer: "adam", loss: "binaryCrossentropy" });
 * ```
 */
export function toFastModel(model: tf.Sequential): tf.Sequential {
  const registry = tf.serialization.SerializationMap.getMap().classNameMap;
  const layers = model.layers.map((layer) => {
    const entry = registry[layer.getClassName()];
    if (entry === undefined) {
      throw new Error(`Expected a registered layer class, found ${layer.getClassName()}`);
    }
    const [cls, fromConfig] = entry;
    return toFastLayer(fromConfig(cls, layer.getConfig()) as unknown as tf.layers.Layer);
  });
  const fast = tf.sequential({ layers, name: model.name });
  fast.setWeights(model.getWeights());
  return fast;
}

/**
 * Which implementation runs the recurrent layers: the fused kernels (WASM on the wasm and cpu
 * backends, WGSL on webgpu) or stock tfjs.
 */
export type Kernel = "fast" | "stock";
/** The values `--kernel` accepts. */
export const KERNELS: readonly Kernel[] = ["fast", "stock"];

/**
 * The kernel to use when none was asked for: the fused kernels on every backend (WASM on wasm
 * and cpu, the fused WGSL recurrence on webgpu).
 *
 * @example
 * ```ts
 * defaultKernel("wasm"); // "fast"
 * defaultKernel("webgpu"); // "fast"
 * ```
 */
export function defaultKernel(_backend: string): Kernel {
  return "fast";
}

/**
 * The kernel a run on `backend` (the backend actually selected) uses: the one requested, else
 * {@linkcode defaultKernel}. Every backend runs both, so this never fails; it stays the one
 * place that decides (an unknown `--kernel` is refused by the flag parser).
 *
 * @example
 * ```ts
 * resolveKernel(undefined, "wasm"); // "fast"
 * resolveKernel("stock", "wasm"); // "stock"
 * resolveKernel("fast", "webgpu"); // "fast"
 * ```
 */
export function resolveKernel(requested: Kernel | undefined, backend: string): Kernel {
  return requested ?? defaultKernel(backend);
}

function retarget(layer: tf.layers.Layer, kernel: Kernel): number {
  const name = layer.getClassName();
  if (name === "Bidirectional") {
    const bi = layer as unknown as BidirectionalInternals;
    return retarget(bi.forwardLayer, kernel) + retarget(bi.backwardLayer, kernel);
  }
  if (name !== "LSTM" && name !== "GRU") return 0;
  const fast = name === "LSTM" ? FastLSTM : FastGRU;
  const stock = stockClass<unknown>(name);
  // The fused classes add no state of their own (only `call`), so an instance can switch class.
  Object.setPrototypeOf(layer, kernel === "fast" ? fast.prototype : stock.prototype);
  return 1;
}

/**
 * How many recurrent layers of a model (Bidirectional halves counted) run the fused kernels.
 *
 * @example
 * ```ts
 * fastLayerCount(buildModel("lstm", { inputShape: [60, 10], kernel: "fast" })); // 2
 * ```
 */
export function fastLayerCount(model: tf.LayersModel): number {
  const count = (layer: tf.layers.Layer): number => {
    if (layer instanceof FastLSTM || layer instanceof FastGRU) return 1;
    if (layer.getClassName() !== "Bidirectional") return 0;
    const bi = layer as unknown as BidirectionalInternals;
    return count(bi.forwardLayer) + count(bi.backwardLayer);
  };
  return model.layers.reduce((n, layer) => n + count(layer), 0);
}

/**
 * Switches, in place, every LSTM, GRU and Bidirectional layer of a model (sequential or
 * functional, built here or loaded from disk) to the fused kernels or back to stock tfjs. The
 * weights, config and saved form do not change. Returns the number of recurrent layers switched.
 *
 * @example
 * ```ts
 * const model = await tf.loadLayersModel("file:///path/model.json");
 * useKernel(model, "fast"); // 2 for the seed's lstm
 * ```
 */
export function useKernel(model: tf.LayersModel, kernel: Kernel): number {
  const n = model.layers.reduce((count, layer) => count + retarget(layer, kernel), 0);
  if (kernel === "fast") installFusedStep(model);
  else delete (model as unknown as Record<string, unknown>).trainOnBatch;
  return n;
}

let fusedTraining = true;

/**
 * Turns the fused training step (`step.ts`) on or off for every model (default on). Off,
 * `trainOnBatch` runs tfjs's own step, with the fused kernels inside the recurrent layers only.
 *
 * @example
 * ```ts
 * setFusedTraining(false); // compare with the per-layer path
 * ```
 */
export function setFusedTraining(on: boolean): void {
  fusedTraining = on;
}

interface Binding {
  optimizer: unknown;
  trainer: FusedTrainer | null;
  reason: string | null;
}

const bindings = new WeakMap<tf.LayersModel, Binding>();

/** The fused trainer of a model, or why there is none (one line). */
function bind(model: tf.LayersModel): Binding {
  const optimizer = (model as unknown as { optimizer?: unknown }).optimizer;
  const known = bindings.get(model);
  if (known && known.optimizer === optimizer) return known;
  known?.trainer?.dispose();
  let binding: Binding;
  const iterations = (optimizer as { iterations?: number } | undefined)?.iterations ?? 0;
  if (iterations > 0) {
    binding = { optimizer, trainer: null, reason: "the optimizer already took tfjs steps" };
  } else {
    const bound: BoundPlan | string = fusedPlan(
      model,
      (layer) => layer instanceof FastLSTM || layer instanceof FastGRU,
    );
    binding = typeof bound === "string" ? { optimizer, trainer: null, reason: bound } : {
      optimizer,
      trainer: new FusedTrainer(bound, optimizer as FusedOptimizer),
      reason: null,
    };
  }
  bindings.set(model, binding);
  return binding;
}

/**
 * Why `model.trainOnBatch` runs tfjs's own step rather than the fused training step, or null
 * when the fused step runs (on the wasm or cpu backend, for a model with the fused kernels that
 * `fusedPlan` accepts).
 *
 * @example
 * ```ts
 * fusedStepReason(buildModel("attention", { inputShape: [60, 10] })); // "a Dot layer"
 * ```
 */
export function fusedStepReason(model: tf.LayersModel): string | null {
  if (!Object.hasOwn(model, "trainOnBatch")) return "the model runs the stock kernel";
  if (!fusedTraining) return "the fused training step is turned off";
  const backend = tf.getBackend();
  if (backend !== "wasm" && backend !== "cpu") return `the ${backend} backend`;
  return bind(model).reason;
}

/**
 * One fused training step on plain arrays (`xs` `[batch, steps, features]`, `ys` the labels):
 * `[loss, accuracy]` as `trainOnBatch` would give them, or null when the fused step does not run
 * for this model (see {@linkcode fusedStepReason}); the caller then builds tensors for tfjs.
 *
 * @example
 * ```ts
 * const result = fusedStepOnArrays(model, x, y) ?? await model.trainOnBatch(xt, yt);
 * ```
 */
export function fusedStepOnArrays(
  model: tf.LayersModel,
  xs: Float32Array,
  ys: Float32Array,
): [number, number] | null {
  if (fusedStepReason(model) !== null) return null;
  return bind(model).trainer!.stepArrays(xs, ys, remoteParts());
}

/** Makes `model.trainOnBatch` run the fused training step when it can (see `step.ts`). */
function installFusedStep(model: tf.LayersModel): void {
  if (Object.hasOwn(model, "trainOnBatch")) return;
  const stock = Object.getPrototypeOf(model).trainOnBatch as tf.LayersModel["trainOnBatch"];
  const fused = (
    x: tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor>,
    y: tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor>,
  ): Promise<number | number[]> => {
    if (x instanceof tf.Tensor && y instanceof tf.Tensor && fusedStepReason(model) === null) {
      const trainer = bind(model).trainer!;
      const metrics = (model as unknown as { metricsNames?: string[] }).metricsNames ?? [];
      const [loss, accuracy] = trainer.step(x, y, remoteParts());
      return Promise.resolve(metrics.length > 1 ? [loss, accuracy] : loss);
    }
    return stock.call(model, x, y);
  };
  Object.defineProperty(model, "trainOnBatch", {
    value: fused,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}
