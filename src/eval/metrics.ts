/**
 * Classification scores for up/down probabilities: point metrics, a
 * calibration table, the ROC curve, block-bootstrap intervals and a paired
 * test of the model against the always-up rule on the same rows.
 *
 * Conventions: label 1 means "up"; a row is predicted up when its probability
 * is strictly above the threshold (default 0.5), the same rule the backtest
 * uses to go long ({@linkcode predictsUp}). Log loss, Brier score, accuracy
 * and the interval quantiles are the primitives of `scores.ts`, the ones
 * training reports too.
 *
 * @module
 */

import { createRng } from "../util/random.ts";
import { accuracy, brierScore, logLoss, predictsUp, quantile } from "./scores.ts";
import { bootstrapBlockLength, resampleBlocks, rocAuc } from "./stats.ts";

/**
 * Counts of a 2×2 confusion matrix, "up" being the positive class.
 *
 * @example
 * ```ts
 * const { tp, fp, tn, fn }: ConfusionMatrix = scoreProbabilities(probs, labels).confusion;
 * ```
 */
export interface ConfusionMatrix {
  /** Predicted up, was up. */
  tp: number;
  /** Predicted up, was down. */
  fp: number;
  /** Predicted down, was down. */
  tn: number;
  /** Predicted down, was up. */
  fn: number;
}

/**
 * One bin of a calibration table.
 *
 * @example
 * ```ts
 * const bins: CalibrationBin[] = calibrationTable(probs, labels);
 * ```
 */
export interface CalibrationBin {
  /** Lower edge of the bin (inclusive). */
  lower: number;
  /** Upper edge of the bin (exclusive, except 1 for the last bin). */
  upper: number;
  /** Rows whose probability falls in the bin. */
  count: number;
  /** Mean predicted probability in the bin, `null` when empty. */
  meanPredicted: number | null;
  /** Share of up labels in the bin, `null` when empty. */
  observedRate: number | null;
}

/**
 * The headline metrics that carry bootstrap intervals.
 *
 * @example
 * ```ts
 * for (const m of HEADLINE_METRICS) console.log(m, scores[m]);
 * ```
 */
export const HEADLINE_METRICS = [
  "accuracy",
  "precision",
  "recall",
  "f1",
  "auc",
  "logLoss",
  "brier",
  "mcc",
] as const;
/**
 * The name of a headline metric.
 *
 * @example
 * ```ts
 * const metric: HeadlineMetric = "auc";
 * ```
 */
export type HeadlineMetric = typeof HEADLINE_METRICS[number];

/**
 * Every score {@linkcode scoreProbabilities} computes.
 *
 * @example
 * ```ts
 * const scores: Scores = scoreProbabilities(probs, labels);
 * ```
 */
export interface Scores extends Record<HeadlineMetric, number> {
  /** Number of scored rows. */
  n: number;
  /** Share of up labels. */
  baseRate: number;
  /** The confusion matrix at the threshold. */
  confusion: ConfusionMatrix;
  /** Ten equal-width bins over [0, 1]. */
  calibration: CalibrationBin[];
}

/**
 * Options for {@linkcode scoreProbabilities}.
 *
 * @example
 * ```ts
 * const options: ScoreOptions = { threshold: 0.55 };
 * ```
 */
export interface ScoreOptions {
  /** A row is predicted up when its probability is above this (default 0.5). */
  threshold?: number;
}

function validate(probs: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (probs.length !== labels.length) {
    throw new RangeError(
      `Expected as many probabilities as labels, found ${probs.length} probabilities and ${labels.length} labels`,
    );
  }
  if (probs.length === 0) throw new RangeError("Expected at least one row to score, found none");
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i];
    if (!(p >= 0 && p <= 1)) {
      throw new RangeError(`Expected probabilities in [0, 1], found ${p} at row ${i}`);
    }
    if (labels[i] !== 0 && labels[i] !== 1) {
      throw new RangeError(`Expected labels 0 or 1, found ${labels[i]} at row ${i}`);
    }
  }
}

function identity(n: number): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  return idx;
}

