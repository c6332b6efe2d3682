/**
 * The fused training step: a whole `trainOnBatch` of a chain of fused LSTM/GRU, Dropout and Dense
 * layers ending in Dense(1, sigmoid), with binary cross-entropy and Adam (or RMSprop, as the
 * papers' network trains), run in the WASM kernels with no tfjs op per layer. The batch is computed
 * in parts whose number depends on the batch size alone ({@linkcode partRows}), each through every
 * layer forward and backward (consecutive parts on each thread: this one and the workers of
 * `parallel.ts`), their gradients summed in part order and applied by one optimizer call: the
 * same bits on any number of threads.
 *
 * It follows tfjs 4.22 step for step: the same dropout masks (seedrandom's alea from the layer's
 * seed, `floor(u + keep) / keep`), tfjs's binary cross-entropy on clipped probabilities, and Adam
 * operation for operation in f32 (kernels/rnn.c `adam_step`). The weights stay in the tfjs
 * variables: a step reads those that changed since it last saw them, and the new values are
 * written back before anything reads a variable (see {@linkcode FusedTrainer}), so saving,
 * `setWeights` and prediction see the model as tfjs would leave it. The Adam moments live here,
 * per model (tfjs's optimizer keeps none for a model the fused step trained).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import seedrandom from "seedrandom";
import { activationCode, KernelInstance, type RecurrentActivation } from "./mod.ts";
import { addPhase, profiling } from "./profile.ts";
import {
  type PartResult,
  partRows,
  PartStep,
  type PlanLayer,
  type RemoteParts,
  type Share,
  type TrainPlan,
} from "./part.ts";

const DENSE_ACTS: Record<string, number> = { linear: 0, relu: 1, sigmoid: 2, tanh: 3 };

/** A tfjs LayerVariable as the fused step uses it. */
interface Variable {
  shape: number[];
  read(): tf.Variable;
  write(value: tf.Tensor): unknown;
  trainable: boolean;
  constraint?: unknown;
}

interface LayerLike {
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  inboundNodes: { inboundLayers: unknown[] }[];
  trainable: boolean;
}

/** The optimizers the fused step runs: Adam, and RMSprop that is not centered. */
export type FusedOptimizer = tf.AdamOptimizer | tf.RMSPropOptimizer;

/**
 * Which optimizer the fused step runs for `optimizer`, or null. By class name: tfjs's optimizer
 * classes answer `instanceof` for any optimizer (a `Symbol.hasInstance` that checks for
 * `applyGradients`), so an SGD optimizer is an `AdamOptimizer` to `instanceof`.
 */
function optimizerKind(optimizer: unknown): "adam" | "rmsprop" | null {
  const name = (optimizer as { constructor?: { className?: string } } | null)?.constructor
    ?.className;
  if (name === "Adam") return "adam";
  if (name === "RMSProp" && !(optimizer as { centered?: boolean }).centered) return "rmsprop";
  return null;
}

/** A model the fused step can train: its plan, and the tfjs objects behind it. */
export interface BoundPlan {
  /** The plan. */
  plan: TrainPlan;
  /** The variables, with their float offsets in the flat weights. */
  variables: { variable: Variable; offset: number; size: number }[];
  /** The dropout layers, in mask order (their `seed` changes per batch). */
  dropouts: { layer: { seed?: number; rate: number } }[];
}

const NO_REGULARIZER = [
  "kernelRegularizer",
  "recurrentRegularizer",
  "biasRegularizer",
  "activityRegularizer",
  "kernelConstraint",
  "recurrentConstraint",
  "biasConstraint",
];

/**
 * The fused step's plan for a model, or the reason (one line) it cannot run it (`isFused` tells
 * the fused LSTM/GRU layers from stock ones, see `layers.ts`): the model must be
 * a chain from one `[steps, features]` input through fused LSTM/GRU layers (no cell dropout, tanh
 * activation, sigmoid or hard-sigmoid gates, not going backwards), Dropout and Dense (linear,
 * relu, sigmoid, tanh) layers to a Dense(1, sigmoid) output, with no regularizer or constraint,
 * compiled with Adam or RMSprop (not centered) and binary cross-entropy (and at most the accuracy
 * metric).
 *
 * @example
 * ```ts
 * const model = buildModel("lstm", { inputShape: [60, 10] });
 * const bound = fusedPlan(model, (l) => l instanceof FastLSTM || l instanceof FastGRU);
 * if (typeof bound === "string") console.log(bound);
 * ```
 */
