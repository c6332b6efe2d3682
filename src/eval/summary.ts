/**
 * What the evaluate and backtest commands print and draw: one summary object
 * of a model's scores next to its baselines on the same rows (the `--json`
 * shape), its plain-text table, and the report inputs for
 * {@linkcode renderReport}.
 *
 * @module
 */

import { alwaysUp, previousDirection } from "./baselines.ts";
import type { BacktestResult, PerformanceStats } from "./backtest.ts";
import {
  type BootstrapOptions,
  type ConfidenceInterval,
  edgeVerdict,
  HEADLINE_METRICS,
  type HeadlineMetric,
  pValueVsAlwaysUp,
  rocCurve,
  scoreProbabilities,
  type Scores,
  withIntervals,
} from "./metrics.ts";
import type { EpochRecord } from "../model/train.ts";
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
  /** The model's up-probabilities. */
  probabilities: ArrayLike<number>;
  /** Next-bar directions (1 up). */
  labels: ArrayLike<number>;
  /** Time of each row's reference bar (the bar the window ends on). */
  refTimes: readonly string[];
  /** Yesterday's direction at each reference bar (see `yesterdayUp`). */
  previousUp: ArrayLike<number>;
  /** The logistic baseline's probabilities on the same rows, when fitted. */
  logisticProbabilities?: ArrayLike<number>;
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
  /** The model's scores (confusion matrix and calibration table included). */
  metrics: Scores;
  /** 95% block-bootstrap interval of each headline metric. */
  intervals: Record<HeadlineMetric, ConfidenceInterval>;
  /** Baselines on exactly the same rows. */
  baselines: {
    alwaysUp: BaselineSummary;
    previousDirection: BaselineSummary;
    logistic?: BaselineSummary;
    baseRate: number;
  };
  /** One-sided p-value that the model is more accurate than always-up. */
  pValueVsAlwaysUp: number;
  /** The plain-words reading of the p-value. */
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
  return {
    rows: labels.length,
    first: refTimes[0],
    last: refTimes[refTimes.length - 1],
    metrics,
    intervals: withIntervals(probabilities, labels, options),
    baselines: {
      alwaysUp: { accuracy: up.accuracy, mcc: 0 },
      previousDirection: {
        accuracy: previous.accuracy,
        mcc: scoreProbabilities(previous.probabilities, labels).mcc,
      },
      ...(rows.logisticProbabilities
        ? { logistic: pick(scoreProbabilities(rows.logisticProbabilities, labels, options)) }
        : {}),
      baseRate: metrics.baseRate,
    },
    pValueVsAlwaysUp: p,
    verdict: edgeVerdict(p, options),
  };
}

const num = (v: number | undefined, digits = 4): string =>
  v === undefined || Number.isNaN(v) ? "–" : v.toFixed(digits);

function evaluationTable(summary: EvaluationSummary): (string | number | null)[][] {
  const { metrics, intervals, baselines } = summary;
  const baseline = (b: BaselineSummary | undefined, m: HeadlineMetric): number | null => {
    const v = b?.[m as keyof BaselineSummary];
    return v === undefined || Number.isNaN(v) ? null : v;
  };
  return HEADLINE_METRICS.map((m) => [
    m,
    metrics[m],
    `[${num(intervals[m].lower)}, ${num(intervals[m].upper)}]`,
    baseline(baselines.logistic, m),
    baseline(baselines.alwaysUp, m),
    baseline(baselines.previousDirection, m),
  ]);
}

const EVALUATION_HEADERS = [
  "metric",
  "model",
  "95% interval",
  "logistic",
  "always-up",
  "yesterday",
];

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
    formatTable([EVALUATION_HEADERS, ...rows]),
    `confusion: tp ${c.tp}, fp ${c.fp}, tn ${c.tn}, fn ${c.fn}`,
    summary.verdict,
  ].join("\n");
}

/**
 * The report input of an evaluation: the metrics table, ROC curve,
 * calibration plot, probability histogram and, when given, training curves.
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
      `Against always-up: ${summary.verdict}.`,
    ],
    metricsTable: { headers: EVALUATION_HEADERS, rows: evaluationTable(summary) },
    history: options.history,
    roc: hasBoth ? rocCurve(rows.probabilities, rows.labels) : undefined,
    calibration: summary.metrics.calibration,
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
 * curve against buy-and-hold and the drawdown.
 *
 * @example
 * ```ts
 * await atomicWriteFile("reports/spy.html", renderReport(backtestReport(result, { title: "SPY" })));
 * ```
 */
export function backtestReport(
  result: BacktestResult,
  options: { title: string; summary?: string[] },
): ReportInput {
  return {
    title: options.title,
    summary: options.summary ??
      [`${result.times.length} bars, ${result.times[0]} to ${
        result.times[result.times.length - 1]
      }.`],
    metricsTable: {
      headers: ["", "strategy", "buy-and-hold"],
      rows: backtestTable([["strategy", result.stats], ["buy-and-hold", result.buyAndHold.stats]]),
    },
    equity: { strategy: result.equity, buyAndHold: result.buyAndHold.equity, dates: result.times },
    drawdown: result.drawdown,
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
  return {
    probabilities: cat((r) => r.probabilities),
    labels: cat((r) => r.labels),
    refTimes: parts.flatMap((r) => r.refTimes),
    previousUp: cat((r) => r.previousUp),
    logisticProbabilities: withLogistic ? cat((r) => r.logisticProbabilities!) : undefined,
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
 * beside always-up, AUC and the p-value against always-up; then the pooled
 * verdict.
 *
 * @example
 * ```ts
 * console.log(formatWalkForward(summarizeWalkForward(folds, { seed: 42 })));
 * ```
 */
export function formatWalkForward(summary: WalkForwardSummary): string {
  const line = (name: string, s: EvaluationSummary): string[] => [
    name,
    String(s.rows),
    s.first,
    s.last,
    num(s.metrics.accuracy),
    num(s.baselines.alwaysUp.accuracy),
    num(s.metrics.auc),
    num(s.pValueVsAlwaysUp, 3),
  ];
  return [
    formatTable([
      ["fold", "rows", "first", "last", "accuracy", "always-up", "auc", "p"],
      ...summary.folds.map((s, i) => line(String(i + 1), s)),
      line("pooled", summary.pooled),
    ]),
    `pooled: ${summary.pooled.verdict}`,
  ].join("\n");
}
