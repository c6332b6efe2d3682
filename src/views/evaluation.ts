/**
 * The page of one evaluation: its plain-text table of the model's scores
 * beside the baselines on the same rows, and the report input of its HTML
 * page (drawn by `renderReport`).
 *
 * @example
 * ```ts
 * import { evaluationReport, formatEvaluation, renderReport } from "./mod.ts";
 * console.log(formatEvaluation(summary));
 * const html = renderReport(evaluationReport(rows, summary, { title: "lstm on SPY" }));
 * ```
 *
 * @module
 */

import {
  HEADLINE_METRICS,
  type HeadlineMetric,
  reliabilityBins,
  rocCurve,
  SKILL_METRICS,
  type SkillMetric,
  skillScore,
} from "../eval/metrics.ts";
import type { BaselineSummary, EvaluationRows, EvaluationSummary } from "../eval/summary.ts";
import type { EpochRecord } from "../model/train.ts";
import { formatTable } from "../util/table.ts";
import { bracketed, fixed } from "./format.ts";
import type { ReportInput } from "./html.ts";

/**
 * A skill score's 95% interval in brackets.
 *
 * @example
 * ```ts
 * skillInterval(summary, "brierSkill"); // "[-0.0120, 0.0080]"
 * ```
 */
export function skillInterval(summary: EvaluationSummary, metric: SkillMetric): string {
  return bracketed(summary.intervals[metric]);
}

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
  const interval = (m: HeadlineMetric | SkillMetric): string => bracketed(intervals[m]);
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
  const gap = baselines.gapReversal;
  const gapCell = (m: string): (number | null)[] =>
    gap ? [m === "accuracy" || m === "auc" || m === "mcc" ? gap[m] : null] : [];
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
      ...gapCell(m),
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
      ...gapCell(m),
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
    ...(summary.baselines.gapReversal ? ["gap reversal"] : []),
  ];
}

/** One line on the calibration behind the model's probabilities, or none. */
function calibrationLine(summary: EvaluationSummary): string[] {
  const c = summary.calibration;
  if (!c) return [];
  const how = c.method === "none"
    ? "none (the raw network probability)"
    : `${c.method}, then weight ${fixed(c.shrinkage, 2)} on the base rate ${fixed(c.baseRate, 3)}`;
  return [`calibration: ${how}; ${c.reason}`];
}

/**
 * The human-readable evaluation: a line on the rows (the base rate in the
 * label's words), a table of the model's metrics with intervals beside the
 * baselines, and the verdict.
 *
 * @example
 * ```ts
 * console.log(formatEvaluation(summarizeEvaluation(rows, { seed: 42 })));
 * ```
 */
export function formatEvaluation(
  summary: EvaluationSummary,
  options: { label?: "up" | "beats-median" } = {},
): string {
  const rows = evaluationTable(summary).map((r) =>
    r.map((v) => (typeof v === "number" ? fixed(v) : v === null ? "–" : v))
  );
  const c = summary.metrics.confusion;
  const share = options.label === "beats-median" ? "share beating the median" : "share up";
  return [
    `${summary.rows} rows, ${summary.first} to ${summary.last}; base rate (${share}) ${
      fixed(summary.baselines.baseRate, 3)
    }`,
    `climatology: the training base rate ${
      fixed(summary.baselines.climatology.baseRate, 3)
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
  options: { title: string; history?: EpochRecord[]; label?: "up" | "beats-median" },
): ReportInput {
  const hasBoth = summary.metrics.baseRate > 0 && summary.metrics.baseRate < 1;
  return {
    title: options.title,
    summary: [
      `${summary.rows} rows, ${summary.first} to ${summary.last}; their base rate (share ${
        options.label === "beats-median" ? "beating the median" : "up"
      }) ${fixed(summary.metrics.baseRate, 3)}.`,
      `Against always-up, then against the base rate: ${summary.verdict}.`,
      ...calibrationLine(summary).map((line) => `${line[0].toUpperCase()}${line.slice(1)}.`),
      `Skill against climatology (the training base rate ${
        fixed(summary.baselines.climatology.baseRate, 3)
      } as a constant probability, from ${summary.baselines.climatology.fittedOn}): Brier skill ${
        fixed(summary.metrics.brierSkill)
      } ${skillInterval(summary, "brierSkill")}, log-loss skill ${
        fixed(summary.metrics.logLossSkill)
      } ${skillInterval(summary, "logLossSkill")}.`,
    ],
    metricsTable: { headers: evaluationHeaders(summary), rows: evaluationTable(summary) },
    history: options.history,
    roc: hasBoth ? rocCurve(rows.probabilities, rows.labels) : undefined,
    calibration: reliabilityBins(rows.probabilities, rows.labels),
    label: options.label,
    reliability: {
      // The scored rows' own base rate, not the training rows' (climatology's forecast).
      baseRate: summary.metrics.baseRate,
      brierSkill: summary.intervals.brierSkill,
      logLossSkill: summary.intervals.logLossSkill,
    },
    probabilities: rows.probabilities,
  };
}
