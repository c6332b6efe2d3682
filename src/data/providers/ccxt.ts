/**
 * Exchange bars through CCXT (npm `ccxt`, one API over more than 100 crypto
 * exchanges): `prepare --source ccxt --exchange binance --ticker BTC/USDT
 * --interval 1h`. Bars are fetched page by page (`fetchOHLCV` with `since`
 * and `limit`, waiting the exchange's rate limit between pages), the candle
 * still forming at `now` is dropped, and every failure is one line: an
 * exchange CCXT does not know, a pair the exchange does not list, an
 * interval it does not offer, an exchange that cannot be reached (CCXT's
 * `NetworkError`), or a host `--allow-net` does not allow.
 *
 * CCXT is loaded only when this source is used (it is large); tests inject
 * an {@linkcode ExchangeClient} that replays recorded replies
 * (`options.exchangeClient`), or CCXT's own client with an injected `fetch`.
 *
 * @module
 */

import type {
  Bar,
  ExchangeClient,
  FetchOptions,
  FetchRange,
  Interval,
  Provider,
} from "../types.ts";
import { INTERVALS } from "../types.ts";
import { intervalMs, isIntraday } from "../interval.ts";
import { DataError, UsageError } from "../../util/errors.ts";

/**
 * CCXT's timeframe for each interval of the module (`1wk` is CCXT's `1w`).
 *
 * @example
 * ```ts
 * CCXT_TIMEFRAMES["1wk"]; // "1w"
 * ```
 */
export const CCXT_TIMEFRAMES: Readonly<Record<Interval, string>> = {
  "1m": "1m",
  "5m": "5m",
  "15m": "15m",
  "30m": "30m",
  "1h": "1h",
  "1d": "1d",
  "1wk": "1w",
};

/**
 * Bars asked for per `fetchOHLCV` call (an exchange may give fewer; paging
 * goes on from the last bar it gave).
 *
 * @example
 * ```ts
 * CCXT_PAGE_LIMIT; // 1000
 * ```
 */
export const CCXT_PAGE_LIMIT = 1000;

/** CCXT's error classes that mean the exchange could not be reached (its `NetworkError` family). */
const NETWORK_ERRORS = new Set([
  "NetworkError",
  "DDoSProtection",
  "RateLimitExceeded",
  "ExchangeNotAvailable",
  "OnMaintenance",
  "InvalidNonce",
  "RequestTimeout",
]);

const EXCHANGE_ID = /^[a-z][a-z0-9_]{0,39}$/;

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The hosts of every URL under `value` (CCXT's `urls.api` is a string or nested records), with
 * `{hostname}` written as the exchange's `hostname`.
 */
function hostsOf(value: unknown, hostname: string, into: Set<string> = new Set()): Set<string> {
  if (typeof value === "string") {
    try {
      into.add(new URL(value.replaceAll("{hostname}", hostname)).host);
    } catch {
      // not a URL
    }
  } else if (value && typeof value === "object") {
    for (const v of Object.values(value)) hostsOf(v, hostname, into);
  }
  return into;
}

/**
 * The exchanges whose API hosts `deno task prepare` and `deno task retrain` allow in
 * `--allow-net` (deno.json), with those hosts: where CCXT fetches markets and bars of spot
 * pairs (and, for binance, of its USDT and coin perpetuals). Another exchange's prepare is
 * told, in one line, which host to add.
 *
 * @example
 * ```ts
 * TASK_EXCHANGE_HOSTS.binance; // ["api.binance.com", "fapi.binance.com", "dapi.binance.com"]
 * ```
 */
export const TASK_EXCHANGE_HOSTS: Readonly<Record<string, readonly string[]>> = {
  binance: ["api.binance.com", "fapi.binance.com", "dapi.binance.com"],
  bybit: ["api.bybit.com"],
  coinbase: ["api.coinbase.com"],
  kraken: ["api.kraken.com"],
  okx: ["www.okx.com"],
};

/**
 * The API hosts of an exchange client (what `--allow-net` must allow for
 * it), sorted.
 *
 * @example
 * ```ts
 * apiHosts(new (await import("ccxt")).kraken()); // ["api.kraken.com", "futures.kraken.com", …]
 * ```
 */
export function apiHosts(client: Pick<ExchangeClient, "urls" | "hostname">): string[] {
  const hostname = client.hostname ?? "example.invalid";
  return [...hostsOf(client.urls?.api, hostname)].filter((h) => !h.endsWith("example.invalid"))
    .sort();
}

/** The first line of an error's message, cut to 200 characters. */
function firstLine(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).split("\n")[0].trim();
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Whether `error` is a refused permission (Deno's `NotCapable`, or CCXT's wrapping of one). */
function isPermissionError(error: unknown): boolean {
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return true;
  }
  return /Requires net access|NotCapable/.test(error instanceof Error ? error.message : "");
}

