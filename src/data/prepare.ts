/**
 * The two entry points the commands use for one ticker: {@linkcode prepareTicker} (fetch or
 * import, validate, cache) and {@linkcode loadSeries} (read what `prepare` cached), with the
 * ticker check every path goes through ({@linkcode validateTicker}) and the provider of each
 * source ({@linkcode getProvider}).
 *
 * @example
 * ```ts
 * import { loadSeries } from "./prepare.ts";
 * const series = await loadSeries({ ticker: "SPY", source: "synthetic" });
 * ```
 *
 * @module
 */

import type { Bar, FetchOptions, Interval, Provider, Series, SourceName } from "./types.ts";
import { DataError, UsageError } from "../util/errors.ts";
import {
  type CacheConflict,
  type CacheMeta,
  cachePaths,
  mergeBars,
  readCache,
  updateCache,
} from "./cache.ts";
import {
  PROBLEM_KINDS,
  type RawBar,
  validateBars,
  type ValidateOptions,
  type ValidationReport,
} from "./validate.ts";
import { yahoo } from "./providers/yahoo.ts";
import { alpaca } from "./providers/alpaca.ts";
import { stooq } from "./providers/stooq.ts";
import { createCsvProvider, readCsvBars } from "./providers/csv.ts";
import { synthetic, SYNTHETIC_END, SYNTHETIC_SEED, syntheticVenue } from "./providers/synthetic.ts";
import { ccxtProvider } from "./providers/ccxt.ts";
import { isIntraday } from "./interval.ts";
import type { Venue } from "./calendar.ts";
import { lockFolder } from "../util/fs.ts";

const TICKER_RE = /^\^?[A-Z0-9][A-Z0-9.\-=]{0,19}$/;
/** An exchange pair as CCXT writes it: BASE/QUOTE, a derivative's :SETTLE and expiry after. */
const PAIR_RE =
  /^[A-Z0-9][A-Z0-9.\-]{0,19}\/[A-Z0-9]{2,10}(:[A-Z0-9]{2,10}(-[A-Z0-9]{1,10}){0,3})?$/;

/**
 * Checks a ticker before it touches a path and returns it upper-cased.
 * Empty, `../x`, `a/b` and anything not like `SPY`, `BRK.B`, `^GSPC`,
 * `EURUSD=X` or an exchange pair (`BTC/USDT`, a perpetual `BTC/USDT:USDT`;
 * the quote has at least two characters) are {@linkcode UsageError}s. A
 * pair's `/` and `:` never reach a path (see `cachePaths`).
 *
 * @example
 * ```ts
 * validateTicker("spy"); // "SPY"
 * validateTicker("btc/usdt"); // "BTC/USDT"
 * ```
 */
export function validateTicker(ticker: string): string {
  const upper = ticker.trim().toUpperCase();
  if (!(TICKER_RE.test(upper) || PAIR_RE.test(upper)) || upper.includes("..")) {
    throw new UsageError(
      `Expected a ticker of 1-20 letters, digits, '.', '-' or '=', optionally after a leading '^' (like SPY, BRK.B or ^GSPC), or an exchange pair (like BTC/USDT or BTC/USDT:USDT), found "${ticker}"`,
    );
  }
  return upper;
}

/**
 * The provider for a source name. `csv` needs the file: `{ csv: path }`.
 *
 * @example
 * ```ts
 * const bars = await getProvider("synthetic").fetchBars("SPY", { start: "2024-01-01", end: "2024-03-31", interval: "1d" });
 * ```
 */
