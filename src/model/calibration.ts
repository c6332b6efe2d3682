/**
 * Calibration: the one owner of the map from the network's raw up-probability
 * to the probability a bot is handed. Fitted at training time on held-out
 * validation windows (never the test windows), saved in the model card, and
 * applied by every consumer through {@linkcode applyCalibration}.
 *
 * The map has two stages:
 *
 * 1. a calibrator `cal(raw)`: Platt scaling (a logistic regression on
 *    `logit(raw)`, fitted by Newton steps: deterministic), isotonic
 *    regression (pool-adjacent-violators, linear between the pooled blocks),
 *    or none (the identity); Platt and isotonic are centred so that their
 *    mean output over the rows they were fitted on is the base rate (they
 *    map the network's ranking, not the level of one short slice);
 * 2. shrinkage toward the base rate: `p = w·baseRate + (1 − w)·cal(raw)`,
 *    where `baseRate` is the training split's share of up labels (the
 *    climatology forecast evaluation compares with). At `w = 1` the model
 *    forecasts exactly the base rate, so it can never be worse than
 *    climatology there.
 *
 * **Which rows.** The calibration is fitted, and the model's skill judged,
 * on *held-out* validation rows: rows the network never trained on **and**
 * that did not pick its epoch. `fitModel` (src/pipeline/fit.ts) splits the
 * validation slice chronologically: the earlier half stops training early
 * (picks the epoch), the later half (after a purge of `horizon` bars, so no
 * label spans both) is handed to {@linkcode fitCalibration}. Judging skill on
 * the rows that chose the epoch flattered them (the best of every epoch run
 * on those very rows): on a real stock a fold passed the old z > 3 gate and
 * ended worse than the base rate out of sample. Why a split rather than
 * cross-fitting the epoch choice: the served network has one epoch, chosen
 * on one set of rows, so any row that helped choose it is flattered for that
 * network; cross-fitting would need a second network per fit (twice the
 * training) to leave every row honest. Half and half because both jobs need
 * rows: early stopping compares a few dozen epochs on a noisy loss, and the
 * rank evidence grows with the square root of the rows it sees; the later
 * half is also the one nearest to the test rows.
 *
 * **How `w` is chosen, and why so.** Fitting the calibrator and choosing `w`
 * on the same few hundred rows would reward the calibrator's own overfit. So
 * `w` is first chosen by 2-fold cross-fitting: the calibrator is fitted on the
 * earlier half of the held-out rows and applied to the later half, and the
 * other way round; `w_cv` minimises the log loss of these out-of-fold
 * probabilities over the grid 0, 0.01, …, 1 (so `w_cv < 1` only where the
 * out-of-fold probabilities beat the base rate). That alone does not know
 * how much evidence it stands on, so the weight on the model, `1 − w`, is
 * then capped by how strongly the held-out rows show that the network ranks
 * them better than chance (a one-sided Mann–Whitney rank test, statistic
 * `z`):
 *
 * `1 − w = min(1 − w_cv, trust(z))`, `trust(z) = max(0, 1 − (Z₀ / z)²)`,
 * `Z₀ = 2.5` ({@linkcode EVIDENCE_Z}).
 *
 * `trust` is the share of the observed ranking that is signal rather than
 * noise under a shrinkage prior on the edge (James–Stein's positive part,
 * with the stricter threshold `Z₀` in place of 1): 0 up to `z = 2.5`, 0.25
 * at `z = 2.9`, 0.61 at `z = 4`, 0.83 at `z = 6`. For a given AUC `z` grows with
 * the square root of the rows, so a short slice cannot move the output far
 * from the base rate and a long one with the same ranking can; there is no
 * single pass/fail line. (With fewer than {@linkcode MIN_CALIBRATION_ROWS}
 * held-out rows there is no evidence to weigh, and `w = 1`.) The calibrator
 * itself is then fitted on all held-out rows. `tests/calibration_replay_test.ts`
 * replays thousands of no-edge folds (raw outputs of every scale, offset and
 * smoothness, base rates that drift between the splits) through this rule:
 * the share whose out-of-sample Brier score is worse than the base rate's by
 * more than 0.001 stays under 1 %, while the planted edge of
 * `tests/positive_control_test.ts` keeps its weight.
 *
 * Why a rank test rather than an interval on the cross-fitted skill: on the
 * project's positive control (`SYNTH.EDGE35`) the 95% block-bootstrap
 * interval of the cross-fitted log-loss skill still reached 0 on folds with
 * ~230 validation rows where the network's AUC was 0.63 (z ≈ 3.5), throwing a
 * real edge away, while the rank test kept every such fold. The rank test
 * also cannot be passed by a level shift alone (held-out rows whose up rate
 * happens to differ from the training base rate), which the cross-fitted
 * log loss rewards. A calibrator never reverses the network's ranking:
 * Platt's slope is at least 0 and isotonic regression is non-decreasing.
 *
 * @example
 * ```ts
 * import { applyCalibration, fitCalibration } from "./calibration.ts";
 * const cal = fitCalibration(validationRaw, validationLabels, { method: "platt", baseRate: 0.54 });
 * applyCalibration(cal, 0.57); // the probability a bot sees for raw output 0.57
 * ```
 *
 * @module
 */

