/**
 * The Alpaca market-data bars API (v2). Keys come from the environment
 * (`APCA_API_KEY_ID`, `APCA_API_SECRET_KEY`); pages are followed through
 * `next_page_token`. Prices are split- and dividend-adjusted
 * (`adjustment=all`), so bars carry no separate adjusted close.
 *
 * @module
 */

import type { Bar, FetchOptions, FetchRange, Interval, Provider } from "../types.ts";
import { closedBars } from "../interval.ts";
import { fetchWithRetry } from "../http.ts";
import { DataError } from "../../util/errors.ts";

const TIMEFRAMES: Record<Interval, string> = {
  "1m": "1Min",
  "5m": "5Min",
  "15m": "15Min",
  "30m": "30Min",
  "1h": "1Hour",
  "1d": "1Day",
  "1wk": "1Week",
};

/** One bar as Alpaca sends it. */
interface AlpacaBar {
  t: string;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
}

/** One page of Alpaca's bars response. */
interface AlpacaPage {
  bars?: AlpacaBar[] | null;
  next_page_token?: string | null;
}

/**
 * Turns one Alpaca page into bars and the token of the next page (`undefined`
 * on the last page).
 *
 * @example
 * ```ts
 * const { bars, next } = parseAlpacaPage({ bars: [], next_page_token: null }, "1d");
 * ```
 */
export function parseAlpacaPage(
  page: unknown,
  interval: Interval,
): { bars: Bar[]; next?: string } {
  const body = page as AlpacaPage | null;
  if (!body || typeof body !== "object") {
    throw new DataError(`Expected an Alpaca bars page, found ${JSON.stringify(page)}`);
  }
  const daily = interval === "1d" || interval === "1wk";
  const bars = (body.bars ?? []).map((b) => ({
    time: daily ? b.t.slice(0, 10) : b.t,
    open: b.o ?? NaN,
    high: b.h ?? NaN,
    low: b.l ?? NaN,
    close: b.c ?? NaN,
    volume: b.v ?? NaN,
  }));
  return body.next_page_token ? { bars, next: body.next_page_token } : { bars };
}

/**
 * The Alpaca provider. Fails before any request when the keys are missing.
 *
 * @example
 * ```ts
 * const bars = await alpaca.fetchBars("SPY", { start: "2024-01-01", end: "2024-01-31", interval: "1d" });
 * ```
 */
export const alpaca: Provider = {
  name: "alpaca",
  async fetchBars(symbol: string, range: FetchRange, options: FetchOptions = {}): Promise<Bar[]> {
    const env = options.env ?? ((name: string) => Deno.env.get(name));
    const keyId = env("APCA_API_KEY_ID");
    const secret = env("APCA_API_SECRET_KEY");
    if (!keyId || !secret) {
      throw new DataError(
        "Expected Alpaca keys in the environment variables APCA_API_KEY_ID and APCA_API_SECRET_KEY, found them unset; set both or use --source yahoo|stooq|synthetic",
      );
    }
    const bars: Bar[] = [];
    let token: string | undefined;
    do {
      const url = new URL(
        `https://data.alpaca.markets/v2/stocks/${encodeURIComponent(symbol)}/bars`,
      );
      url.searchParams.set("timeframe", TIMEFRAMES[range.interval]);
      url.searchParams.set("start", range.start);
      url.searchParams.set("end", range.end);
      url.searchParams.set("limit", "10000");
      url.searchParams.set("adjustment", "all");
      url.searchParams.set("feed", "iex");
      if (token) url.searchParams.set("page_token", token);
      const response = await fetchWithRetry(url.toString(), {
        ...options,
        what: `Alpaca bars for ${symbol}`,
        headers: { "APCA-API-KEY-ID": keyId, "APCA-API-SECRET-KEY": secret },
      });
      const page = parseAlpacaPage(await response.json(), range.interval);
      bars.push(...page.bars);
      token = page.next;
    } while (token);
    // An intraday bar still trading (its close will change) is not a bar yet.
    return closedBars(bars, range.interval, options.now ?? new Date());
  },
};
