/**
 * Whole-model inference in the fused kernels, without tfjs dispatch: the weights live in the
 * kernel instance's memory and one prediction is a handful of wasm calls. Covers sequential
 * models built from LSTM, GRU, Bidirectional (concat), Dropout (identity at inference) and
 * Dense (linear, relu, sigmoid, tanh) layers: the `lstm`, `gru`, `deep` and `bidirectional`
 * architectures.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import {
  activationCode,
  KernelInstance,
  type RecurrentActivation,
  type RnnWeights,
} from "./mod.ts";

/** One recurrent layer of a `FastPredictor`. */
export interface RecurrentSpec {
  type: "lstm" | "gru";
  units: number;
  returnSequences: boolean;
  recurrentActivation: RecurrentActivation;
  /** Process the sequence from its end (the backward half of a Bidirectional layer). */
  goBackwards?: boolean;
  weights: RnnWeights;
}

/** A layer of a `FastPredictor`. */
export type LayerSpec =
  | RecurrentSpec
  | { type: "bidirectional"; forward: RecurrentSpec; backward: RecurrentSpec }
  | { type: "dropout" }
  | {
    type: "dense";
    units: number;
    activation: "linear" | "relu" | "sigmoid" | "tanh";
    kernel: Float32Array;
    bias: Float32Array | null;
  };

const DENSE_CODES = { linear: 0, relu: 1, sigmoid: 2, tanh: 3 } as const;
/** Largest batch whose scratch memory a predictor keeps between calls. */
const KEEP_SCRATCH_BATCH = 8;

interface Buffer {
  ptr: number;
  /** Steps, or 0 for a [batch, features] tensor. */
  steps: number;
  features: number;
}

interface ResidentRnn {
  spec: RecurrentSpec;
  kernel: number;
  recurrent: number;
  bias: number;
}

type Resident =
  | { type: "rnn"; rnn: ResidentRnn }
  | { type: "bidirectional"; forward: ResidentRnn; backward: ResidentRnn }
  | { type: "dense"; units: number; act: number; kernel: number; bias: number };

/**
 * A compiled stack of layers with resident weights, for fast single-sequence (or small batch)
 * predictions. Not thread-safe; one instance per worker.
 *
 * @example
 * ```ts
 * const predictor = FastPredictor.fromModel(model); // a tf.LayersModel of supported layers
 * const p = predictor.predict(new Float32Array(60 * 10)); // one [60, 10] sequence
 * console.log(p.length); // 1
 * ```
 */
export class FastPredictor {
  readonly #k = new KernelInstance();
  readonly #layers: Resident[];
  readonly #steps: number;
  readonly #features: number;
  /** Scratch blocks of the current `predict` call, in the order it allocated them. */
  #scratch: number[] = [];
  /** Blocks of `#scratch` handed out in this call (a call of the last call's batch reuses them). */
  #used = 0;
  /** The batch `#scratch` was allocated for (0: none kept). */
  #scratchBatch = 0;

