/**
 * One summary object of a model's scores next to its baselines on the same
 * rows (the `--json` shape of the evaluate command), for one set of rows and
 * for walk-forward folds. The text and pages drawn from it are in
 * `src/views/` (evaluation.ts, walk_forward.ts).
 *
 * @module
 */

import { alwaysUp, baseRate, previousDirection } from "./baselines.ts";
import {
  type BootstrapOptions,
  type ConfidenceInterval,
  edgeVerdict,
  type HeadlineMetric,
  pValueVsAlwaysUp,
  scoreProbabilities,
  type Scores,
  type SkillMetric,
  skillVerdict,
  skillWithIntervals,
  withIntervals,
} from "./metrics.ts";
import { brierScore, logLoss } from "./scores.ts";

/**
 * The scored rows of an evaluation, one per window whose label is known, in
 * time order.
 *
 * @example
 * ```ts
 * const rows: EvaluationRows = { probabilities: [0.6], labels: [1], refTimes: ["2024-01-02"], previousUp: [0] };
 * ```
 */
export interface EvaluationRows {
  /** The model's up-probabilities (calibrated: the ones it hands out). */
  probabilities: ArrayLike<number>;
  /** The network's raw up-probabilities before calibration, when known. */
  rawProbabilities?: ArrayLike<number>;
  /** How the raw probabilities were calibrated, when known. */
  calibration?: CalibrationNote;
  /** Next-bar directions (1 up). */
  labels: ArrayLike<number>;
  /** Time of each row's reference bar (the bar the window ends on). */
  refTimes: readonly string[];
  /** Yesterday's direction at each reference bar (see `yesterdayUp`). */
  previousUp: ArrayLike<number>;
  /** The logistic baseline's probabilities on the same rows, when fitted. */
  logisticProbabilities?: ArrayLike<number>;
  /** The overnight-gap reversal rule on the same rows (rows decided at the open). */
  gapReversal?: ArrayLike<number>;
  /**
   * The climatology forecast on the same rows: the share of up labels in the
   * model's training windows as a constant probability (per fold in a
   * walk-forward evaluation), and what that rate was computed on. When absent,
   * the base rate of the earliest half of the rows serves, in sample there
   * (see {@linkcode earliestHalfClimatology}).
   */
  climatology?: ClimatologyForecast;
}

/**
 * Skill against the base rate on one split, before and after calibration
 * (`null`: not measured). The shape of the model card's
 * `calibration.validation`.
 *
 * @example
 * ```ts
 * const s: CalibrationSkill = {
 *   rows: 250,
 *   raw: { brierSkill: -0.01, logLossSkill: -0.02 },
 *   calibrated: { brierSkill: 0.002, logLossSkill: 0.001 },
 * };
 * ```
 */
export interface CalibrationSkill {
  /** Rows scored. */
  rows: number;
  /** Skill of the raw network probabilities. */
  raw: { brierSkill: number | null; logLossSkill: number | null };
  /** Skill of the calibrated probabilities. */
  calibrated: { brierSkill: number | null; logLossSkill: number | null };
}

/**
 * What an evaluation says about the calibration that made its probabilities:
 * a saved calibration (the model card's) without its fitted parameters.
 *
 * @example
 * ```ts
 * const note: CalibrationNote = calibrationNote(card.calibration!);
 * note.shrinkage; // the base rate's weight
 * ```
 */
export interface CalibrationNote {
  /** The calibrator: `platt`, `isotonic` or `none` (the raw network probability). */
  method: string;
  /** The weight of the base rate: `p = w·baseRate + (1 − w)·cal(raw)`. */
  shrinkage: number;
  /** The base rate shrunk toward: the training split's share of up labels. */
  baseRate: number;
  /** Why the shrinkage weight is what it is, in plain words. */
  reason: string;
  /** Skill on the validation rows, before and after calibration; `null` when not measured. */
  validation: CalibrationSkill | null;
}

/**
 * The {@linkcode CalibrationNote} of a calibration: its note's fields and no others.
 *
 * @example
 * ```ts
 * calibrationNote(IDENTITY_CALIBRATION).method; // "none"
 * ```
 */
