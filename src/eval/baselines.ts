/**
 * The baselines every model score stands next to, on exactly the same rows:
 * always-up, yesterday's direction, the base rate, and an L2-regularised
 * logistic regression on the last bar of each window.
 *
 * @module
 */

import { upLabel } from "../dataset/window.ts";
import type { WindowSet } from "../dataset/types.ts";
import { scoreProbabilities } from "./metrics.ts";
import { accuracy } from "./scores.ts";

/**
 * The score of a baseline on the rows it was given.
 *
 * @example
 * ```ts
 * const score: BaselineScore = alwaysUp(labels); // score.accuracy is the base rate
 * ```
 */
export interface BaselineScore {
  /** `alwaysUp`, `previousDirection` or `logistic`. */
  name: string;
  /** Number of rows scored. */
  n: number;
  /** Share of rows called correctly. */
  accuracy: number;
  /** ROC AUC, for baselines that produce probabilities. */
  auc?: number;
  /** The baseline's up-probabilities (0/1 for rules), one per row. */
  probabilities: Float64Array;
}

function checkLabels(labels: ArrayLike<number>): void {
  if (labels.length === 0) throw new RangeError("Expected at least one label, found none");
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) {
      throw new RangeError(`Expected labels 0 or 1, found ${labels[i]} at row ${i}`);
    }
  }
}

function ruleScore(
  name: string,
  calls: ArrayLike<number>,
  labels: ArrayLike<number>,
): BaselineScore {
  const probabilities = Float64Array.from(calls);
  return { name, n: labels.length, accuracy: accuracy(probabilities, labels), probabilities };
}

/**
 * The share of up labels.
 *
 * @example
 * ```ts
 * baseRate([1, 0, 1, 1]); // 0.75
 * ```
 */
export function baseRate(labels: ArrayLike<number>): number {
  checkLabels(labels);
  let ups = 0;
  for (let i = 0; i < labels.length; i++) ups += labels[i];
  return ups / labels.length;
}

/**
 * The rule that always says up; its accuracy is the base rate of the rows.
 *
 * @example
 * ```ts
 * alwaysUp([1, 0, 1, 1]).accuracy; // 0.75
 * ```
 */
export function alwaysUp(labels: ArrayLike<number>): BaselineScore {
  checkLabels(labels);
  return ruleScore("alwaysUp", new Float64Array(labels.length).fill(1), labels);
}

/**
 * Yesterday's direction at each reference bar: `1` when `closes[t] >
 * closes[t − 1]`, else `0` (an unchanged close counts as down, as in the
 * labels), for each reference index `t` (which must be at least 1); deciding
 * at the open, the direction of the bar before it.
 *
 * @example
 * ```ts
 * yesterdayUp([10, 11, 10.5, 12], [1, 2, 3]); // Uint8Array [1, 0, 1]
 * ```
 */
export function yesterdayUp(
  closes: ArrayLike<number>,
  refIndices: ArrayLike<number>,
  options: { decideAt?: "close" | "open" } = {},
): Uint8Array {
  // At the open the reference bar's close is not known: the last known direction is the bar
  // before it.
  const back = options.decideAt === "open" ? 1 : 0;
  const out = new Uint8Array(refIndices.length);
  for (let i = 0; i < refIndices.length; i++) {
    const t = refIndices[i] - back;
    if (!Number.isInteger(t) || t < 1 || t >= closes.length) {
      throw new RangeError(
        `Expected reference indices in [1, ${closes.length - 1}], found ${t} at row ${i}`,
      );
    }
    out[i] = upLabel(closes, t - 1, 1)!; // the one label rule, one bar back
  }
  return out;
}

/**
 * The rule that predicts tomorrow goes the way today went: `previousUp[i]` is
 * yesterday's direction at row `i`'s reference bar (see {@linkcode yesterdayUp}),
 * `labels[i]` the next-bar direction.
 *
 * @example
 * ```ts
 * previousDirection([1, 0, 1], [1, 1, 0]).accuracy; // 1 / 3
 * ```
 */