/** The rows of one (re)sample: probabilities and labels gathered by index. */
interface Sample {
  probs: Float64Array;
  labels: Uint8Array;
}

function emptySample(n: number): Sample {
  return { probs: new Float64Array(n), labels: new Uint8Array(n) };
}

/** Copies rows `idx` of the data into `out`, in `idx` order. */
function gather(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  idx: Int32Array,
  out: Sample,
): Sample {
  for (let k = 0; k < idx.length; k++) {
    out.probs[k] = probs[idx[k]];
    out.labels[k] = labels[idx[k]];
  }
  return out;
}

function headline(
  sample: Sample,
  threshold: number,
): Record<HeadlineMetric, number> & { confusion: ConfusionMatrix } {
  const { probs, labels } = sample;
  let tp = 0, fp = 0, tn = 0, fn = 0;
  for (let i = 0; i < probs.length; i++) {
    if (predictsUp(probs[i], threshold)) labels[i] === 1 ? tp++ : fp++;
    else labels[i] === 1 ? fn++ : tn++;
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const denom = Math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
  const mcc = denom === 0 ? 0 : (tp * tn - fp * fn) / denom;
  return {
    accuracy: accuracy(probs, labels, threshold),
    precision,
    recall,
    f1,
    auc: rocAuc(sample.probs, sample.labels),
    logLoss: logLoss(probs, labels),
    brier: brierScore(probs, labels),
    mcc,
    confusion: { tp, fp, tn, fn },
  };
}

/**
 * A calibration table of `bins` equal-width bins over [0, 1]; probability 1
 * falls in the last bin.
 *
 * @example
 * ```ts
 * const table = calibrationTable([0.05, 0.95], [0, 1]);
 * table[9].observedRate; // 1
 * ```
 */
export function calibrationTable(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: { bins?: number } = {},
): CalibrationBin[] {
  validate(probs, labels);
  const bins = options.bins ?? 10;
  const count = new Array(bins).fill(0);
  const sumP = new Array(bins).fill(0);
  const sumY = new Array(bins).fill(0);
  for (let i = 0; i < probs.length; i++) {
    const b = Math.min(bins - 1, Math.floor(probs[i] * bins));
    count[b]++;
    sumP[b] += probs[i];
    sumY[b] += labels[i];
  }
  return count.map((c, b) => ({
    lower: b / bins,
    upper: (b + 1) / bins,
    count: c,
    meanPredicted: c === 0 ? null : sumP[b] / c,
    observedRate: c === 0 ? null : sumY[b] / c,
  }));
}

/**
 * A reliability table of up to `bins` bins holding about the same number of
 * rows each (rows sorted by probability; tied probabilities always share a
 * bin, so a constant forecast gives one bin). `lower` and `upper` are the
 * smallest and largest probability in the bin. Unlike the equal-width
 * {@linkcode calibrationTable}, it stays readable when every probability
 * sits in a narrow range near 0.5.
 *
 * @example
 * ```ts
 * const bins = reliabilityBins([0.49, 0.5, 0.51, 0.52], [0, 1, 0, 1], { bins: 2 });
 * bins.map((b) => b.count); // [2, 2]
 * ```
 */
export function reliabilityBins(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: { bins?: number } = {},
): CalibrationBin[] {
  validate(probs, labels);
  const bins = options.bins ?? 10;
  if (!Number.isInteger(bins) || bins < 1) {
    throw new RangeError(`Expected bins to be a positive integer, found ${bins}`);
  }
  const n = probs.length;
  const order = Array.from(identity(n)).sort((a, b) => probs[a] - probs[b] || a - b);
  const out: CalibrationBin[] = [];
  for (let b = 0, start = 0; start < n; b++) {
    let end = b === bins - 1 ? n : Math.max(start + 1, Math.round(((b + 1) * n) / bins));
    while (end < n && probs[order[end]] === probs[order[end - 1]]) end++;
    let sumP = 0, sumY = 0;
    for (let k = start; k < end; k++) {
      sumP += probs[order[k]];
      sumY += labels[order[k]];
    }
    const count = end - start;
    out.push({
      lower: probs[order[start]],
      upper: probs[order[end - 1]],
      count,
      meanPredicted: sumP / count,
      observedRate: sumY / count,
    });
    start = end;
  }
  return out;
}

/**
 * Scores up-probabilities against 0/1 labels. Precision, recall and F1 are 0
 * when their denominators are 0; Matthews correlation is 0 when undefined;
 * AUC uses average ranks for ties (0.5 for constant probabilities) and is
 * `NaN` when only one class is present; log loss clips the probability given to
 * the true class into [1e-7, 1 − 1e-7] like Keras (see {@linkcode logLoss}).
 *
 * @example
 * ```ts
 * const s = scoreProbabilities([0.9, 0.2, 0.6, 0.4], [1, 0, 0, 1]);
 * s.accuracy; // 0.5
 * s.confusion; // { tp: 1, fp: 1, tn: 1, fn: 1 }
 * ```
 */
export function scoreProbabilities(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: ScoreOptions = {},
): Scores {
  validate(probs, labels);
  const n = probs.length;
  let ups = 0;
  for (let i = 0; i < n; i++) ups += labels[i];
  return {
    n,
    ...headline(gather(probs, labels, identity(n), emptySample(n)), options.threshold ?? 0.5),
    baseRate: ups / n,
    calibration: calibrationTable(probs, labels),
  };
}

/**
 * One point of an ROC curve.
 *
 * @example
 * ```ts
 * const points: RocPoint[] = rocCurve(probs, labels);
 * ```
 */
export interface RocPoint {
  /** False-positive rate. */
  fpr: number;
  /** True-positive rate. */
  tpr: number;
  /** Rows with probability at or above this are called up at this point. */
  threshold: number;
}

/**
 * The ROC curve: one point per distinct probability, from (0, 0) at threshold
 * +∞ to (1, 1). Throws when only one class is present.
 *
 * @example
 * ```ts
 * rocCurve([0.8, 0.3], [1, 0]).map((p) => [p.fpr, p.tpr]); // [[0, 0], [0, 1], [1, 1]]
 * ```
 */
export function rocCurve(probs: ArrayLike<number>, labels: ArrayLike<number>): RocPoint[] {
  validate(probs, labels);
  const order = Array.from(identity(probs.length)).sort((a, b) => probs[b] - probs[a]);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i];
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) {
    throw new RangeError(
      `Expected both up and down labels for an ROC curve, found ${positives} up and ${negatives} down`,
    );
  }
  const points: RocPoint[] = [{ fpr: 0, tpr: 0, threshold: Infinity }];
  let tp = 0, fp = 0;
  for (let i = 0; i < order.length;) {
    const p = probs[order[i]];
    while (i < order.length && probs[order[i]] === p) {
      labels[order[i]] === 1 ? tp++ : fp++;
      i++;
    }
    points.push({ fpr: fp / negatives, tpr: tp / positives, threshold: p });
  }
  return points;
}