export function calibrationNote(cal: CalibrationNote): CalibrationNote {
  const { method, shrinkage, baseRate, reason, validation } = cal;
  return { method, shrinkage, baseRate, reason, validation };
}

/**
 * A climatology forecast: one probability per scored row (the training base
 * rate) and, in plain words, the rows that rate was computed on.
 *
 * @example
 * ```ts
 * const c: ClimatologyForecast = climatologyForecast(trainLabels, 250, "the model's 1200 training rows");
 * ```
 */
export interface ClimatologyForecast {
  /** The up-probability of each scored row. */
  probabilities: ArrayLike<number>;
  /** What the base rate was computed on. */
  fittedOn: string;
}

/**
 * The climatology forecast of `rows` scored rows: the share of up labels in
 * `trainingLabels`, as a constant probability.
 *
 * @example
 * ```ts
 * climatologyForecast([1, 1, 0, 1], 2, "4 training rows").probabilities; // Float64Array [0.75, 0.75]
 * ```
 */
export function climatologyForecast(
  trainingLabels: ArrayLike<number>,
  rows: number,
  fittedOn: string,
): ClimatologyForecast {
  if (trainingLabels.length === 0) {
    throw new RangeError("Expected training labels for the climatology base rate, found none");
  }
  return { probabilities: new Float64Array(rows).fill(baseRate(trainingLabels)), fittedOn };
}

/**
 * The fallback climatology when the training labels are not at hand: the base
 * rate of the earliest half of the scored rows (at least one row), in sample
 * there, with `reason` appended to what it says it was fitted on. The same
 * rows the logistic baseline falls back to.
 *
 * @example
 * ```ts
 * earliestHalfClimatology([1, 0, 1, 1], ["a", "b", "c", "d"]).fittedOn;
 * // "the earliest 50% of the evaluated rows (2 rows, to b), in sample there"
 * ```
 */
export function earliestHalfClimatology(
  labels: ArrayLike<number>,
  refTimes: readonly string[],
  reason?: string,
): ClimatologyForecast {
  const half = Math.max(1, Math.floor(labels.length / 2));
  return climatologyForecast(
    Array.from(labels).slice(0, half),
    labels.length,
    `the earliest 50% of the evaluated rows (${half} rows, to ${
      refTimes[half - 1]
    }), in sample there${reason ? `: ${reason}` : ""}`,
  );
}

/**
 * The climatology baseline's figures: the base rate it forecasts (the mean
 * forecast when it differs per fold), its Brier score and log loss on the
 * scored rows, and what the rate was computed on.
 *
 * @example
 * ```ts
 * const c: ClimatologySummary = { baseRate: 0.54, brier: 0.2484, logLoss: 0.6900, fittedOn: "…" };
 * ```
 */
export interface ClimatologySummary {
  /** The up-probability forecast (mean over rows for pooled folds). */
  baseRate: number;
  /** Brier score on the scored rows. */
  brier: number;
  /** Log loss on the scored rows. */
  logLoss: number;
  /** What the base rate was computed on. */
  fittedOn: string;
}

/**
 * A baseline's headline figures.
 *
 * @example
 * ```ts
 * const b: BaselineSummary = { accuracy: 0.53 };
 * ```
 */
export interface BaselineSummary {
  /** Share of rows called correctly. */
  accuracy: number;
  /** ROC AUC, for baselines with probabilities. */
  auc?: number;
  /** Log loss, for baselines with probabilities. */
  logLoss?: number;
  /** Brier score, for baselines with probabilities. */
  brier?: number;
  /** Matthews correlation. */
  mcc?: number;
}

/**
 * The evaluation of a model on a set of rows, as `--json` prints it.
 *
 * @example
 * ```ts
 * const s: EvaluationSummary = summarizeEvaluation(rows, { seed: 42 });
 * console.log(JSON.stringify(s));
 * ```
 */