export function previousDirection(
  previousUp: ArrayLike<number>,
  labels: ArrayLike<number>,
): BaselineScore {
  checkLabels(labels);
  if (previousUp.length !== labels.length) {
    throw new RangeError(
      `Expected one previous direction per label, found ${previousUp.length} for ${labels.length} labels`,
    );
  }
  return ruleScore("previousDirection", previousUp, labels);
}

/**
 * A fitted logistic regression: `p = σ(intercept + weights · x)`.
 *
 * @example
 * ```ts
 * const model: LogisticModel = fitLogistic(trainRows, trainLabels, { l2: 1 });
 * ```
 */
export interface LogisticModel {
  /** One weight per feature. */
  weights: number[];
  /** The unpenalised intercept. */
  intercept: number;
  /** Newton iterations used. */
  iterations: number;
}

/**
 * Options for {@linkcode fitLogistic}.
 *
 * @example
 * ```ts
 * const options: LogisticOptions = { l2: 0.1, maxIterations: 25 };
 * ```
 */
export interface LogisticOptions {
  /** L2 penalty `λ/2 · ‖w‖²` on the weights, not the intercept (default 1). */
  l2?: number;
  /** Most Newton steps (default 50). */
  maxIterations?: number;
  /** Stop when the largest parameter change is below this (default 1e-10). */
  tolerance?: number;
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Solves `A x = b` for symmetric positive-definite `A` by Cholesky. */
function solveSpd(a: number[][], b: number[]): number[] {
  const n = b.length;
  const l = a.map(() => new Array(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i][j];
      for (let k = 0; k < j; k++) sum -= l[i][k] * l[j][k];
      if (i === j) {
        if (!(sum > 0)) {
          throw new RangeError("Expected a positive-definite Hessian, found a singular one");
        }
        l[i][i] = Math.sqrt(sum);
      } else l[i][j] = sum / l[j][j];
    }
  }
  const z = new Array(n).fill(0);
  for (let i = 0; i < n; i++) {
    let sum = b[i];
    for (let k = 0; k < i; k++) sum -= l[i][k] * z[k];
    z[i] = sum / l[i][i];
  }
  const x = new Array(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let sum = z[i];
    for (let k = i + 1; k < n; k++) sum -= l[k][i] * x[k];
    x[i] = sum / l[i][i];
  }
  return x;
}

/**
 * Fits an L2-regularised logistic regression by Newton's method (IRLS):
 * deterministic, no learning rate, converges in a handful of steps. The
 * intercept is not penalised; with `l2 > 0` the problem is strictly convex.
 *
 * @example
 * ```ts
 * const model = fitLogistic([[0], [1], [2], [3]], [0, 0, 1, 1], { l2: 0.1 });
 * predictLogistic(model, [[3]])[0] > 0.5; // true
 * ```
 */
export function fitLogistic(
  x: readonly ArrayLike<number>[],
  y: ArrayLike<number>,
  options: LogisticOptions = {},
): LogisticModel {
  checkLabels(y);
  if (x.length !== y.length) {
    throw new RangeError(
      `Expected one feature row per label, found ${x.length} rows for ${y.length} labels`,
    );
  }
  const d = x[0].length;
  for (let i = 0; i < x.length; i++) {
    if (x[i].length !== d) {
      throw new RangeError(`Expected ${d} features in every row, found ${x[i].length} in row ${i}`);
    }
  }
  const l2 = options.l2 ?? 1;
  const maxIterations = options.maxIterations ?? 50;
  const tolerance = options.tolerance ?? 1e-10;
  // theta[0] is the intercept, theta[1..d] the weights.
  const theta = new Array(d + 1).fill(0);
  let iterations = 0;
  while (iterations < maxIterations) {
    iterations++;
    const grad = new Array(d + 1).fill(0);
    const hess = Array.from({ length: d + 1 }, () => new Array(d + 1).fill(0));
    for (let i = 0; i < x.length; i++) {
      const row = x[i];
      let z = theta[0];
      for (let j = 0; j < d; j++) z += theta[j + 1] * row[j];
      const p = sigmoid(z);
      const r = p - y[i];
      const w = Math.max(p * (1 - p), 1e-12);
      for (let a = 0; a <= d; a++) {
        const xa = a === 0 ? 1 : row[a - 1];
        grad[a] += r * xa;
        for (let b = 0; b <= a; b++) hess[a][b] += w * xa * (b === 0 ? 1 : row[b - 1]);
      }
    }
    for (let a = 1; a <= d; a++) {
      grad[a] += l2 * theta[a];
      hess[a][a] += l2;
    }
    hess[0][0] += 1e-9; // keeps the intercept solvable on separable, one-class data
    for (let a = 0; a <= d; a++) for (let b = a + 1; b <= d; b++) hess[a][b] = hess[b][a];
    const step = solveSpd(hess, grad);
    let largest = 0;
    for (let a = 0; a <= d; a++) {
      theta[a] -= step[a];
      largest = Math.max(largest, Math.abs(step[a]));
    }
    if (largest < tolerance) break;
  }
  return { weights: theta.slice(1), intercept: theta[0], iterations };
}

