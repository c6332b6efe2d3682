/**
 * The bar cache: `<dataDir>/<TICKER>_<interval>.csv` (columns
 * `time,open,high,low,close,adj_close,volume`) and a metadata file
 * `<TICKER>_<interval>.meta.json` (source, fetch time, range, row count,
 * SHA-256 of the CSV, and for other venues than the NYSE the venue and the
 * exchange). An exchange pair's `/` and `:` are not safe in a file name:
 * `BTC/USDT:USDT` is cached as `BTC_USDT+USDT_1h.csv` ({@linkcode fileStemOf},
 * undone by {@linkcode symbolOfFileStem}).
 *
 * The two files are one pair, and a process killed at any moment leaves a
 * pair a reader can use. An update writes the new CSV under a temporary name
 * first, then replaces the metadata with one that describes the new CSV and
 * also carries the metadata of the CSV still in place (`previous`), then
 * renames the new CSV into place, and finally rewrites the metadata without
 * `previous`. Each step is one atomic rename. A reader hashes the CSV and
 * takes the metadata that matches it: the new pair, or (killed between the
 * two renames) the old one named in `previous`. Caches written before
 * `previous` existed read as they always did.
 *
 * @module
 */

import { z } from "zod";
import type { Bar, Interval, Series, SourceName } from "./types.ts";
import { type Venue, VENUES } from "./calendar.ts";
import { INTERVALS, SOURCES } from "./types.ts";
import { formatBarsCsv, parseBarsCsv } from "./csv.ts";
import { validateBars } from "./validate.ts";
import { atomicWriteFile, joinPath, sha256Hex, testPause } from "../util/fs.ts";
import { DataError } from "../util/errors.ts";

/** The metadata stored next to a cached CSV. */
export interface CacheMeta {
  /** Upper-case ticker. */
  ticker: string;
  /** Bar interval. */
  interval: Interval;
  /** Where the bars came from (the last source that added or replaced bars). */
  source: SourceName;
  /** True for generated data: these are not real prices. */
  synthetic: boolean;
  /** Seed of synthetic data, else `null`. */
  seed: number | null;
  /** When the last fetch ran (ISO); `null` for synthetic data, so reruns are byte-identical. */
  fetchedAt: string | null;
  /** First bar's time. */
  first: string;
  /** Last bar's time. */
  last: string;
  /** Number of bars. */
  rows: number;
  /** Lowercase hex SHA-256 of the CSV file. */
  sha256: string;
  /** Whose calendar the bars follow; absent for the NYSE (caches written before venues). */
  venue?: Venue;
  /** The exchange of a `ccxt` cache (like `binance`). */
  exchange?: string;
}

const META_SCHEMA = z.object({
  ticker: z.string(),
  interval: z.enum(INTERVALS),
  source: z.enum(SOURCES),
  synthetic: z.boolean(),
  seed: z.number().nullable(),
  fetchedAt: z.string().nullable(),
  first: z.string(),
  last: z.string(),
  rows: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  venue: z.enum(VENUES).optional(),
  exchange: z.string().regex(/^[a-z0-9_]{1,40}$/).optional(),
});

/** The metadata file: a pair's metadata, and during an update the pair it replaces. */
const DISK_META_SCHEMA = META_SCHEMA.extend({ previous: META_SCHEMA.nullable().optional() });

type DiskMeta = CacheMeta & { previous?: CacheMeta | null };

/**
 * The file-name stem of a symbol: itself, with an exchange pair's `/` written
 * `_` and its settlement `:` written `+` (`BTC/USDT` → `BTC_USDT`,
 * `BTC/USDT:USDT` → `BTC_USDT+USDT`); tickers contain neither `_` nor `+`,
 * so {@linkcode symbolOfFileStem} undoes it.
 *
 * @example
 * ```ts
 * fileStemOf("BTC/USDT:USDT"); // "BTC_USDT+USDT"
 * fileStemOf("SPY"); // "SPY"
 * ```
 */
export function fileStemOf(symbol: string): string {
  return symbol.replaceAll("/", "_").replaceAll(":", "+");
}

/**
 * The symbol a file-name stem names (see {@linkcode fileStemOf}).
 *
 * @example
 * ```ts
 * symbolOfFileStem("BTC_USDT+USDT"); // "BTC/USDT:USDT"
 * ```
 */
