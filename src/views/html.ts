/**
 * One self-contained HTML report page: inline SVG charts (training curves,
 * ROC, calibration, probability histogram, equity against buy-and-hold,
 * drawdown, positions), a metrics table and, for a backtest, its tear sheet
 * (monthly returns, rolling Sharpe and volatility, worst drawdowns, turnover,
 * trades). No external scripts, styles, fonts or images; all text is escaped. Every chart is an `<svg data-chart="…">` and
 * every drawn series carries `data-series` and `data-points` (its point
 * count) so tests and people can check what was plotted.
 *
 * @module
 */

import type { EpochRecord } from "../model/train.ts";
import type { CalibrationBin, RocPoint } from "../eval/metrics.ts";
import { escapeHtml, tableHtml } from "./charts.ts";
import {
  foldHistoryCharts,
  foldScoreCharts,
  type FoldsInput,
  histogram,
  reliabilityChart,
  type ReliabilityContext,
  rocChart,
  trainingCharts,
} from "./score_charts.ts";
import { drawdownChart, equityChart, type EquityInput, positionsChart } from "./backtest_charts.ts";
import { type TearSheetInput, tearSheetSections } from "./tear_sheet.ts";

/**
 * What {@linkcode renderReport} can show; every part but the title is optional.
 *
 * @example
 * ```ts
 * const input: ReportInput = { title: "SPY", probabilities: [0.4, 0.6] };
 * ```
 */
export interface ReportInput {
  /** Page title and heading. */
  title: string;
  /** Plain-text paragraphs under the heading (e.g. the verdict against always-up). */
  summary?: string[];
  /** A table of figures: header row and rows of cells. */
  metricsTable?: { headers: string[]; rows: (string | number | null)[][] };
  /** Training history, one entry per epoch (a missing figure is left out of its curve). */
  history?: EpochRecord[];
  /** ROC curve points (the chart states the area under them). */
  roc?: RocPoint[];
  /**
   * The reliability diagram's bins, drawn as points sized and labelled by their row counts
   * (empty bins are not plotted). Its axes zoom in when every point sits near 0.5.
   */
  calibration?: CalibrationBin[];
  /** What the reliability diagram states beside its points: the base rate and the skill scores. */
  reliability?: ReliabilityContext;
  /** Predicted probabilities, shown as a 20-bin histogram (zoomed in like the reliability diagram). */
  probabilities?: ArrayLike<number>;
  /**
   * Equity of the strategy and of buy-and-hold at each date, drawn with a reference line at
   * 1.0 (the starting equity); optionally the strategy's positions (shaded behind the curves),
   * its trades (marked on its curve) and further arms on the same dates (e.g. the A/B test's).
   */
  equity?: EquityInput;
  /**
   * Drawdown of the strategy at each date (positive fractions); drawn beside buy-and-hold's
   * and every arm's, computed from their equity.
   */
  drawdown?: number[];
  /**
   * A walk-forward evaluation's folds: the per-fold table, a chart of each fold's accuracy
   * against always-up and its Brier skill against the base rate, and each fold's own training
   * curves.
   */
  folds?: FoldsInput;
  /**
   * What the model's probability is of (the card's label kind): `up` (default, the close
   * above this close) or `beats-median` (the symbol's return above the universe's median):
   * the probability charts say it in these words.
   */
  label?: "up" | "beats-median";
  /** Cost per side in basis points, said beside the drawdown ("after costs"). */
  costBps?: number;
  /**
   * A backtest's tear sheet after its charts: monthly and yearly returns, rolling Sharpe and
   * volatility, the worst drawdowns, turnover over time and the trade list.
   */
  tearSheet?: TearSheetInput;
}

function section(title: string, body: string): string {
  return `<section><h2>${escapeHtml(title)}</h2>\n${body}\n</section>`;
}

const STYLE =
  `body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
svg{display:block;width:100%;height:auto;margin:0 0 1.5em}p.note{margin:-1em 0 1.5em;color:#555;font-size:13px}
svg text{font-size:11px;font-family:inherit;fill:#333}svg .title{font-size:13px;font-weight:600}
svg .subtitle{fill:#555}svg .count{font-size:10px;fill:#1f4e79}
svg .plot{fill:#fafafa;stroke:#ccc}svg .grid{stroke:#e4e4e4;stroke-width:1}
svg .reference{stroke:#999;stroke-dasharray:5 3;stroke-width:1.5}svg .lane{font-size:11px;fill:#222}
.table{overflow-x:auto;margin:1em 0}table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}table.wrap{font-size:12px}table.wrap th,table.wrap td.w{white-space:normal}table.wrap td.w span{white-space:nowrap}`;

// Counts the charts once the page has loaded, so a headless check can see the script ran.
const SCRIPT =
  `document.body.dataset.charts=String(document.querySelectorAll("svg[data-chart]").length);`;

/**
 * Renders the report as one self-contained HTML string; parts that are not
 * given are left out.
 *
 * @example
 * ```ts
 * const html = renderReport({ title: "AAPL", roc: rocCurve(probs, labels), probabilities: probs });
 * await atomicWriteFile("reports/aapl.html", html);
 * ```
 */
export function renderReport(input: ReportInput): string {
  const parts: string[] = [];
  for (const p of input.summary ?? []) parts.push(`<p>${escapeHtml(p)}</p>`);
  if (input.metricsTable) parts.push(section("Metrics", tableHtml(input.metricsTable)));
  if (input.folds) {
    const f = input.folds;
    parts.push(section(
      "Walk-forward folds",
      tableHtml(f.table, { wrap: true }) + "\n" + (f.scores.length ? foldScoreCharts(f) : ""),
    ));
    if (f.histories?.some((h) => h.history.length > 0)) {
      parts.push(section("Training of each fold", foldHistoryCharts(f.histories)));
    }
  }
  if (input.history && input.history.length > 0) {
    parts.push(section("Training", trainingCharts(input.history)));
  }
  const scoring: string[] = [];
  if (input.roc) scoring.push(rocChart(input.roc));
  const label = input.label ?? "up";
  if (input.calibration) {
    scoring.push(reliabilityChart(input.calibration, { ...input.reliability, label }));
  }
  if (input.probabilities) scoring.push(histogram(input.probabilities, label));
  if (scoring.length) parts.push(section("Scores", scoring.join("\n")));
  const trading: string[] = [];
  if (input.equity) {
    const { strategy, buyAndHold, dates } = input.equity;
    if (strategy.length !== dates.length || buyAndHold.length !== dates.length) {
      throw new RangeError(
        `Expected one equity value per date, found ${strategy.length} strategy and ${buyAndHold.length} buy-and-hold values for ${dates.length} dates`,
      );
    }
    trading.push(equityChart(input.equity));
  }
  if (input.drawdown) {
    trading.push(drawdownChart(input.drawdown, input.equity, { costBps: input.costBps }));
  }
  const eq = input.equity;
  if (
    eq && (eq.arms ?? []).some((a) => a.positions?.length === eq.dates.length) &&
    eq.positions?.length === eq.dates.length
  ) {
    trading.push(positionsChart(eq));
  }
  if (trading.length) parts.push(section("Backtest", trading.join("\n")));
  if (input.tearSheet) parts.push(...tearSheetSections(input.tearSheet));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(input.title)}</h1>
${parts.join("\n")}
<script>${SCRIPT}</script>
</body>
</html>
`;
}
