/**
 * What the evaluate and backtest commands print and draw: one summary object
 * of a model's scores next to its baselines on the same rows (the `--json`
 * shape), its plain-text table, and the report inputs for
 * {@linkcode renderReport}.
 *
 * @module
 */

import { alwaysUp, baseRate, previousDirection } from "./baselines.ts";
import type { BacktestResult, PerformanceStats } from "./backtest.ts";
import {
  type BootstrapOptions,
  type ConfidenceInterval,
  edgeVerdict,
  HEADLINE_METRICS,
  type HeadlineMetric,
  pValueVsAlwaysUp,
  reliabilityBins,
  rocCurve,
  scoreProbabilities,
  type Scores,
  SKILL_METRICS,
  type SkillMetric,
  skillScore,
  skillVerdict,
  skillWithIntervals,
  withIntervals,
} from "./metrics.ts";
import { brierScore, logLoss } from "./scores.ts";
import type { EpochRecord } from "../model/train.ts";
import type { Calibration } from "../model/calibration.ts";
import { formatTable } from "../util/table.ts";
import type { ReportInput } from "./report.ts";

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
 * What an evaluation says about the calibration that made its probabilities:
 * the saved calibration without its fitted parameters.
 *
 * @example
 * ```ts
 * const note: CalibrationNote = calibrationNote(card.calibration!);
 * note.shrinkage; // the base rate's weight
 * ```
 */
export type CalibrationNote = Pick<
  Calibration,
  "method" | "shrinkage" | "baseRate" | "reason" | "validation"
>;

/**
 * The {@linkcode CalibrationNote} of a calibration.
 *
 * @example
 * ```ts
 * calibrationNote(IDENTITY_CALIBRATION).method; // "none"
 * ```
 */