import { z } from "zod";
import { brierScore, logLoss } from "../eval/scores.ts";
import { skillScore } from "../eval/metrics.ts";
import { aucEvidence, mean, standardDeviation } from "../eval/stats.ts";

/**
 * The calibration methods, as `--calibration` takes them.
 *
 * @example
 * ```ts
 * CALIBRATION_METHODS.includes("platt"); // true
 * ```
 */
export const CALIBRATION_METHODS = ["platt", "isotonic", "none"] as const;

/**
 * A calibration method: `platt` (the default), `isotonic` or `none` (the raw
 * network probability, no shrinkage).
 *
 * @example
 * ```ts
 * const method: CalibrationMethod = "isotonic";
 * ```
 */
export type CalibrationMethod = typeof CALIBRATION_METHODS[number];

/**
 * The method `deno task train` uses when `--calibration` is not given.
 *
 * @example
 * ```ts
 * DEFAULT_CALIBRATION; // "platt"
 * ```
 */
export const DEFAULT_CALIBRATION: CalibrationMethod = "platt";

/**
 * Fewest validation rows from which a shrinkage weight below 1 may be chosen.
 *
 * @example
 * ```ts
 * MIN_CALIBRATION_ROWS; // 40
 * ```
 */
export const MIN_CALIBRATION_ROWS = 40;

/**
 * The rank evidence below which the model gets no weight at all: the `Z₀` of
 * `trust(z) = max(0, 1 − (Z₀ / z)²)` (see the module documentation). Beyond
 * it the weight on the model grows with `z`. The held-out rows did not pick
 * the epoch, so `z` is an honest statistic (under no edge about N(0, 1): it
 * passes 2.5 in 0.6% of folds, and those get a small weight). Chosen with
 * the replay test: at 2 the share of simulated no-edge folds worse than the
 * base rate out of sample by more than 0.001 was 0.5% (Platt) and 1.0%
 * (isotonic), at 2.5 0.2% for both; the planted edge's first fold
 * (`z ≈ 2.9` on 150 held-out rows) still gets a quarter of the weight.
 *
 * @example
 * ```ts
 * EVIDENCE_Z; // 2.5
 * ```
 */
export const EVIDENCE_Z = 2.5;
/** The grid of shrinkage weights tried: 0, 0.01, …, 1. */
const GRID_STEPS = 100;
/** Isotonic outputs are kept inside [ISOTONIC_CLIP, 1 − ISOTONIC_CLIP]. */
const ISOTONIC_CLIP = 0.01;
/** Raw probabilities are clipped into [RAW_CLIP, 1 − RAW_CLIP] before the logit. */
const RAW_CLIP = 1e-6;

/**
 * Skill scores against the base rate as a constant probability on the same
 * rows (`1 − score / score of the base rate`); `null` where undefined.
 *
 * @example
 * ```ts
 * const s: SkillPair = { brierSkill: 0.012, logLossSkill: 0.009 };
 * ```
 */