/**
 * Options for the block bootstrap.
 *
 * @example
 * ```ts
 * const options: BootstrapOptions = { blockLength: 20, resamples: 2000, seed: 7 };
 * ```
 */
export interface BootstrapOptions extends ScoreOptions {
  /**
   * Consecutive rows per block. Default: the longer of `ceil(n^(1/3))` and 20
   * rows (about a trading month), but at most `n / 5`, so there are at least
   * five blocks.
   */
  blockLength?: number;
  /** Bootstrap resamples (default 1000). */
  resamples?: number;
  /** Seed of the resampling (default 42). */
  seed?: number;
}

/**
 * A point estimate with a 95% interval.
 *
 * @example
 * ```ts
 * const { estimate, lower, upper }: ConfidenceInterval = withIntervals(probs, labels).auc;
 * ```
 */
export interface ConfidenceInterval {
  /** The metric on all rows. */
  estimate: number;
  /** 2.5th percentile of the bootstrap distribution. */
  lower: number;
  /** 97.5th percentile of the bootstrap distribution. */
  upper: number;
}

function resolveResamples(resamples: number | undefined): number {
  const count = resamples ?? 1000;
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`Expected resamples to be a positive integer, found ${count}`);
  }
  return count;
}

/**
 * Every headline metric with a 95% percentile interval from a circular block
 * bootstrap over consecutive rows (Politis & Romano), so that the
 * autocorrelation of daily data widens the interval as it should. Resamples
 * where a metric is undefined (AUC with one class) are left out of that
 * metric's interval.
 *
 * @example
 * ```ts
 * const ci = withIntervals(probs, labels, { seed: 7 });
 * console.log(`accuracy ${ci.accuracy.estimate} [${ci.accuracy.lower}, ${ci.accuracy.upper}]`);
 * ```
 */
