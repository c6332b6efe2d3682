/**
 * The model architectures `--arch` offers, all built from stock tfjs layers
 * (no custom classes), so a saved model loads with plain `tf.loadLayersModel`.
 * Every initializer and dropout layer gets a seed derived from one integer,
 * so the same seed builds the same initial weights.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { createRng, type Rng } from "../util/random.ts";
import { defaultKernel, type Kernel, useKernel } from "./fast/layers.ts";

/** Architecture names `--arch` accepts. */
export const ARCHITECTURES = [
  "lstm",
  "deep",
  "bidirectional",
  "attention",
  "gru",
  "paper",
] as const;
/** An architecture name. */
export type Architecture = typeof ARCHITECTURES[number];

/**
 * A TensorFlow.js layers model (`tf.LayersModel`), as {@linkcode buildModel}
 * makes it and the model store saves and loads it.
 *
 * @example
 * ```ts
 * const model: LayersModel = buildModel("lstm", { inputShape: [60, 12] });
 * model.summary();
 * ```
 */
export type LayersModel = tf.LayersModel;

/** Hyperparameters of {@linkcode buildModel}. */
export interface ModelOptions {
  /** Input shape `[sequenceLength, nFeatures]`. */
  inputShape: [number, number];
  /** Units of the recurrent layers (default 50; `deep` uses 2×, 1×, ½×). */
  lstmUnits?: number;
  /** Dropout rate after each recurrent layer and the dense head (default 0.2). */
  dropout?: number;
  /** L2 weight penalty on kernels and recurrent kernels; 0 turns it off (default 0). */
  l2?: number;
  /** Adam learning rate (default 0.001). */
  learningRate?: number;
  /** Seed of every initializer and dropout layer (default 42). */
  seed?: number;
  /**
   * Who runs the recurrent layers: `"fast"`, the fused WASM kernels, or `"stock"`, tfjs's
   * per-step layers (default fast, stock when the active backend is webgpu). Not a
   * hyperparameter: both save the same stock layers.
   */
  kernel?: Kernel;
}

/** {@linkcode ModelOptions} with every default filled in, as stored in model_config.json. */
export type Hyperparameters = Required<Omit<ModelOptions, "inputShape" | "kernel">>;

/**
 * Fills in the defaults of {@linkcode ModelOptions}.
 *
 * @example
 * ```ts
 * withDefaults({ inputShape: [60, 10] }).lstmUnits; // 50
 * ```
 */
export function withDefaults(options: ModelOptions): Hyperparameters {
  return {
    lstmUnits: options.lstmUnits ?? 50,
    dropout: options.dropout ?? 0.2,
    l2: options.l2 ?? 0,
    learningRate: options.learningRate ?? 0.001,
    seed: options.seed ?? 42,
  };
}

interface Parts {
  rng: Rng;
  hp: Hyperparameters;
}

function regularizer(hp: Hyperparameters): {
  kernelRegularizer?: ReturnType<typeof tf.regularizers.l2>;
} {
  return hp.l2 > 0 ? { kernelRegularizer: tf.regularizers.l2({ l2: hp.l2 }) } : {};
}

function recurrent(
  kind: "lstm" | "gru",
  units: number,
  returnSequences: boolean,
  { rng, hp }: Parts,
): tf.layers.Layer {
  const args = {
    units,
    returnSequences,
    kernelInitializer: tf.initializers.glorotUniform({ seed: rng.uint32() }),
    recurrentInitializer: tf.initializers.orthogonal({ seed: rng.uint32(), gain: 1 }),
    ...regularizer(hp),
    ...(hp.l2 > 0 ? { recurrentRegularizer: tf.regularizers.l2({ l2: hp.l2 }) } : {}),
  };
  return kind === "lstm" ? tf.layers.lstm(args) : tf.layers.gru(args);
}

function dense(
  units: number,
  activation: "relu" | "sigmoid" | "tanh",
  parts: Parts,
): tf.layers.Layer {
  return tf.layers.dense({
    units,
    activation,
    kernelInitializer: tf.initializers.glorotUniform({ seed: parts.rng.uint32() }),
    ...regularizer(parts.hp),
  });
}

function dropout(parts: Parts): tf.layers.Layer {
  return tf.layers.dropout({ rate: parts.hp.dropout, seed: parts.rng.uint32() });
}