export interface SkillPair {
  /** Brier skill score. */
  brierSkill: number | null;
  /** Log-loss skill score. */
  logLossSkill: number | null;
}

/**
 * The raw network's and the calibrated probabilities' skill on one split.
 *
 * @example
 * ```ts
 * const s: SplitSkill = card.calibration!.validation!;
 * s.calibrated.brierSkill; // out-of-fold, after shrinkage
 * ```
 */
export interface SplitSkill {
  /** Rows scored. */
  rows: number;
  /** Skill of the raw network probabilities. */
  raw: SkillPair;
  /**
   * Skill of the calibrated probabilities. On the validation split these are
   * the cross-fitted (out-of-fold) probabilities after shrinkage, the ones
   * the shrinkage weight was chosen on; on the test split, the saved map's.
   */
  calibrated: SkillPair;
}

/**
 * A fitted calibration, as the model card saves it (plain JSON).
 *
 * @example
 * ```ts
 * const cal: Calibration = fitCalibration(raw, labels, { method: "platt", baseRate: 0.53 });
 * cal.shrinkage; // 1 when the validation rows show no skill
 * ```
 */
export interface Calibration {
  /** The calibrator. */
  method: CalibrationMethod;
  /** Platt scaling: `cal(raw) = σ(slope·logit(raw) + intercept)`; `null` for other methods. */
  platt: { slope: number; intercept: number } | null;
  /**
   * Isotonic regression: non-decreasing knots, `cal(raw)` linear between
   * them and flat outside; `null` for other methods.
   */
  isotonic: { raw: number[]; calibrated: number[] } | null;
  /** The weight `w` of the base rate: `p = w·baseRate + (1 − w)·cal(raw)`. */
  shrinkage: number;
  /** The base rate shrunk toward: the training split's share of up labels (climatology). */
  baseRate: number;
  /** Why the shrinkage weight is what it is, in plain words. */
  reason: string;
  /** Skill on the validation rows, before and after calibration; `null` when not measured. */
  validation: SplitSkill | null;
  /** Skill on the model's test rows, before and after calibration; `null` when not measured. */
  test: SplitSkill | null;
}

const nullableNumber = z.number().nullable();
const skillPairSchema = z.object({ brierSkill: nullableNumber, logLossSkill: nullableNumber });
const splitSkillSchema = z.object({
  rows: z.number().int().nonnegative(),
  raw: skillPairSchema,
  calibrated: skillPairSchema,
});

/**
 * The zod schema of a {@linkcode Calibration} (the model card's `calibration` field).
 *
 * @example
 * ```ts
 * const cal = calibrationSchema.parse(JSON.parse(text));
 * ```
 */
export const calibrationSchema = z.object({
  method: z.enum(CALIBRATION_METHODS),
  platt: z.object({ slope: z.number().nonnegative(), intercept: z.number() }).nullable(),
  isotonic: z.object({
    raw: z.array(z.number().min(0).max(1)).min(1),
    calibrated: z.array(z.number().min(0).max(1)).min(1),
  }).nullable(),
  shrinkage: z.number().min(0).max(1),
  baseRate: z.number().min(0).max(1),
  reason: z.string(),
  validation: splitSkillSchema.nullable(),
  test: splitSkillSchema.nullable(),
});

/** Compile-time check: the schema parses exactly a {@linkcode Calibration}. */
type Same<A, B> = [A, keyof A] extends [B, keyof B]
  ? ([B, keyof B] extends [A, keyof A] ? true : false)
  : false;
const _schemaIsCalibration: Same<z.infer<typeof calibrationSchema>, Calibration> = true;

/**
 * The calibration of a model saved before calibration existed: the raw
 * network probability, unchanged.
 *
 * @example
 * ```ts
 * applyCalibration(IDENTITY_CALIBRATION, 0.57); // 0.57
 * ```
 */
export const IDENTITY_CALIBRATION: Calibration = Object.freeze({
  method: "none",
  platt: null,
  isotonic: null,
  shrinkage: 0,
  baseRate: 0.5,
  reason: "no calibration recorded with this model: the raw network probability",
  validation: null,
  test: null,
});

