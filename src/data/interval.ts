/**
 * What a bar interval means in time: its length, how many bars a US equity
 * session (09:30–16:00 New York, 6.5 hours) holds, how many bars a year has
 * for annualising, and where a series jumps over a session gap (overnight,
 * weekend, holiday). Indicator periods stay in bars; only quantities that
 * are really about time (annualisation, a model's age) go through here.
 *
 * @example
 * ```ts
 * import { barsPerYear, isIntraday } from "./interval.ts";
 * barsPerYear("1h"); // 1764: 7 bars a session × 252 sessions
 * isIntraday("5m"); // true
 * ```
 *
 * @module
 */

import { type Interval, INTERVALS } from "./types.ts";
import { DataError, UsageError } from "../util/errors.ts";
import { CONTINUOUS_DAYS_PER_YEAR, isContinuous, type Venue } from "./calendar.ts";

/** Trading sessions in a US equity year. */
export const SESSIONS_PER_YEAR = 252;
/** Minutes in a regular US equity session (09:30–16:00 New York). */
export const SESSION_MINUTES = 390;

const MINUTES: Record<Interval, number> = {
  "1m": 1,
  "5m": 5,
  "15m": 15,
  "30m": 30,
  "1h": 60,
  "1d": 1440,
  "1wk": 10080,
};

/**
 * Whether bars of `interval` fall inside a session (`1d` and `1wk` do not).
 *
 * @example
 * ```ts
 * isIntraday("1h"); // true
 * isIntraday("1d"); // false
 * ```
 */
export function isIntraday(interval: string): boolean {
  return interval !== "1d" && interval !== "1wk";
}

/**
 * The interval named by a card or a flag, checked; a usage error for a name
 * the module does not know.
 *
 * @example
 * ```ts
 * parseInterval("1h"); // "1h"
 * ```
 */
export function parseInterval(name: string): Interval {
  if (!(INTERVALS as readonly string[]).includes(name)) {
    throw new UsageError(`Expected an interval (${INTERVALS.join(", ")}), found "${name}"`);
  }
  return name as Interval;
}

/**
 * The length of one bar in milliseconds.
 *
 * @example
 * ```ts
 * intervalMs("5m"); // 300000
 * ```
 */
export function intervalMs(interval: Interval): number {
  return MINUTES[interval] * 60_000;
}

/**
 * Bars in one regular US equity session: 6.5 hours, a last partial bar
 * counted (`1h` gives 7: 09:30, 10:30, …, 15:30); 1 for daily bars.
 *
 * @example
 * ```ts
 * barsPerSession("5m"); // 78
 * ```
 */
export function barsPerSession(interval: Interval): number {
  return isIntraday(interval) ? Math.ceil(SESSION_MINUTES / MINUTES[interval]) : 1;
}

/**
 * Bars in a year, for annualising returns, volatility and Sharpe. On the
 * NYSE (the default venue): 252 daily bars, 52 weekly bars, 252 sessions of
 * {@linkcode barsPerSession} intraday bars (1764 for `1h`, 19 656 for `5m`).
 * On a continuous venue (`crypto`): every interval of 365 days (365 daily,
 * 8 760 hourly, 105 120 five-minute bars), 52 weekly bars.
 *
 * @example
 * ```ts
 * barsPerYear("1d"); // 252
 * barsPerYear("1h"); // 1764
 * barsPerYear("1h", "crypto"); // 8760
 * ```
 */
export function barsPerYear(interval: Interval, venue: Venue = "nyse"): number {
  if (interval === "1wk") return 52;
  if (isContinuous(venue)) return (CONTINUOUS_DAYS_PER_YEAR * 1440) / MINUTES[interval];
  return SESSIONS_PER_YEAR * barsPerSession(interval);
}

/**
 * Whether the step from a bar at `previous` to one at `next` jumps over a
 * session gap: for intraday bars, more than one and a half bar lengths
 * between their starts (overnight, a weekend, a holiday, a halt); daily and
 * weekly bars have no gap inside their own bar.
 *
 * @example
 * ```ts
 * crossesGap("2024-01-02T20:30:00Z", "2024-01-03T14:30:00Z", "1h"); // true: overnight
 * crossesGap("2024-01-02T14:30:00Z", "2024-01-02T15:30:00Z", "1h"); // false
 * ```
 */
export function crossesGap(previous: string, next: string, interval: Interval): boolean {
  if (!isIntraday(interval)) return false;
  return Date.parse(next) - Date.parse(previous) > 1.5 * intervalMs(interval);
}

