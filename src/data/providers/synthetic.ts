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