/**
 * The calibration a model card carries, or {@linkcode IDENTITY_CALIBRATION}
 * for a card written before calibration existed.
 *
 * @example
 * ```ts
 * const cal = cardCalibration(await readCard("models/lstm/v1"));
 * ```
 */
export function cardCalibration(card: { calibration?: Calibration }): Calibration {
  return card.calibration ?? IDENTITY_CALIBRATION;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const logit = (p: number): number => {
  const q = Math.min(1 - RAW_CLIP, Math.max(RAW_CLIP, p));
  return Math.log(q / (1 - q));
};

/** The calibrator alone, `cal(raw)`, before shrinkage. */
function calibrator(cal: Pick<Calibration, "method" | "platt" | "isotonic">, raw: number): number {
  switch (cal.method) {
    case "platt":
      return sigmoid(cal.platt!.slope * logit(raw) + cal.platt!.intercept);
    case "isotonic":
      return interpolate(cal.isotonic!, raw);
    case "none":
      return raw;
  }
}

/**
 * The probability a bot is handed for the network's raw output `raw`:
 * `w·baseRate + (1 − w)·cal(raw)`. The one formula every consumer
 * (evaluation, walk-forward, backtest, predict, monitor, the plugin) goes
 * through.
 *
 * @example
 * ```ts
 * applyCalibration(card.calibration ?? IDENTITY_CALIBRATION, 0.57);
 * ```
 */
export function applyCalibration(cal: Calibration, raw: number): number {
  const w = cal.shrinkage;
  if (w === 0) return calibrator(cal, raw);
  if (w === 1) return cal.baseRate;
  return w * cal.baseRate + (1 - w) * calibrator(cal, raw);
}

/**
 * Whether the calibration hands out the base rate because the held-out
 * validation rows showed no skill (Platt or isotonic at shrinkage 1): a
 * model a bot must not trade by accident (the plugin's `no-skill` status).
 * A card saved before calibration existed, or `--calibration none`, has no
 * such verdict: `false`.
 *
 * @example
 * ```ts
 * if (withoutSkill(cardCalibration(card))) console.log("the base rate, no skill shown");
 * ```
 */
export function withoutSkill(cal: Calibration): boolean {
  return cal.method !== "none" && cal.shrinkage >= 1;
}

/**
 * {@linkcode applyCalibration} over many raw probabilities.
 *
 * @example
 * ```ts
 * const p = calibrateAll(cal, rawProbabilities);
 * ```
 */
export function calibrateAll(cal: Calibration, raw: ArrayLike<number>): Float64Array {
  const out = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = applyCalibration(cal, raw[i]);
  return out;
}

/**
 * Platt scaling: a logistic regression of the labels on `logit(raw)`, with
 * Platt's smoothed targets (`(N₊ + 1)/(N₊ + 2)` for up, `1/(N₋ + 2)` for
 * down), fitted by Newton steps on the standardised input (deterministic).
 * The slope is held at 0 or above, so the map never reverses the network's
 * ranking; a constant input gets slope 0.
 */
function fitPlatt(raw: ArrayLike<number>, labels: ArrayLike<number>): Calibration["platt"] {
  const n = raw.length;
  let ups = 0;
  for (let i = 0; i < n; i++) ups += labels[i];
  const hi = (ups + 1) / (ups + 2), lo = 1 / (n - ups + 2);
  const t = Float64Array.from({ length: n }, (_, i) => (labels[i] === 1 ? hi : lo));
  const x = Float64Array.from({ length: n }, (_, i) => logit(raw[i]));
  const meanX = mean(x);
  const sd = standardDeviation(x, { population: true });
  const meanT = mean(t);
  const constant = { slope: 0, intercept: logit(meanT) };
  if (!(sd > 1e-12)) return constant;
  // Newton on (a, b) for σ(a·z + b), z standardised; a tiny ridge keeps the Hessian invertible.
  let a = 0, b = logit(meanT);
  for (let iter = 0; iter < 100; iter++) {
    let ga = 0, gb = 0, haa = 1e-9, hab = 0, hbb = 1e-9;
    for (let i = 0; i < n; i++) {
      const z = (x[i] - meanX) / sd;
      const p = sigmoid(a * z + b);
      const r = p - t[i];
      const v = p * (1 - p);
      ga += r * z;
      gb += r;
      haa += v * z * z;
      hab += v * z;
      hbb += v;
    }
    const det = haa * hbb - hab * hab;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-12) break;
  }
  if (!(a > 0) || !Number.isFinite(a) || !Number.isFinite(b)) return constant;
  return { slope: a / sd, intercept: b - (a * meanX) / sd };
}

