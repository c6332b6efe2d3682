/**
 * The page of a backtest: the strategy's statistics beside buy-and-hold (and
 * the A/B test's arms) as a text table, the session gaps of intraday bars in
 * words, the text `deno task backtest` prints, and the report input of its
 * HTML page (equity, drawdowns, positions and trades).
 *
 * @example
 * ```ts
 * import { backtestModel } from "../pipeline/backtest.ts";
 * import { backtestPage, backtestText } from "./backtest.ts";
 * import { renderReport } from "./html.ts";
 * const run = await backtestModel(loaded, "SPY", makePlugin, { request: {} });
 * console.log(backtestText(run));
 * const html = renderReport(backtestPage(run));
 * ```
 *
 * @module
 */

import type { BacktestResult, PerformanceStats, SessionGaps } from "../eval/backtest.ts";
import { isIntraday, SESSIONS_PER_YEAR } from "../data/interval.ts";
import type { ModelBacktestRun } from "../pipeline/backtest.ts";
import { barReturns, sharpeInterval } from "../eval/tear_sheet.ts";
import { formatTable } from "../util/table.ts";
import { bracketed, fixed } from "./format.ts";
import type { ReportInput } from "./html.ts";

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

/**
 * One statistic as text: counts (trades, and a turnover of whole units) as integers, every
 * other figure to four decimals, so no ratio prints as a bare `1` or `0`.
 */
function statCell(key: keyof PerformanceStats, v: number, row: readonly number[]): string {
  if (key === "trades") return String(v);
  if (key === "turnover") return row.every(Number.isInteger) ? String(v) : fixed(v, 2);
  return fixed(v);
}

function backtestTable(
  arms: [string, PerformanceStats][],
  sharpe?: string[],
): string[][] {
  return STAT_ROWS.map(([key, label]) => {
    const row = arms.map(([, s]) => s[key]);
    return [
      key === "sharpe" && sharpe ? "Sharpe [95%]" : label,
      ...row.map((v, i) => key === "sharpe" && sharpe ? sharpe[i] : statCell(key, v, row)),
    ];
  });
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
  return formatTable([["", ...arms.map(([name]) => name)], ...backtestTable(arms)]);
}

/**
 * A curve's Sharpe ratio beside its 95% block-bootstrap interval, e.g. `0.7284 [-0.15, 1.62]`.
 *
 * @example
 * ```ts
 * sharpeWithInterval(result.equity, 252);
 * ```
 */
