/**
 * The bar cache: `<dataDir>/<TICKER>_<interval>.csv` (columns
 * `time,open,high,low,close,adj_close,volume`) and a metadata file
 * `<TICKER>_<interval>.meta.json` (source, fetch time, range, row count,
 * SHA-256 of the CSV). Both are written atomically, CSV first; the hash lets
 * a reader notice a CSV that does not match its metadata.
 *
 * @module
 */

import type { Bar, Interval, Series, SourceName } from "./types.ts";
import { formatBarsCsv, parseBarsCsv } from "./csv.ts";
import { validateBars } from "./validate.ts";
import { atomicWriteFile, joinPath, sha256Hex } from "../util/fs.ts";
import { DataError } from "../util/errors.ts";

/** The metadata stored next to a cached CSV. */
export interface CacheMeta {
  /** Upper-case ticker. */
  ticker: string;
  /** Bar interval. */
  interval: Interval;
  /** Where the bars came from. */
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
}

/**
 * The cache's file paths for a ticker and interval.
 *
 * @example
 * ```ts
 * cachePaths("SPY", { dataDir: "data", interval: "1d" }).csv; // "data/SPY_1d.csv"
 * ```
 */
export function cachePaths(
  ticker: string,
  options: { dataDir: string; interval: Interval },
): { csv: string; meta: string } {
  const base = joinPath(options.dataDir, `${ticker}_${options.interval}`);
  return { csv: `${base}.csv`, meta: `${base}.meta.json` };
}

/**
 * Reads a cached series and its metadata, or `undefined` when nothing is
 * cached. A CSV whose hash differs from its metadata is a {@linkcode DataError}.
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
  let text: string, metaText: string;
  try {
    [text, metaText] = await Promise.all([
      Deno.readTextFile(paths.csv),
      Deno.readTextFile(paths.meta),
    ]);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  let meta: CacheMeta;
  try {
    meta = JSON.parse(metaText) as CacheMeta;
  } catch {
    throw new DataError(`Expected JSON in ${paths.meta}, found unreadable text; run prepare again`);
  }
  if (meta.sha256 !== await sha256Hex(text)) {
    throw new DataError(
      `Expected ${paths.csv} to match the hash in ${paths.meta}, found a different file; run prepare again`,
    );
  }
  const { bars } = validateBars(parseBarsCsv(text, { name: paths.csv }), {
    interval: options.interval,
    strict: true,
    label: paths.csv,
  });
  return {
    series: { symbol: ticker, interval: options.interval, source: meta.source, bars },
    meta,
  };
}

/** Options of {@linkcode updateCache}. */
export interface UpdateCacheOptions {
  /** The data folder. */
  dataDir: string;
  /** Fetch time to record (ISO), or `null` (synthetic data). */
  fetchedAt: string | null;
  /** Seed of synthetic data. */
  seed?: number;
  /** `replace` (default) writes `series` as the whole cache; `append` adds bars after the cached last bar. */
  mode?: "replace" | "append";
}

/**
 * Writes `series` to the cache atomically (CSV, then metadata) and returns
 * the metadata, the CSV path and how many bars were added. With `mode:
 * "append"` only bars after the cached last bar are added to what is cached.
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
): Promise<{ meta: CacheMeta; path: string; added: number; bars: Bar[] }> {
  const paths = cachePaths(series.symbol, { dataDir: options.dataDir, interval: series.interval });
  let bars = series.bars;
  let added = bars.length;
  if (options.mode === "append") {
    const cached = await readCache(series.symbol, {
      dataDir: options.dataDir,
      interval: series.interval,
    });
    if (cached) {
      const last = cached.meta.last;
      const tail = series.bars.filter((b) => b.time > last);
      bars = [...cached.series.bars, ...tail];
      added = tail.length;
    }
  }
  if (bars.length === 0) {
    throw new DataError(`Expected bars to cache for ${series.symbol}, found none`);
  }
  const csv = formatBarsCsv(bars);
  const meta: CacheMeta = {
    ticker: series.symbol,
    interval: series.interval,
    source: series.source,
    synthetic: series.source === "synthetic",
    seed: series.source === "synthetic" ? options.seed ?? null : null,
    fetchedAt: options.fetchedAt,
    first: bars[0].time,
    last: bars[bars.length - 1].time,
    rows: bars.length,
    sha256: await sha256Hex(csv),
  };
  await atomicWriteFile(paths.csv, csv);
  await atomicWriteFile(paths.meta, JSON.stringify(meta, null, 2) + "\n");
  return { meta, path: paths.csv, added, bars };
}