/**
 * Bars in a typical session of `times` (the median length of the runs
 * between session gaps, see {@linkcode crossesGap}): 7 for regular-hours
 * hourly bars, more for a feed with extended hours (Alpaca's hourly bars run
 * 04:00–20:00 New York). {@linkcode barsPerSession} when there is no full
 * session to count, or for daily bars.
 *
 * @example
 * ```ts
 * observedBarsPerSession(bars.map((b) => b.time), "1h"); // 7
 * ```
 */
export function observedBarsPerSession(times: readonly string[], interval: Interval): number {
  if (!isIntraday(interval) || times.length === 0) return barsPerSession(interval);
  const lengths: number[] = [];
  let run = 1;
  for (let i = 1; i < times.length; i++) {
    if (crossesGap(times[i - 1], times[i], interval)) {
      lengths.push(run);
      run = 1;
    } else run++;
  }
  lengths.push(run);
  // The first and last sessions may be cut by the range: counted only when nothing else is.
  const whole = lengths.length > 2 ? lengths.slice(1, -1) : lengths;
  const sorted = [...whole].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]; // the upper median: a cut session counts less
}

/**
 * The bars that had closed by `now`: an intraday bar whose interval has not
 * ended yet (the one a provider serves while it is still trading, with a
 * close that will change) is left out, so a cache never keeps a half-formed
 * bar. Daily and weekly bars are all kept (a provider's bar for today is
 * validated as any other).
 *
 * @example
 * ```ts
 * closedBars(bars, "1h", new Date("2024-01-03T17:00:00Z")); // up to the 15:30Z bar of that day
 * ```
 */
export function closedBars<T extends { time: string }>(
  bars: readonly T[],
  interval: Interval,
  now: Date,
): T[] {
  if (!isIntraday(interval)) return [...bars];
  const cut = now.getTime() - intervalMs(interval);
  return bars.filter((b) => !(Date.parse(b.time) > cut));
}

/** Fewer distinct bar times than this say too little about their interval to judge it. */
const MIN_TIMES_TO_JUDGE = 10;

/**
 * The interval a series of bar times looks like: the interval nearest (on a
 * log scale) to the median step between consecutive distinct times (session
 * gaps, weekends and holidays are a minority of steps, so the median is the
 * bar length). `undefined` for fewer than ten distinct times.
 *
 * @example
 * ```ts
 * inferInterval(dailyTimes); // { interval: "1d", medianMs: 86400000 }
 * ```
 */
export function inferInterval(
  timesMs: readonly number[],
): { interval: Interval; medianMs: number } | undefined {
  const sorted = [...new Set(timesMs.filter(Number.isFinite))].sort((a, b) => a - b);
  if (sorted.length < MIN_TIMES_TO_JUDGE) return undefined;
  const steps = sorted.slice(1).map((t, i) => t - sorted[i]).sort((a, b) => a - b);
  const medianMs = steps[Math.floor(steps.length / 2)];
  let best: Interval = INTERVALS[0];
  for (const interval of INTERVALS) {
    const distance = Math.abs(Math.log(medianMs / intervalMs(interval)));
    if (distance < Math.abs(Math.log(medianMs / intervalMs(best)))) best = interval;
  }
  return { interval: best, medianMs };
}

function spacing(ms: number): string {
  const minutes = ms / 60_000;
  if (minutes < 60) return `${+minutes.toFixed(1)} minute${minutes === 1 ? "" : "s"}`;
  if (minutes < 1440) return `${+(minutes / 60).toFixed(1)} hour${minutes === 60 ? "" : "s"}`;
  return `${+(minutes / 1440).toFixed(1)} day${minutes === 1440 ? "" : "s"}`;
}

/**
 * Refuses bars whose times look like another interval than `interval` (see
 * {@linkcode inferInterval}): daily bars taken as hourly or weekly, minute
 * bars taken as daily. One {@linkcode DataError} naming the interval the data
 * looks like; nothing for fewer than ten distinct times.
 *
 * @example
 * ```ts
 * checkIntervalOfTimes(dailyTimes, "1h", "SPY.csv");
 * // DataError: Expected 1h bars in SPY.csv, found bars that look like 1d bars …
 * ```
 */
export function checkIntervalOfTimes(
  timesMs: readonly number[],
  interval: Interval,
  label: string,
): void {
  const found = inferInterval(timesMs);
  if (!found || found.interval === interval) return;
  throw new DataError(
    `Expected ${interval} bars in ${label}, found bars that look like ${found.interval} bars (${
      spacing(found.medianMs)
    } apart at the median); use interval ${found.interval} for them`,
  );
}