/**
 * Up-probabilities of a fitted {@linkcode LogisticModel} for feature rows.
 *
 * @example
 * ```ts
 * const p = predictLogistic({ weights: [2], intercept: 0, iterations: 1 }, [[0]]); // Float64Array [0.5]
 * ```
 */
export function predictLogistic(
  model: LogisticModel,
  x: readonly ArrayLike<number>[],
): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    if (x[i].length !== model.weights.length) {
      throw new RangeError(
        `Expected ${model.weights.length} features per row, found ${x[i].length} in row ${i}`,
      );
    }
    let z = model.intercept;
    for (let j = 0; j < model.weights.length; j++) z += model.weights[j] * x[i][j];
    out[i] = sigmoid(z);
  }
  return out;
}

/**
 * The features of the last bar of each window, one row per window: the
 * inputs of the logistic baseline.
 *
 * @example
 * ```ts
 * const rows = lastBarFeatures(windows); // rows[i].length === windows.nFeatures
 * ```
 */
export function lastBarFeatures(windows: WindowSet): Float64Array[] {
  const rows: Float64Array[] = [];
  for (let i = 0; i < windows.n; i++) {
    const start = (i * windows.seqLen + windows.seqLen - 1) * windows.nFeatures;
    rows.push(Float64Array.from(windows.x.subarray(start, start + windows.nFeatures)));
  }
  return rows;
}

/**
 * The logistic baseline: fitted on the model's training windows (last bar of
 * each), scored on the evaluation windows.
 *
 * @example
 * ```ts
 * const lr = logisticBaseline(trainWindows, testWindows, { l2: 1 });
 * console.log(lr.accuracy, lr.auc);
 * ```
 */
export function logisticBaseline(
  train: WindowSet,
  test: WindowSet,
  options: LogisticOptions = {},
): BaselineScore {
  if (train.nFeatures !== test.nFeatures) {
    throw new RangeError(
      `Expected training and evaluation windows with the same features, found ${train.nFeatures} and ${test.nFeatures}`,
    );
  }
  const model = fitLogistic(lastBarFeatures(train), train.y, options);
  const probabilities = predictLogistic(model, lastBarFeatures(test));
  const scores = scoreProbabilities(probabilities, test.y);
  return {
    name: "logistic",
    n: test.n,
    accuracy: scores.accuracy,
    auc: scores.auc,
    probabilities,
  };
}

/**
 * The overnight-gap reversal rule as probabilities for rows decided at the
 * open: a gap down (`open[t] / close[t - 1] - 1 < 0`) leans up, a gap up
 * leans down, `1 / (1 + exp(gap / 0.01))`. Only its ranking (AUC) and its
 * side of 0.5 (accuracy) mean anything; it is not a calibrated forecast.
 *
 * @example
 * ```ts
 * gapReversalProbabilities(bars, [1]); // > 0.5 when bar 1 opened below bar 0's close
 * ```
 */
export function gapReversalProbabilities(
  bars: readonly { open: number; close: number }[],
  refIndices: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(refIndices.length);
  for (let i = 0; i < refIndices.length; i++) {
    const t = refIndices[i];
    const gap = t > 0 ? bars[t].open / bars[t - 1].close - 1 : 0;
    out[i] = 1 / (1 + Math.exp(gap / 0.01));
  }
  return out;
}