/**
 * Isotonic regression by pool-adjacent-violators: rows sorted by raw
 * probability (ties pooled first), adjacent blocks whose observed rates are
 * out of order pooled until they are non-decreasing. Each block becomes a
 * knot at its mean raw probability and its observed rate plus `shift`
 * (kept inside [0.01, 0.99], so one block cannot cost a bot a certain loss).
 */
function fitIsotonic(
  raw: ArrayLike<number>,
  labels: ArrayLike<number>,
  shift = 0,
): Calibration["isotonic"] {
  const order = Array.from({ length: raw.length }, (_, i) => i).sort((i, j) =>
    raw[i] - raw[j] || i - j
  );
  const sumX: number[] = [], sumY: number[] = [], count: number[] = [];
  let lastRaw = NaN;
  for (const i of order) {
    const top = count.length - 1;
    if (raw[i] === lastRaw) {
      sumX[top] += raw[i];
      sumY[top] += labels[i];
      count[top]++;
    } else {
      sumX.push(raw[i]);
      sumY.push(labels[i]);
      count.push(1);
    }
    lastRaw = raw[i];
    // Pool while the block before has an observed rate at or above the last block's.
    while (
      count.length > 1 &&
      sumY[count.length - 2] / count[count.length - 2] >=
        sumY[count.length - 1] / count[count.length - 1]
    ) {
      const k = count.length - 1;
      sumX[k - 1] += sumX[k];
      sumY[k - 1] += sumY[k];
      count[k - 1] += count[k];
      sumX.pop();
      sumY.pop();
      count.pop();
    }
  }
  const clip = (p: number): number => Math.min(1 - ISOTONIC_CLIP, Math.max(ISOTONIC_CLIP, p));
  return {
    raw: count.map((c, k) => sumX[k] / c),
    calibrated: count.map((c, k) => clip(sumY[k] / c + shift)),
  };
}

function interpolate(knots: { raw: number[]; calibrated: number[] }, x: number): number {
  const { raw, calibrated } = knots;
  const last = raw.length - 1;
  if (!(x > raw[0])) return calibrated[0];
  if (x >= raw[last]) return calibrated[last];
  let lo = 0, hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (raw[mid] <= x) lo = mid;
    else hi = mid;
  }
  const f = (x - raw[lo]) / (raw[hi] - raw[lo]);
  return calibrated[lo] + f * (calibrated[hi] - calibrated[lo]);
}

/**
 * Fits the calibrator alone (no shrinkage) on the rows `from … to − 1`, centred on `baseRate`:
 * its mean output over those rows is the base rate (Platt's intercept moved, isotonic's pooled
 * rates shifted). The calibrator maps the network's ranking to probabilities; it does not move
 * the level, a bet on the up rate itself that the held-out rows' rank evidence does not back (a
 * slice of a few hundred rows has an up rate a few points off the training one by chance alone).
 */
function fitMap(
  method: CalibrationMethod,
  raw: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: { baseRate: number; from?: number; to?: number },
): Pick<Calibration, "method" | "platt" | "isotonic"> {
  const { baseRate, from = 0, to = raw.length } = options;
  const r = Array.prototype.slice.call(raw, from, to) as number[];
  const y = Array.prototype.slice.call(labels, from, to) as number[];
  return {
    method,
    platt: method === "platt" ? centredPlatt(fitPlatt(r, y)!, r, baseRate) : null,
    isotonic: method === "isotonic" ? fitIsotonic(r, y, baseRate - mean(y)) : null,
  };
}

