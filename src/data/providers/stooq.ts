/**
 * Stooq's daily CSV download (no key). Symbols without an exchange suffix get
 * `.us`; the body "No data" means an unknown symbol.
 *
 * @module
 */

import type { Bar, FetchOptions, FetchRange, Interval, Provider } from "../types.ts";
import { fetchWithRetry } from "../http.ts";
import { parseBarsCsv } from "../csv.ts";
import { DataError, UsageError } from "../../util/errors.ts";

const STOOQ_INTERVALS: Partial<Record<Interval, string>> = { "1d": "d", "1wk": "w" };

function cellNumber(value: unknown): number {
  if (typeof value === "number") return value;
  const text = typeof value === "string" ? value.trim() : "";
  return text === "" ? NaN : Number(text);
}

/**
 * Turns a Stooq CSV reply into bars; "No data" becomes an unknown-symbol
 * {@linkcode DataError}. Unparseable cells become `NaN` for validation to report.
 *
 * @example
 * ```ts
 * parseStooqCsv("Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1.5,100\n", "SPY").length; // 1
 * ```
 */
export function parseStooqCsv(text: string, symbol: string): Bar[] {
  if (/^\s*no data\s*$/i.test(text)) {
    throw new DataError(`Unknown symbol "${symbol}" at Stooq: it replied "No data"`);
  }
  return parseBarsCsv(text, { name: `Stooq's reply for ${symbol}` }).map((raw) => ({
    time: raw.time ?? "",
    open: cellNumber(raw.open),
    high: cellNumber(raw.high),
    low: cellNumber(raw.low),
    close: cellNumber(raw.close),
    volume: cellNumber(raw.volume),
  }));
}

/**
 * The Stooq symbol for a ticker: lower-case, `.us` appended when there is no suffix.
 *
 * @example
 * ```ts
 * stooqSymbol("SPY"); // "spy.us"
 * ```
 */
export function stooqSymbol(symbol: string): string {
  const lower = symbol.toLowerCase();
  return lower.includes(".") || lower.startsWith("^") ? lower : `${lower}.us`;
}

/**
 * The Stooq provider (daily and weekly bars).
 *
 * @example
 * ```ts
 * const bars = await stooq.fetchBars("SPY", { start: "2024-01-01", end: "2024-01-31", interval: "1d" });
 * ```
 */
export const stooq: Provider = {
  name: "stooq",
  async fetchBars(symbol: string, range: FetchRange, options: FetchOptions = {}): Promise<Bar[]> {
    const i = STOOQ_INTERVALS[range.interval];
    if (!i) {
      throw new UsageError(`Expected --interval 1d or 1wk for Stooq, found "${range.interval}"`);
    }
    const compact = (d: string): string => d.replaceAll("-", "");
    const url = `https://stooq.com/q/d/l/?s=${encodeURIComponent(stooqSymbol(symbol))}` +
      `&d1=${compact(range.start)}&d2=${compact(range.end)}&i=${i}`;
    const response = await fetchWithRetry(url, { ...options, what: `Stooq bars for ${symbol}` });
    return parseStooqCsv(await response.text(), symbol);
  },
};
