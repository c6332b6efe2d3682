/**
 * A seeded, deterministic market generator: the offline default. Business
 * days only; a two-state regime (calm up-trend, volatile down-trend) sets
 * drift and long-run volatility, GARCH(1,1) clusters volatility, occasional
 * overnight gaps open away from the prior close, and volume rises with the
 * size of the move. No dividends, so `adjClose` equals `close`. The same
 * seed, symbol and range give the same bars on every machine. These are not
 * real prices.
 *
 * @module
 */

import type { Bar, FetchOptions, FetchRange, Provider } from "../types.ts";
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

/**
 * Generates synthetic daily bars for `symbol` from `start` to `end`
 * (inclusive). The symbol is mixed into the seed, so SPY and QQQ differ.
 *
 * @example
 * ```ts
 * const bars = generateSyntheticBars("SPY", { start: "2024-01-01", end: "2024-12-31", seed: 42 });
 * bars[0].time; // "2024-01-01"
 * ```
 */
export function generateSyntheticBars(
  symbol: string,
  options: { start: string; end: string; seed?: number },
): Bar[] {
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
    const total = drift + sigma * rng.normal();
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
 * The synthetic provider: daily bars only, seeded by `options.seed` (default 42).
 *
 * @example
 * ```ts
 * const bars = await synthetic.fetchBars("SPY", { start: "2020-01-01", end: "2024-12-31", interval: "1d" }, { seed: 7 });
 * ```
 */
export const synthetic: Provider = {
  name: "synthetic",
  fetchBars(symbol: string, range: FetchRange, options: FetchOptions = {}): Promise<Bar[]> {
    if (range.interval !== "1d") {
      return Promise.reject(
        new UsageError(`Expected --interval 1d for synthetic data, found "${range.interval}"`),
      );
    }
    return Promise.resolve(
      generateSyntheticBars(symbol, { start: range.start, end: range.end, seed: options.seed }),
    );
  },
};