export function withIntervals(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: BootstrapOptions = {},
): Record<HeadlineMetric, ConfidenceInterval> {
  validate(probs, labels);
  const n = probs.length;
  const threshold = options.threshold ?? 0.5;
  const blockLength = bootstrapBlockLength(n, options.blockLength);
  const resamples = resolveResamples(options.resamples);
  const rng = createRng(options.seed ?? 42);
  const sample = emptySample(n);
  const point = headline(gather(probs, labels, identity(n), sample), threshold);
  const draws = Object.fromEntries(HEADLINE_METRICS.map((m) => [m, [] as number[]]));
  const idx = new Int32Array(n);
  for (let r = 0; r < resamples; r++) {
    resampleBlocks(idx, { blockLength, rng });
    const s = headline(gather(probs, labels, idx, sample), threshold);
    for (const m of HEADLINE_METRICS) if (!Number.isNaN(s[m])) draws[m].push(s[m]);
  }
  const result = {} as Record<HeadlineMetric, ConfidenceInterval>;
  for (const m of HEADLINE_METRICS) {
    const sorted = draws[m].sort((a, b) => a - b);
    result[m] = {
      estimate: point[m],
      lower: quantile(sorted, 0.025, { sorted: true }),
      upper: quantile(sorted, 0.975, { sorted: true }),
    };
  }
  return result;
}

/**
 * The skill scores against a reference forecast, headline figures of an
 * evaluation beside {@linkcode HEADLINE_METRICS}.
 *
 * @example
 * ```ts
 * for (const m of SKILL_METRICS) console.log(m, summary.metrics[m]);
 * ```
 */
export const SKILL_METRICS = ["brierSkill", "logLossSkill"] as const;
/**
 * The name of a skill score.
 *
 * @example
 * ```ts
 * const metric: SkillMetric = "brierSkill";
 * ```
 */
export type SkillMetric = typeof SKILL_METRICS[number];

/**
 * A skill score: `1 − score / referenceScore` for a score where lower is
 * better (Brier, log loss). 0 means as good as the reference, above 0 better,
 * below 0 worse; `NaN` when the reference scores a perfect 0 (or either is
 * `NaN`).
 *
 * @example
 * ```ts
 * skillScore(0.24, 0.25); // 0.04
 * skillScore(0.26, 0.25); // -0.04
 * ```
 */
export function skillScore(score: number, referenceScore: number): number {
  if (!(referenceScore > 0) || Number.isNaN(score)) return NaN;
  return 1 - score / referenceScore;
}

function skillsOf(model: Sample, reference: Sample): Record<SkillMetric, number> {
  return {
    brierSkill: skillScore(
      brierScore(model.probs, model.labels),
      brierScore(reference.probs, reference.labels),
    ),
    logLossSkill: skillScore(
      logLoss(model.probs, model.labels),
      logLoss(reference.probs, reference.labels),
    ),
  };
}

/**
 * The Brier skill score and log-loss skill score of `probs` against a
 * reference forecast on the same rows (`reference`, e.g. the climatology: the
 * training base rate as a constant probability), each with a 95% interval
 * from the same circular block bootstrap as {@linkcode withIntervals} (same
 * block length, resample count and seed, hence the same resampled rows): on
 * each resample both the model's and the reference's scores are recomputed on
 * the resampled rows. Resamples where a skill is undefined are left out.
 *
 * @example
 * ```ts
 * const climatology = probs.map(() => 0.54);
 * const s = skillWithIntervals(probs, labels, climatology, { seed: 42 });
 * console.log(`Brier skill ${s.brierSkill.estimate} [${s.brierSkill.lower}, ${s.brierSkill.upper}]`);
 * ```
 */