/** Platt's map with its intercept moved so that its mean output over `raw` is `baseRate`. */
function centredPlatt(
  platt: { slope: number; intercept: number },
  raw: readonly number[],
  baseRate: number,
): { slope: number; intercept: number } {
  const target = Math.min(1 - RAW_CLIP, Math.max(RAW_CLIP, baseRate));
  const x = raw.map((p) => platt.slope * logit(p));
  let c = platt.intercept;
  // Newton on c for mean σ(x + c) = target: increasing and concave-convex, so steps are damped.
  for (let iter = 0; iter < 100; iter++) {
    let f = -target, d = 0;
    for (const v of x) {
      const p = sigmoid(v + c);
      f += p / x.length;
      d += (p * (1 - p)) / x.length;
    }
    const step = Math.max(-1, Math.min(1, f / Math.max(d, 1e-12)));
    c -= step;
    if (Math.abs(step) < 1e-12) break;
  }
  return { slope: platt.slope, intercept: c };
}

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

/**
 * The skill of `probabilities` against `baseRate` as a constant probability
 * on the same rows.
 *
 * @example
 * ```ts
 * skillAgainstBaseRate([0.7, 0.3], [1, 0], 0.5).brierSkill; // 0.64
 * ```
 */
export function skillAgainstBaseRate(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  baseRate: number,
): SkillPair {
  const reference = new Float64Array(labels.length).fill(baseRate);
  return {
    brierSkill: finiteOrNull(
      skillScore(brierScore(probabilities, labels), brierScore(reference, labels)),
    ),
    logLossSkill: finiteOrNull(
      skillScore(logLoss(probabilities, labels), logLoss(reference, labels)),
    ),
  };
}

/**
 * The raw and calibrated skill of a fitted calibration on a labelled split
 * (e.g. the model's test windows).
 *
 * @example
 * ```ts
 * const test = splitSkill(cal, testRaw, testLabels);
 * ```
 */
export function splitSkill(
  cal: Calibration,
  raw: ArrayLike<number>,
  labels: ArrayLike<number>,
): SplitSkill {
  return {
    rows: labels.length,
    raw: skillAgainstBaseRate(raw, labels, cal.baseRate),
    calibrated: skillAgainstBaseRate(calibrateAll(cal, raw), labels, cal.baseRate),
  };
}

/**
 * Options of {@linkcode fitCalibration}.
 *
 * @example
 * ```ts
 * const options: FitCalibrationOptions = { method: "isotonic", baseRate: 0.53 };
 * ```
 */
export interface FitCalibrationOptions {
  /** The calibrator. */
  method: CalibrationMethod;
  /** The training split's share of up labels, the rate shrunk toward. */
  baseRate: number;
}

function checkInputs(raw: ArrayLike<number>, labels: ArrayLike<number>, baseRate: number): void {
  if (raw.length !== labels.length) {
    throw new RangeError(
      `Expected as many raw probabilities as labels, found ${raw.length} and ${labels.length}`,
    );
  }
  if (raw.length === 0) {
    throw new RangeError("Expected at least one validation row to calibrate on, found none");
  }
  if (!(baseRate >= 0 && baseRate <= 1)) {
    throw new RangeError(`Expected a base rate in [0, 1], found ${baseRate}`);
  }
  for (let i = 0; i < raw.length; i++) {
    if (!(raw[i] >= 0 && raw[i] <= 1)) {
      throw new RangeError(`Expected raw probabilities in [0, 1], found ${raw[i]} at row ${i}`);
    }
    if (labels[i] !== 0 && labels[i] !== 1) {
      throw new RangeError(`Expected labels 0 or 1, found ${labels[i]} at row ${i}`);
    }
  }
}

/**
 * Fits a calibration on held-out validation rows (rows that neither trained
 * the network nor picked its epoch): the calibrator on all of them, the
 * shrinkage weight by 2-fold cross-fitting, capped by the strength of the
 * rank evidence (see the module documentation). Pure and deterministic.
 *
 * @example
 * ```ts
 * const cal = fitCalibration(rawValidation, validationLabels, { method: "platt", baseRate: 0.54 });
 * cal.validation?.calibrated.logLossSkill; // out-of-fold skill after shrinkage (0 at w = 1)
 * ```
 */
