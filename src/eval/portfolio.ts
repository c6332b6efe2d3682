/**
 * The daily long-short portfolio of a universe signal (Fischer & Krauss
 * 2018): each day rank the symbols by score, go long the top `k` and short
 * the bottom `k` (or long only), hold one day, and repeat.
 *
 * Accounting:
 * - **Fills**: `next-open` (default, tradable): a ranking made on day `t`'s
 *   close is filled at day `t+1`'s open and held to day `t+2`'s open, so
 *   the return of symbol `i` is `open_i(t+2) / open_i(t+1) - 1`. `close` is
 *   the paper's convention (filled at day `t`'s own close, held to `t+1`'s
 *   close: the label's return), shown for comparison only: nobody can trade
 *   at the close that the decision was computed from. Days are the universe's
 *   calendar; a symbol without a bar on a day it would need is not a
 *   candidate that day.
 * - **Weights**: long-short puts `+1/k` on each long and `-1/k` on each short
 *   (one unit of capital long and one short: the day's return is the mean
 *   long return minus the mean short return); long-only `+1/k`; the
 *   equal-weight universe `1/N` on every candidate; a day with too few
 *   candidates is flat; a date on which nothing can be traded (the last
 *   dates of the calendar) is not a day of the portfolio.
 * - **Costs**: `costBps` per half-turn, charged on every unit of weight that
 *   changes from one day to the next (`sum |w_t - w_{t-1}|`, the turnover):
 *   closing a long and opening another are two half-turns. A position kept
 *   from one day to the next costs nothing (weight drift between days is
 *   ignored).
 *
 * @module
 */

import { DataError, UsageError } from "../util/errors.ts";

/**
 * The prices a portfolio trades, on a shared calendar (a `SymbolTable` is one).
 *
 * @example
 * ```ts
 * const p: PriceTable = { dates: Uint32Array.of(0, 1), opens: Float64Array.of(10, 11), closes: Float64Array.of(10.5, 11.2) };
 * ```
 */
export interface PriceTable {
  /** Calendar index of each bar, ascending. */
  dates: Uint32Array;
  /** Adjusted opens. */
  opens: Float64Array;
  /** Adjusted closes. */
  closes: Float64Array;
}

/**
 * Scored rows: symbol `symbols[i]` (an index into the price tables) has score
 * `values[i]` on calendar date `dates[i]` (higher: more likely to rise).
 *
 * @example
 * ```ts
 * const s: Scores = { dates: windows.dates, symbols: windows.symbols, values: probabilities };
 * ```
 */
export interface Scores {
  /** Calendar index of each row's decision date. */
  dates: ArrayLike<number>;
  /** Price-table index of each row's symbol. */
  symbols: ArrayLike<number>;
  /** Each row's score. */
  values: ArrayLike<number>;
}

/**
 * Options of {@linkcode runPortfolio}.
 *
 * @example
 * ```ts
 * const options: PortfolioOptions = { topK: 10, costBps: 5 };
 * ```
 */
export interface PortfolioOptions {
  /** Symbols long (and short); `Infinity` holds every candidate at equal weight (long only). */
  topK: number;
  /** Long the top `k` only (default false: long-short). */
  longOnly?: boolean;
  /** Cost per half-turn, basis points of the traded weight (default 0). */
  costBps?: number;
  /**
   * `next-open` (default), `close` (the paper's convention, not tradable) or
   * `open` (a decision at day `t`'s open: entered at that open, closed at
   * that day's close, both half-turns paid every day).
   */
  fill?: "next-open" | "close" | "open";
  /** Trading days per year, for annualising (default 252). */
  daysPerYear?: number;
}

/**
 * One day of a portfolio.
 *
 * @example
 * ```ts
 * const d: PortfolioDay = result.days[0]; // { date, gross, cost, net, turnover, positions }
 * ```
 */
export interface PortfolioDay {
  /** The decision date (the ranking's close). */
  date: string;
  /** Return before costs. */
  gross: number;
  /** Costs (a fraction of capital). */
  cost: number;
  /** Return after costs. */
  net: number;
  /** `sum |w_t - w_{t-1}|`. */
  turnover: number;
  /** Symbols held (0 on a flat day). */
  positions: number;
}

/**
 * Statistics of a daily return series.
 *
 * @example
 * ```ts
 * const { meanDaily, sharpe }: PortfolioStats = result.after;
 * ```
 */