export interface EvaluationSummary {
  /** Number of scored windows. */
  rows: number;
  /** Reference time of the first row. */
  first: string;
  /** Reference time of the last row. */
  last: string;
  /**
   * The model's scores (confusion matrix and calibration table included) and
   * its skill against the climatology baseline: `brierSkill` is
   * `1 − Brier(model) / Brier(climatology)`, `logLossSkill` the same with log
   * loss (above 0: better than the training base rate as a constant).
   */
  metrics: Scores & Record<SkillMetric, number>;
  /** 95% block-bootstrap interval of each headline metric and skill score. */
  intervals: Record<HeadlineMetric | SkillMetric, ConfidenceInterval>;
  /** How the model's probabilities were calibrated (absent when not known). */
  calibration?: CalibrationNote;
  /** Baselines on exactly the same rows. */
  baselines: {
    /** The network's raw probabilities before calibration, when known. */
    rawNetwork?: BaselineSummary;
    alwaysUp: BaselineSummary;
    previousDirection: BaselineSummary;
    logistic?: BaselineSummary;
    /** The overnight-gap reversal rule (rows decided at the open): a ranking, not a forecast. */
    gapReversal?: { accuracy: number; auc: number; mcc: number };
    /** The training base rate as a constant probability. */
    climatology: ClimatologySummary;
    /** Share of up labels in the scored rows. */
    baseRate: number;
  };
  /** One-sided p-value that the model is more accurate than always-up. */
  pValueVsAlwaysUp: number;
  /** The plain-words reading of the Brier skill interval: may a bot size positions on the probabilities? */
  probabilityVerdict: string;
  /** The plain-words reading of the p-value, then {@linkcode EvaluationSummary.probabilityVerdict}. */
  verdict: string;
}

/**
 * Options for {@linkcode summarizeEvaluation}.
 *
 * @example
 * ```ts
 * const options: SummaryOptions = { seed: 42, alpha: 0.01 };
 * ```
 */
export interface SummaryOptions extends BootstrapOptions {
  /** Significance level of the verdict (default 0.05). */
  alpha?: number;
}

/**
 * Scores the model and its baselines on the same rows, with intervals and the
 * test against always-up.
 *
 * @example
 * ```ts
 * const summary = summarizeEvaluation(rows, { seed: 42 });
 * console.log(summary.verdict); // "no evidence of an edge over always-up (p = 0.41)"
 * ```
 */
export function summarizeEvaluation(
  rows: EvaluationRows,
  options: SummaryOptions = {},
): EvaluationSummary {
  const { probabilities, labels, refTimes, previousUp } = rows;
  if (refTimes.length !== labels.length) {
    throw new RangeError(
      `Expected one reference time per row, found ${refTimes.length} for ${labels.length} rows`,
    );
  }
  const metrics = scoreProbabilities(probabilities, labels, options);
  const pick = (s: Scores): BaselineSummary => ({
    accuracy: s.accuracy,
    auc: s.auc,
    logLoss: s.logLoss,
    brier: s.brier,
    mcc: s.mcc,
  });
  const up = alwaysUp(labels);
  const previous = previousDirection(previousUp, labels);
  const p = pValueVsAlwaysUp(probabilities, labels, options);
  const climatology = rows.climatology ?? earliestHalfClimatology(labels, refTimes);
  if (climatology.probabilities.length !== labels.length) {
    throw new RangeError(
      `Expected one climatology probability per row, found ${climatology.probabilities.length} for ${labels.length} rows`,
    );
  }
  const skill = skillWithIntervals(probabilities, labels, climatology.probabilities, options);
  // The forecast rate: exact when constant, the row-weighted mean when it differs per fold.
  let climatologyMean = 0;
  let constant = true;
  for (let i = 0; i < labels.length; i++) {
    climatologyMean += climatology.probabilities[i];
    constant &&= climatology.probabilities[i] === climatology.probabilities[0];
  }
  climatologyMean = constant ? climatology.probabilities[0] : climatologyMean / labels.length;
  const probabilityVerdict = skillVerdict(skill.brierSkill);
  return {
    rows: labels.length,
    first: refTimes[0],
    last: refTimes[refTimes.length - 1],
    metrics: {
      ...metrics,
      brierSkill: skill.brierSkill.estimate,
      logLossSkill: skill.logLossSkill.estimate,
    },
    intervals: { ...withIntervals(probabilities, labels, options), ...skill },
    ...(rows.calibration ? { calibration: rows.calibration } : {}),
    baselines: {
      ...(rows.rawProbabilities
        ? { rawNetwork: pick(scoreProbabilities(rows.rawProbabilities, labels, options)) }
        : {}),
      alwaysUp: { accuracy: up.accuracy, mcc: 0 },
      previousDirection: {
        accuracy: previous.accuracy,
        mcc: scoreProbabilities(previous.probabilities, labels).mcc,
      },
      ...(rows.logisticProbabilities
        ? { logistic: pick(scoreProbabilities(rows.logisticProbabilities, labels, options)) }
        : {}),
      ...(rows.gapReversal
        ? {
          gapReversal: (({ accuracy, auc, mcc }) => ({ accuracy, auc, mcc }))(
            scoreProbabilities(rows.gapReversal, labels, options),
          ),
        }
        : {}),
      climatology: {
        baseRate: climatologyMean,
        brier: brierScore(climatology.probabilities, labels),
        logLoss: logLoss(climatology.probabilities, labels),
        fittedOn: climatology.fittedOn,
      },
      baseRate: metrics.baseRate,
    },
    pValueVsAlwaysUp: p,
    probabilityVerdict,
    verdict: `${edgeVerdict(p, options)}; ${probabilityVerdict}`,
  };
}