export function skillWithIntervals(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  reference: ArrayLike<number>,
  options: BootstrapOptions = {},
): Record<SkillMetric, ConfidenceInterval> {
  return pairedBootstrap(probs, reference, labels, SKILL_METRICS, skillsOf, options);
}

/**
 * The scores {@linkcode pairedDifferences} compares.
 *
 * @example
 * ```ts
 * const m: PairedMetric = "brier";
 * ```
 */
export type PairedMetric = "accuracy" | "brier" | "logLoss";

/**
 * The difference `score(a) − score(b)` of two forecasts of the same rows
 * (accuracy, Brier score and log loss), each with a 95% interval from the
 * same circular block bootstrap as {@linkcode withIntervals} (same block
 * length, resample count and seed): on each resample both forecasts are
 * scored on the same resampled rows, so the interval is paired (the days
 * that are hard for one are hard for the other).
 *
 * @example
 * ```ts
 * const d = pairedDifferences(candidate, live, labels, { seed: 42 });
 * if (d.brier.upper < 0) console.log("the candidate's Brier score is lower");
 * ```
 */
export function pairedDifferences(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: BootstrapOptions = {},
): Record<PairedMetric, ConfidenceInterval> {
  const threshold = options.threshold ?? 0.5;
  const diff = (x: Sample, y: Sample): Record<PairedMetric, number> => ({
    accuracy: accuracy(x.probs, x.labels, threshold) - accuracy(y.probs, y.labels, threshold),
    brier: brierScore(x.probs, x.labels) - brierScore(y.probs, y.labels),
    logLoss: logLoss(x.probs, x.labels) - logLoss(y.probs, y.labels),
  });
  return pairedBootstrap(a, b, labels, ["accuracy", "brier", "logLoss"], diff, options);
}

/**
 * A statistic of two forecasts of the same rows with a 95% interval from the
 * circular block bootstrap of {@linkcode withIntervals}: on each resample both
 * forecasts are gathered on the same resampled rows (a paired interval).
 * Resamples where a metric is undefined are left out.
 */
function pairedBootstrap<M extends string>(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  labels: ArrayLike<number>,
  metrics: readonly M[],
  statistic: (a: Sample, b: Sample) => Record<M, number>,
  options: BootstrapOptions,
): Record<M, ConfidenceInterval> {
  validate(a, labels);
  validate(b, labels);
  const n = labels.length;
  const blockLength = bootstrapBlockLength(n, options.blockLength);
  const resamples = resolveResamples(options.resamples);
  const rng = createRng(options.seed ?? 42);
  const sa = emptySample(n);
  const sb = emptySample(n);
  const all = identity(n);
  const point = statistic(gather(a, labels, all, sa), gather(b, labels, all, sb));
  const draws = new Map<M, number[]>(metrics.map((m) => [m, []]));
  const idx = new Int32Array(n);
  for (let r = 0; r < resamples; r++) {
    resampleBlocks(idx, { blockLength, rng });
    const d = statistic(gather(a, labels, idx, sa), gather(b, labels, idx, sb));
    for (const m of metrics) if (Number.isFinite(d[m])) draws.get(m)!.push(d[m]);
  }
  const result = {} as Record<M, ConfidenceInterval>;
  for (const m of metrics) {
    const sorted = draws.get(m)!.sort((x, y) => x - y);
    result[m] = {
      estimate: point[m],
      lower: quantile(sorted, 0.025, { sorted: true }),
      upper: quantile(sorted, 0.975, { sorted: true }),
    };
  }
  return result;
}

/**
 * The plain-words reading of a Brier skill interval for a bot: above 0, the
 * probabilities beat the base rate; containing 0 (or undefined), no better;
 * below 0, worse. Only the first may be used to size positions.
 *
 * @example
 * ```ts
 * skillVerdict({ estimate: 0.02, lower: 0.005, upper: 0.04 });
 * // "the probabilities beat the base rate (Brier skill 0.0200 [0.0050, 0.0400])"
 * skillVerdict({ estimate: -0.01, lower: -0.03, upper: 0.01 });
 * // "the probabilities are no better than the base rate: a bot should not size positions on them (Brier skill -0.0100 [-0.0300, 0.0100])"
 * ```
 */