export function symbolOfFileStem(stem: string): string {
  return stem.replaceAll("_", "/").replaceAll("+", ":");
}

/**
 * The cache's file paths for a ticker and interval.
 *
 * @example
 * ```ts
 * cachePaths("SPY", { dataDir: "data", interval: "1d" }).csv; // "data/SPY_1d.csv"
 * cachePaths("BTC/USDT", { dataDir: "data", interval: "1h" }).csv; // "data/BTC_USDT_1h.csv"
 * ```
 */
export function cachePaths(
  ticker: string,
  options: { dataDir: string; interval: Interval },
): { csv: string; meta: string } {
  const base = joinPath(options.dataDir, `${fileStemOf(ticker)}_${options.interval}`);
  return { csv: `${base}.csv`, meta: `${base}.meta.json` };
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    if (error instanceof Deno.errors.IsADirectory) {
      throw new DataError(`Expected a file at ${path}, found a folder`);
    }
    throw error;
  }
}

function parseMeta(text: string, path: string): DiskMeta {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DataError(
      `Expected JSON in ${path}, found unreadable text; run prepare again with --replace`,
    );
  }
  const parsed = DISK_META_SCHEMA.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DataError(
      `Expected cache metadata in ${path}, found ${
        issue.path.length ? `a bad field ${issue.path.join(".")}` : "something else"
      }; run prepare again with --replace`,
    );
  }
  return parsed.data as DiskMeta;
}

function withoutPrevious(meta: DiskMeta): CacheMeta {
  const { previous: _previous, ...rest } = meta;
  return rest;
}

/** The metadata of `meta` (or of the pair it replaces) that describes a CSV with `hash`. */
function matching(meta: DiskMeta | undefined, hash: string): CacheMeta | undefined {
  if (!meta) return undefined;
  if (meta.sha256 === hash) return withoutPrevious(meta);
  if (meta.previous && meta.previous.sha256 === hash) return meta.previous;
  return undefined;
}

/**
 * Reads the whole pair on disk: the CSV text and the metadata that describes
 * it, or `undefined` when nothing is cached. Reads the metadata before and,
 * if needed, after the CSV, so a concurrent update never looks like damage.
 */
async function readPair(
  paths: { csv: string; meta: string },
): Promise<{ text: string; meta: CacheMeta } | undefined> {
  const firstMetaText = await readOptional(paths.meta);
  const text = await readOptional(paths.csv);
  if (text === undefined) {
    // No CSV: nothing cached, or a first write killed before its CSV arrived.
    return undefined;
  }
  const hash = await sha256Hex(text);
  const before = firstMetaText === undefined ? undefined : parseMeta(firstMetaText, paths.meta);
  const found = matching(before, hash);
  if (found) return { text, meta: found };
  const afterText = await readOptional(paths.meta);
  const after = afterText === undefined ? undefined : parseMeta(afterText, paths.meta);
  const later = matching(after, hash);
  if (later) return { text, meta: later };
  if (!after) {
    // A CSV without metadata cannot come from the write order (the metadata lands first): a
    // damaged cache, which no import may overwrite unasked and no command may read as bars.
    throw new DataError(
      `Expected ${paths.meta} beside ${paths.csv}, found none: the cache is damaged; run prepare again with --replace`,
    );
  }
  throw new DataError(
    `Expected ${paths.csv} to match the hash in ${paths.meta}, found a different file; run prepare again with --replace`,
  );
}

/**
 * Reads a cached series and its metadata, or `undefined` when nothing is
 * cached. The pair an interrupted update left is read as the pair it
 * replaced; a CSV that matches no metadata, or has none, is a {@linkcode DataError}.
 *
 * @example
 * ```ts
 * const cached = await readCache("SPY", { dataDir: "data", interval: "1d" });
 * cached?.series.bars.length;
 * ```
 */
