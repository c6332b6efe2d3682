/**
 * The market data types every other part of the module reads.
 *
 * @module
 */

import type { Venue } from "./calendar.ts";

/**
 * One OHLCV bar. `time` is ISO 8601: a date (`2024-01-02`) for daily and
 * weekly bars, a UTC timestamp (`2024-01-02T14:30:00Z`) for intraday bars.
 * `adjClose`, when a provider gives it, is the close adjusted for splits and
 * dividends; features and labels then use adjusted prices.
 *
 * @example
 * ```ts
 * const bar: Bar = { time: "2024-01-02", open: 472.2, high: 473.7, low: 470.5, close: 472.6, volume: 123456789 };
 * ```
 */
export interface Bar {
  /** ISO 8601 date or UTC timestamp of the bar's start. */
  time: string;
  /** Opening price. */
  open: number;
  /** Highest price. */
  high: number;
  /** Lowest price. */
  low: number;
  /** Closing price. */
  close: number;
  /** Traded volume (shares). */
  volume: number;
  /** Close adjusted for splits and dividends, when the source provides it. */
  adjClose?: number;
}

/** Bar intervals the module understands. Daily is the default everywhere. */
export const INTERVALS = ["1m", "5m", "15m", "30m", "1h", "1d", "1wk"] as const;
/** A bar interval: `1d` daily, `1wk` weekly, the others intraday. */
export type Interval = typeof INTERVALS[number];

/** Where bars came from. */
export const SOURCES = ["yahoo", "alpaca", "stooq", "csv", "synthetic", "ccxt"] as const;
/** A data source name, as accepted by `--source`. */
export type SourceName = typeof SOURCES[number];

/**
 * A series of bars for one symbol and interval, oldest first, with its origin.
 *
 * @example
 * ```ts
 * const series: Series = { symbol: "SPY", interval: "1d", source: "synthetic", bars: [] };
 * ```
 */
export interface Series {
  /** Upper-case ticker symbol. */
  symbol: string;
  /** Bar interval. */
  interval: Interval;
  /** The source the bars came from; `synthetic` data is never real prices. */
  source: SourceName;
  /** Bars sorted by time, oldest first, one per timestamp. */
  bars: Bar[];
  /** Whose calendar the bars follow (absent: `nyse`; `crypto` trades every interval). */
  venue?: Venue;
  /** The exchange a `ccxt` series came from (like `binance`). */
  exchange?: string;
}

/** The date range and interval of a fetch. Dates are inclusive ISO dates. */
export interface FetchRange {
  /** First date wanted (inclusive), `YYYY-MM-DD`. */
  start: string;
  /** Last date wanted (inclusive), `YYYY-MM-DD`. */
  end: string;
  /** Bar interval. */
  interval: Interval;
}

/** Options shared by every provider call. */
export interface FetchOptions {
  /** The `fetch` to use; tests inject one that replays recorded responses. */
  fetch?: typeof fetch;
  /** Aborts the request. */
  signal?: AbortSignal;
  /** Per-request timeout in milliseconds (default 15 000). */
  timeoutMs?: number;
  /** Retries on 429 and 5xx responses (default 3). */
  retries?: number;
  /** Environment lookup for API keys (default `Deno.env.get`). */
  env?: (name: string) => string | undefined;
  /** Seed for the synthetic provider (default 42). */
  seed?: number;
  /** Sleep used between retries (tests inject a no-op). */
  sleep?: (ms: number) => Promise<void>;
  /** The current time (default: the clock); intraday bars still open at this time are left out. */
  now?: Date;
  /** Whose calendar the bars follow (the synthetic source generates a 24/7 market for `crypto`). */
  venue?: Venue;
  /** The exchange of the `ccxt` source, as CCXT names it (like `binance`). */
  exchange?: string;
  /**
   * Makes the exchange client of the `ccxt` source (default: CCXT's own, with its rate limit);
   * tests inject one that replays recorded `fetchOHLCV` replies.
   */
  exchangeClient?: (id: string) => ExchangeClient | Promise<ExchangeClient>;
}

/**
 * The part of a CCXT exchange the `ccxt` source uses (CCXT's `Exchange` has
 * it); a test's stand-in replays recorded replies.
 *
 * @example
 * ```ts
 * const client: ExchangeClient = new (await import("ccxt")).binance();
 * ```
 */
export interface ExchangeClient {
  /** CCXT's id of the exchange (`binance`). */
  id: string;
  /** Milliseconds to wait between requests. */
  rateLimit: number;
  /** The timeframes the exchange offers, CCXT's name to the exchange's. */
  timeframes?: Record<string, unknown>;
  /** The API's base URLs (their hosts are what `--allow-net` must allow). */
  urls?: { api?: unknown };
  /** The host CCXT writes into `urls.api`'s `{hostname}` (bybit's `bybit.com`, okx's `www.okx.com`). */
  hostname?: string;
  /** Loads the exchange's markets, symbol → market. */
  loadMarkets(): Promise<Record<string, unknown>>;
  /** Bars as `[ms, open, high, low, close, volume]` from `since`, at most `limit` of them. */
  fetchOHLCV(
    symbol: string,
    timeframe?: string,
    since?: number,
    limit?: number,
  ): Promise<(number | undefined)[][]>;
  /** Closes the client's connections, when it has any. */
  close?(): Promise<unknown>;
}

/**
 * A source of bars. Each provider lives in its own module under
 * `src/data/providers/` and implements this interface.
 *
 * @example
 * ```ts
 * const bars = await provider.fetchBars("SPY", { start: "2023-01-01", end: "2023-12-31", interval: "1d" });
 * ```
 */
export interface Provider {
  /** The provider's `--source` name. */
  readonly name: SourceName;
  /** Fetches raw (not yet validated) bars for `symbol` in `range`. */
  fetchBars(symbol: string, range: FetchRange, options?: FetchOptions): Promise<Bar[]>;
}
