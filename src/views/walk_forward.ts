/**
 * The page of a walk-forward evaluation: the per-fold table (text and HTML)
 * with the pooled verdict, and the report input that adds the folds to the
 * pooled evaluation's page.
 *
 * @example
 * ```ts
 * import { summarizeWalkForward } from "../eval/summary.ts";
 * import { formatWalkForward } from "./walk_forward.ts";
 * console.log(formatWalkForward(summarizeWalkForward(folds, { seed: 42 })));
 * ```
 *
 * @module
 */

import type { EvaluationRows, EvaluationSummary, WalkForwardSummary } from "../eval/summary.ts";
import type { EpochRecord } from "../model/train.ts";
import { formatTable } from "../util/table.ts";
import { evaluationReport, skillInterval } from "./evaluation.ts";
import { fixed } from "./format.ts";
import type { ReportInput } from "./html.ts";
import { foldAuc } from "../pipeline/walk_forward.ts";

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
    fixed(s.metrics.accuracy),
    fixed(s.baselines.alwaysUp.accuracy),
    fixed(s.metrics.auc),
    s.calibration ? fixed(s.calibration.shrinkage, 2) : "–",
    fixed(s.metrics.brier),
    fixed(s.baselines.climatology.brier),
    `${fixed(s.metrics.brierSkill)} ${skillInterval(s, "brierSkill")}`,
    `${fixed(s.metrics.logLossSkill)} ${skillInterval(s, "logLossSkill")}`,
    fixed(s.pValueVsAlwaysUp, 3),
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
 * A table with one line per fold and a pooled line: rows, dates, accuracy
 * beside always-up, AUC, the calibration's weight on the base rate (`shrink`,
 * per fold), Brier beside climatology's, the Brier and log-loss
 * skill scores with their intervals and the p-value against always-up; then
 * the pooled AUC beside the mean of per-fold AUCs (saying when the pooled
 * one is driven by the folds' base rates) and the pooled verdict.
 *
 * @example
 * ```ts
 * console.log(formatWalkForward(summarizeWalkForward(folds, { seed: 42 })));
 * ```
 */
export function formatWalkForward(summary: WalkForwardSummary): string {
  const { headers, rows } = walkForwardTable(summary);
  return [
    formatTable([headers, ...rows]),
    `auc: ${foldAuc(summary).note}`,
    `pooled: ${summary.pooled.verdict}`,
  ].join("\n");
}