export interface PortfolioStats {
  /** Days. */
  days: number;
  /** Mean daily return (the paper's headline figure). */
  meanDaily: number;
  /** Sample standard deviation of daily returns. */
  sdDaily: number;
  /** Mean / (sd / sqrt(days)): how many standard errors the mean is from 0 (days taken as independent). */
  tStat: number;
  /** Annualised Sharpe ratio (risk-free rate 0). */
  sharpe: number;
  /** Compound annual return. */
  annualReturn: number;
  /** Compounded return over the whole period. */
  totalReturn: number;
  /** Largest peak-to-trough fall of the compounded equity, a positive fraction. */
  maxDrawdown: number;
  /** Share of days with a positive return. */
  hitRate: number;
  /** Mean daily turnover. */
  turnover: number;
}

/**
 * A portfolio run: its days, statistics before and after costs, equity
 * curves and returns per calendar year.
 *
 * @example
 * ```ts
 * const r: PortfolioResult = runPortfolio(calendar, tables, scores, { topK: 10, costBps: 5 });
 * ```
 */
export interface PortfolioResult {
  /** The options it ran with (resolved). */
  options: Required<PortfolioOptions>;
  /** One entry per decision date. */
  days: PortfolioDay[];
  /** Statistics before costs. */
  before: PortfolioStats;
  /** Statistics after costs. */
  after: PortfolioStats;
  /** Compounded equity after each day, before costs (starting from 1). */
  equityBefore: number[];
  /** Compounded equity after each day, after costs. */
  equityAfter: number[];
  /** Compounded returns per calendar year of the decision dates. */
  periods: { period: string; days: number; before: number; after: number }[];
}

/**
 * Statistics of a daily return series.
 *
 * @example
 * ```ts
 * portfolioStats([0.01, -0.005, 0.002]).meanDaily; // 0.0023333
 * ```
 */
export function portfolioStats(
  returns: readonly number[],
  options: { turnover?: readonly number[]; daysPerYear?: number } = {},
): PortfolioStats {
  const n = returns.length;
  const perYear = options.daysPerYear ?? 252;
  if (n === 0) {
    return {
      days: 0,
      meanDaily: NaN,
      sdDaily: NaN,
      tStat: NaN,
      sharpe: NaN,
      annualReturn: NaN,
      totalReturn: 0,
      maxDrawdown: 0,
      hitRate: NaN,
      turnover: NaN,
    };
  }
  const mean = returns.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  let equity = 1;
  let peak = 1;
  let maxDrawdown = 0;
  for (const r of returns) {
    equity *= 1 + r;
    peak = Math.max(peak, equity);
    maxDrawdown = Math.max(maxDrawdown, 1 - equity / peak);
  }
  const turnover = options.turnover ?? [];
  return {
    days: n,
    meanDaily: mean,
    sdDaily: sd,
    tStat: sd > 0 ? mean / (sd / Math.sqrt(n)) : 0,
    sharpe: sd > 0 ? (mean / sd) * Math.sqrt(perYear) : 0,
    annualReturn: equity > 0 ? equity ** (perYear / n) - 1 : -1,
    totalReturn: equity - 1,
    maxDrawdown,
    hitRate: returns.filter((r) => r > 0).length / n,
    turnover: turnover.length > 0 ? turnover.reduce((a, b) => a + b, 0) / turnover.length : 0,
  };
}

function bucketByDate(scores: Scores, days: number): number[][] {
  const byDate: number[][] = Array.from({ length: days }, () => []);
  for (let i = 0; i < scores.values.length; i++) {
    const d = scores.dates[i];
    if (!(d >= 0 && d < days) || !Number.isInteger(d)) {
      throw new DataError(`Expected score dates on the calendar (0-${days - 1}), found ${d}`);
    }
    byDate[d].push(i);
  }
  return byDate;
}

/**
 * Runs the daily portfolio of `scores` over price tables on `calendar` (see
 * the module notes for fills, weights and costs).
 *
 * @example
 * ```ts
 * const result = runPortfolio(tables.calendar, tables.tables, {
 *   dates: windows.dates,
 *   symbols: windows.symbols,
 *   values: probabilities,
 * }, { topK: 10, costBps: 5 });
 * console.log(result.before.meanDaily, result.after.meanDaily);
 * ```
 */