export function getProvider(name: SourceName, options: { csv?: string } = {}): Provider {
  switch (name) {
    case "yahoo":
      return yahoo;
    case "alpaca":
      return alpaca;
    case "stooq":
      return stooq;
    case "synthetic":
      return synthetic;
    case "ccxt":
      return ccxtProvider;
    case "csv":
      if (!options.csv) throw new UsageError("Expected --csv FILE for --source csv, found none");
      return createCsvProvider(options.csv);
  }
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function yearsBefore(date: string, years: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCFullYear(d.getUTCFullYear() - years);
  return addDays(d.toISOString().slice(0, 10), 1);
}

const inRange = (bar: Bar, start?: string, end?: string): boolean => {
  const day = bar.time.slice(0, 10);
  return (start === undefined || day >= start) && (end === undefined || day <= end);
};

/**
 * How many real cached bars an update may remove or overwrite without
 * `replace`: a merge never does; a source that can only replace whole (the
 * synthetic generator) over a real cache does, and is refused beyond this.
 */
export const SHRINK_TOLERANCE = 5;

/** Options of {@linkcode prepareTicker}. */
export interface PrepareOptions extends FetchOptions {
  /** Where bars come from (default `synthetic`). */
  source?: SourceName;
  /** The CSV file for `source: "csv"`. */
  csv?: string;
  /**
   * The raw rows to import instead of reading `csv` (a long CSV's group of one
   * symbol, split in memory): implies `source: "csv"`; `label` names them.
   */
  rows?: readonly RawBar[];
  /** What error lines call `rows` (default: the `csv` path). */
  label?: string;
  /** First date (default: `years` before `end`). */
  start?: string;
  /** Last date (default: today for live sources, 2024-12-31 for synthetic). */
  end?: string;
  /**
   * Years of history when `start` is not given (default 5). A CSV import keeps the whole file
   * unless `years`, `start` or `end` is given; `years` then keeps the file's last N years.
   */
  years?: number;
  /** Bar interval (default `1d`). */
  interval?: Interval;
  /** The data folder (default `data`). */
  dataDir?: string;
  /** Fail on any data problem instead of repairing or dropping. */
  strict?: boolean;
  /**
   * Make the new bars the whole cache: conflicting cached bars are
   * overwritten and cached bars the new ones lack are removed. Without it new
   * bars are merged into a real cache and cached bars win conflicts.
   */
  replace?: boolean;
  /** The current time, for the live sources' default end and fetch time (tests fix it). */
  now?: Date;
  /**
   * How long to wait for another prepare writing in the same data folder, in
   * milliseconds (default two minutes), before refusing.
   */
  lockWaitMs?: number;
  /** Told once when another prepare holds the data folder's lock and this one waits. */
  onWait?: (message: string) => void;
  /**
   * Told how far an import of many symbols ({@linkcode prepareAllOrNothing}) has come: after
   * each symbol read, validated and merged (`read`), then after each cache written (`write`),
   * `done` of `total`. A prepare of one ticker does not call it.
   */
  onProgress?: (progress: ImportProgress) => void;
}

/**
 * How far an import of many symbols has come (see `PrepareOptions.onProgress`).
 *
 * @example
 * ```ts
 * const shown = (p: ImportProgress): string => `${p.phase === "read" ? "imported" : "wrote"} ${p.done}/${p.total}`;
 * ```
 */
export interface ImportProgress {
  /** `read`: symbols read, validated and merged in memory; `write`: caches written. */
  phase: "read" | "write";
  /** Symbols done in this phase (1, 2, … `total`). */
  done: number;
  /** Symbols in this phase. */
  total: number;
}

/**
 * The venue of a prepare's bars: `crypto` for the `ccxt` source, the venue
 * named, else a synthetic ticker's own ({@linkcode syntheticVenue}), else
 * `nyse`.
 */
function venueOf(symbol: string, source: SourceName, venue: Venue | undefined): Venue {
  if (source === "ccxt") return "crypto";
  return venue ?? (source === "synthetic" ? syntheticVenue(symbol) : "nyse");
}

/** What {@linkcode prepareTicker} did. */
export interface PrepareResult {
  /** Upper-case ticker. */
  ticker: string;
  /** The source used. */
  source: SourceName;
  /** The cached CSV. */
  path: string;
  /** Bars now in the cache. */
  rows: number;
  /** First cached bar's time. */
  first: string;
  /** Last cached bar's time. */
  last: string;
  /** How the cache was written: new, merged into, replaced, or already current (untouched). */
  mode: "new" | "merged" | "replaced" | "current";
  /** New bars at times the cache did not have. */
  added: number;
  /** New bars equal to the cached ones. */
  unchanged: number;
  /** New bars that differ from the cached ones (kept cached unless `replace`). */
  conflicting: number;
  /** Cached bars no longer in the cache (only with `replace`, or a synthetic cache replaced). */
  removed: number;
  /** The first conflicts, oldest first. */
  conflicts: CacheConflict[];
  /** The date range requested from the source, or `null` when the cache was already current. */
  fetched: { start: string; end: string } | null;
  /** What validation found in the new bars. */
  report: ValidationReport;
  /** The metadata written. */
  meta: CacheMeta;
}

const ROW_DROPPED = /; row dropped$/;
const NOT_REJECTIONS = new Set(["implausible_jump", "missing_trading_day", "missing_bars"]);

/** How many rows were rejected for which reason (a row counts once, for its first problem). */
function rejections(report: ValidationReport): string {
  const byRow = new Map<number, string>();
  const counts = new Map<string, number>();
  for (const p of report.problems) {
    if (NOT_REJECTIONS.has(p.kind)) continue;
    if (p.row !== undefined) {
      if (byRow.has(p.row)) continue;
      byRow.set(p.row, p.kind);
    }
    counts.set(p.kind, (counts.get(p.kind) ?? 0) + 1);
  }
  return PROBLEM_KINDS.filter((k) => counts.has(k))
    .map((k) => `${counts.get(k)} ${k.replaceAll("_", " ")}`).join(", ");
}

/** The one line that says why no row of a file could be used. */
function rejectionMessage(report: ValidationReport, label: string): string {
  const first = report.problems.find((p) => !NOT_REJECTIONS.has(p.kind));
  const where = first
    ? `; first at line ${first.row ?? "?"}: ${first.detail.replace(ROW_DROPPED, "")}`
    : "";
  const rows = `${report.input} row${report.input === 1 ? "" : "s"}`;
  return `Expected usable bars in ${label}, found none among its ${rows} (rejected: ${
    rejections(report) || "all"
  })${where}`;
}

/**
 * Validates the rows of an imported CSV, the same way in every command: a
 * file without rows, or whose every row is rejected (all dated in the future,
 * say), is one {@linkcode DataError} naming the reason and the first row.
 */
function validateCsvRows(
  raw: readonly RawBar[],
  options: ValidateOptions & { label: string },
): { bars: Bar[]; report: ValidationReport } {
  if (raw.length === 0) {
    throw new DataError(`Expected rows of bars in ${options.label} after its header, found none`);
  }
  const result = validateBars(raw, options);
  if (result.bars.length === 0) throw new DataError(rejectionMessage(result.report, options.label));
  return result;
}

/**
 * Fetches or imports bars for one ticker, validates them and writes the
 * cache. New bars are merged into a cache of real bars like a provider
 * update: bars at new times are added, bars at cached times are compared,
 * and conflicts are counted and keep the cached values unless `replace`.
 * With a live source and a cache from the same source only the days after
 * the cached last bar are fetched. Synthetic bars replace a synthetic cache
 * whole, and are refused over real bars without `replace`.
 *
 * @example
 * ```ts
 * const result = await prepareTicker("SPY", { source: "synthetic", years: 5, dataDir: "data" });
 * result.rows; // about 1305
 * ```
 */
export async function prepareTicker(
  ticker: string,
  options: PrepareOptions = {},
): Promise<PrepareResult> {
  const resolved = resolvePrepare(ticker, options);
  const lock = await lockData(resolved.dataDir, options);
  try {
    const commit = await prepareLocked(resolved.symbol, options, resolved);
    return await commit();
  } finally {
    await lock?.release();
  }
}

/**
 * Prepares several tickers as one import that writes all or nothing: every ticker is fetched or
 * read, validated and merged first (under one lock of the data folder), and only when none
 * failed are their caches written. A usage error stops it; another error is the ticker's
 * failure, and then `results` is empty and no cache was touched.
 *
 * @example
 * ```ts
 * const { results, failures } = await prepareAllOrNothing([
 *   { ticker: "AAPL", options: { csv: "u/AAPL.csv" } },
 *   { ticker: "MSFT", options: { csv: "u/MSFT.csv" } },
 * ], { dataDir: "data" });
 * ```
 */
export async function prepareAllOrNothing(
  jobs: readonly { ticker: string; options: PrepareOptions }[],
  options: Pick<PrepareOptions, "dataDir" | "lockWaitMs" | "onWait" | "onProgress"> & {
    onSymbol?: (symbol: string, k: number, n: number) => void;
    /** Symbols already known to fail (a name that is no ticker): then nothing is written either. */
    failed?: readonly { ticker: string; error: string }[];
  } = {},
): Promise<{ results: PrepareResult[]; failures: { ticker: string; error: string }[] }> {
  const dataDir = options.dataDir ?? "data";
  const lock = await lockData(dataDir, options);
  try {
    const commits: (() => Promise<PrepareResult>)[] = [];
    const failures: { ticker: string; error: string }[] = [...(options.failed ?? [])];
    for (const [k, job] of jobs.entries()) {
      options.onSymbol?.(job.ticker, k, jobs.length);
      const jobOptions = { ...job.options, dataDir };
      try {
        const resolved = resolvePrepare(job.ticker, jobOptions);
        commits.push(await prepareLocked(resolved.symbol, jobOptions, resolved));
      } catch (error) {
        if (error instanceof UsageError) throw error;
        failures.push({ ticker: job.ticker, error: messageOf(error) });
      }
      options.onProgress?.({ phase: "read", done: k + 1, total: jobs.length });
    }
    if (failures.length > 0) return { results: [], failures };
    const results: PrepareResult[] = [];
    for (const commit of commits) {
      results.push(await commit());
      options.onProgress?.({ phase: "write", done: results.length, total: commits.length });
    }
    return { results, failures };
  } finally {
    await lock?.release();
  }
}

/** One line of an error. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0] : String(error);
}

/** One prepare writing in a data folder at a time; no lock without write access. */
function lockData(
  dataDir: string,
  options: Pick<PrepareOptions, "lockWaitMs" | "onWait">,
): Promise<{ release(): Promise<void> } | undefined> {
  // The next waits, then merges into what the first wrote (two prepares of one ticker would
  // otherwise both write, the last one winning).
  return lockFolder(dataDir, {
    what: `prepare writing in ${dataDir}`,
    waitMs: options.lockWaitMs ?? 120_000,
    onWait: options.onWait,
  }).catch((error) => {
    // No write access to the data folder: nothing can be written anyway (said when it is).
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      return undefined;
    }
    throw error;
  });
}