/** The seed's head: Dense(25, relu) → Dense(1, sigmoid). */
function head(x: tf.SymbolicTensor, parts: Parts): tf.SymbolicTensor {
  const hidden = dense(25, "relu", parts).apply(x) as tf.SymbolicTensor;
  return dense(1, "sigmoid", parts).apply(hidden) as tf.SymbolicTensor;
}

function stack(x: tf.SymbolicTensor, layers: tf.layers.Layer[]): tf.SymbolicTensor {
  return layers.reduce((t, layer) => layer.apply(t) as tf.SymbolicTensor, x);
}

function body(arch: Architecture, input: tf.SymbolicTensor, parts: Parts): tf.SymbolicTensor {
  const u = parts.hp.lstmUnits;
  switch (arch) {
    case "paper":
      return stack(input, [recurrent("lstm", u, false, parts), dropout(parts)]);
    case "lstm":
    case "gru":
      return stack(input, [
        recurrent(arch, u, true, parts),
        dropout(parts),
        recurrent(arch, u, false, parts),
        dropout(parts),
      ]);
    case "deep":
      return stack(input, [
        recurrent("lstm", 2 * u, true, parts),
        dropout(parts),
        recurrent("lstm", u, true, parts),
        dropout(parts),
        recurrent("lstm", Math.max(1, Math.round(u / 2)), false, parts),
        dropout(parts),
      ]);
    case "bidirectional":
      return stack(input, [
        tf.layers.bidirectional({
          layer: recurrent("lstm", u, true, parts) as tf.RNN,
          mergeMode: "concat",
        }),
        dropout(parts),
        tf.layers.bidirectional({
          layer: recurrent("lstm", u, false, parts) as tf.RNN,
          mergeMode: "concat",
        }),
        dropout(parts),
      ]);
    case "attention": {
      // Attention pooling from stock layers: score each step, softmax over time,
      // then the score-weighted sum of the LSTM states (Dot over the time axis).
      const steps = input.shape[1] as number;
      const states = stack(input, [recurrent("lstm", u, true, parts), dropout(parts)]);
      const scores = stack(states, [
        dense(1, "tanh", parts),
        tf.layers.flatten(),
        tf.layers.activation({ activation: "softmax" }),
        tf.layers.reshape({ targetShape: [steps, 1] }),
      ]);
      const context = tf.layers.dot({ axes: 1 }).apply([scores, states]) as tf.SymbolicTensor;
      return stack(context, [tf.layers.flatten(), dropout(parts)]);
    }
  }
}

/**
 * Builds and compiles a model (Adam, binary cross-entropy, accuracy).
 * `lstm` is the seed's: LSTM(units, return sequences) → Dropout → LSTM(units)
 * → Dropout → Dense(25, relu) → Dense(1, sigmoid). `gru` swaps in GRU layers;
 * `deep` stacks LSTMs of 2×, 1× and ½× units (100 → 50 → 25 at the default 50);
 * `bidirectional` wraps both LSTMs in Bidirectional (concatenated); `attention`
 * is one LSTM returning sequences, pooled by learned softmax attention over
 * time. All keep the seed's Dense(25, relu) → Dense(1, sigmoid) head, except
 * `paper`, the network of Fischer & Krauss (2018) and Ghosh, Neufeld & Sahoo
 * (2022): one LSTM(units) → Dropout → Dense(1, sigmoid), trained with RMSprop.
 * The recurrent layers run the fused WASM kernels unless `kernel: "stock"`.
 *
 * @example
 * ```ts
 * const model = buildModel("lstm", { inputShape: [60, 10], seed: 42 });
 * model.outputs[0].shape; // [null, 1]
 * ```
 */
export function buildModel(arch: Architecture, options: ModelOptions): LayersModel {
  const hp = withDefaults(options);
  const parts: Parts = { rng: createRng(hp.seed), hp };
  const input = tf.input({ shape: options.inputShape });
  const features = body(arch, input, parts);
  // The papers' network (Fischer & Krauss 2018) goes straight from the LSTM to the output.
  const output = arch === "paper"
    ? dense(1, "sigmoid", parts).apply(features) as tf.SymbolicTensor
    : head(features, parts);
  const model = tf.model({ inputs: input, outputs: output, name: `${arch}_direction` });
  useKernel(model, options.kernel ?? defaultKernel(tf.getBackend()));
  model.compile({
    optimizer: arch === "paper"
      ? tf.train.rmsprop(hp.learningRate)
      : tf.train.adam(hp.learningRate),
    loss: "binaryCrossentropy",
    metrics: ["accuracy"],
  });
  return model;
}