  /** Copies the weights of `layers` into a new kernel instance; input is `[steps, features]`. */
  constructor(layers: LayerSpec[], inputShape: [number, number]) {
    [this.#steps, this.#features] = inputShape;
    const k = this.#k;
    const put = (a: Float32Array | null): number => (a === null ? 0 : k.put(a));
    const rnn = (spec: RecurrentSpec): ResidentRnn => ({
      spec,
      kernel: put(spec.weights.kernel),
      recurrent: put(spec.weights.recurrentKernel),
      bias: put(spec.weights.bias),
    });
    this.#layers = [];
    for (const l of layers) {
      if (l.type === "lstm" || l.type === "gru") this.#layers.push({ type: "rnn", rnn: rnn(l) });
      else if (l.type === "bidirectional") {
        this.#layers.push({
          type: "bidirectional",
          forward: rnn(l.forward),
          backward: rnn(l.backward),
        });
      } else if (l.type === "dense") {
        this.#layers.push({
          type: "dense",
          units: l.units,
          act: DENSE_CODES[l.activation],
          kernel: put(l.kernel),
          bias: put(l.bias),
        });
      }
    }
  }

  /**
   * Reads the layers and weights of a tfjs model (stock or fast layers alike).
   *
   * @example
   * ```ts
   * const model = await tf.loadLayersModel("file:///path/model.json");
   * const predictor = FastPredictor.fromModel(model);
   * ```
   */
  static fromModel(model: tf.LayersModel): FastPredictor {
    const shape = model.inputs[0].shape;
    if (shape.length !== 3 || shape[1] === null || shape[2] === null) {
      throw new Error(`Expected a [batch, steps, features] model input, found [${shape}]`);
    }
    const specs = model.layers.filter((l) => l.getClassName() !== "InputLayer").map(layerSpec);
    return new FastPredictor(specs, [shape[1], shape[2]]);
  }

  /**
   * Predicts `batch` sequences given as `[batch, steps, features]` values; returns the last
   * layer's output (`[batch, units]`, or `[batch, steps, units]` for a sequence output).
   */
  predict(x: Float32Array, batch = 1): Float32Array {
    const n = batch * this.#steps * this.#features;
    if (x.length !== n) {
      throw new Error(
        `Expected ${batch} x ${this.#steps} x ${this.#features} = ${n} input values, found ${x.length}`,
      );
    }
    // A call of the previous call's (small) batch allocates the same blocks in the same order:
    // keep them between calls, so that a prediction per bar allocates nothing.
    if (batch !== this.#scratchBatch) this.#release();
    this.#scratchBatch = batch;
    this.#used = 0;
    let ok = false;
    try {
      const out = this.#run(x, batch);
      ok = true;
      return out;
    } finally {
      if (!ok || batch > KEEP_SCRATCH_BATCH) this.#release();
    }
  }

  /** Frees the scratch blocks kept. */
  #release(): void {
    for (const p of this.#scratch) this.#k.free(p);
    this.#scratch = [];
    this.#scratchBatch = 0;
  }

  #alloc(n: number): number {
    if (this.#used < this.#scratch.length) return this.#scratch[this.#used++];
    const p = this.#k.alloc(n);
    this.#scratch.push(p);
    this.#used++;
    return p;
  }

  #run(x: Float32Array, batch: number): Float32Array {
    const k = this.#k;
    const input = this.#alloc(x.length);
    k.f32(input, x.length).set(x);
    let cur: Buffer = { ptr: input, steps: this.#steps, features: this.#features };
    for (const layer of this.#layers) {
      if (layer.type === "rnn") cur = this.#rnn(layer.rnn, cur, batch);
      else if (layer.type === "bidirectional") {
        cur = this.#bidirectional(layer.forward, layer.backward, cur, batch);
      } else {
        const rows = batch * Math.max(cur.steps, 1);
        const out = this.#alloc(rows * layer.units);
        k.exports.dense_forward(
          rows,
          cur.features,
          layer.units,
          cur.ptr,
          layer.kernel,
          layer.bias,
          layer.act,
          out,
        );
        cur = { ptr: out, steps: cur.steps, features: layer.units };
      }
    }
    return k.read(cur.ptr, batch * Math.max(cur.steps, 1) * cur.features);
  }

  /** Runs one recurrent layer; the output keeps every step (steps > 0) or only the last. */
  #rnn(r: ResidentRnn, input: Buffer, batch: number): Buffer {
    const k = this.#k;
    const { spec } = r;
    const T = input.steps, I = input.features, U = spec.units, B = batch;
    if (T === 0) {
      throw new Error(`Expected a sequence input to the ${spec.type} layer, found a vector`);
    }
    let x = input.ptr;
    if (spec.goBackwards) {
      x = this.#alloc(B * T * I);
      k.exports.reverse_time(B, T, I, input.ptr, x);
    }
    const act = activationCode(spec.recurrentActivation);
    if (spec.type === "lstm") {
      // Inference only: the running state, not every step's gates (the same bits).
      const out = this.#alloc(spec.returnSequences ? B * T * U : B * U);
      const scratch = this.#alloc(k.exports.lstm_infer_scratch(U));
      const seq = spec.returnSequences ? 1 : 0;
      k.exports.lstm_infer(B, T, I, U, x, r.kernel, r.recurrent, r.bias, act, seq, out, scratch);
      return { ptr: out, steps: spec.returnSequences ? T : 0, features: U };
    }
    const h = this.#alloc(B * T * U), extra = this.#alloc(B * T * U);
    const gates = this.#alloc(B * T * 3 * U);
    k.exports.gru_forward(B, T, I, U, x, r.kernel, r.recurrent, r.bias, act, h, gates, extra);
    if (spec.returnSequences) return { ptr: h, steps: T, features: U };
    const last = this.#alloc(B * U);
    const view = k.f32(0, k.exports.memory.buffer.byteLength / 4);
    for (let b = 0; b < B; b++) {
      const from = h / 4 + (b * T + T - 1) * U;
      view.copyWithin(last / 4 + b * U, from, from + U);
    }
    return { ptr: last, steps: 0, features: U };
  }

  /** Bidirectional with concat merge: [forward, backward] features, backward re-reversed. */
  #bidirectional(f: ResidentRnn, b: ResidentRnn, input: Buffer, batch: number): Buffer {
    const k = this.#k;
    const yf = this.#rnn(f, input, batch);
    let yb = this.#rnn(b, input, batch);
    if (yb.steps > 0) {
      const rev = this.#alloc(batch * yb.steps * yb.features);
      k.exports.reverse_time(batch, yb.steps, yb.features, yb.ptr, rev);
      yb = { ...yb, ptr: rev };
    }
    const rows = batch * Math.max(yf.steps, 1);
    const out = this.#alloc(rows * (yf.features + yb.features));
    k.exports.concat_features(rows, yf.features, yb.features, yf.ptr, yb.ptr, out);
    return { ptr: out, steps: yf.steps, features: yf.features + yb.features };
  }
}

