/**
 * The tear sheet of a single-symbol backtest, after the equity and drawdown
 * charts: monthly and yearly returns as a heatmap, rolling Sharpe and
 * volatility, the five worst drawdowns, turnover over time and the trade
 * list. The figures come from `src/eval/tear_sheet.ts`; this module only
 * draws them.
 *
 * @example
 * ```ts
 * import { tearSheetSections } from "./tear_sheet.ts";
 * const sections = tearSheetSections({
 *   name: "model",
 *   times: result.times,
 *   equity: result.equity,
 *   positions: result.positions,
 *   trades: result.trades,
 *   barsPerYear: result.barsPerYear,
 * });
 * ```
 *
 * @module
 */

import {
  barReturns,
  drawdownEpisodes,
  monthlyReturns,
  rollingSharpe,
  rollingTurnover,
  rollingVolatility,
} from "../eval/tear_sheet.ts";
import { dateTicks, escapeHtml, heatmap, lineChart, type Series, tableHtml } from "./charts.ts";

/** A round trip for the trade list (the shape of a backtest's `Trade`). */
export interface TradeRow {
  /** Long or short. */
  side: "long" | "short";
  /** Time of the entry fill. */
  entryTime: string;
  /** Time of the exit fill (the last bar for a trade still open). */
  exitTime: string;
  /** Net return on the equity at entry. */
  return: number;
  /** Still open at the end. */
  open: boolean;
}

/** What the tear sheet draws: one strategy's curve on its bars. */
export interface TearSheetInput {
  /** The strategy's name in titles (e.g. `model`). */
  name: string;
  /** Bar times, ascending. */
  times: string[];
  /** Equity at each bar's close, starting from 1 at the first fill's open (after costs). */
  equity: number[];
  /** Position during each bar: 1, 0 or −1. */
  positions: number[];
  /** Round trips in order. */
  trades: TradeRow[];
  /** Bars per year the backtest annualises with (252 daily on the NYSE, 8 760 hourly crypto). */
  barsPerYear: number;
  /** Cost per side in basis points, said in the titles ("after costs"). */
  costBps?: number;
}

/** How many trades the list shows at each end before it elides the middle. */
const TRADE_ENDS = 20;

const percent = (v: number, digits = 1): string =>
  Number.isFinite(v) ? `${(100 * v).toFixed(digits)}%` : "–";

function section(title: string, body: string): string {
  return `<section><h2>${escapeHtml(title)}</h2>\n${body}\n</section>`;
}

/** The rolling windows: a quarter and a year of bars, those the curve is long enough for. */
function windows(barsPerYear: number, n: number): number[] {
  return [Math.round(barsPerYear / 4), Math.round(barsPerYear)].filter((w) => w >= 2 && w < n);
}

function monthlySection(input: TearSheetInput, costs: string): string {
  const r = monthlyReturns(input.equity, input.times);
  const months = [
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
  ];
  return heatmap("monthly-returns", `Monthly and yearly returns of the ${input.name}`, {
    rows: r.years.map(String),
    columns: [...months, "Year"],
    values: r.months.map((row, i) => [...row, r.yearly[i]]),
  }, {
    format: (v) => percent(v),
    subtitle: [
      `compounded over the bars of each month and year, ${costs}; a first or last year covers only its bars`,
    ],
  });
}

function rollingSection(input: TearSheetInput, costs: string): string {
  const n = input.times.length;
  const spans = windows(input.barsPerYear, n);
  if (spans.length === 0) {
    return `<p>Too few bars (${n}) for a rolling window of a quarter (${
      Math.round(input.barsPerYear / 4)
    } bars).</p>`;
  }
  const returns = barReturns(input.equity);
  const xs = input.times.map((_, i) => i);
  const xTicks = dateTicks(input.times);
  const range: [number, number] = [0, n - 1];
  const sharpe: Series[] = spans.map((w) => ({
    name: `${w} bars`,
    xs,
    ys: rollingSharpe(returns, w, input.barsPerYear),
  }));
  const vol: Series[] = spans.map((w) => ({
    name: `${w} bars`,
    xs,
    ys: rollingVolatility(returns, w, input.barsPerYear),
  }));
  const note = `trailing windows of ${
    spans.join(" and ")
  } bars, annualised with ${input.barsPerYear} bars a year, ${costs}`;
  return lineChart("rolling-sharpe", `Rolling Sharpe ratio of the ${input.name}`, sharpe, {
    x: "date",
    y: "Sharpe (annualised)",
    xTicks,
    subtitle: [note],
  }, { x: range, references: [0] }) + "\n" +
    lineChart("rolling-volatility", `Rolling volatility of the ${input.name}`, vol, {
      x: "date",
      y: "volatility (annualised)",
      xTicks,
      yTicks: { kind: "numbers", percent: true },
      subtitle: [note],
    }, { x: range, references: [0] });
}

