/**
 * The figures of a backtest's tear sheet, as pure computations on its equity
 * curve, times and positions: per-bar returns, monthly and yearly returns,
 * rolling Sharpe and volatility, the worst drawdown episodes, rolling
 * turnover and a block-bootstrap interval on the Sharpe ratio.
 *
 * Conventions: the equity curve starts at 1 at the first fill's open (as
 * `runBacktest` marks it), so the first bar's return and the first month's
 * return are measured from 1; rolling figures are `NaN` until their window is
 * full; times are ISO strings (`YYYY-MM-DD` or with a time of day), grouped
 * by their UTC calendar month.
 *
 * @example
 * ```ts
 * import { monthlyReturns, drawdownEpisodes } from "./tear_sheet.ts";
 * const table = monthlyReturns([1.01, 1.02], ["2024-01-31", "2024-02-29"]);
 * const worst = drawdownEpisodes([1.1, 0.99, 1.2], 5);
 * ```
 *
 * @module
 */

import type { ConfidenceInterval } from "./metrics.ts";
import { quantile } from "./scores.ts";
import { bootstrapBlockLength, resampleBlocks, sharpeRatio } from "./stats.ts";
import { createRng } from "../util/random.ts";

/**
 * Per-bar returns of an equity curve that starts at 1 (the first return is
 * measured from 1).
 *
 * @example
 * ```ts
 * barReturns([1.1, 0.99]); // [0.1, -0.1] (to rounding)
 * ```
 */
export function barReturns(equity: readonly number[]): number[] {
  return equity.map((e, i) => e / (i === 0 ? 1 : equity[i - 1]) - 1);
}

/** Returns by calendar month and year, from {@linkcode monthlyReturns}. */
export interface PeriodReturns {
  /** The years covered, ascending. */
  years: number[];
  /** One row per year, twelve months each: the month's return, or `null` without bars. */
  months: (number | null)[][];
  /** Each year's compounded return (over the bars it has). */
  yearly: number[];
}

/**
 * Returns by calendar month (rows of years, twelve columns) and by year:
 * the month's last equity over the previous month's last equity (1 before
 * the first bar), less 1.
 *
 * @example
 * ```ts
 * const r = monthlyReturns([1.1, 1.21, 0.605], ["2024-01-02", "2024-01-31", "2024-03-01"]);
 * r.months[0].slice(0, 3); // [0.21 (about), null, -0.5]
 * r.yearly; // [-0.395] (about)
 * ```
 */
export function monthlyReturns(equity: readonly number[], times: readonly string[]): PeriodReturns {
  if (equity.length !== times.length) {
    throw new RangeError(
      `Expected one time per equity value, found ${times.length} times and ${equity.length} values`,
    );
  }
  const lastOfMonth = new Map<string, number>();
  for (let i = 0; i < times.length; i++) lastOfMonth.set(times[i].slice(0, 7), equity[i]);
  const keys = [...lastOfMonth.keys()];
  const years = [...new Set(keys.map((k) => Number(k.slice(0, 4))))].sort((a, b) => a - b);
  const months = years.map(() => new Array<number | null>(12).fill(null));
  const yearEnd = new Map<number, number>();
  let previous = 1;
  for (const key of keys) {
    const value = lastOfMonth.get(key)!;
    const year = Number(key.slice(0, 4)), month = Number(key.slice(5, 7)) - 1;
    months[years.indexOf(year)][month] = value / previous - 1;
    previous = value;
    yearEnd.set(year, value);
  }
  let start = 1;
  const yearly = years.map((y) => {
    const end = yearEnd.get(y)!;
    const r = end / start - 1;
    start = end;
    return r;
  });
  return { years, months, yearly };
}

/** Checks a rolling window's length. */
function checkWindow(window: number): void {
  if (!Number.isInteger(window) || window < 2) {
    throw new RangeError(`Expected a rolling window of at least 2 bars, found ${window}`);
  }
}

/**
 * The mean and sample standard deviation of each trailing window of `window`
 * values, by running sums (one pass, so a year of hourly bars stays cheap);
 * `NaN` until the window is full.
 */
function rollingMoments(
  values: readonly number[],
  window: number,
): { mean: number[]; sd: number[] } {
  checkWindow(window);
  const n = values.length;
  const mean = new Array<number>(n).fill(NaN), sd = new Array<number>(n).fill(NaN);
  let sum = 0, squares = 0;
  for (let i = 0; i < n; i++) {
    sum += values[i];
    squares += values[i] ** 2;
    if (i >= window) {
      sum -= values[i - window];
      squares -= values[i - window] ** 2;
    }
    if (i + 1 < window) continue;
    const m = sum / window;
    mean[i] = m;
    sd[i] = Math.sqrt(Math.max(0, (squares - window * m * m) / (window - 1)));
  }
  return { mean, sd };
}

/**
 * The annualised Sharpe ratio of each trailing window of per-bar returns (as
 * `sharpeRatio` of `stats.ts` computes it: mean / sample sd · √barsPerYear,
 * 0 when the window's returns do not vary), `NaN` until the window is full.
 *
 * @example
 * ```ts
 * rollingSharpe([0.01, -0.01, 0.02], 2, 252); // [NaN, 0, 3.17…]
 * ```
 */