/** What a prepare of `ticker` resolves its options to, before any read. */
function resolvePrepare(ticker: string, options: PrepareOptions): Resolved {
  const symbol = validateTicker(ticker);
  const source = options.csv || options.rows ? "csv" : options.source ?? "synthetic";
  const interval = options.interval ?? "1d";
  const dataDir = options.dataDir ?? "data";
  const now = options.now ?? new Date();
  const replace = Boolean(options.replace);
  const live = source !== "synthetic" && source !== "csv";
  const end = options.end ??
    (source === "synthetic" ? SYNTHETIC_END : now.toISOString().slice(0, 10));
  const start = options.start ?? yearsBefore(end, options.years ?? 5);
  if (start > end) {
    throw new UsageError(`Expected --start on or before --end, found ${start} after ${end}`);
  }
  const label = source === "csv" ? options.label ?? options.csv! : `the ${source} reply`;
  const path = cachePaths(symbol, { dataDir, interval }).csv;
  return { symbol, source, interval, dataDir, now, start, end, label, path, live, replace };
}

interface Resolved {
  symbol: string;
  source: SourceName;
  interval: Interval;
  dataDir: string;
  now: Date;
  start: string;
  end: string;
  label: string;
  path: string;
  live: boolean;
  replace: boolean;
}