export function fusedPlan(
  model: tf.LayersModel,
  isFused: (layer: unknown) => boolean,
): BoundPlan | string {
  const m = model as unknown as {
    optimizer?: unknown;
    loss?: unknown;
    metricsNames?: string[];
    inputs: tf.SymbolicTensor[];
    outputs: tf.SymbolicTensor[];
  };
  if (optimizerKind(m.optimizer) === null) return "the optimizer is not Adam or plain RMSprop";
  if (m.loss !== "binaryCrossentropy") return "the loss is not binaryCrossentropy";
  const metrics = m.metricsNames ?? [];
  if (metrics.length > 2 || (metrics.length === 2 && !/^acc/.test(metrics[1]))) {
    return "a metric other than accuracy";
  }
  if (m.inputs.length !== 1 || m.outputs.length !== 1) return "not one input and one output";
  const shape = m.inputs[0].shape;
  if (shape.length !== 3 || shape[1] === null || shape[2] === null) {
    return "the input is not [steps, features]";
  }
  const [steps, features] = [shape[1] as number, shape[2] as number];
  const layers: PlanLayer[] = [];
  const variables: BoundPlan["variables"] = [];
  const dropouts: BoundPlan["dropouts"] = [];
  const maskSizes: number[] = [];
  let count = 0;
  const place = (v: Variable | null, expected: number): number => {
    if (v === null) return -1;
    const size = v.shape.reduce((a, b) => a * b, 1);
    if (size !== expected) {
      throw new Error(`Expected a weight of ${expected} values, found ${size}`);
    }
    const offset = count;
    variables.push({ variable: v, offset, size });
    count += (size + 3) & ~3;
    return offset;
  };
  let seqSteps = steps, width = features, previous: unknown = null;
  const all = model.layers as unknown as LayerLike[];
  for (const [i, layer] of all.entries()) {
    const name = layer.getClassName();
    if (i === 0) {
      if (name !== "InputLayer") return "the first layer is not the input";
      previous = layer;
      continue;
    }
    if (layer.inboundNodes.length !== 1 || layer.inboundNodes[0].inboundLayers.length !== 1) {
      return `layer ${name} is shared or has several inputs`;
    }
    if (layer.inboundNodes[0].inboundLayers[0] !== previous) return "the layers are not a chain";
    if (!layer.trainable) return `layer ${name} is frozen`;
    previous = layer;
    const c = layer.getConfig();
    if (NO_REGULARIZER.some((key) => c[key] !== null && c[key] !== undefined)) {
      return `layer ${name} has a regularizer or constraint`;
    }
    if (name === "LSTM" || name === "GRU") {
      const l = layer as unknown as {
        cell: {
          kernel: Variable;
          recurrentKernel: Variable;
          bias: Variable | null;
          dropout: number;
          recurrentDropout: number;
        };
        call: unknown;
      };
      if (!isFused(layer)) return `layer ${name} runs the stock kernel`;
      const rec = c.recurrentActivation as RecurrentActivation;
      if (
        c.activation !== "tanh" || (rec !== "sigmoid" && rec !== "hardSigmoid") ||
        c.goBackwards === true || c.stateful === true || c.returnState === true ||
        l.cell.dropout !== 0 || l.cell.recurrentDropout !== 0 || seqSteps === 0
      ) {
        return `layer ${name} uses an option the fused step does not cover`;
      }
      const cell = name === "LSTM" ? "lstm" : "gru", g = cell === "lstm" ? 4 : 3;
      const units = c.units as number;
      layers.push({
        kind: "rnn",
        cell,
        units,
        inputDim: width,
        returnSequences: c.returnSequences === true,
        act: activationCode(rec),
        kernel: place(l.cell.kernel, width * g * units),
        recurrent: place(l.cell.recurrentKernel, units * g * units),
        bias: place(l.cell.bias, g * units),
      });
      seqSteps = c.returnSequences === true ? steps : 0;
      width = units;
    } else if (name === "Dropout") {
      if (c.noiseShape !== null && c.noiseShape !== undefined) return "a dropout noise shape";
      const rate = c.rate as number;
      const effective = rate > 0 && rate < 1;
      layers.push({ kind: "dropout", rate: effective ? rate : 0, mask: dropouts.length });
      maskSizes.push(effective ? Math.max(seqSteps, 1) * width : 0);
      dropouts.push({ layer: layer as unknown as { seed?: number; rate: number } });
    } else if (name === "Dense") {
      const act = DENSE_ACTS[c.activation as string];
      if (act === undefined) return `a Dense activation ${c.activation}`;
      const l = layer as unknown as { kernel: Variable; bias: Variable | null };
      const units = c.units as number;
      layers.push({
        kind: "dense",
        units,
        inputDim: width,
        act,
        kernel: place(l.kernel, width * units),
        bias: place(l.bias, units),
      });
      width = units;
      if (seqSteps !== 0) return "a Dense layer on a sequence";
    } else return `a ${name} layer`;
  }
  const last = layers[layers.length - 1];
  if (!last || last.kind !== "dense" || last.units !== 1 || last.act !== 2) {
    return "the output is not Dense(1, sigmoid)";
  }
  if (variables.some((v) => !v.variable.trainable)) return "a frozen weight";
  return {
    plan: {
      steps,
      features,
      layers,
      weightCount: count,
      maskSizes,
      epsilon: tf.backend().epsilon(),
    },
    variables,
    dropouts,
  };
}