function drawdownTable(input: TearSheetInput): string {
  const { times, equity } = input;
  const episodes = drawdownEpisodes(equity, 5);
  if (episodes.length === 0) {
    return "<p>No drawdown: the curve never fell below a running peak.</p>";
  }
  return tableHtml({
    headers: ["", "peak", "trough", "recovery", "depth", "length (bars)"],
    rows: episodes.map((e, i) => [
      String(i + 1),
      times[Math.max(0, e.peak)],
      times[e.trough],
      e.recovery === null ? "not recovered" : times[e.recovery],
      percent(-e.depth),
      String(e.length),
    ]),
  });
}

function turnoverSection(input: TearSheetInput): string {
  const n = input.times.length;
  const window = Math.max(2, Math.round(input.barsPerYear / 12));
  if (n <= window) return `<p>Too few bars (${n}) for a rolling turnover of ${window} bars.</p>`;
  const ys = rollingTurnover(input.positions, window);
  const total = input.positions.reduce(
    (sum, p, i) => sum + Math.abs(p - (i === 0 ? 0 : input.positions[i - 1])),
    0,
  );
  return lineChart(
    "turnover",
    `Turnover of the ${input.name}: position changes over the last ${window} bars`,
    [{ name: "position changes", xs: input.times.map((_, i) => i), ys }],
    {
      x: "date",
      y: `|Δposition| per ${window} bars`,
      xTicks: dateTicks(input.times),
      subtitle: [
        `a flip from long to short counts 2; ${total} in all over ${n} bars (about a month of bars per window)`,
      ],
    },
    { x: [0, n - 1], references: [0] },
  );
}

function tradeList(input: TearSheetInput): string {
  const { trades, times } = input;
  if (trades.length === 0) return "<p>No trades.</p>";
  const index = new Map(times.map((t, i) => [t, i]));
  const row = (t: TradeRow, k: number): string[] => {
    const a = index.get(t.entryTime), b = index.get(t.exitTime);
    return [
      String(k + 1),
      t.entryTime,
      t.open ? `${t.exitTime} (still open)` : t.exitTime,
      t.side,
      percent(t.return, 2),
      a === undefined || b === undefined ? "–" : String(b - a + (t.open ? 1 : 0)),
    ];
  };
  const shown = trades.length <= 2 * TRADE_ENDS ? trades.map(row) : [
    ...trades.slice(0, TRADE_ENDS).map(row),
    ["…", `${trades.length - 2 * TRADE_ENDS} trades not shown`, "", "", "", ""],
    ...trades.slice(-TRADE_ENDS).map((t, k) => row(t, trades.length - TRADE_ENDS + k)),
  ];
  const wins = trades.filter((t) => t.return > 0).length;
  return `<p>${trades.length} trades, ${wins} with a positive net return${
    trades.length > 2 * TRADE_ENDS ? `; the first and last ${TRADE_ENDS} are listed` : ""
  }. Returns are net of costs, on the equity at entry; bars held count from the entry fill to the exit fill.</p>\n` +
    tableHtml({
      headers: ["#", "entry", "exit", "side", "return", "bars held"],
      rows: shown,
    });
}

/**
 * The tear sheet's sections as HTML: monthly and yearly returns, rolling
 * Sharpe and volatility, the five worst drawdowns, turnover over time and
 * the trade list.
 *
 * @example
 * ```ts
 * const html = tearSheetSections(input).join("\n");
 * ```
 */
export function tearSheetSections(input: TearSheetInput): string[] {
  const n = input.times.length;
  if (input.equity.length !== n || input.positions.length !== n) {
    throw new RangeError(
      `Expected one equity value and position per time, found ${input.equity.length} and ${input.positions.length} for ${n} times`,
    );
  }
  if (n === 0) return [];
  if (input.positions.every((p) => p === 0)) {
    return [
      section(
        `Tear sheet of the ${input.name}`,
        `<p>The ${input.name} held no position over these ${n} bars: its equity stays at 1, so there are no monthly returns, rolling figures, drawdowns, turnover or trades to show.</p>`,
      ),
    ];
  }
  const costs = input.costBps === undefined
    ? "after costs"
    : `after costs of ${input.costBps} bps per side`;
  return [
    section("Returns by month and year", monthlySection(input, costs)),
    section("Rolling Sharpe and volatility", rollingSection(input, costs)),
    section(`Worst drawdowns of the ${input.name} (${costs})`, drawdownTable(input)),
    section("Turnover over time", turnoverSection(input)),
    section("Trades", tradeList(input)),
  ];
}