/**
 * The read-merge of {@linkcode prepareTicker}, under the data folder's lock: everything that can
 * fail before a write, returning the write still to do.
 */
async function prepareLocked(
  symbol: string,
  options: PrepareOptions,
  resolved: Resolved,
): Promise<() => Promise<PrepareResult>> {
  const { source, interval, dataDir, now, start, end, label, path, live, replace } = resolved;
  const venue = venueOf(symbol, source, options.venue);
  const exchange = source === "ccxt" ? options.exchange : undefined;

  // A cache that cannot be read is not overwritten unless asked to.
  const cached = await readCache(symbol, { dataDir, interval }).catch((error) => {
    if (replace) return undefined;
    throw error;
  });
  const real = cached !== undefined && !cached.meta.synthetic;
  if (real && !replace) {
    // Bars of one venue and exchange per cache: another's are not merged in unasked.
    const cachedVenue = cached.meta.venue ?? "nyse";
    const otherExchange = source === "ccxt" && cached.meta.source === "ccxt" &&
      cached.meta.exchange !== exchange;
    if (cachedVenue !== venue || otherExchange) {
      const what = (v: string, e: string | undefined): string => e ? `${e} (${v})` : v;
      throw new DataError(
        `Expected ${what(venue, exchange)} bars like those cached in ${path}, found ${
          what(cachedVenue, cached.meta.exchange)
        } bars there; pass --replace to replace the cache, or --data-dir for another folder`,
      );
    }
  }

  let fetchStart = start;
  // A live source that filled this cache: fetch only the days after its last bar.
  if (
    live && cached && !replace && cached.meta.source === source &&
    cached.meta.first.slice(0, 10) <= start // an intraday cache's first bar is a timestamp
  ) {
    const lastDate = cached.meta.last.slice(0, 10);
    // Intraday: the rest of the last cached session too (bars fetched again merge as unchanged).
    fetchStart = isIntraday(interval) ? lastDate : lastDate >= end ? "" : addDays(lastDate, 1);
  }

  let raw: RawBar[] = [];
  if (fetchStart !== "") {
    const range = { start: fetchStart, end, interval };
    raw = options.rows
      ? [...options.rows]
      : source === "csv"
      ? await readCsvBars(options.csv!)
      : await getProvider(source).fetchBars(symbol, range, {
        ...options,
        venue,
        seed: options.seed ?? SYNTHETIC_SEED,
      });
  }
  const { bars, report } = source === "csv"
    ? validateCsvRows(raw, { strict: options.strict, interval, label, now, venue })
    : validateBars(raw, { strict: options.strict, interval, label, now, venue });
  if (raw.length > 0 && bars.length === 0) throw new DataError(rejectionMessage(report, label));
  const userRange = options.start !== undefined || options.end !== undefined ||
    options.years !== undefined;
  const csvStart = options.start ??
    (options.years !== undefined && bars.length > 0
      ? yearsBefore(options.end ?? bars[bars.length - 1].time.slice(0, 10), options.years)
      : undefined);
  const kept = source === "csv" && !csvStart && !options.end
    ? bars
    : bars.filter((b) => inRange(b, source === "csv" ? csvStart : fetchStart, end));
  const untouched = (fetched: { start: string; end: string } | null): PrepareResult => ({
    ticker: symbol,
    source,
    path,
    rows: cached!.meta.rows,
    first: cached!.meta.first,
    last: cached!.meta.last,
    mode: "current",
    added: 0,
    unchanged: 0,
    conflicting: 0,
    removed: 0,
    conflicts: [],
    fetched,
    report,
    meta: cached!.meta,
  });
  if (fetchStart === "") return () => Promise.resolve(untouched(null));
  if (kept.length === 0) {
    if (live && fetchStart !== start && cached) {
      return () => Promise.resolve(untouched({ start: fetchStart, end }));
    }
    const range = source === "csv"
      ? (userRange
        ? ` between ${csvStart ?? "its first row"} and ${
          options.end ?? "its last row"
        }, found none: its ${bars.length} usable rows run from ${bars[0].time} to ${
          bars[bars.length - 1].time
        }`
        : ", found none")
      : ` between ${start} and ${end}, found none`;
    throw new DataError(`Expected bars for ${symbol} in ${label}${range}`);
  }

  // Replace a synthetic cache whole; merge into a real one unless asked to replace.
  const mode = !cached ? "new" : replace || !real || source === "synthetic" ? "replaced" : "merged";
  if (mode === "merged") {
    const cachedAdj = cached!.series.bars.some((b) => b.adjClose !== undefined);
    const newAdj = kept.some((b) => b.adjClose !== undefined);
    if (cachedAdj !== newAdj) {
      throw new DataError(
        `Expected bars ${
          cachedAdj ? "with" : "without"
        } an adjusted close in ${label}, like those cached in ${path}, found bars ${
          newAdj ? "with" : "without"
        } one; pass --replace to replace the cache`,
      );
    }
  }
  if (mode === "replaced" && real && !replace) {
    const plan = mergeBars(cached!.series.bars, kept, { replace: true });
    const lost = plan.conflicting + plan.removed;
    if (lost > SHRINK_TOLERANCE) {
      throw new DataError(
        `Expected to keep the ${cached!.meta.rows} real bars cached in ${path} (source ${
          cached!.meta.source
        }), found that ${source} bars would replace or remove ${lost} of them; pass --replace to replace the cache, or --data-dir for another folder`,
      );
    }
  }
  return async (): Promise<PrepareResult> => {
    const written = await updateCache(
      { symbol, interval, source, bars: kept, venue, ...(exchange ? { exchange } : {}) },
      {
        dataDir,
        fetchedAt: source === "synthetic" ? null : now.toISOString(),
        seed: options.seed ?? SYNTHETIC_SEED,
        mode: mode === "merged" ? "merge" : "replace",
      },
    );
    return {
      ticker: symbol,
      source,
      path: written.path,
      rows: written.meta.rows,
      first: written.meta.first,
      last: written.meta.last,
      mode,
      added: written.added,
      unchanged: written.unchanged,
      conflicting: written.conflicting,
      removed: written.removed,
      conflicts: written.conflicts,
      fetched: source === "csv" ? null : { start: fetchStart, end },
      report,
      meta: written.meta,
    };
  };
}

