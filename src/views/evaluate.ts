/**
 * The page of `deno task evaluate`: the text of one or several evaluations
 * (a comparison line per ticker, then each one's scope, folds, scores beside
 * the baselines, verdict and a composite's members) and the report input of
 * one evaluation's HTML page, plain or walk-forward.
 *
 * @example
 * ```ts
 * import { evaluateTicker } from "../pipeline/evaluate.ts";
 * import { evaluationPage, evaluationText } from "./evaluate.ts";
 * import { renderReport } from "./html.ts";
 * const { evaluation, rows } = await evaluateTicker(loaded, "SPY", { request: {} });
 * console.log(evaluationText([evaluation]));
 * const html = renderReport(evaluationPage(evaluation, rows, { model: loaded.info.dir }));
 * ```
 *
 * @module
 */

import type { EvaluationRows } from "../eval/summary.ts";
import type { EpochRecord } from "../model/train.ts";
import type { ModelEvaluation } from "../pipeline/score.ts";
import type { WalkForwardEvaluation } from "../pipeline/walk_forward.ts";
import { formatTable } from "../util/table.ts";
import { evaluationReport, formatEvaluation } from "./evaluation.ts";
import { fixed } from "./format.ts";
import type { ReportInput } from "./html.ts";
import { formatWalkForward, walkForwardReport } from "./walk_forward.ts";

/** The composite's members beside it, on the same rows. */
function compositeText(c: NonNullable<ModelEvaluation["composite"]>, e: ModelEvaluation): string {
  const rows = [
    ["model", "accuracy", "brier", "log loss"],
    [
      `${e.model.dir} (the ${c.description.split(" ")[0]})`,
      fixed(e.metrics.accuracy),
      fixed(e.metrics.brier),
      fixed(e.metrics.logLoss),
    ],
    ...c.members.map((m) => [
      `member ${m.name} ${m.version}${m.regime ? ` (${m.regime})` : ""}`,
      fixed(m.accuracy),
      fixed(m.brier),
      fixed(m.logLoss),
    ]),
  ];
  const regimes = c.regimes
    ? `\nrows per regime: ${Object.entries(c.regimes).map(([r, n]) => `${r} ${n}`).join(", ")}`
    : "";
  return `${c.description}; members on the same ${e.rows} rows:\n${formatTable(rows)}${regimes}`;
}

/**
 * The human text of one or several evaluations: a comparison line per ticker
 * when there are several, then each evaluation with its scope, its folds
 * (walk-forward), its scores beside the baselines and the verdict.
 *
 * @example
 * ```ts
 * console.log(evaluationText([evaluation]));
 * ```
 */
export function evaluationText(evaluations: ModelEvaluation[]): string {
  const parts = evaluations.map((e) => {
    const folds = "folds" in e
      ? [
        formatWalkForward({ folds: (e as WalkForwardEvaluation).folds, pooled: e }),
        "pooled scores of every fold's test rows:",
      ]
      : [];
    return [
      `${e.ticker}: model ${e.model.dir} (${e.model.version})`,
      `scope: ${e.scope}`,
      ...folds,
      formatEvaluation(e),
      `logistic baseline fitted on ${e.baselines.logistic?.fittedOn ?? "nothing"}`,
      ...(e.composite ? [compositeText(e.composite, e)] : []),
    ].join("\n");
  });
  if (evaluations.length < 2) return parts.join("");
  const header = [
    "ticker",
    "rows",
    "first",
    "last",
    "accuracy",
    "always-up",
    "logistic",
    "auc",
    "brier skill",
    "p",
  ];
  const table = formatTable([
    header,
    ...evaluations.map((e) => [
      e.ticker,
      String(e.rows),
      e.first,
      e.last,
      fixed(e.metrics.accuracy),
      fixed(e.baselines.alwaysUp.accuracy),
      e.baselines.logistic ? fixed(e.baselines.logistic.accuracy) : "–",
      fixed(e.metrics.auc),
      fixed(e.metrics.brierSkill),
      e.pValueVsAlwaysUp.toFixed(3),
    ]),
  ]);
  return [table, "", ...parts].join("\n\n");
}

/**
 * The report input of one evaluation's HTML page: a walk-forward evaluation's
 * pooled page with its folds (and the folds' own training curves), or a plain
 * evaluation's page with the saved model's training curves (`history`); then
 * the scope and what the logistic baseline was fitted on.
 *
 * @example
 * ```ts
 * const { evaluation, rows } = await evaluateTicker(loaded, "SPY", { request: {} });
 * const input = evaluationPage(evaluation, rows, { model: loaded.info.dir, history: loaded.history });
 * ```
 */
export function evaluationPage(
  evaluation: ModelEvaluation | WalkForwardEvaluation,
  rows: EvaluationRows,
  options: { model: string; history?: EpochRecord[]; label?: "up" | "beats-median" },
): ReportInput {
  const walkForward = "folds" in evaluation;
  const title = `${
    walkForward ? "Walk-forward evaluation" : "Evaluation"
  } of ${options.model} on ${evaluation.ticker}`;
  // Walk-forward: the folds' own training curves, not the saved model's.
  const input = walkForward
    ? walkForwardReport(rows, { folds: evaluation.folds, pooled: evaluation }, { title })
    : evaluationReport(rows, evaluation, { title, history: options.history, label: options.label });
  input.label = options.label;
  input.summary = [
    ...(input.summary ?? []),
    `Scope: ${evaluation.scope}.`,
    `Logistic baseline fitted on ${evaluation.baselines.logistic?.fittedOn ?? "nothing"}.`,
  ];
  return input;
}