export function sharpeWithInterval(equity: readonly number[], barsPerYear: number): string {
  const returns = barReturns(equity).filter(Number.isFinite);
  const c = sharpeInterval(returns, barsPerYear);
  return `${fixed(c.estimate)} ${bracketed(c, 2)}`;
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
    /** Cost per side in basis points, said beside the drawdown and the tear sheet. */
    costBps?: number;
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
    summary: [
      ...(options.summary ??
        [`${result.times.length} bars, ${result.times[0]} to ${
          result.times[result.times.length - 1]
        }.`]),
      `Every figure and chart is after costs${
        options.costBps === undefined ? "" : ` (${options.costBps} bps per side)`
      }; the Sharpe ratio's 95% interval is a circular block bootstrap of the per-bar returns (1,000 resamples).`,
    ],
    metricsTable: {
      headers: ["", name, "buy-and-hold", ...arms.map(([n]) => n)],
      rows: [
        ...backtestTable(
          [
            [name, result.stats],
            ["buy-and-hold", result.buyAndHold.stats],
            ...arms.map(([n, r]): [string, PerformanceStats] => [n, r.stats]),
          ],
          [result, result.buyAndHold, ...arms.map(([, r]) => r)].map((r) =>
            sharpeWithInterval(r.equity, result.barsPerYear)
          ),
        ),
      ],
    },
    costBps: options.costBps,
    tearSheet: {
      name,
      times: result.times,
      equity: result.equity,
      positions: result.positions,
      trades: result.trades,
      barsPerYear: result.barsPerYear,
      costBps: options.costBps,
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
 * The session gaps of an intraday backtest in words, or `""` for daily bars:
 * how many overnight/weekend gaps the replay crossed, how many fills came at
 * a session's first open on a decision from before the gap, and over how
 * many gaps a position was held.
 *
 * @example
 * ```ts
 * sessionGapText({ gaps: 250, fillsAcrossGap: 12, heldAcrossGap: 140 }, "1h");
 * // "sessions: 250 overnight/weekend gaps crossed; 12 fills at a session's first open on a decision made before the gap; a position held over 140 gaps (it bore the overnight move)"
 * ```
 */
export function sessionGapText(sessions: SessionGaps, interval: string): string {
  if (interval === "1d" || interval === "1wk") return "";
  return `sessions: ${sessions.gaps} overnight/weekend gaps crossed; ${sessions.fillsAcrossGap} fill${
    sessions.fillsAcrossGap === 1 ? "" : "s"
  } at a session's first open on a decision made before the gap; a position held over ${sessions.heldAcrossGap} gap${
    sessions.heldAcrossGap === 1 ? "" : "s"
  } (it bore the overnight move)`;
}

/** The arms of a model's backtest, as columns: the model, buy-and-hold, then the A/B test's. */
function modelArms(run: ModelBacktestRun): [string, PerformanceStats][] {
  const { json } = run;
  return [
    ["model", json.strategy],
    ["buy-and-hold", json.buyAndHold],
    ...(json.comparison
      ? [["rule alone", json.comparison.ruleAlone], [
        "rule + model",
        json.comparison.ruleWithModel,
      ]] as [
        string,
        PerformanceStats,
      ][]
      : []),
  ];
}

/** The first line of a model's backtest: the bars, the trading rule and the annualisation. */
function headline(run: ModelBacktestRun): string {
  const { json } = run;
  const { threshold, hysteresis, short, costBps } = json.settings;
  const interval = json.interval.name;
  return `${json.ticker}: ${json.rows} bars, ${json.first} to ${json.last}; threshold ${threshold}, hysteresis ${hysteresis}, ${
    short ? "long/short" : "long/flat"
  }, cost ${costBps} bps per side; ${interval} bars, annualised with ${json.interval.barsPerYear} bars a year${
    json.interval.venue === "crypto"
      ? " (a crypto venue: every interval of 365 days)"
      : isIntraday(interval)
      ? ` (${SESSIONS_PER_YEAR} sessions of ${run.barsPerSession})`
      : ""
  }`;
}

/**
 * The text `deno task backtest` prints: the headline (bars, rule, costs,
 * annualisation), the scope, the session gaps of intraday bars, the
 * statistics of the model beside buy-and-hold (and the A/B test's arms).
 *
 * @example
 * ```ts
 * console.log(backtestText(await backtestModel(loaded, "SPY", makePlugin, { request: {} })));
 * ```
 */
export function backtestText(run: ModelBacktestRun): string {
  const { json, comparison } = run;
  const gapText = sessionGapText(json.sessions, json.interval.name);
  return [
    headline(run),
    `scope: ${json.scope}`,
    ...(gapText ? [gapText] : []),
    formatBacktest(modelArms(run)),
    ...(comparison
      ? [
        `A/B test: "rule" is the ${comparison.name}; "rule + model" is long only when the model also says up`,
      ]
      : []),
  ].join("\n");
}

/**
 * The report input of a model's backtest ({@linkcode backtestReport} with the
 * headline, scope, session gaps and the A/B test in words).
 *
 * @example
 * ```ts
 * const html = renderReport(backtestPage(await backtestModel(loaded, "SPY", makePlugin, { request: {} })));
 * ```
 */
export function backtestPage(run: ModelBacktestRun): ReportInput {
  const { json, result, comparison } = run;
  const gapText = sessionGapText(json.sessions, json.interval.name);
  return backtestReport(result, {
    title: `Backtest of ${json.model.dir} on ${json.ticker}`,
    comparison,
    costBps: json.settings.costBps,
    summary: [
      `${headline(run)}.`,
      `Scope: ${json.scope}.`,
      ...(gapText ? [`${gapText[0].toUpperCase()}${gapText.slice(1)}.`] : []),
      ...(comparison
        ? [
          `A/B test (${comparison.name}, long/flat): total return ${
            comparison.rule.stats.totalReturn.toFixed(4)
          } alone, ${
            comparison.filtered.stats.totalReturn.toFixed(4)
          } filtered by the model; Sharpe ${comparison.rule.stats.sharpe.toFixed(2)} and ${
            comparison.filtered.stats.sharpe.toFixed(2)
          }.`,
        ]
        : []),
    ],
  });
}