export function calibrationNote(cal: Calibration): CalibrationNote {
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

const num = (v: number | undefined, digits = 4): string =>
  v === undefined || Number.isNaN(v) ? "–" : v.toFixed(digits);

const skillInterval = (s: EvaluationSummary, m: SkillMetric): string =>
  `[${num(s.intervals[m].lower)}, ${num(s.intervals[m].upper)}]`;

function evaluationTable(summary: EvaluationSummary): (string | number | null)[][] {
  const { metrics, intervals, baselines } = summary;
  const baseline = (b: BaselineSummary | undefined, m: HeadlineMetric): number | null => {
    const v = b?.[m as keyof BaselineSummary];
    return v === undefined || Number.isNaN(v) ? null : v;
  };
  const climatology = (m: HeadlineMetric): number | null =>
    m === "brier"
      ? baselines.climatology.brier
      : m === "logLoss"
      ? baselines.climatology.logLoss
      : null;
  const interval = (m: HeadlineMetric | SkillMetric): string =>
    `[${num(intervals[m].lower)}, ${num(intervals[m].upper)}]`;
  // A probability baseline's skill against the same climatology, as a point figure.
  const skillOf = (b: BaselineSummary | undefined, m: SkillMetric): number | null => {
    const v = m === "brierSkill"
      ? skillScore(b?.brier ?? NaN, baselines.climatology.brier)
      : skillScore(b?.logLoss ?? NaN, baselines.climatology.logLoss);
    return Number.isNaN(v) ? null : v;
  };
  // The raw network's column, only when the rows carried its probabilities.
  const raw = baselines.rawNetwork;
  const rawCell = (v: number | null): (number | null)[] => (raw ? [v] : []);
  return [
    ...HEADLINE_METRICS.map((m) => [
      m,
      metrics[m],
      interval(m),
      ...rawCell(baseline(raw, m)),
      baseline(baselines.logistic, m),
      climatology(m),
      baseline(baselines.alwaysUp, m),
      baseline(baselines.previousDirection, m),
    ]),
    // Skill against climatology: 0 for climatology itself; always-up and yesterday are not probabilities.
    ...SKILL_METRICS.map((m) => [
      m,
      metrics[m],
      interval(m),
      ...rawCell(skillOf(raw, m)),
      skillOf(baselines.logistic, m),
      0,
      null,
      null,
    ]),
  ];
}

/** The headers of {@linkcode evaluationTable}: a raw-network column when the summary has one. */
function evaluationHeaders(summary: EvaluationSummary): string[] {
  return [
    "metric",
    "model",
    "95% interval",
    ...(summary.baselines.rawNetwork ? ["raw network"] : []),
    "logistic",
    "climatology",
    "always-up",
    "yesterday",
  ];
}

/** One line on the calibration behind the model's probabilities, or none. */
function calibrationLine(summary: EvaluationSummary): string[] {
  const c = summary.calibration;
  if (!c) return [];
  const how = c.method === "none"
    ? "none (the raw network probability)"
    : `${c.method}, then weight ${num(c.shrinkage, 2)} on the base rate ${num(c.baseRate, 3)}`;
  return [`calibration: ${how}; ${c.reason}`];
}

/**
 * The human-readable evaluation: a line on the rows, a table of the model's
 * metrics with intervals beside the baselines, and the verdict.
 *
 * @example
 * ```ts
 * console.log(formatEvaluation(summarizeEvaluation(rows, { seed: 42 })));
 * ```
 */
export function formatEvaluation(summary: EvaluationSummary): string {
  const rows = evaluationTable(summary).map((r) =>
    r.map((v) => (typeof v === "number" ? num(v) : v === null ? "–" : v))
  );
  const c = summary.metrics.confusion;
  return [
    `${summary.rows} rows, ${summary.first} to ${summary.last}; base rate (share up) ${
      num(summary.baselines.baseRate, 3)
    }`,
    `climatology: the training base rate ${
      num(summary.baselines.climatology.baseRate, 3)
    } as a constant probability, from ${summary.baselines.climatology.fittedOn}`,
    ...calibrationLine(summary),
    formatTable([evaluationHeaders(summary), ...rows]),
    `confusion: tp ${c.tp}, fp ${c.fp}, tn ${c.tn}, fn ${c.fn}`,
    summary.verdict,
  ].join("\n");
}

/**
 * The report input of an evaluation: the metrics table, ROC curve (with its
 * AUC), the reliability diagram (about ten equal-count bins, see
 * `reliabilityBins`, with the skill scores and the base rate), the probability
 * histogram and, when given, training curves.
 *
 * @example
 * ```ts
 * const html = renderReport(evaluationReport(rows, summary, { title: "lstm on AAPL", history }));
 * ```
 */
export function evaluationReport(
  rows: EvaluationRows,
  summary: EvaluationSummary,
  options: { title: string; history?: EpochRecord[] },
): ReportInput {
  const hasBoth = summary.metrics.baseRate > 0 && summary.metrics.baseRate < 1;
  return {
    title: options.title,
    summary: [
      `${summary.rows} rows, ${summary.first} to ${summary.last}.`,
      `Against always-up, then against the base rate: ${summary.verdict}.`,
      ...calibrationLine(summary).map((line) => `${line[0].toUpperCase()}${line.slice(1)}.`),
      `Skill against climatology (the training base rate ${
        num(summary.baselines.climatology.baseRate, 3)
      } as a constant probability, from ${summary.baselines.climatology.fittedOn}): Brier skill ${
        num(summary.metrics.brierSkill)
      } ${skillInterval(summary, "brierSkill")}, log-loss skill ${
        num(summary.metrics.logLossSkill)
      } ${skillInterval(summary, "logLossSkill")}.`,
    ],
    metricsTable: { headers: evaluationHeaders(summary), rows: evaluationTable(summary) },
    history: options.history,
    roc: hasBoth ? rocCurve(rows.probabilities, rows.labels) : undefined,
    calibration: reliabilityBins(rows.probabilities, rows.labels),
    reliability: {
      baseRate: summary.baselines.climatology.baseRate,
      brierSkill: summary.intervals.brierSkill,
      logLossSkill: summary.intervals.logLossSkill,
    },
    probabilities: rows.probabilities,
  };
}

const STAT_ROWS: [keyof PerformanceStats, string][] = [
  ["totalReturn", "total return"],
  ["annualReturn", "annual return"],
  ["volatility", "volatility"],
  ["sharpe", "Sharpe"],
  ["sortino", "Sortino"],
  ["maxDrawdown", "max drawdown"],
  ["hitRate", "hit rate"],
  ["exposure", "exposure"],
  ["turnover", "turnover"],
  ["trades", "trades"],
];

function backtestTable(arms: [string, PerformanceStats][]): (string | number)[][] {
  return STAT_ROWS.map(([key, label]) => [label, ...arms.map(([, s]) => s[key])]);
}

/**
 * The human-readable backtest: the strategy's statistics beside buy-and-hold
 * on the same period (and beside other arms, e.g. the A/B test's).
 *
 * @example
 * ```ts
 * console.log(formatBacktest([["model", result.stats], ["buy-and-hold", result.buyAndHold.stats]]));
 * ```
 */
export function formatBacktest(arms: [string, PerformanceStats][]): string {
  const rows = backtestTable(arms).map((r) =>
    r.map((v) => (typeof v === "number" ? (Number.isInteger(v) ? String(v) : num(v)) : v))
  );
  return formatTable([["", ...arms.map(([name]) => name)], ...rows]);
}

/**
 * The report input of a backtest: statistics beside buy-and-hold, the equity
 * curve against buy-and-hold (with the strategy's positions shaded and its
 * trades marked), and the drawdowns of both. With `comparison` (the A/B
 * test's two arms on the same bars) the arms are columns of the table, curves
 * beside the strategy's, drawdowns, and lanes of the positions chart.
 *
 * @example
 * ```ts
 * await atomicWriteFile("reports/spy.html", renderReport(backtestReport(result, { title: "SPY" })));
 * ```
 */
export function backtestReport(
  result: BacktestResult,
  options: {
    title: string;
    summary?: string[];
    comparison?: { rule: BacktestResult; filtered: BacktestResult };
  },
): ReportInput {
  const ab = options.comparison;
  const name = ab ? "model" : "strategy";
  // An arm's curve on the strategy's dates (NaN where it has no bar).
  const onDates = (arm: BacktestResult, values: number[]): number[] => {
    const at = new Map(arm.times.map((t, i) => [t, values[i]]));
    return result.times.map((t) => at.get(t) ?? NaN);
  };
  const arms: [string, BacktestResult][] = ab
    ? [["rule alone", ab.rule], ["rule + model", ab.filtered]]
    : [];
  return {
    title: options.title,
    summary: options.summary ??
      [`${result.times.length} bars, ${result.times[0]} to ${
        result.times[result.times.length - 1]
      }.`],
    metricsTable: {
      headers: ["", name, "buy-and-hold", ...arms.map(([n]) => n)],
      rows: backtestTable([
        [name, result.stats],
        ["buy-and-hold", result.buyAndHold.stats],
        ...arms.map(([n, r]): [string, PerformanceStats] => [n, r.stats]),
      ]),
    },
    equity: {
      strategy: result.equity,
      buyAndHold: result.buyAndHold.equity,
      dates: result.times,
      strategyName: name,
      positions: result.positions,
      trades: result.trades,
      arms: arms.map(([n, r]) => ({
        name: n,
        equity: onDates(r, r.equity),
        positions: onDates(r, r.positions).map((p) => (Number.isFinite(p) ? p : 0)),
      })),
    },
    drawdown: result.drawdown,
  };
}

/**
 * The per-fold table of a walk-forward evaluation (the columns of
 * {@linkcode formatWalkForward}): one row per fold and a pooled row.
 *
 * @example
 * ```ts
 * const { headers, rows } = walkForwardTable(summarizeWalkForward(folds, { seed: 42 }));
 * ```
 */
export function walkForwardTable(
  summary: WalkForwardSummary,
): { headers: string[]; rows: string[][] } {
  const line = (name: string, s: EvaluationSummary): string[] => [
    name,
    String(s.rows),
    s.first,
    s.last,
    num(s.metrics.accuracy),
    num(s.baselines.alwaysUp.accuracy),
    num(s.metrics.auc),
    s.calibration ? num(s.calibration.shrinkage, 2) : "–",
    num(s.metrics.brier),
    num(s.baselines.climatology.brier),
    `${num(s.metrics.brierSkill)} ${skillInterval(s, "brierSkill")}`,
    `${num(s.metrics.logLossSkill)} ${skillInterval(s, "logLossSkill")}`,
    num(s.pValueVsAlwaysUp, 3),
  ];
  return {
    headers: [
      "fold",
      "rows",
      "first",
      "last",
      "accuracy",
      "always-up",
      "auc",
      "shrink",
      "brier",
      "climatology",
      "brier skill [95%]",
      "log-loss skill [95%]",
      "p",
    ],
    rows: [
      ...summary.folds.map((s, i) => line(String(i + 1), s)),
      line("pooled", summary.pooled),
    ],
  };
}

/**
 * The report input of a walk-forward evaluation: the pooled evaluation's
 * page ({@linkcode evaluationReport}, without the saved model's training
 * curves), the per-fold table, each fold's accuracy against always-up and
 * Brier skill against the base rate, and each fold's own training curves
 * (when the folds carry their `history`).
 *
 * @example
 * ```ts
 * const html = renderReport(walkForwardReport(rows, { folds, pooled }, { title: "SPY" }));
 * ```
 */
export function walkForwardReport(
  rows: EvaluationRows,
  summary: {
    folds: readonly (EvaluationSummary & { history?: EpochRecord[]; bestEpoch?: number })[];
    pooled: EvaluationSummary;
  },
  options: { title: string },
): ReportInput {
  const input = evaluationReport(rows, summary.pooled, { title: options.title });
  const folds = [...summary.folds];
  return {
    ...input,
    folds: {
      table: walkForwardTable({ folds, pooled: summary.pooled }),
      scores: folds.map((s, i) => ({
        name: String(i + 1),
        accuracy: s.metrics.accuracy,
        alwaysUp: s.baselines.alwaysUp.accuracy,
        brierSkill: s.intervals.brierSkill,
      })),
      pooledBrierSkill: summary.pooled.metrics.brierSkill,
      histories: folds.every((s) => s.history)
        ? folds.map((s, i) => ({
          name: `fold ${i + 1}`,
          history: s.history!,
          bestEpoch: s.bestEpoch,
        }))
        : undefined,
    },
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
  const withRaw = parts.every((r) => r.rawProbabilities);
  // Each fold's own climatology forecast on its own rows, pooled.
  const withClimatology = parts.every((r) => r.climatology);
  return {
    probabilities: cat((r) => r.probabilities),
    labels: cat((r) => r.labels),
    refTimes: parts.flatMap((r) => r.refTimes),
    previousUp: cat((r) => r.previousUp),
    logisticProbabilities: withLogistic ? cat((r) => r.logisticProbabilities!) : undefined,
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
 * console.log(formatWalkForward(wf));
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

/**
 * A table with one line per fold and a pooled line: rows, dates, accuracy
 * beside always-up, AUC, the calibration's weight on the base rate (`shrink`,
 * per fold), Brier beside climatology's, the Brier and log-loss
 * skill scores with their intervals and the p-value against always-up; then
 * the pooled verdict.
 *
 * @example
 * ```ts
 * console.log(formatWalkForward(summarizeWalkForward(folds, { seed: 42 })));
 * ```
 */
export function formatWalkForward(summary: WalkForwardSummary): string {
  const { headers, rows } = walkForwardTable(summary);
  return [formatTable([headers, ...rows]), `pooled: ${summary.pooled.verdict}`].join("\n");
}