export function runPortfolio(
  calendar: readonly string[],
  prices: readonly PriceTable[],
  scores: Scores,
  options: PortfolioOptions,
): PortfolioResult {
  const resolved: Required<PortfolioOptions> = {
    topK: options.topK,
    longOnly: options.longOnly ?? false,
    costBps: options.costBps ?? 0,
    fill: options.fill ?? "next-open",
    daysPerYear: options.daysPerYear ?? 252,
  };
  const { topK, longOnly, costBps, fill } = resolved;
  if (!(topK === Infinity || (Number.isInteger(topK) && topK >= 1))) {
    throw new UsageError(`Expected topK to be a positive integer, found ${topK}`);
  }
  if (!(costBps >= 0)) throw new UsageError(`Expected costBps >= 0, found ${costBps}`);
  if (
    scores.dates.length !== scores.values.length || scores.symbols.length !== scores.values.length
  ) {
    throw new DataError(
      `Expected one date and symbol per score, found ${scores.dates.length} dates, ${scores.symbols.length} symbols and ${scores.values.length} scores`,
    );
  }
  const days = calendar.length;
  // rowAt[s][d]: the bar of price table s on calendar date d, or -1.
  const rowAt = prices.map((p) => {
    const map = new Int32Array(days).fill(-1);
    p.dates.forEach((d, i) => map[d] = i);
    return map;
  });
  const byDate = bucketByDate(scores, days);
  const out: PortfolioDay[] = [];
  let previous = new Map<number, number>();
  for (let d = 0; d < days; d++) {
    const rows = byDate[d];
    if (rows.length === 0) continue;
    const candidates: { symbol: number; score: number; r: number }[] = [];
    for (const i of rows) {
      const s = scores.symbols[i];
      const at = rowAt[s];
      if (at === undefined) throw new DataError(`Expected a price table for symbol index ${s}`);
      const p = prices[s];
      let r: number;
      if (fill === "next-open") {
        if (d + 2 >= days || at[d + 1] < 0 || at[d + 2] < 0) continue;
        r = p.opens[at[d + 2]] / p.opens[at[d + 1]] - 1;
      } else if (fill === "open") {
        if (at[d] < 0) continue;
        r = p.closes[at[d]] / p.opens[at[d]] - 1;
      } else {
        if (d + 1 >= days || at[d] < 0 || at[d + 1] < 0) continue;
        r = p.closes[at[d + 1]] / p.closes[at[d]] - 1;
      }
      if (!Number.isFinite(r)) continue;
      candidates.push({ symbol: s, score: scores.values[i], r });
    }
    if (candidates.length === 0) continue; // nothing tradable (the last dates): not a day
    candidates.sort((a, b) => b.score - a.score || a.symbol - b.symbol);
    const weights = new Map<number, number>();
    if (topK === Infinity) {
      for (const c of candidates) weights.set(c.symbol, 1 / candidates.length);
    } else if (candidates.length >= (longOnly ? topK : 2 * topK)) {
      for (let k = 0; k < topK; k++) weights.set(candidates[k].symbol, 1 / topK);
      if (!longOnly) {
        for (let k = candidates.length - topK; k < candidates.length; k++) {
          weights.set(candidates[k].symbol, -1 / topK);
        }
      }
    }
    let gross = 0;
    for (const c of candidates) gross += (weights.get(c.symbol) ?? 0) * c.r;
    let turnover = 0;
    if (fill === "open") {
      // Opened at the open and closed at the close: every position is a round trip each day.
      for (const w of weights.values()) turnover += 2 * Math.abs(w);
    } else {
      for (const [s, w] of weights) turnover += Math.abs(w - (previous.get(s) ?? 0));
      for (const [s, w] of previous) if (!weights.has(s)) turnover += Math.abs(w);
    }
    const cost = (costBps / 10_000) * turnover;
    out.push({
      date: calendar[d],
      gross,
      cost,
      net: gross - cost,
      turnover,
      positions: weights.size,
    });
    previous = weights;
  }
  const turnover = out.map((o) => o.turnover);
  const before = out.map((o) => o.gross);
  const after = out.map((o) => o.net);
  const equity = (r: number[]): number[] => {
    let e = 1;
    return r.map((x) => (e *= 1 + x));
  };
  const periods = new Map<string, { days: number; before: number; after: number }>();
  for (const o of out) {
    const key = o.date.slice(0, 4);
    const p = periods.get(key) ?? { days: 0, before: 1, after: 1 };
    p.days++;
    p.before *= 1 + o.gross;
    p.after *= 1 + o.net;
    periods.set(key, p);
  }
  const perYear = resolved.daysPerYear;
  return {
    options: resolved,
    days: out,
    before: portfolioStats(before, { turnover, daysPerYear: perYear }),
    after: portfolioStats(after, { turnover, daysPerYear: perYear }),
    equityBefore: equity(before),
    equityAfter: equity(after),
    periods: [...periods].map(([period, p]) => ({
      period,
      days: p.days,
      before: p.before - 1,
      after: p.after - 1,
    })),
  };
}