/** Seeds alea as seedrandom does (its Mash hash of the seed's string): `[c, s0, s1, s2]`. */
function aleaState(seed: number | undefined): number[] {
  const s = seedrandom.alea(String(seed ?? Math.random()), { state: true }).state() as {
    c: number;
    s0: number;
    s1: number;
    s2: number;
  };
  return [s.c, s.s0, s.s1, s.s2];
}

/**
 * Writes `n` dropout multipliers of `rate` at byte address `out` of `k`, continuing alea from
 * the state (4 doubles) at byte address `state`, which it advances: kernels/rnn.c `alea_mask`
 * runs alea's recurrence and tfjs's `floor(u + keep) / keep` in f32.
 */
export function drawMask(
  k: KernelInstance,
  rate: number,
  n: number,
  state: number,
  out: number,
): void {
  const keep = Math.fround(1 - rate);
  k.exports.alea_mask(n, state, keep, Math.fround(1 / keep), out);
}

/**
 * The dropout multipliers tfjs draws for a layer of `rate` and `seed` over `n` values (each 0 or
 * `1 / (1 - rate)` in f32): `floor(u + keep) / keep` with `u` from seedrandom's alea seeded with
 * the seed's string, the same bits as `tf.dropout(tf.ones([n]), rate, undefined, seed)`.
 *
 * @example
 * ```ts
 * const mask = dropoutMask(0.2, 12345, 8); // each 0 or 1.25
 * ```
 */
export function dropoutMask(rate: number, seed: number | undefined, n: number): Float32Array {
  const k = new KernelInstance();
  const out = k.alloc(n), state = k.alloc(8);
  new Float64Array(k.exports.memory.buffer, state, 4).set(aleaState(seed));
  drawMask(k, rate, n, state, out);
  return k.read(out, n);
}

let nextPlanKey = 1;

type VariableMethods = Pick<Variable, "read" | "write">;