export async function readCache(
  ticker: string,
  options: { dataDir: string; interval: Interval },
): Promise<{ series: Series; meta: CacheMeta } | undefined> {
  const paths = cachePaths(ticker, options);
  const pair = await readPair(paths);
  if (!pair) return undefined;
  const { bars } = validateBars(parseBarsCsv(pair.text, { name: paths.csv }), {
    interval: options.interval,
    strict: true,
    label: paths.csv,
    // What the cache holds was validated on the way in (by this version or an
    // older one): read it as it is.
    badPrints: "ignore",
    calendar: false,
  });
  checkMeta(pair.meta, paths, ticker, options.interval, bars);
  const { venue, exchange } = pair.meta;
  return {
    series: {
      symbol: ticker,
      interval: options.interval,
      source: pair.meta.source,
      bars,
      ...(venue ? { venue } : {}),
      ...(exchange ? { exchange } : {}),
    },
    meta: pair.meta,
  };
}

/**
 * Refuses a cache whose metadata describes other bars than its CSV holds (an
 * edited or copied meta file): the ticker, interval, row count and range must
 * agree, or the cache is not trusted.
 */
function checkMeta(
  meta: CacheMeta,
  paths: { csv: string; meta: string },
  ticker: string,
  interval: Interval,
  bars: readonly Bar[],
): void {
  const wrong = (what: string, expected: string, found: string): never => {
    throw new DataError(
      `Expected ${paths.meta} to describe ${paths.csv} (${what} ${expected}), found ${what} ${found}; run prepare again with --replace`,
    );
  };
  if (meta.ticker.toUpperCase() !== ticker.toUpperCase()) wrong("ticker", ticker, meta.ticker);
  if (meta.interval !== interval) wrong("interval", interval, meta.interval);
  if (meta.rows !== bars.length) wrong("rows", String(bars.length), String(meta.rows));
  if (bars.length > 0) {
    const range = `${bars[0].time}..${bars[bars.length - 1].time}`;
    if (meta.first !== bars[0].time || meta.last !== bars[bars.length - 1].time) {
      wrong("range", range, `${meta.first}..${meta.last}`);
    }
  }
}

/** One bar whose cached values differ from the new ones. */
export interface CacheConflict {
  /** The bar's time. */
  time: string;
  /** The cached bar. */
  cached: Bar;
  /** The new bar. */
  incoming: Bar;
}

/** How new bars compare with the cached ones. */
export interface MergeCounts {
  /** Bars at times the cache did not have. */
  added: number;
  /** Bars equal to the cached ones. */
  unchanged: number;
  /** Bars whose values differ from the cached ones. */
  conflicting: number;
  /** Cached bars that the written cache no longer has (a replace only). */
  removed: number;
  /** The first conflicts, oldest first (at most 20). */
  conflicts: CacheConflict[];
}

const MAX_CONFLICTS = 20;

function sameBar(a: Bar, b: Bar): boolean {
  return a.open === b.open && a.high === b.high && a.low === b.low && a.close === b.close &&
    a.volume === b.volume && a.adjClose === b.adjClose;
}

/**
 * Compares `incoming` bars with `cached` ones and merges them: new times are
 * added; at a time both have, equal bars are unchanged and different ones
 * conflict, and the cached bar is kept unless `replace` is set, in which case
 * the result is `incoming` alone (cached bars at other times are removed).
 *
 * @example
 * ```ts
 * const { bars, added } = mergeBars(cachedBars, newBars, { replace: false });
 * ```
 */
export function mergeBars(
  cached: readonly Bar[],
  incoming: readonly Bar[],
  options: { replace?: boolean } = {},
): MergeCounts & { bars: Bar[] } {
  const byTime = new Map(cached.map((b) => [b.time, b]));
  const counts: MergeCounts = { added: 0, unchanged: 0, conflicting: 0, removed: 0, conflicts: [] };
  const seen = new Set<string>();
  for (const bar of incoming) {
    seen.add(bar.time);
    const old = byTime.get(bar.time);
    if (!old) counts.added++;
    else if (sameBar(old, bar)) counts.unchanged++;
    else {
      counts.conflicting++;
      if (counts.conflicts.length < MAX_CONFLICTS) {
        counts.conflicts.push({ time: bar.time, cached: old, incoming: bar });
      }
    }
  }
  if (options.replace) {
    counts.removed = cached.filter((b) => !seen.has(b.time)).length;
    return { ...counts, bars: [...incoming] };
  }
  const merged = new Map(byTime);
  for (const bar of incoming) if (!merged.has(bar.time)) merged.set(bar.time, bar);
  const bars = [...merged.values()].sort((a, b) => a.time < b.time ? -1 : a.time > b.time ? 1 : 0);
  return { ...counts, bars };
}

