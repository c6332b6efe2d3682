/**
 * A seeded, deterministic market generator: the offline default. Business
 * days only; a two-state regime (calm up-trend, volatile down-trend) sets
 * drift and long-run volatility, GARCH(1,1) clusters volatility, occasional
 * overnight gaps open away from the prior close, and volume rises with the
 * size of the move. No dividends, so `adjClose` equals `close`. The same
 * seed, symbol and range give the same bars on every machine. These are not
 * real prices.
 *
 * **A positive control (off by default).** A ticker ending in `.EDGE` and
 * two digits (`SYNTH.EDGE35`, or the `edge` option) plants a known, modest
 * predictable component: each bar's standardised shock carries `edge` times
 * the previous bar's (an AR(1) of coefficient `edge`, variance kept at 1), so
 * the last bar's return, a feature every model sees, tells something about
 * the next bar's direction. An ideal forecaster that knew the previous shock
 * would reach an AUC of about 0.57 at edge 0.15, 0.61 at 0.25, 0.66 at 0.35
 * and 0.68 at 0.40 (simulated). Without the suffix nothing changes: the
 * default market is byte-identical to what it always was.
 *
 * @module
 */

import type { Bar, FetchOptions, FetchRange, Interval, Provider } from "../types.ts";
import type { Venue } from "../calendar.ts";
import { barsPerSession, intervalMs, isIntraday, SESSION_MINUTES } from "../interval.ts";
import { createRng } from "../../util/random.ts";
import { UsageError } from "../../util/errors.ts";

/**
 * The fixed end date of synthetic data when none is given, so every machine agrees.
 *
 * @example
 * ```ts
 * generateSyntheticBars("SPY", { start: "2024-01-01", end: SYNTHETIC_END });
 * ```
 */
export const SYNTHETIC_END = "2024-12-31";
/**
 * The default seed of synthetic data.
 *
 * @example
 * ```ts
 * generateSyntheticBars("SPY", { start: "2024-01-01", end: "2024-12-31", seed: SYNTHETIC_SEED });
 * ```
 */
export const SYNTHETIC_SEED = 42;

const REGIMES = [
  { drift: 0.0006, vol: 0.009, stay: 0.99 },
  { drift: -0.0009, vol: 0.022, stay: 0.97 },
];
const ALPHA = 0.08;
const BETA = 0.88;
const GAP_PROBABILITY = 0.02;