/**
 * The fused training step of one model, bound to its tfjs variables: `step(x, y, remote)` does
 * what `model.trainOnBatch(x, y)` does. One per model (see `layers.ts`, which installs it).
 *
 * The new weights reach the tfjs variables lazily: the trainer patches each bound variable's
 * `read` and `write` (the way tfjs-layers reads a weight for a prediction, `getWeights`, saving,
 * and sets one for `setWeights`) so that the first read after a step writes them back, once for
 * many steps, and a weight set from outside is read before the next step.
 *
 * @example
 * ```ts
 * const trainer = new FusedTrainer(fusedPlan(model) as BoundPlan, model.optimizer);
 * const [loss, acc] = trainer.step(x, y, null);
 * ```
 */
export class FusedTrainer {
  readonly #bound: BoundPlan;
  readonly #optimizer: FusedOptimizer;
  readonly #k = new KernelInstance();
  readonly #weights: number;
  readonly #m: number;
  readonly #v: number;
  readonly #planKey = nextPlanKey++;
  /** The tfjs data each variable held when this trainer last read or wrote it (null: reread). */
  readonly #seen: unknown[];
  /** The flat weights are newer than the tfjs variables. */
  #pending = false;
  readonly #parts = new Map<number, PartStep>();
  readonly #scratchBlocks = new Map<string, { ptr: number; n: number }>();
  readonly #original: VariableMethods[];
  #accBeta1: number;
  #accBeta2: number;