/** Whether `error` is CCXT's `NetworkError` or one of its subclasses (by class name). */
function isNetworkError(error: unknown): boolean {
  let proto = error && typeof error === "object" ? Object.getPrototypeOf(error) : null;
  while (proto && proto !== Error.prototype) {
    if (NETWORK_ERRORS.has(proto.constructor?.name)) return true;
    proto = Object.getPrototypeOf(proto);
  }
  return error instanceof Error && NETWORK_ERRORS.has(error.name);
}

/** Runs one request to the exchange; its failures become one {@linkcode DataError} line. */
async function ask<T>(client: ExchangeClient, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof DataError || error instanceof UsageError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    // The host the failing request went to, else the exchange's first API host.
    const host = /Requires net access to "([^"]+)"/.exec(message)?.[1]?.replace(/:443$/, "") ??
      /https?:\/\/([^/\s:]+)/.exec(message)?.[1] ?? apiHosts(client)[0];
    const where = host ? ` (${host})` : "";
    if (isPermissionError(error)) throw netRefused(client, what, host);
    if (isNetworkError(error)) {
      throw new DataError(
        `Expected ${what} from ${client.id}${where}, found the exchange unreachable (${
          firstLine(error)
        })`,
      );
    }
    throw new DataError(`Expected ${what} from ${client.id}, found an error: ${firstLine(error)}`);
  }
}

/**
 * The one line of a request `--allow-net` refused: the exact host to add and the flag, and which
 * exchanges the prepare task already allows.
 */
function netRefused(client: ExchangeClient, what: string, host: string | undefined): DataError {
  const others = apiHosts(client).filter((h) => h !== host);
  const allowed = Object.keys(TASK_EXCHANGE_HOSTS);
  return new DataError(
    `Expected network access to ${client.id}${
      host ? ` (${host})` : ""
    } for ${what}, found it not allowed: add ${
      host ? `--allow-net=${host}` : "the exchange's API hosts to --allow-net"
    }${
      others.length > 0 ? ` (its other API hosts: ${others.join(", ")})` : ""
    }; deno task prepare allows only ${allowed.slice(0, -1).join(", ")} and ${
      allowed.at(-1)
    } (README "Crypto venues")`,
  );
}

/**
 * CCXT's client for exchange `id` with its rate limit on (or the injected
 * one); an id CCXT does not know is a usage error naming a few it does.
 */
async function clientFor(id: string, options: FetchOptions): Promise<ExchangeClient> {
  if (!EXCHANGE_ID.test(id)) {
    throw new UsageError(
      `Expected an exchange id in lower case as CCXT names it (like binance or kraken), found "${id}"`,
    );
  }
  if (options.exchangeClient) return await options.exchangeClient(id);
  const ccxt = await import("ccxt").catch((error) => {
    const env = /Requires env access to "([^"]+)"/.exec(String(error?.message))?.[1];
    if (!env) throw error;
    throw new DataError(
      `Expected env access to ${env} (CCXT's websocket library reads it when it loads), found it not allowed: add --allow-env=${env}`,
    );
  });
  const classes = ccxt.exchanges as unknown as Record<string, unknown>;
  const known = Object.keys(classes);
  const Exchange = Object.hasOwn(classes, id) ? classes[id] : undefined;
  if (typeof Exchange !== "function") {
    const near = known.filter((k) => k.startsWith(id.slice(0, 3))).slice(0, 5);
    throw new UsageError(
      `Expected an exchange CCXT knows (${
        near.length > 0 ? near.join(", ") : "like binance, coinbase, kraken, okx"
      }), found "${id}"`,
    );
  }
  const client = new (Exchange as new (config: Record<string, unknown>) => ExchangeClient)({
    enableRateLimit: true,
    timeout: options.timeoutMs ?? 15_000,
  });
  // CCXT takes a user fetch before its own (tests point it at a refused port).
  if (options.fetch && options.fetch !== globalThis.fetch) {
    (client as unknown as { fetchImplementation: typeof fetch }).fetchImplementation =
      options.fetch;
  }
  return client;
}

/** The module's intervals an exchange offers. */
function offered(client: ExchangeClient): Interval[] {
  const tfs = client.timeframes;
  return tfs ? INTERVALS.filter((i) => CCXT_TIMEFRAMES[i] in tfs) : [...INTERVALS];
}