/** Options of {@linkcode updateCache}. */
export interface UpdateCacheOptions {
  /** The data folder. */
  dataDir: string;
  /** Fetch time to record (ISO), or `null` (synthetic data). */
  fetchedAt: string | null;
  /** Seed of synthetic data. */
  seed?: number;
  /**
   * `replace` (default) writes `series` as the whole cache; `merge` adds the
   * bars at new times to what is cached and keeps the cached bar where both
   * have one; `append` adds only bars after the cached last bar.
   */
  mode?: "replace" | "merge" | "append";
}

/**
 * Writes `series` to the cache as one pair (see the module note: a kill at
 * any moment leaves the old or the new pair readable) and returns the
 * metadata, the CSV path, the bars written and how the new bars compared
 * with the cached ones.
 *
 * @example
 * ```ts
 * const { meta } = await updateCache(
 *   { symbol: "SPY", interval: "1d", source: "synthetic", bars },
 *   { dataDir: "data", fetchedAt: null, seed: 42 },
 * );
 * ```
 */
export async function updateCache(
  series: Series,
  options: UpdateCacheOptions,
): Promise<MergeCounts & { meta: CacheMeta; path: string; bars: Bar[] }> {
  const interval = series.interval;
  const paths = cachePaths(series.symbol, { dataDir: options.dataDir, interval });
  const mode = options.mode ?? "replace";
  const cached = await readCache(series.symbol, { dataDir: options.dataDir, interval })
    .catch((error) => {
      if (mode === "replace") return undefined; // replaced whole: what was there does not matter
      throw error;
    });
  const incoming = mode === "append" && cached
    ? series.bars.filter((b) => b.time > cached.meta.last)
    : series.bars;
  const merged = mergeBars(cached?.series.bars ?? [], incoming, { replace: mode === "replace" });
  const bars = merged.bars;
  if (bars.length === 0) {
    throw new DataError(`Expected bars to cache for ${series.symbol}, found none`);
  }
  // The source named is the one that brought the bars, unless it added nothing.
  const keepSource = cached && mode !== "replace" && merged.added === 0;
  const source = keepSource ? cached.meta.source : series.source;
  const csv = formatBarsCsv(bars);
  const meta: CacheMeta = {
    ticker: series.symbol,
    interval,
    source,
    synthetic: source === "synthetic",
    seed: source === "synthetic" ? (keepSource ? cached.meta.seed : options.seed ?? null) : null,
    fetchedAt: keepSource ? cached.meta.fetchedAt : options.fetchedAt,
    first: bars[0].time,
    last: bars[bars.length - 1].time,
    rows: bars.length,
    sha256: await sha256Hex(csv),
    // Written only for other venues than the NYSE, so an NYSE cache's metadata stays as it was.
    ...(series.venue && series.venue !== "nyse" ? { venue: series.venue } : {}),
    ...(series.exchange ? { exchange: series.exchange } : {}),
  };
  await writePair(paths, csv, meta, cached?.meta ?? null);
  return { ...merged, meta, path: paths.csv, bars };
}

const metaText = (meta: DiskMeta): string => `${JSON.stringify(meta, null, 2)}\n`;

/**
 * The write order that keeps the pair whole: CSV to a temporary file; the
 * metadata naming both the new CSV and the old pair; the CSV renamed into
 * place; the metadata without the old pair. The test hook's points, in
 * order: `cache-write`, `cache-meta` (before the metadata's rename),
 * `cache-rename` (between the metadata's and the CSV's rename),
 * `cache-meta-final`, `cache-done`.
 */
async function writePair(
  paths: { csv: string; meta: string },
  csv: string,
  meta: CacheMeta,
  previous: CacheMeta | null,
): Promise<void> {
  await testPause("cache-write");
  await atomicWriteFile(paths.csv, csv, {
    beforeRename: async () => {
      await atomicWriteFile(paths.meta, metaText({ ...meta, previous }), {
        beforeRename: () => testPause("cache-meta"),
      });
      await testPause("cache-rename");
    },
  });
  await atomicWriteFile(paths.meta, metaText(meta), {
    beforeRename: () => testPause("cache-meta-final"),
  });
  await testPause("cache-done");
}