  /** Binds a plan to its model's optimizer (Adam, or RMSprop not centered). */
  constructor(bound: BoundPlan, optimizer: FusedOptimizer) {
    this.#bound = bound;
    this.#optimizer = optimizer;
    const n = bound.plan.weightCount;
    this.#weights = this.#k.alloc(n);
    this.#m = this.#k.alloc(n);
    this.#v = this.#k.alloc(n);
    this.#k.f32(this.#weights, n).fill(0);
    this.#k.f32(this.#m, n).fill(0);
    this.#k.f32(this.#v, n).fill(0);
    this.#seen = bound.variables.map(() => null);
    const o = optimizer as unknown as { beta1: number; beta2: number };
    this.#accBeta1 = Math.fround(o.beta1);
    this.#accBeta2 = Math.fround(o.beta2);
    this.#original = bound.variables.map(({ variable }, i) => {
      const original = { read: variable.read, write: variable.write };
      variable.read = (): tf.Variable => {
        this.flush();
        return original.read.call(variable);
      };
      variable.write = (value: tf.Tensor): unknown => {
        this.flush();
        this.#seen[i] = null;
        return original.write.call(variable, value);
      };
      return original;
    });
  }

  /** The plan this trainer runs. */
  get plan(): TrainPlan {
    return this.#bound.plan;
  }

  /** A named scratch block of at least `n` floats in the trainer's instance. */
  #scratch(name: string, n: number): number {
    const known = this.#scratchBlocks.get(name);
    if (known && known.n >= n) return known.ptr;
    if (known) this.#k.free(known.ptr);
    const ptr = this.#k.alloc(n);
    this.#scratchBlocks.set(name, { ptr, n });
    return ptr;
  }

  /** The buffers of a part of `rows` sequences (one per size, reused part after part). */
  #part(rows: number): PartStep {
    let part = this.#parts.get(rows);
    if (!part) {
      part = new PartStep(this.#k, this.#bound.plan, rows);
      this.#parts.set(rows, part);
    }
    return part;
  }

  /** The tfjs data of a variable now (read without flushing). */
  #dataOf(i: number): tf.Variable {
    return this.#original[i].read.call(this.#bound.variables[i].variable);
  }

  /** Copies into the flat weights every variable whose data changed since this trainer saw it. */
  #readWeights(): void {
    if (this.#pending) return; // the flat weights are the newest; no write came from outside
    for (const [i, { offset, size }] of this.#bound.variables.entries()) {
      const value = this.#dataOf(i);
      const id = (value as unknown as { dataId: unknown }).dataId;
      if (this.#seen[i] === id) continue;
      this.#k.f32(this.#weights + 4 * offset, size).set(value.dataSync() as Float32Array);
      this.#seen[i] = id;
    }
  }

  /**
   * Writes the newest weights into the tfjs variables if a step left them behind (the patched
   * `read` calls this; call it before reading a variable's tensor some other way).
   */
  flush(): void {
    if (!this.#pending) return;
    this.#pending = false;
    const t0 = profiling() ? performance.now() : 0;
    for (const [i, { variable, offset, size }] of this.#bound.variables.entries()) {
      const t = tf.tensor(this.#k.read(this.#weights + 4 * offset, size), variable.shape);
      this.#original[i].write.call(variable, t);
      t.dispose();
      this.#seen[i] = (this.#dataOf(i) as unknown as { dataId: unknown }).dataId;
    }
    if (profiling()) addPhase("step.write", performance.now() - t0);
  }

  /**
   * One training step on `x` `[batch, steps, features]` and `y` `[batch, 1]`; returns
   * `[loss, accuracy]` like `trainOnBatch` with the accuracy metric. The batch is computed in the
   * parts of {@linkcode partRows}; `remote` computes some of them on workers (null: all here).
   */
  step(x: tf.Tensor, y: tf.Tensor, remote: RemoteParts | null): [number, number] {
    const { plan } = this.#bound;
    if (x.rank !== 3 || x.shape[1] !== plan.steps || x.shape[2] !== plan.features) {
      throw new Error(
        `Expected a batch of [${plan.steps}, ${plan.features}] sequences, found [${x.shape}]`,
      );
    }
    return this.stepArrays(x.dataSync() as Float32Array, y.dataSync() as Float32Array, remote);
  }

  /**
   * {@linkcode FusedTrainer.step} on plain arrays: `xs` holds `[batch, steps, features]` values
   * and `ys` the batch's labels. What `trainModel` calls, so that a batch never becomes a tfjs
   * tensor only to be read back out of it (two copies through the wasm heap a batch).
   */
  stepArrays(
    xs: Float32Array,
    ys: Float32Array,
    remote: RemoteParts | null,
  ): [number, number] {
    const prof = profiling();
    let t0 = prof ? performance.now() : 0;
    const mark = (phase: string): void => {
      if (!prof) return;
      const now = performance.now();
      addPhase(phase, now - t0);
      t0 = now;
    };
    const { plan, dropouts } = this.#bound;
    const batch = ys.length;
    if (xs.length !== batch * plan.steps * plan.features) {
      throw new Error(
        `Expected ${batch} sequences of [${plan.steps}, ${plan.features}] (${
          batch * plan.steps * plan.features
        } values), found ${xs.length} values`,
      );
    }
    this.#readWeights();
    const rows = partRows(batch);
    const starts = rows.map((_, p) => rows.slice(0, p).reduce((a, b) => a + b, 0));
    const n = plan.weightCount;
    // Every allocation before any view of the kernel memory (growing it detaches views).
    for (const r of new Set(rows)) this.#part(r);
    const sum = this.#scratch("sum", n);
    const incoming = this.#scratch("incoming", n);
    const states = this.#scratch("alea", 8 * Math.max(dropouts.length, 1));
    const maskAt = dropouts.map((_, i) => this.#scratch(`mask${i}`, batch * plan.maskSizes[i]));
    mark("step.read");
    const stepStarted = performance.now();
    // Dropout masks over the whole batch, in the order tfjs draws them (batch-major): the parts
    // take their rows' slices, wherever they run.
    dropouts.forEach(({ layer }, i) => {
      const size = plan.maskSizes[i];
      if (size === 0) return;
      const state = states + 32 * i;
      new Float64Array(this.#k.exports.memory.buffer, state, 4).set(aleaState(layer.seed));
      drawMask(this.#k, layer.rate, batch * size, state, maskAt[i]);
    });
    mark("step.masks");
    // Consecutive parts per thread, this thread's first.
    const threads = Math.min(remote?.threads ?? 1, rows.length);
    const cuts = Array.from(
      { length: threads + 1 },
      (_, t) => Math.floor((t * rows.length) / threads),
    );
    const shares: Share[] = [];
    for (let t = 1; t < threads; t++) {
      shares.push({ from: starts[cuts[t]], rows: rows.slice(cuts[t], cuts[t + 1]) });
    }
    const posted = shares.length > 0 &&
      remote!.post(plan, this.#planKey, {
        weights: this.#k.f32(this.#weights, n),
        x: xs,
        y: ys,
        masks: dropouts.map((_, i) => this.#k.f32(maskAt[i], batch * plan.maskSizes[i])),
      }, shares);
    mark("step.post");
    const local = posted ? cuts[1] : rows.length;
    let lossSum = 0, correct = 0;
    const e = this.#k.exports;
    const perX = plan.steps * plan.features;
    let answers: PartResult[] = [];
    try {
      for (let p = 0; p < local; p++) {
        const part = this.#part(rows[p]), from = starts[p], r = rows[p];
        part.input().set(xs.subarray(from * perX, (from + r) * perX));
        part.labels().set(ys.subarray(from, from + r));
        dropouts.forEach((_, i) => {
          const size = plan.maskSizes[i];
          if (size > 0) part.mask(i).set(this.#k.f32(maskAt[i] + 4 * from * size, r * size));
        });
        const answer = part.run(this.#weights, batch);
        // The parts' gradients add in part order, wherever each part ran.
        if (p === 0) this.#k.f32(sum, n).set(this.#k.f32(part.grads, n));
        else e.add_into(n, sum, part.grads);
        lossSum += answer.lossSum;
        correct += answer.correct;
      }
      mark("step.local");
    } finally {
      // The workers finish their parts even when this thread's failed (see `parallel.ts`).
      if (posted) answers = remote!.collect();
    }
    if (posted) {
      mark("step.wait");
      for (const answer of answers) {
        this.#k.f32(incoming, n).set(answer.grads);
        e.add_into(n, sum, incoming);
        lossSum += answer.lossSum;
        correct += answer.correct;
      }
    }
    if (rows.length > 1) remote?.done(posted, performance.now() - stepStarted, batch);
    if (optimizerKind(this.#optimizer) === "rmsprop") this.#rmsprop(sum);
    else this.#adam(sum);
    this.#pending = true;
    mark("step.optimizer");
    return [Math.fround(lossSum / batch), Math.fround(correct / batch)];
  }

  /** tfjs's RMSprop (not centered) on the flat weights: the mean square in `#v`, momentum in `#m`. */
  #rmsprop(grads: number): void {
    const o = this.#optimizer as unknown as {
      learningRate: number;
      decay: number;
      momentum: number;
      epsilon: number;
    };
    const f = Math.fround;
    this.#k.exports.rmsprop_step(
      this.#bound.plan.weightCount,
      this.#weights,
      grads,
      this.#v,
      this.#m,
      f(o.decay),
      f(1 - o.decay),
      f(o.momentum),
      f(o.learningRate),
      f(o.epsilon),
    );
  }

  /** tfjs's Adam on the flat weights (the bias corrections from f32 running products). */
  #adam(grads: number): void {
    const o = this.#optimizer as unknown as {
      learningRate: number;
      beta1: number;
      beta2: number;
      epsilon: number;
    };
    const f = Math.fround;
    this.#k.exports.adam_step(
      this.#bound.plan.weightCount,
      this.#weights,
      grads,
      this.#m,
      this.#v,
      f(o.beta1),
      f(o.beta2),
      f(1 - o.beta1),
      f(1 - o.beta2),
      f(1 - this.#accBeta1),
      f(1 - this.#accBeta2),
      f(o.epsilon),
      f(-o.learningRate),
    );
    this.#accBeta1 = f(this.#accBeta1 * f(o.beta1));
    this.#accBeta2 = f(this.#accBeta2 * f(o.beta2));
  }

  /** Writes pending weights back, restores the variables' own `read`/`write`, frees memory. */
  dispose(): void {
    this.flush();
    for (const { variable } of this.#bound.variables) {
      delete (variable as Partial<VariableMethods>).read;
      delete (variable as Partial<VariableMethods>).write;
    }
    for (const part of this.#parts.values()) part.dispose();
    this.#parts.clear();
  }
}