function weightsOf(layer: tf.layers.Layer): Float32Array[] {
  return layer.getWeights().map((w) => new Float32Array(w.dataSync()));
}

function recurrentSpec(layer: tf.layers.Layer): RecurrentSpec {
  const c = layer.getConfig() as Record<string, unknown>;
  const name = layer.getClassName();
  const type = name === "LSTM" ? "lstm" : "gru";
  if (c.activation !== "tanh") {
    throw new Error(`Expected a tanh ${name} activation, found ${c.activation}`);
  }
  const rec = c.recurrentActivation;
  if (rec !== "sigmoid" && rec !== "hardSigmoid") {
    throw new Error(`Expected a sigmoid or hardSigmoid recurrent activation, found ${rec}`);
  }
  if (c.stateful === true || c.returnState === true) {
    throw new Error(`Expected a stateless ${name} layer without returned states`);
  }
  const [kernel, recurrentKernel, bias] = weightsOf(layer);
  return {
    type,
    units: c.units as number,
    returnSequences: c.returnSequences === true,
    recurrentActivation: rec,
    goBackwards: c.goBackwards === true,
    weights: { kernel, recurrentKernel, bias: bias ?? null },
  };
}

function layerSpec(layer: tf.layers.Layer): LayerSpec {
  const name = layer.getClassName();
  const c = layer.getConfig() as Record<string, unknown>;
  if (name === "LSTM" || name === "GRU") return recurrentSpec(layer);
  if (name === "Dropout") return { type: "dropout" };
  if (name === "Dense") {
    const activation = c.activation as string;
    if (!(activation in DENSE_CODES)) {
      throw new Error(
        `Expected a linear, relu, sigmoid or tanh Dense activation, found ${activation}`,
      );
    }
    const [kernel, bias] = weightsOf(layer);
    return {
      type: "dense",
      units: c.units as number,
      activation: activation as keyof typeof DENSE_CODES,
      kernel,
      bias: bias ?? null,
    };
  }
  if (name === "Bidirectional") {
    if (c.mergeMode !== "concat") {
      throw new Error(`Expected mergeMode concat, found ${c.mergeMode}`);
    }
    const bi = layer as unknown as {
      forwardLayer: tf.layers.Layer;
      backwardLayer: tf.layers.Layer;
    };
    return {
      type: "bidirectional",
      forward: recurrentSpec(bi.forwardLayer),
      backward: recurrentSpec(bi.backwardLayer),
    };
  }
  throw new Error(`Expected LSTM, GRU, Bidirectional, Dropout or Dense layers, found ${name}`);
}
