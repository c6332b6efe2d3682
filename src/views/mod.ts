/**
 * The views: every text table and HTML page the commands print and write,
 * one module per page, drawn from the data the pipeline and the evaluation
 * return. Nothing below this folder imports it.
 *
 * @example
 * ```ts
 * import { evaluateTicker } from "../pipeline/evaluate.ts";
 * import { evaluationPage, evaluationText, renderReport } from "./mod.ts";
 * const { evaluation, rows } = await evaluateTicker(loaded, "SPY", { request: {} });
 * console.log(evaluationText([evaluation]));
 * await Deno.writeTextFile("spy.html", renderReport(evaluationPage(evaluation, rows, { model: "models/lstm" })));
 * ```
 *
 * @module
 */

// Number formats shared by the text views.
export { bracketed, fixed } from "./format.ts";

// The self-contained HTML page and its charts.
export { renderReport, type ReportInput } from "./html.ts";
export { escapeHtml } from "./charts.ts";
export type { FoldScore, FoldsInput, ReliabilityContext } from "./score_charts.ts";
export type { EquityArm, EquityInput, TradeMark } from "./backtest_charts.ts";

// One evaluation: its table beside the baselines and its page.
export { evaluationReport, formatEvaluation, skillInterval } from "./evaluation.ts";

// A walk-forward evaluation: the per-fold table and the folds on the pooled page.
export { formatWalkForward, walkForwardReport, walkForwardTable } from "./walk_forward.ts";

// `deno task evaluate`: the text of one or several evaluations and one evaluation's page.
export { evaluationPage, evaluationText } from "./evaluate.ts";

// `deno task backtest`: statistics beside buy-and-hold, session gaps, the text and the page.
export {
  backtestPage,
  backtestReport,
  backtestText,
  formatBacktest,
  sessionGapText,
} from "./backtest.ts";

// `deno task monitor`: the live record, drift and alerts; shadow comparisons.
export { monitorText, shadowComparisonText } from "./monitor.ts";

// `deno task retrain`: the A/B test before promotion, and one line per scheduled run.
export { retrainLogLine, retrainText } from "./retrain.ts";

// `deno task sweep` and `deno task models list`: the leaderboard's text and page; the versions.
export { leaderboardHtml, leaderboardText } from "./leaderboard.ts";
export { modelsListText, type VersionSummary } from "./models.ts";