function hashSymbol(symbol: string): number {
  let h = 2166136261;
  for (const ch of symbol) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h;
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

const EDGE_SUFFIX = /\.EDGE(\d{2})$/;

/**
 * The planted edge a synthetic ticker asks for: `SYNTH.EDGE35` → 0.35, any
 * ticker without the `.EDGE` + two digits suffix → 0 (the default market).
 *
 * @example
 * ```ts
 * syntheticEdge("SYNTH.EDGE35"); // 0.35
 * syntheticEdge("SPY"); // 0
 * ```
 */
export function syntheticEdge(symbol: string): number {
  const m = EDGE_SUFFIX.exec(symbol.toUpperCase());
  return m ? Number(m[1]) / 100 : 0;
}

/**
 * Generates synthetic daily bars for `symbol` from `start` to `end`
 * (inclusive). The symbol is mixed into the seed, so SPY and QQQ differ.
 * `edge` (default: {@linkcode syntheticEdge} of the symbol, else 0) plants
 * the positive control's predictable component: each standardised shock is
 * `edge` times the previous one plus `sqrt(1 − edge²)` times fresh noise.
 *
 * @example
 * ```ts
 * const bars = generateSyntheticBars("SPY", { start: "2024-01-01", end: "2024-12-31", seed: 42 });
 * bars[0].time; // "2024-01-01"
 * ```
 */
export function generateSyntheticBars(
  symbol: string,
  options: { start: string; end: string; seed?: number; edge?: number },
): Bar[] {
  const edge = options.edge ?? syntheticEdge(symbol);
  if (!(edge >= 0 && edge < 1)) {
    throw new UsageError(`Expected a synthetic edge in [0, 1), found ${edge}`);
  }
  const fresh = Math.sqrt(1 - edge * edge);
  let shock = 0;
  const rng = createRng(((options.seed ?? SYNTHETIC_SEED) ^ hashSymbol(symbol)) >>> 0);
  let price = 50 + 150 * rng.next();
  let regime = 0;
  let variance = REGIMES[0].vol ** 2;
  let lastReturn = 0;
  const baseVolume = 2e6 + 8e6 * rng.next();
  const bars: Bar[] = [];
  const endMs = Date.parse(`${options.end}T00:00:00Z`);
  for (let ms = Date.parse(`${options.start}T00:00:00Z`); ms <= endMs; ms += 86_400_000) {
    const day = new Date(ms).getUTCDay();
    if (day === 0 || day === 6) continue;
    if (rng.next() > REGIMES[regime].stay) regime = 1 - regime;
    const { drift, vol } = REGIMES[regime];
    variance = vol ** 2 * (1 - ALPHA - BETA) + ALPHA * lastReturn ** 2 + BETA * variance;
    const sigma = Math.sqrt(variance);
    // The planted edge (0 by default, leaving the draw and the arithmetic as they always were).
    shock = edge === 0 ? rng.normal() : edge * shock + fresh * rng.normal();
    const total = drift + sigma * shock;
    const gap = rng.next() < GAP_PROBABILITY
      ? 3 * sigma * rng.normal()
      : 0.2 * sigma * rng.normal();
    const open = price * Math.exp(gap);
    const close = price * Math.exp(total);
    const high = Math.max(open, close) * Math.exp(Math.abs(rng.normal()) * 0.5 * sigma);
    const low = Math.min(open, close) * Math.exp(-Math.abs(rng.normal()) * 0.5 * sigma);
    const volume = Math.round(
      baseVolume * (1 + 40 * Math.abs(total)) * Math.exp(0.25 * rng.normal()),
    );
    const c = round(close, 4);
    bars.push({
      time: new Date(ms).toISOString().slice(0, 10),
      open: round(open, 4),
      high: round(high, 4),
      low: round(low, 4),
      close: c,
      volume,
      adjClose: c,
    });
    lastReturn = total - drift;
    price = close;
  }
  return bars;
}

/**
 * Whether New York keeps daylight saving time on `date` (`YYYY-MM-DD`): from
 * the second Sunday of March to the first Sunday of November since 2007,
 * from the first Sunday of April to the last Sunday of October before. The
 * switch happens at 02:00 on a Sunday, so a trading day is wholly one or
 * the other.
 *
 * @example
 * ```ts
 * newYorkDst("2024-07-01"); // true
 * newYorkDst("2024-01-02"); // false
 * ```
 */
export function newYorkDst(date: string): boolean {
  const year = Number(date.slice(0, 4));
  // The n-th Sunday of a month (n = -1: the last), as YYYY-MM-DD.
  const sunday = (month: number, n: number): string => {
    if (n > 0) {
      const first = new Date(Date.UTC(year, month, 1)).getUTCDay();
      return new Date(Date.UTC(year, month, 1 + ((7 - first) % 7) + 7 * (n - 1))).toISOString()
        .slice(0, 10);
    }
    const last = new Date(Date.UTC(year, month + 1, 0));
    return new Date(last.getTime() - last.getUTCDay() * 86_400_000).toISOString().slice(0, 10);
  };
  const [start, end] = year >= 2007 ? [sunday(2, 2), sunday(10, 1)] : [sunday(3, 1), sunday(9, -1)];
  return date >= start && date < end;
}

/**
 * The UTC start times of the regular session's bars on a weekday `date`:
 * 09:30 New York (13:30 or 14:30 UTC with daylight saving), one bar every
 * interval to 16:00, the last one partial when the interval does not divide
 * 6.5 hours (`1h`: 09:30 … 15:30, seven bars).
 *
 * @example
 * ```ts
 * sessionBarTimes("2024-01-02", "1h")[0]; // "2024-01-02T14:30:00Z"
 * ```
 */
export function sessionBarTimes(date: string, interval: Interval): string[] {
  const open = Date.parse(`${date}T${newYorkDst(date) ? "13" : "14"}:30:00Z`);
  const step = intervalMs(interval);
  return Array.from(
    { length: barsPerSession(interval) },
    (_, k) => new Date(open + k * step).toISOString().replace(".000Z", "Z"),
  );
}

/**
 * Generates synthetic intraday bars (`1m` to `1h`) for `symbol` on the
 * weekdays from `start` to `end`, in regular session hours only
 * ({@linkcode sessionBarTimes}). The same two-state regime as the daily
 * market (switching between sessions) sets drift and volatility, scaled to
 * the share of the session a bar covers; GARCH(1,1) clusters volatility
 * from bar to bar; volatility and volume follow the intraday U shape (high
 * at the open and the close); each session opens with an overnight gap
 * away from the last close (now and then a large one). The interval is
 * mixed into the seed, so 1h and 5m bars are different markets. `edge`
 * plants the positive control as in {@linkcode generateSyntheticBars}.
 * Seeded and deterministic; not real prices.
 *
 * @example
 * ```ts
 * const bars = generateSyntheticIntradayBars("SPY", { start: "2024-01-02", end: "2024-01-02", interval: "1h" });
 * bars.length; // 7
 * ```
 */
export function generateSyntheticIntradayBars(
  symbol: string,
  options: { start: string; end: string; interval: Interval; seed?: number; edge?: number },
): Bar[] {
  const { interval } = options;
  if (!isIntraday(interval)) {
    throw new UsageError(`Expected an intraday interval (1m to 1h), found "${interval}"`);
  }
  const edge = options.edge ?? syntheticEdge(symbol);
  if (!(edge >= 0 && edge < 1)) {
    throw new UsageError(`Expected a synthetic edge in [0, 1), found ${edge}`);
  }
  const fresh = Math.sqrt(1 - edge * edge);
  const minutes = intervalMs(interval) / 60_000;
  const perSession = barsPerSession(interval);
  const rng = createRng(
    ((options.seed ?? SYNTHETIC_SEED) ^ hashSymbol(`${symbol}@${interval}`)) >>> 0,
  );
  let price = 50 + 150 * rng.next();
  let regime = 0;
  // Variance of a whole session's return, updated bar by bar (GARCH on session-scaled returns).
  let variance = REGIMES[0].vol ** 2;
  let lastScaled = 0;
  let shock = 0;
  const baseVolume = (2e6 + 8e6 * rng.next()) / perSession;
  const bars: Bar[] = [];
  const endMs = Date.parse(`${options.end}T00:00:00Z`);
  for (let ms = Date.parse(`${options.start}T00:00:00Z`); ms <= endMs; ms += 86_400_000) {
    const day = new Date(ms).getUTCDay();
    if (day === 0 || day === 6) continue;
    if (rng.next() > REGIMES[regime].stay) regime = 1 - regime;
    const { drift, vol } = REGIMES[regime];
    const times = sessionBarTimes(new Date(ms).toISOString().slice(0, 10), interval);
    for (let k = 0; k < times.length; k++) {
      // The share of the session this bar covers (the last one may be partial).
      const share = Math.min(minutes, SESSION_MINUTES - k * minutes) / SESSION_MINUTES;
      const position = (k + 0.5) / times.length;
      const u = 0.8 + 0.6 * (2 * position - 1) ** 2; // the intraday U shape, mean about 1
      variance = vol ** 2 * (1 - ALPHA - BETA) + ALPHA * lastScaled ** 2 + BETA * variance;
      const sigma = Math.sqrt(variance * share) * u;
      shock = edge === 0 ? rng.normal() : edge * shock + fresh * rng.normal();
      const total = drift * share + sigma * shock;
      const gap = k === 0
        ? (rng.next() < GAP_PROBABILITY ? 3 : 0.3) * Math.sqrt(variance) * rng.normal()
        : 0.05 * sigma * rng.normal();
      const open = price * Math.exp(gap);
      const close = open * Math.exp(total);
      const high = Math.max(open, close) * Math.exp(Math.abs(rng.normal()) * 0.5 * sigma);
      const low = Math.min(open, close) * Math.exp(-Math.abs(rng.normal()) * 0.5 * sigma);
      const volume = Math.round(
        baseVolume * u * (1 + 40 * Math.abs(total) / Math.sqrt(share)) *
          Math.exp(0.25 * rng.normal()),
      );
      const c = round(close, 4);
      bars.push({
        time: times[k],
        open: round(open, 4),
        high: round(high, 4),
        low: round(low, 4),
        close: c,
        volume,
        adjClose: c,
      });
      lastScaled = (total - drift * share) / Math.sqrt(share);
      price = close;
    }
  }
  return bars;
}

/**
 * The venue a synthetic ticker's market follows when none is named: `crypto`
 * for an exchange pair (`BTC/USDT`) or a ticker starting `SYNTH-CRYPTO`
 * (`SYNTH-CRYPTO`, `SYNTH-CRYPTO.EDGE35`), else `nyse`.
 *
 * @example
 * ```ts
 * syntheticVenue("SYNTH-CRYPTO"); // "crypto"
 * syntheticVenue("SPY"); // "nyse"
 * ```
 */
export function syntheticVenue(symbol: string): Venue {
  const upper = symbol.toUpperCase();
  return upper.includes("/") || upper.startsWith("SYNTH-CRYPTO") ? "crypto" : "nyse";
}

/** A crypto market's daily volatility, as a multiple of the equity regimes'. */
const CRYPTO_VOL = 3;

/**
 * Generates a seeded synthetic 24/7 market (a crypto venue): one bar every
 * interval of every day from `start` 00:00 UTC to the end of `end`, weekends
 * included, no session gaps (each bar opens at the last close, give or take
 * a small jitter). The same two-state regime as the daily market (switching
 * once a day, at midnight UTC) with three times its volatility, scaled to the
 * share of a day a bar covers; GARCH(1,1) clusters volatility from bar to
 * bar; volume follows the size of the move. `edge` plants the positive
 * control as in {@linkcode generateSyntheticBars}. The interval is mixed into
 * the seed. Not real prices.
 *
 * @example
 * ```ts
 * const bars = generateSyntheticContinuousBars("SYNTH-CRYPTO", {
 *   start: "2024-01-06", end: "2024-01-07", interval: "1h",
 * });
 * bars.length; // 48: a weekend of hourly bars
 * ```
 */
export function generateSyntheticContinuousBars(
  symbol: string,
  options: { start: string; end: string; interval: Interval; seed?: number; edge?: number },
): Bar[] {
  const { interval } = options;
  const edge = options.edge ?? syntheticEdge(symbol);
  if (!(edge >= 0 && edge < 1)) {
    throw new UsageError(`Expected a synthetic edge in [0, 1), found ${edge}`);
  }
  const fresh = Math.sqrt(1 - edge * edge);
  const step = intervalMs(interval);
  const share = Math.min(1, step / 86_400_000);
  const rng = createRng(
    ((options.seed ?? SYNTHETIC_SEED) ^ hashSymbol(`${symbol}@${interval}@24/7`)) >>> 0,
  );
  let price = 100 + 40_000 * rng.next();
  let regime = 0;
  let variance = (CRYPTO_VOL * REGIMES[0].vol) ** 2;
  let lastScaled = 0;
  let shock = 0;
  const baseVolume = (1e3 + 9e3 * rng.next()) * share;
  const bars: Bar[] = [];
  const endMs = Date.parse(`${options.end}T00:00:00Z`) + 86_400_000;
  const daily = !isIntraday(interval);
  for (let ms = Date.parse(`${options.start}T00:00:00Z`); ms < endMs; ms += step) {
    if (ms % 86_400_000 === 0 && rng.next() > REGIMES[regime].stay) regime = 1 - regime;
    const drift = REGIMES[regime].drift;
    const vol = CRYPTO_VOL * REGIMES[regime].vol;
    variance = vol ** 2 * (1 - ALPHA - BETA) + ALPHA * lastScaled ** 2 + BETA * variance;
    const sigma = Math.sqrt(variance * share);
    shock = edge === 0 ? rng.normal() : edge * shock + fresh * rng.normal();
    const total = drift * share + sigma * shock;
    const open = price * Math.exp(0.02 * sigma * rng.normal());
    const close = open * Math.exp(total);
    const high = Math.max(open, close) * Math.exp(Math.abs(rng.normal()) * 0.5 * sigma);
    const low = Math.min(open, close) * Math.exp(-Math.abs(rng.normal()) * 0.5 * sigma);
    const volume = round(
      baseVolume * (1 + 40 * Math.abs(total) / Math.sqrt(share)) * Math.exp(0.25 * rng.normal()),
      4,
    );
    const iso = new Date(ms).toISOString();
    bars.push({
      time: daily ? iso.slice(0, 10) : iso.replace(".000Z", "Z"),
      open: round(open, 2),
      high: round(high, 2),
      low: round(low, 2),
      close: round(close, 2),
      volume,
    });
    lastScaled = (total - drift * share) / Math.sqrt(share);
    price = close;
  }
  return bars;
}

/**
 * The synthetic provider: daily bars, or intraday bars (`1m` to `1h`) in
 * regular session hours, seeded by `options.seed` (default 42). Weekly bars
 * are refused. On a crypto venue (`options.venue`, else
 * {@linkcode syntheticVenue} of the ticker) a 24/7 market instead
 * ({@linkcode generateSyntheticContinuousBars}), weekly bars included.
 *
 * @example
 * ```ts
 * const bars = await synthetic.fetchBars("SPY", { start: "2020-01-01", end: "2024-12-31", interval: "1d" }, { seed: 7 });
 * const hourly = await synthetic.fetchBars("SPY", { start: "2024-01-01", end: "2024-12-31", interval: "1h" });
 * ```
 */
export const synthetic: Provider = {
  name: "synthetic",
  fetchBars(symbol: string, range: FetchRange, options: FetchOptions = {}): Promise<Bar[]> {
    if ((options.venue ?? syntheticVenue(symbol)) === "crypto") {
      return Promise.resolve(
        generateSyntheticContinuousBars(symbol, { ...range, seed: options.seed }),
      );
    }
    if (isIntraday(range.interval)) {
      return Promise.resolve(
        generateSyntheticIntradayBars(symbol, {
          start: range.start,
          end: range.end,
          interval: range.interval,
          seed: options.seed,
        }),
      );
    }
    if (range.interval !== "1d") {
      return Promise.reject(
        new UsageError(
          `Expected --interval 1d or an intraday interval (1m to 1h) for synthetic data, found "${range.interval}"`,
        ),
      );
    }
    return Promise.resolve(
      generateSyntheticBars(symbol, { start: range.start, end: range.end, seed: options.seed }),
    );
  },
};
