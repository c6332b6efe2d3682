/**
 * The live path's check of bar spacing against a model's card: its interval and its venue's
 * calendar. Two bars of a symbol closer together than the model's interval are bars of another
 * interval, refused; two bars further apart than the venue's calendar allows skip bars the model
 * expects, said as a warning (the bar is still taken: a feed that lost an hour cannot send it
 * again). On a crypto venue every interval is expected, so a weekend is no excuse for a gap; on
 * the NYSE a weekend, a holiday and the night between sessions are.
 *
 * @example
 * ```ts
 * import { checkBarSpacing } from "./interval.ts";
 * const gap = checkBarSpacing({ interval: "1h", venue: "crypto" }, {
 *   symbol: "BTC/USDT",
 *   time: "2024-01-08T00:00:00Z",
 *   previous: "2024-01-05T23:00:00Z",
 * });
 * gap?.missing; // 48 hourly bars
 * ```
 *
 * @module
 */

import { missingTradingDays, parseVenue } from "../data/calendar.ts";
import { intervalMs, isIntraday, parseInterval } from "../data/interval.ts";
import { DataError } from "../util/errors.ts";

/**
 * What a model's card says about the bars it takes: its interval and whose calendar they follow
 * (absent: the NYSE, as cards written before venues).
 *
 * @example
 * ```ts
 * const model: SpacedModel = { interval: "1h", venue: "crypto" };
 * ```
 */
export interface SpacedModel {
  /** The interval the model was trained on (`1d`, `1h`, …), when the card says. */
  readonly interval?: string;
  /** The venue of its training bars (`crypto`, or absent for the NYSE). */
  readonly venue?: string;
}

/**
 * One bar of a symbol after another.
 *
 * @example
 * ```ts
 * const step: BarStep = { symbol: "SPY", time: "2024-01-08", previous: "2024-01-05" };
 * ```
 */
export interface BarStep {
  /** The symbol. */
  symbol: string;
  /** The new bar's time as given (a date, or an ISO timestamp). */
  time: string;
  /** The symbol's previous bar's time, or `null` for its first bar. */
  previous: string | null;
  /** What refusals call the model (default `the model`). */
  modelName?: string;
}

/**
 * Bars a venue's calendar expected between two bars of a symbol and did not get.
 *
 * @example
 * ```ts
 * const gap: SpacingGap = { missing: 1, unit: "NYSE trading day", message: "…" };
 * ```
 */
export interface SpacingGap {
  /** How many are missing. */
  missing: number;
  /** What is counted: bars of the interval (`1h bar`), or for the NYSE `NYSE trading day`. */
  unit: string;
  /** One line saying it, for the bot's log. */
  message: string;
}

const msOf = (t: string): number => Date.parse(t.length <= 10 ? `${t}T00:00:00Z` : t);

/**
 * Checks the spacing of a symbol's new bar against the model's card: a bar dated without a time
 * for an intraday model, or two bars closer together than the model's interval (for a daily
 * model, under 20 hours: intraday bars), is a {@linkcode DataError}; bars further apart than the
 * venue allows give a {@linkcode SpacingGap}. On `crypto` that is any step of more than one
 * interval, weekends included; on the NYSE, a trading day with no bar between two daily bars,
 * or between the sessions of two intraday bars (a weekend, a holiday or a night is none; a hole
 * inside a session is not checked, as feeds differ in their hours). Weekly models, and cards
 * without an interval, are not checked.
 *
 * @example
 * ```ts
 * checkBarSpacing({ interval: "1d" }, { symbol: "SPY", time: "2024-01-08", previous: "2024-01-05" });
 * // null: a weekend on the NYSE
 * checkBarSpacing({ interval: "1d", venue: "crypto" }, {
 *   symbol: "BTC/USDT",
 *   time: "2024-01-08",
 *   previous: "2024-01-05",
 * })?.missing; // 2: Saturday and Sunday
 * ```
 */
export function checkBarSpacing(model: SpacedModel, step: BarStep): SpacingGap | null {
  const { interval } = model;
  if (interval === undefined || interval === "1wk") return null;
  const { symbol, time, previous } = step;
  const intraday = isIntraday(interval);
  const expected = `Expected ${interval} bars for ${
    step.modelName ?? "the model"
  } (trained on ${interval} bars), found`;
  if (intraday && time.length <= 10) {
    throw new DataError(`${expected} a daily bar of ${symbol} at ${time}`);
  }
  if (previous === null) return null;
  const apart = (msOf(time) - msOf(previous)) / 60_000;
  const step_ = intervalMs(parseInterval(interval)) / 60_000;
  const least = intraday ? step_ : 20 * 60;
  if (apart < least) {
    throw new DataError(`${expected} bars of ${symbol} ${apart} minutes apart at ${time}`);
  }
  const venue = parseVenue(model.venue);
  if (venue === "crypto") {
    const missing = Math.round(apart / step_) - 1;
    if (missing < 1) return null;
    const unit = `${interval} bar`;
    return {
      missing,
      unit,
      message: `${symbol} skips ${missing} ${unit}${
        missing === 1 ? "" : "s"
      } between ${previous} and ${time}, on a crypto venue that never closes (weekends included): the model's window reads across the gap`,
    };
  }
  const days = missingTradingDays(new Set(), previous.slice(0, 10), time.slice(0, 10));
  if (days.length === 0) return null;
  const unit = "NYSE trading day";
  const which = days.length === 1 ? days[0] : `${days[0]} .. ${days.at(-1)}`;
  return {
    missing: days.length,
    unit,
    message: `${symbol} skips ${days.length} ${unit}${
      days.length === 1 ? "" : "s"
    } (${which}) between ${previous} and ${time}: the model's window reads across the gap`,
  };
}
