/**
 * One part of the fused training step (`step.ts`), without tfjs: a part of a batch through every
 * layer forward and backward in a kernel instance ({@linkcode PartStep}), the plan it runs (plain
 * data that travels to the workers as JSON), how a batch is cut into parts ({@linkcode partRows})
 * and what the step and the workers (`parallel.ts`, `worker.ts`) exchange. The workers import this
 * module, not `step.ts`, so that starting one loads no tfjs.
 *
 * @module
 */
import type { KernelInstance } from "./mod.ts";

/** One layer of a {@linkcode TrainPlan} (offsets are float offsets into the flat weights). */
export type PlanLayer =
  | {
    kind: "rnn";
    cell: "lstm" | "gru";
    units: number;
    inputDim: number;
    returnSequences: boolean;
    act: number;
    kernel: number;
    recurrent: number;
    /** -1 without a bias. */
    bias: number;
  }
  | { kind: "dropout"; rate: number; /** Index among the plan's masks. */ mask: number }
  | {
    kind: "dense";
    units: number;
    inputDim: number;
    /** 0 linear, 1 relu, 2 sigmoid, 3 tanh (the head's sigmoid is applied with the loss). */
    act: number;
    kernel: number;
    /** -1 without a bias. */
    bias: number;
  };

/** What a part of a step computes, as plain data (it travels to the workers as JSON). */
export interface TrainPlan {
  /** Steps per sequence. */
  steps: number;
  /** Features per step. */
  features: number;
  /** The layers after the input, the last one Dense(1, sigmoid). */
  layers: PlanLayer[];
  /** Floats of the flat weight vector (each weight 4-aligned). */
  weightCount: number;
  /** Values per sequence of each dropout mask (0 for a dropout of rate 0). */
  maskSizes: number[];
  /** tfjs's epsilon (the probability clip of binary cross-entropy). */
  epsilon: number;
}

/** Per layer, where its forward pass left what the backward pass needs (byte addresses). */
interface LayerBuffers {
  /** The layer's input. */
  input: number;
  /** The layer's output ([rows, steps, units] or [rows, units]). */
  output: number;
  /** rnn: every step's h; extra (c or r·h); gates; tanh(c) (LSTM). */
  h?: number;
  extra?: number;
  gates?: number;
  tanhC?: number;
  /** The gradient with respect to the layer's input (0 for the first layer). */
  dInput: number;
  /** dropout: the mask. */
  mask?: number;
  /** Values of the output. */
  outputSize: number;
}

/**
 * The buffers of one part of a step (`rows` sequences) of a plan in a kernel instance, allocated
 * once and reused for every part of that size; the same code runs on the main thread and the
 * workers.
 *
 * @example
 * ```ts
 * const part = new PartStep(new KernelInstance(), plan, 16);
 * part.input().set(x); part.labels().set(y);
 * const { lossSum, correct } = part.run(weightsPtr, 32);
 * ```
 */
export class PartStep {
  readonly #k: KernelInstance;
  readonly #plan: TrainPlan;
  /** Sequences in this part. */
  readonly rows: number;
  readonly #x: number;
  readonly #y: number;
  /** Byte address of the gradients (the plan's flat layout; padding is zero). */
  readonly grads: number;
  readonly #layers: LayerBuffers[] = [];
  readonly #scratch: number;
  readonly #blocks: number[] = [];

  /** Allocates the buffers of a part of `rows` sequences in `k`. */
  constructor(k: KernelInstance, plan: TrainPlan, rows: number) {
    this.#k = k;
    this.#plan = plan;
    this.rows = rows;
    const alloc = (n: number): number => {
      const p = k.alloc(Math.max(n, 1));
      this.#blocks.push(p);
      return p;
    };
    const { steps: T, features: F } = plan;
    this.#x = alloc(rows * T * F);
    this.#y = alloc(rows);
    this.grads = alloc(plan.weightCount);
    k.f32(this.grads, plan.weightCount).fill(0);
    let input = this.#x, steps = T, features = F, scratch = 0;
    for (const [i, layer] of plan.layers.entries()) {
      const inSize = rows * Math.max(steps, 1) * features;
      // A dropout passes its gradient on in place; the first layer needs none for its input.
      const dInput = i === 0 || layer.kind === "dropout" ? 0 : alloc(inSize);
      if (layer.kind === "rnn") {
        const U = layer.units, g = layer.cell === "lstm" ? 4 : 3, n = rows * T * U;
        const b: LayerBuffers = {
          input,
          output: 0,
          h: alloc(n),
          extra: alloc(n),
          gates: alloc(n * g),
          tanhC: layer.cell === "lstm" ? alloc(n) : 0,
          dInput,
          outputSize: layer.returnSequences ? n : rows * U,
        };
        b.output = layer.returnSequences ? b.h! : alloc(rows * U);
        // Scratch of the backward kernel: 3 [rows, U] blocks, and a bias gradient.
        scratch = Math.max(scratch, 3 * rows * U + g * U + 16);
        this.#layers.push(b);
        steps = layer.returnSequences ? T : 0;
        features = U;
      } else if (layer.kind === "dropout") {
        const b: LayerBuffers = {
          input,
          output: alloc(inSize),
          mask: alloc(inSize),
          dInput,
          outputSize: inSize,
        };
        this.#layers.push(b);
      } else {
        const outputSize = rows * Math.max(steps, 1) * layer.units;
        this.#layers.push({ input, output: alloc(outputSize), dInput, outputSize });
        scratch = Math.max(scratch, layer.units + 16);
        features = layer.units;
      }
      input = this.#layers[i].output;
    }
    this.#scratch = alloc(scratch);
  }