export function skillVerdict(brierSkill: ConfidenceInterval): string {
  const f = (v: number): string => (Number.isNaN(v) ? "–" : v.toFixed(4));
  const figure = `Brier skill ${f(brierSkill.estimate)} [${f(brierSkill.lower)}, ${
    f(brierSkill.upper)
  }]`;
  if (brierSkill.lower > 0) return `the probabilities beat the base rate (${figure})`;
  const words = brierSkill.upper < 0 ? "are worse than" : "are no better than";
  return `the probabilities ${words} the base rate: a bot should not size positions on them (${figure})`;
}

/**
 * One-sided p-value for "the model's accuracy exceeds always-up's on the same
 * rows".
 *
 * The test works on the paired per-row differences
 * `d_i = correct_model_i − correct_alwaysUp_i` (non-zero only where the model
 * says down: +1 when the day was down, −1 when it was up). McNemar's exact
 * test would use the same discordant rows but assumes they are independent;
 * daily predictions are strongly autocorrelated (a model tends to say "down"
 * for runs of days), which makes McNemar overconfident. So the null
 * distribution of the mean of `d` is taken from a circular block bootstrap of
 * the centred differences `d_i − mean(d)` (the same blocks as the intervals),
 * and `p = (1 + #{mean* ≥ mean(d)}) / (resamples + 1)`, never 0. A model that
 * always says up has `d ≡ 0` and gets p = 1.
 *
 * @example
 * ```ts
 * const p = pValueVsAlwaysUp(probs, labels, { seed: 1 });
 * console.log(edgeVerdict(p)); // "no evidence of an edge over always-up (p = 0.41)"
 * ```
 */
export function pValueVsAlwaysUp(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: BootstrapOptions = {},
): number {
  validate(probs, labels);
  const n = probs.length;
  const threshold = options.threshold ?? 0.5;
  const blockLength = bootstrapBlockLength(n, options.blockLength);
  const resamples = resolveResamples(options.resamples);
  const rng = createRng(options.seed ?? 42);
  const d = new Float64Array(n);
  let mean = 0;
  for (let i = 0; i < n; i++) {
    const modelCorrect = (predictsUp(probs[i], threshold) ? 1 : 0) === labels[i] ? 1 : 0;
    d[i] = modelCorrect - labels[i];
    mean += d[i];
  }
  mean /= n;
  const idx = new Int32Array(n);
  let atLeast = 0;
  for (let r = 0; r < resamples; r++) {
    resampleBlocks(idx, { blockLength, rng });
    let sum = 0;
    for (const i of idx) sum += d[i] - mean;
    // A small tolerance so that exact ties (e.g. d ≡ 0) count as "at least".
    if (sum / n >= mean - 1e-12) atLeast++;
  }
  return (1 + atLeast) / (resamples + 1);
}

/**
 * Formats a p-value for people: two decimals from 0.01 up, three below,
 * `p < 0.001` under that.
 *
 * @example
 * ```ts
 * formatPValue(0.4123); // "p = 0.41"
 * formatPValue(0.0031); // "p = 0.003"
 * ```
 */
export function formatPValue(p: number): string {
  if (p < 0.001) return "p < 0.001";
  return `p = ${p >= 0.01 ? p.toFixed(2) : p.toFixed(3)}`;
}

/**
 * The plain-words verdict of {@linkcode pValueVsAlwaysUp}: evidence of an
 * edge when `p < alpha` (default 0.05), otherwise no evidence.
 *
 * @example
 * ```ts
 * edgeVerdict(0.41); // "no evidence of an edge over always-up (p = 0.41)"
 * edgeVerdict(0.003); // "evidence of an edge over always-up (p = 0.003)"
 * ```
 */
export function edgeVerdict(p: number, options: { alpha?: number } = {}): string {
  const alpha = options.alpha ?? 0.05;
  const words = p < alpha ? "evidence of an edge" : "no evidence of an edge";
  return `${words} over always-up (${formatPValue(p)})`;
}
