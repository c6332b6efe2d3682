/**
 * The Yahoo Finance chart API (JSON, no key). Adjusted close is kept.
 *
 * @module
 */

import type { Bar, FetchOptions, FetchRange, Interval, Provider } from "../types.ts";
import { closedBars } from "../interval.ts";
import { fetchWithRetry } from "../http.ts";
import { DataError, UsageError } from "../../util/errors.ts";

const YAHOO_INTERVALS: Record<Interval, string> = {
  "1m": "1m",
  "5m": "5m",
  "15m": "15m",
  "30m": "30m",
  "1h": "60m",
  "1d": "1d",
  "1wk": "1wk",
};

interface ChartResult {
  meta?: { gmtoffset?: number };
  timestamp?: number[];
  indicators?: {
    quote?: {
      open?: (number | null)[];
      high?: (number | null)[];
      low?: (number | null)[];
      close?: (number | null)[];
      volume?: (number | null)[];
    }[];
    adjclose?: { adjclose?: (number | null)[] }[];
  };
}

interface ChartPayload {
  chart?: { result?: ChartResult[] | null; error?: { code?: string; description?: string } | null };
}

function toSeconds(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / 1000);
}

/**
 * Turns a Yahoo chart payload into bars. Missing values (Yahoo's `null`s)
 * become `NaN`, which validation reports as missing. An error payload, such
 * as the one for an unknown symbol, becomes a {@linkcode DataError}.
 *
 * @example
 * ```ts
 * const bars = parseYahooChart(JSON.parse(await Deno.readTextFile("fixtures/providers/yahoo_spy.json")), "SPY", "1d");
 * ```
 */
export function parseYahooChart(payload: unknown, symbol: string, interval: Interval): Bar[] {
  const chart = (payload as ChartPayload | null)?.chart;
  if (chart?.error) {
    const { code = "Error", description = "no description" } = chart.error;
    const unknown = code === "Not Found" || /delisted|no data/i.test(description);
    throw new DataError(
      unknown
        ? `Unknown symbol "${symbol}" at Yahoo: ${description}`
        : `Expected Yahoo bars for ${symbol}, found error ${code}: ${description}`,
    );
  }
  const result = chart?.result?.[0];
  if (!result) throw new DataError(`Expected a chart result from Yahoo for ${symbol}, found none`);
  const times = result.timestamp ?? [];
  const quote = result.indicators?.quote?.[0] ?? {};
  const adj = result.indicators?.adjclose?.[0]?.adjclose;
  const offset = result.meta?.gmtoffset ?? 0;
  const daily = interval === "1d" || interval === "1wk";
  const num = (values: (number | null)[] | undefined, i: number): number => values?.[i] ?? NaN;
  return times.map((t, i) => ({
    time: daily
      ? new Date((t + offset) * 1000).toISOString().slice(0, 10)
      : new Date(t * 1000).toISOString().replace(".000Z", "Z"),
    open: num(quote.open, i),
    high: num(quote.high, i),
    low: num(quote.low, i),
    close: num(quote.close, i),
    volume: num(quote.volume, i),
    ...(adj ? { adjClose: num(adj, i) } : {}),
  }));
}

/**
 * The Yahoo provider.
 *
 * @example
 * ```ts
 * const bars = await yahoo.fetchBars("SPY", { start: "2024-01-01", end: "2024-01-31", interval: "1d" });
 * ```
 */
export const yahoo: Provider = {
  name: "yahoo",
  async fetchBars(symbol: string, range: FetchRange, options: FetchOptions = {}): Promise<Bar[]> {
    const interval = YAHOO_INTERVALS[range.interval];
    if (!interval) throw new UsageError(`Expected a Yahoo interval, found "${range.interval}"`);
    const url = `https://query1.finance.yahoo.com/v8/finance/chart/${encodeURIComponent(symbol)}` +
      `?period1=${toSeconds(range.start)}&period2=${toSeconds(range.end) + 86_400}` +
      `&interval=${interval}&events=div%7Csplit&includeAdjustedClose=true`;
    const response = await fetchWithRetry(url, {
      ...options,
      what: `Yahoo bars for ${symbol}`,
      passStatus: [404],
    });
    let payload: unknown;
    try {
      payload = await response.json();
    } catch {
      throw new DataError(
        response.status === 404
          ? `Unknown symbol "${symbol}" at Yahoo: HTTP 404`
          : `Expected JSON from Yahoo for ${symbol}, found something else`,
      );
    }
    const bars = parseYahooChart(payload, symbol, range.interval)
      .filter((b) => b.time.slice(0, 10) >= range.start && b.time.slice(0, 10) <= range.end);
    // An intraday bar still trading (its close will change) is not a bar yet.
    return closedBars(bars, range.interval, options.now ?? new Date());
  },
};