/** Options of {@linkcode loadSeries}. */
export interface LoadSeriesOptions {
  /** The ticker. */
  ticker: string;
  /** `synthetic` generates; `csv` (or a `csv` path) imports; otherwise the cache is read. */
  source?: SourceName;
  /** A CSV file to import instead of the cache. */
  csv?: string;
  /** The data folder of the cache (default `data`). */
  dataDir?: string;
  /** First date kept (inclusive). */
  start?: string;
  /** Last date kept (inclusive). */
  end?: string;
  /** Bar interval (default `1d`). */
  interval?: Interval;
  /** Seed of synthetic data (default 42). */
  seed?: number;
  /** Fail on any data problem. */
  strict?: boolean;
  /**
   * Whose calendar the bars follow, for a CSV import and synthetic bars (default: a synthetic
   * ticker's own, else `nyse`); a cache says its own.
   */
  venue?: Venue;
}

/**
 * Loads bars for the commands that consume them (train, evaluate, backtest):
 * imports `csv` when given, generates synthetic data (default range: the
 * five years to 2024-12-31) for `source: "synthetic"`, and otherwise reads
 * what `prepare` cached in `dataDir`, failing with the command to run when
 * nothing is cached.
 *
 * @example
 * ```ts
 * const series = await loadSeries({ ticker: "SPY", dataDir: "data", start: "2020-01-01" });
 * ```
 */