/** A few of the exchange's pairs like `symbol` (same base or quote), for the error line. */
function likePairs(symbol: string, markets: Record<string, unknown>): string {
  const [base, quote] = symbol.split(/[/:]/);
  const all = Object.keys(markets);
  const like = all.filter((m) => m.startsWith(`${base}/`) || m.endsWith(`/${quote}`)).slice(0, 3);
  return (like.length > 0 ? like : all.slice(0, 3)).join(", ");
}

/**
 * The ISO time a bar of `interval` starting at `ms` is written with: its
 * date for daily and weekly bars, the UTC timestamp otherwise.
 */
function timeOf(ms: number, interval: Interval): string {
  const iso = new Date(ms).toISOString();
  return isIntraday(interval) ? iso.replace(".000Z", "Z") : iso.slice(0, 10);
}

/**
 * Fetches the bars of `symbol` on exchange `options.exchange` from
 * `range.start` to `range.end` (inclusive dates, UTC): pages of
 * {@linkcode CCXT_PAGE_LIMIT} from `since`, each next page from the bar after
 * the last one given, the exchange's `rateLimit` waited between pages, until
 * the range's end, `now`, or an empty page. The candle still forming at
 * `now` (its interval has not ended) is dropped.
 *
 * @example
 * ```ts
 * const bars = await fetchCcxtBars("BTC/USDT", { start: "2024-01-01", end: "2024-01-07", interval: "1h" }, {
 *   exchange: "binance",
 * });
 * ```
 */
export async function fetchCcxtBars(
  symbol: string,
  range: FetchRange,
  options: FetchOptions = {},
): Promise<Bar[]> {
  const id = options.exchange;
  if (id === undefined || id === "") {
    throw new UsageError("Expected --exchange NAME with --source ccxt (like binance), found none");
  }
  const client = await clientFor(id, options);
  try {
    const intervals = offered(client);
    if (!intervals.includes(range.interval)) {
      throw new UsageError(
        `Expected an interval ${client.id} offers (${
          intervals.join(", ")
        }), found "${range.interval}"`,
      );
    }
    const markets = await ask(client, "its markets", () => client.loadMarkets());
    if (!Object.hasOwn(markets, symbol)) {
      throw new DataError(
        `Expected a pair ${client.id} lists (like ${
          likePairs(symbol, markets)
        }), found "${symbol}"`,
      );
    }
    const step = intervalMs(range.interval);
    const now = (options.now ?? new Date()).getTime();
    const endMs = Math.min(Date.parse(`${range.end}T00:00:00Z`) + 86_400_000, now);
    const sleep = options.sleep ?? defaultSleep;
    const timeframe = CCXT_TIMEFRAMES[range.interval];
    const byTime = new Map<number, Bar>();
    let since = Date.parse(`${range.start}T00:00:00Z`);
    for (let page = 0; since < endMs; page++) {
      if (page > 0) await sleep(client.rateLimit);
      const from = since;
      const rows = await ask(
        client,
        `${timeframe} bars of ${symbol}`,
        () => client.fetchOHLCV(symbol, timeframe, from, CCXT_PAGE_LIMIT),
      );
      let last = -Infinity;
      for (const row of rows) {
        const ms = Number(row[0]);
        if (!Number.isFinite(ms)) continue;
        last = Math.max(last, ms);
        // Only bars in the range whose interval has ended by now.
        if (ms < from || ms >= endMs || ms + step > now) continue;
        const [, open, high, low, close, volume] = row.map((v) => v ?? NaN);
        byTime.set(ms, { time: timeOf(ms, range.interval), open, high, low, close, volume });
      }
      // An empty page, or one that does not move forward, ends the history.
      if (rows.length === 0 || !(last >= from)) break;
      since = last + step;
    }
    return [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([, bar]) => bar);
  } finally {
    await client.close?.().catch(() => undefined);
  }
}

/**
 * The `ccxt` provider: bars of an exchange pair (`BTC/USDT`, a perpetual
 * `BTC/USDT:USDT`) from the exchange `options.exchange` names; see
 * {@linkcode fetchCcxtBars}.
 *
 * @example
 * ```ts
 * const bars = await ccxtProvider.fetchBars("BTC/USDT", { start: "2024-01-01", end: "2024-01-31", interval: "1h" }, {
 *   exchange: "binance",
 * });
 * ```
 */
export const ccxtProvider: Provider = {
  name: "ccxt",
  fetchBars: fetchCcxtBars,
};