export function fitCalibration(
  raw: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: FitCalibrationOptions,
): Calibration {
  const { method, baseRate } = options;
  checkInputs(raw, labels, baseRate);
  const n = raw.length;
  const rawSkill = skillAgainstBaseRate(raw, labels, baseRate);
  const map = fitMap(method, raw, labels, { baseRate });
  const result = (shrinkage: number, reason: string, calibrated: SkillPair): Calibration => ({
    ...map,
    shrinkage,
    baseRate,
    reason,
    validation: { rows: n, raw: rawSkill, calibrated },
    test: null,
  });
  const none: SkillPair = { brierSkill: 0, logLossSkill: 0 };
  if (method === "none") {
    return result(0, "no calibration asked for: the raw network probability", rawSkill);
  }
  if (n < MIN_CALIBRATION_ROWS) {
    return result(
      1,
      `only ${n} held-out validation rows (fewer than ${MIN_CALIBRATION_ROWS}) to show skill on: the base rate`,
      none,
    );
  }
  // Out-of-fold calibrated probabilities: each half calibrated by a map fitted on the other.
  const half = Math.floor(n / 2);
  const early = fitMap(method, raw, labels, { baseRate, from: 0, to: half });
  const late = fitMap(method, raw, labels, { baseRate, from: half, to: n });
  const oof = new Float64Array(n);
  for (let i = 0; i < n; i++) oof[i] = calibrator(i < half ? late : early, raw[i]);
  let best = GRID_STEPS, bestLoss = Infinity;
  const shrunk = new Float64Array(n);
  for (let k = 0; k <= GRID_STEPS; k++) {
    const w = k / GRID_STEPS;
    for (let i = 0; i < n; i++) shrunk[i] = w * baseRate + (1 - w) * oof[i];
    const loss = logLoss(shrunk, labels);
    if (loss < bestLoss - 1e-15) [best, bestLoss] = [k, loss];
  }
  const crossFitted = best / GRID_STEPS;
  if (best === GRID_STEPS) {
    return result(
      1,
      "the cross-fitted calibrated probabilities do not beat the base rate on the held-out validation rows: the base rate",
      none,
    );
  }
  const evidence = aucEvidence(raw, labels);
  const trust = evidenceTrust(evidence.z);
  const w = Math.max(crossFitted, Math.ceil((1 - trust) * GRID_STEPS - 1e-9) / GRID_STEPS);
  const ranking = Number.isNaN(evidence.auc)
    ? "held-out validation rows of one class, no AUC"
    : `validation AUC ${evidence.auc.toFixed(3)} (z ${
      evidence.z.toFixed(2)
    }) on ${n} held-out rows`;
  if (w >= 1) {
    return result(
      1,
      `no evidence that the network ranks the held-out validation rows better than chance (${ranking}; any weight needs z > ${EVIDENCE_Z}): the base rate`,
      none,
    );
  }
  for (let i = 0; i < n; i++) shrunk[i] = w * baseRate + (1 - w) * oof[i];
  const oofSkill = skillAgainstBaseRate(shrunk, labels, baseRate);
  const capped = w > crossFitted
    ? `, the evidence caps the model's share at ${(1 - w).toFixed(2)} (cross-fitted weight ${
      crossFitted.toFixed(2)
    })`
    : "";
  return result(
    w,
    `validation skill (${ranking}, cross-fitted log-loss skill ${
      (oofSkill.logLossSkill ?? NaN).toFixed(4)
    }${capped}): weight ${w.toFixed(2)} on the base rate`,
    oofSkill,
  );
}

/**
 * The largest share of the model's calibrated probability the evidence
 * allows: `max(0, 1 − (Z₀ / z)²)` with `Z₀` = {@linkcode EVIDENCE_Z}, 0 for
 * no or negative evidence (see the module documentation).
 *
 * @example
 * ```ts
 * evidenceTrust(5); // 0.75
 * evidenceTrust(2); // 0
 * ```
 */
export function evidenceTrust(z: number): number {
  if (!(z > EVIDENCE_Z)) return 0;
  return 1 - (EVIDENCE_Z / z) ** 2;
}