  /** The input sequences `[rows, steps, features]` (a view: write before `run`). */
  input(): Float32Array {
    return this.#k.f32(this.#x, this.rows * this.#plan.steps * this.#plan.features);
  }

  /** The labels `[rows]` (0 or 1). */
  labels(): Float32Array {
    return this.#k.f32(this.#y, this.rows);
  }

  /** Byte address and length of the mask of dropout number `index` (`[rows, ...]`). */
  maskBuffer(index: number): { ptr: number; n: number } {
    const at = this.#plan.layers.findIndex((l) => l.kind === "dropout" && l.mask === index);
    return { ptr: this.#layers[at].mask!, n: this.#layers[at].outputSize };
  }

  /** The mask of dropout number `index` (a view: write before `run`). */
  mask(index: number): Float32Array {
    const { ptr, n } = this.maskBuffer(index);
    return this.#k.f32(ptr, n);
  }

  /**
   * Forward and backward through every layer with the weights at byte address `weights` (the
   * plan's flat layout, in this instance); the loss is a mean over `batchTotal` sequences. Leaves
   * the gradients at {@linkcode PartStep.grads}; returns this part's loss sum and correct count.
   * The dropout masks must be written first ({@linkcode PartStep.mask}).
   */
  run(weights: number, batchTotal: number): { lossSum: number; correct: number } {
    const k = this.#k, e = k.exports, plan = this.#plan, rows = this.rows;
    const { steps: T } = plan;
    const w = (offset: number): number => (offset < 0 ? 0 : weights + 4 * offset);
    const gr = (offset: number): number => this.grads + 4 * offset;
    // Forward.
    let head = 0;
    for (const [i, layer] of plan.layers.entries()) {
      const b = this.#layers[i];
      if (layer.kind === "rnn") {
        const { units: U, inputDim: I } = layer;
        const args = [rows, T, I, U, b.input, w(layer.kernel), w(layer.recurrent), w(layer.bias)];
        if (layer.cell === "lstm") {
          e.lstm_forward(...args, layer.act, b.h!, b.extra!, b.gates!, b.tanhC!);
        } else e.gru_forward(...args, layer.act, b.h!, b.gates!, b.extra!);
        if (!layer.returnSequences) {
          const view = k.f32(0, e.memory.buffer.byteLength / 4);
          for (let r = 0; r < rows; r++) {
            const from = b.h! / 4 + (r * T + T - 1) * U;
            view.copyWithin(b.output / 4 + r * U, from, from + U);
          }
        }
      } else if (layer.kind === "dropout") {
        const view = k.f32(0, e.memory.buffer.byteLength / 4);
        view.copyWithin(b.output / 4, b.input / 4, b.input / 4 + b.outputSize);
        if (plan.maskSizes[layer.mask] > 0) e.mul_into(b.outputSize, b.output, b.mask!);
      } else {
        const last = i === plan.layers.length - 1;
        const rowsIn = b.outputSize / layer.units;
        e.dense_forward(
          rowsIn,
          layer.inputDim,
          layer.units,
          b.input,
          w(layer.kernel),
          w(layer.bias),
          last ? 0 : layer.act,
          b.output,
        );
        if (last) head = b.output;
      }
    }
    // Binary cross-entropy on the sigmoid of the head, as tfjs-layers computes it: clip the
    // probability to [eps, 1 - eps], take logits l = log(p / (1 - p)), loss = relu(l) - l·y +
    // log1p(exp(-|l|)); the gradient follows the same chain back to the pre-activation.
    const z = k.f32(head, rows);
    const y = this.labels();
    const f = Math.fround;
    const lo = f(plan.epsilon), hi = f(1 - plan.epsilon);
    let lossSum = 0, correct = 0;
    for (let r = 0; r < rows; r++) {
      const p = f(1 / (1 + Math.exp(-z[r])));
      const t = y[r];
      if ((p > 0.5 ? 1 : 0) === t) correct++;
      const c = Math.min(Math.max(p, lo), hi);
      const l = f(Math.log(f(c / f(1 - c))));
      lossSum += f(f(f(Math.max(l, 0)) - f(l * t)) + f(Math.log1p(f(Math.exp(-Math.abs(l))))));
      const inside = p >= lo && p <= hi;
      const dl = 1 / (1 + Math.exp(-l)) - t;
      z[r] = inside ? f(((dl / batchTotal) / (c * (1 - c))) * (p * (1 - p))) : 0;
    }
    // Backward (z now holds the head's pre-activation gradient).
    let d = head;
    for (let i = plan.layers.length - 1; i >= 0; i--) {
      const layer = plan.layers[i], b = this.#layers[i];
      if (layer.kind === "dense") {
        const last = i === plan.layers.length - 1;
        const rowsIn = b.outputSize / layer.units;
        const s = this.#scratch;
        const db = layer.bias < 0 ? s : gr(layer.bias);
        e.dense_backward(
          rowsIn,
          layer.inputDim,
          layer.units,
          b.input,
          w(layer.kernel),
          b.output,
          last ? 0 : layer.act,
          d,
          b.dInput,
          gr(layer.kernel),
          db,
        );
        d = b.dInput;
      } else if (layer.kind === "dropout") {
        // The gradient passes through the mask in place, to the layer before.
        if (plan.maskSizes[layer.mask] > 0) e.mul_into(b.outputSize, d, b.mask!);
      } else {
        const { units: U, inputDim: I } = layer;
        const s1 = this.#scratch, s2 = s1 + 4 * rows * U, s3 = s2 + 4 * rows * U;
        const sb = s3 + 4 * rows * U;
        const db = layer.bias < 0 ? sb : gr(layer.bias);
        const seq = layer.returnSequences ? 1 : 0;
        const head = [rows, T, I, U, b.input, w(layer.kernel), w(layer.recurrent), layer.act];
        const tail = [d, seq, b.dInput, gr(layer.kernel), gr(layer.recurrent), db];
        if (layer.cell === "lstm") {
          e.lstm_backward(...head, b.h!, b.extra!, b.tanhC!, b.gates!, ...tail, s1, s2);
        } else e.gru_backward(...head, b.h!, b.gates!, b.extra!, ...tail, s1, s2, s3);
        d = b.dInput;
      }
    }
    return { lossSum, correct };
  }

  /** Frees the buffers. */
  dispose(): void {
    for (const p of this.#blocks) this.#k.free(p);
    this.#blocks.length = 0;
  }
}

/** Smallest batch computed in more than one part. */
export const MIN_SPLIT = 8;
/**
 * Rows per part a batch aims at. A part of 16 to 512 rows costs about the same per row (measured
 * on the 240-step, 25-unit paper network: within the noise, about 10%), so small parts cost little
 * and spread a batch evenly over many threads (16 parts over 6 threads: 3 at most, 2.7 on
 * average); they also run more kernel calls early, so V8 optimizes the kernels sooner.
 */
export const PART_ROWS = 32;
/** Most parts a batch is cut into: the most threads one batch keeps busy. */
export const MAX_PARTS = 16;

/**
 * The rows of each part a batch of `batch` sequences is computed in: one part under
 * {@linkcode MIN_SPLIT}, else `clamp(floor(batch / PART_ROWS), 2, MAX_PARTS)` parts, the first
 * `batch % parts` of them one row longer. It depends on the batch size alone, never on the
 * threads, so the parts' gradients, added in part order, are the same bits on any thread count.
 *
 * @example
 * ```ts
 * partRows(32); // [16, 16]
 * partRows(100); // [34, 33, 33]
 * partRows(512).length; // 16 parts of 32 rows
 * ```
 */
export function partRows(batch: number): number[] {
  const parts = batch < MIN_SPLIT
    ? 1
    : Math.min(MAX_PARTS, Math.max(2, Math.floor(batch / PART_ROWS)));
  const base = Math.floor(batch / parts), longer = batch % parts;
  return Array.from({ length: parts }, (_, p) => base + (p < longer ? 1 : 0));
}

/** A worker's share of a step: consecutive parts, from row `from` of the batch. */
export interface Share {
  /** First row of the share in the batch. */
  from: number;
  /** Rows of each of its parts, in order. */
  rows: number[];
}

/** What a step computes on: the flat weights, the batch, and its dropout masks (whole batch). */
export interface StepInputs {
  /** The flat weights (the plan's layout). */
  weights: Float32Array;
  /** The batch's sequences, `[batch, steps, features]`. */
  x: Float32Array;
  /** The labels. */
  y: Float32Array;
  /** Per dropout layer, its mask over the whole batch (`[batch, maskSizes[i]]`; empty for rate 0). */
  masks: Float32Array[];
}

/** One part's answer from a worker. */
export interface PartResult {
  /** The part's gradients (the plan's flat layout). */
  grads: Float32Array;
  /** The part's loss sum. */
  lossSum: number;
  /** The part's correct count. */
  correct: number;
}

/** How parts of a batch are computed on other threads (see `parallel.ts`), or null. */
export interface RemoteParts {
  /** Threads a step may use, this one included. */
  threads: number;
  /**
   * Posts one share to each of the first `shares.length` workers; false when they should run here
   * instead (the workers judged slower).
   */
  post(plan: TrainPlan, planKey: number, inputs: StepInputs, shares: Share[]): boolean;
  /** Waits for the workers; every remote part's result, in part order (views). */
  collect(): PartResult[];
  /** How long a step of `batch` sequences took, split over the threads or not. */
  done(split: boolean, ms: number, batch: number): void;
}