export function rollingSharpe(
  returns: readonly number[],
  window: number,
  barsPerYear: number,
): number[] {
  const { mean, sd } = rollingMoments(returns, window);
  // A spread below 1e-7 of the mean is the running sums' rounding: the returns do not vary.
  return mean.map((m, i) =>
    Number.isNaN(m)
      ? NaN
      : sd[i] > 1e-7 * Math.abs(m) + 1e-15
      ? (m / sd[i]) * Math.sqrt(barsPerYear)
      : 0
  );
}

/**
 * The annualised volatility (sample sd · √barsPerYear) of each trailing
 * window of per-bar returns, `NaN` until the window is full.
 *
 * @example
 * ```ts
 * rollingVolatility([0.01, -0.01, 0.01], 2, 252); // [NaN, 0.2245 (about), 0.2245]
 * ```
 */
export function rollingVolatility(
  returns: readonly number[],
  window: number,
  barsPerYear: number,
): number[] {
  return rollingMoments(returns, window).sd.map((v) => v * Math.sqrt(barsPerYear));
}

/**
 * The position changes of each trailing window: the sum of |Δposition| over
 * the last `window` bars (the position before the first bar is flat), `NaN`
 * until the window is full.
 *
 * @example
 * ```ts
 * rollingTurnover([1, 1, -1, 0], 2); // [NaN, 1, 2, 3]
 * ```
 */
export function rollingTurnover(positions: readonly number[], window: number): number[] {
  checkWindow(window);
  const changes = positions.map((p, i) => Math.abs(p - (i === 0 ? 0 : positions[i - 1])));
  let sum = 0;
  return changes.map((c, i) => {
    sum += c - (i >= window ? changes[i - window] : 0);
    return i + 1 < window ? NaN : sum;
  });
}

/** One fall from a running peak and the climb back, from {@linkcode drawdownEpisodes}. */
export interface DrawdownEpisode {
  /** Index of the peak bar; −1 for the starting equity of 1 (before the first bar's close). */
  peak: number;
  /** Index of the lowest bar of the episode. */
  trough: number;
  /** Index of the first bar back at or above the peak, or `null` when not recovered. */
  recovery: number | null;
  /** Depth at the trough, a positive fraction of the peak. */
  depth: number;
  /** Bars from the peak to the recovery (or to the last bar when not recovered). */
  length: number;
}

/**
 * The `count` deepest drawdown episodes of an equity curve that starts at 1,
 * deepest first: each from a running peak through its trough to the first
 * bar back at the peak. The deepest one's depth is the curve's maximum
 * drawdown (as `drawdownSeries` of `backtest.ts` measures it).
 *
 * @example
 * ```ts
 * drawdownEpisodes([1.1, 0.99, 1.2, 0.6, 0.9], 5);
 * // [{ peak: 2, trough: 3, recovery: null, depth: 0.5, length: 2 },
 * //  { peak: 0, trough: 1, recovery: 2, depth: 0.1 (about), length: 2 }]
 * ```
 */
export function drawdownEpisodes(equity: readonly number[], count: number): DrawdownEpisode[] {
  const episodes: DrawdownEpisode[] = [];
  let peakValue = 1, peak = -1;
  let open: DrawdownEpisode | null = null;
  for (let i = 0; i < equity.length; i++) {
    const e = equity[i];
    if (!Number.isFinite(e)) continue;
    if (e >= peakValue) {
      if (open) {
        open.recovery = i;
        open.length = i - open.peak;
        episodes.push(open);
        open = null;
      }
      peakValue = e;
      peak = i;
      continue;
    }
    const depth = 1 - e / peakValue;
    if (!open) open = { peak, trough: i, recovery: null, depth, length: 0 };
    else if (depth > open.depth) {
      open.trough = i;
      open.depth = depth;
    }
  }
  if (open) {
    open.length = equity.length - 1 - open.peak;
    episodes.push(open);
  }
  return episodes.sort((a, b) => b.depth - a.depth || a.peak - b.peak).slice(0, count);
}

/**
 * The annualised Sharpe ratio of per-bar returns with a circular
 * block-bootstrap interval (`resampleBlocks` and `bootstrapBlockLength` of
 * `stats.ts`): the `(1 − level) / 2` and `(1 + level) / 2` quantiles of the
 * Sharpe ratios of `resamples` resamples (default 1000, level 0.95, seed 42).
 * `NaN` bounds for fewer than 10 returns.
 *
 * @example
 * ```ts
 * const { estimate, lower, upper } = sharpeInterval(returns, 252);
 * ```
 */
export function sharpeInterval(
  returns: readonly number[],
  barsPerYear: number,
  options: { resamples?: number; level?: number; seed?: number; blockLength?: number } = {},
): ConfidenceInterval {
  const { resamples = 1000, level = 0.95, seed = 42 } = options;
  const n = returns.length;
  const estimate = sharpeRatio(returns, barsPerYear);
  if (n < 10) return { estimate, lower: NaN, upper: NaN };
  const blockLength = bootstrapBlockLength(n, options.blockLength);
  const rng = createRng(seed);
  const idx = new Int32Array(n);
  const sample = new Float64Array(n);
  const sharpes = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    resampleBlocks(idx, { blockLength, rng });
    for (let i = 0; i < n; i++) sample[i] = returns[idx[i]];
    sharpes[b] = sharpeRatio(sample, barsPerYear);
  }
  sharpes.sort();
  return {
    estimate,
    lower: quantile(sharpes, (1 - level) / 2, { sorted: true }),
    upper: quantile(sharpes, (1 + level) / 2, { sorted: true }),
  };
}