export async function loadSeries(options: LoadSeriesOptions): Promise<Series> {
  const symbol = validateTicker(options.ticker);
  const interval = options.interval ?? "1d";
  const dataDir = options.dataDir ?? "data";
  let series: Series;
  if (options.csv || options.source === "csv") {
    if (!options.csv) throw new UsageError("Expected a CSV file for source csv, found none");
    const venue = options.venue ?? "nyse";
    const { bars } = validateCsvRows(await readCsvBars(options.csv), {
      strict: options.strict,
      interval,
      label: options.csv,
      venue,
    });
    series = { symbol, interval, source: "csv", bars, ...(venue !== "nyse" ? { venue } : {}) };
  } else if (options.source === "synthetic") {
    const end = options.end ?? SYNTHETIC_END;
    const start = options.start ?? yearsBefore(end, 5);
    const venue = venueOf(symbol, "synthetic", options.venue);
    const raw = await synthetic.fetchBars(symbol, { start, end, interval }, {
      seed: options.seed,
      venue,
    });
    series = {
      symbol,
      interval,
      source: "synthetic",
      bars: validateBars(raw, { interval }).bars,
      ...(venue !== "nyse" ? { venue } : {}),
    };
  } else {
    const cached = await readCache(symbol, { dataDir, interval });
    const hint = `deno task prepare --ticker ${symbol}${
      options.source ? ` --source ${options.source}` : ""
    }${interval !== "1d" ? ` --interval ${interval}` : ""}${
      dataDir !== "data" ? ` --data-dir ${dataDir}` : ""
    }`;
    if (!cached) {
      throw new DataError(
        `No cached bars for ${symbol} ${interval} in ${dataDir}/; run \`${hint}\` first`,
      );
    }
    if (options.source && cached.meta.source !== options.source) {
      throw new DataError(
        `Expected cached ${options.source} bars for ${symbol} ${interval} in ${dataDir}/, found ${cached.meta.source} bars; run \`${hint}\``,
      );
    }
    series = cached.series;
  }
  const bars = series.bars.filter((b) => inRange(b, options.start, options.end));
  if (bars.length === 0) {
    throw new DataError(
      `Expected bars for ${symbol} between ${options.start ?? "the first bar"} and ${
        options.end ?? "the last bar"
      }, found none`,
    );
  }
  return { ...series, bars };
}