/**
 * Walk-forward results: each fold's summary and the pooled summary of all
 * test rows together (the figure a user should trust).
 *
 * @example
 * ```ts
 * const wf: WalkForwardSummary = summarizeWalkForward(folds, { seed: 42 });
 * console.log(wf.pooled.verdict);
 * ```
 */
export interface WalkForwardSummary {
  /** One summary per fold, in time order. */
  folds: EvaluationSummary[];
  /** The summary of every fold's rows concatenated in time order. */
  pooled: EvaluationSummary;
}

function concatRows(parts: readonly EvaluationRows[]): EvaluationRows {
  const cat = (get: (r: EvaluationRows) => ArrayLike<number>): number[] =>
    parts.flatMap((r) => Array.from(get(r)));
  const withLogistic = parts.every((r) => r.logisticProbabilities);
  const withGap = parts.every((r) => r.gapReversal);
  const withRaw = parts.every((r) => r.rawProbabilities);
  // Each fold's own climatology forecast on its own rows, pooled.
  const withClimatology = parts.every((r) => r.climatology);
  return {
    probabilities: cat((r) => r.probabilities),
    labels: cat((r) => r.labels),
    refTimes: parts.flatMap((r) => r.refTimes),
    previousUp: cat((r) => r.previousUp),
    logisticProbabilities: withLogistic ? cat((r) => r.logisticProbabilities!) : undefined,
    gapReversal: withGap ? cat((r) => r.gapReversal!) : undefined,
    rawProbabilities: withRaw ? cat((r) => r.rawProbabilities!) : undefined,
    climatology: withClimatology
      ? {
        probabilities: cat((r) => r.climatology!.probabilities),
        fittedOn: "each fold's own training rows",
      }
      : undefined,
  };
}

/**
 * Summarises walk-forward folds (each scored by a model trained only on
 * earlier rows) one by one and pooled. Folds must not overlap in time.
 *
 * @example
 * ```ts
 * const wf = summarizeWalkForward([fold1Rows, fold2Rows], { seed: 42 });
 * console.log(wf.pooled.verdict, wf.folds.length);
 * ```
 */
export function summarizeWalkForward(
  folds: readonly EvaluationRows[],
  options: SummaryOptions = {},
): WalkForwardSummary {
  if (folds.length === 0) throw new RangeError("Expected at least one fold, found none");
  for (let i = 1; i < folds.length; i++) {
    const previousLast = folds[i - 1].refTimes[folds[i - 1].refTimes.length - 1];
    if (!(folds[i].refTimes[0] > previousLast)) {
      throw new RangeError(
        `Expected folds in time order without overlap, found fold ${i + 1} starting ${
          folds[i].refTimes[0]
        } at or before ${previousLast}`,
      );
    }
  }
  return {
    folds: folds.map((f) => summarizeEvaluation(f, options)),
    pooled: summarizeEvaluation(concatRows(folds), options),
  };
}
