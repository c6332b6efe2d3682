/**
 * HTTP for the live providers: a timeout per request, retries with
 * exponential backoff on 429 and 5xx (honouring `Retry-After`), and one clear
 * {@linkcode DataError} on 401/403 (credentials), 404 and other client errors.
 *
 * @module
 */

import type { FetchOptions } from "./types.ts";
import { DataError } from "../util/errors.ts";

/** Options of {@linkcode fetchWithRetry}. */
export interface HttpOptions extends FetchOptions {
  /** Request headers. */
  headers?: Record<string, string>;
  /** What is being fetched, for messages ("Yahoo bars for SPY"). */
  what?: string;
  /** Statuses returned to the caller instead of thrown (Yahoo explains a 404 in its body). */
  passStatus?: readonly number[];
}

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function retryDelay(response: Response | undefined, attempt: number): number {
  const header = response?.headers.get("retry-after");
  const seconds = header === null || header === undefined ? NaN : Number(header);
  const delay = Number.isFinite(seconds) && seconds >= 0
    ? seconds * 1000
    : BASE_DELAY_MS * 2 ** attempt;
  return Math.min(delay, MAX_DELAY_MS);
}

/**
 * GETs `url` and returns the successful response. Retries `options.retries`
 * times (default 3) on 429, 5xx and network errors, waiting 0.5 s, 1 s, 2 s, …
 * between attempts; each attempt times out after `options.timeoutMs`
 * (default 15 000 ms).
 *
 * @example
 * ```ts
 * const response = await fetchWithRetry("https://stooq.com/q/d/l/?s=spy.us&i=d", { what: "Stooq bars for SPY" });
 * const text = await response.text();
 * ```
 */
export async function fetchWithRetry(url: string, options: HttpOptions = {}): Promise<Response> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const sleep = options.sleep ?? defaultSleep;
  const retries = options.retries ?? 3;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const what = options.what ?? url;
  const host = new URL(url).host;
  for (let attempt = 0;; attempt++) {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let response: Response | undefined;
    let failure: string;
    try {
      response = await doFetch(url, { headers: options.headers, signal });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      failure = timeout.aborted
        ? `no response within ${timeoutMs} ms`
        : `a network error (${error instanceof Error ? error.message : String(error)})`;
    }
    if (response) {
      const status = response.status;
      if (response.ok || options.passStatus?.includes(status)) return response;
      await response.body?.cancel();
      if (status === 401 || status === 403) {
        throw new DataError(
          `Expected ${host} to accept the credentials for ${what}, found HTTP ${status} ${response.statusText}`
            .trim(),
        );
      }
      if (status === 404) {
        throw new DataError(`Expected ${what} at ${host}, found HTTP 404 (unknown symbol or URL)`);
      }
      if (status !== 429 && status < 500) {
        throw new DataError(
          `Expected ${what} from ${host}, found HTTP ${status} ${response.statusText}`.trim(),
        );
      }
      failure = `HTTP ${status}`;
    }
    if (attempt >= retries) {
      throw new DataError(
        `Expected ${what} from ${host}, found ${failure!} after ${attempt + 1} attempts`,
      );
    }
    await sleep(retryDelay(response, attempt));
  }
}
