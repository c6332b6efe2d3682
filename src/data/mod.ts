/**
 * The market data layer: providers, validation, the cache, venue calendars,
 * the two entry points the commands use, {@linkcode prepareTicker} (fetch or
 * import, validate, cache) and {@linkcode loadSeries} (read what `prepare`
 * cached), and a universe of many symbols ({@linkcode loadUniverse}).
 *
 * @example
 * ```ts
 * import { loadSeries } from "./src/data/mod.ts";
 * const series = await loadSeries({ ticker: "SPY", source: "synthetic" });
 * ```
 *
 * @module
 */

export type {
  Bar,
  ExchangeClient,
  FetchOptions,
  FetchRange,
  Interval,
  Provider,
  Series,
  SourceName,
} from "./types.ts";
export { INTERVALS, SOURCES } from "./types.ts";
export {
  type CacheConflict,
  type CacheMeta,
  cachePaths,
  fileStemOf,
  mergeBars,
  type MergeCounts,
  readCache,
  symbolOfFileStem,
  updateCache,
  type UpdateCacheOptions,
} from "./cache.ts";
export {
  CALENDAR_FIRST_YEAR,
  isContinuous,
  isTradingDay,
  type MissingRun,
  missingRuns,
  missingTradingDays,
  nyseHolidays,
  parseVenue,
  SPECIAL_CLOSURES,
  type Venue,
  VENUES,
  venueTradesOn,
} from "./calendar.ts";
export {
  type Problem,
  PROBLEM_KINDS,
  type ProblemKind,
  type RawBar,
  type RawNumber,
  summarizeReport,
  validateBar,
  validateBars,
  type ValidateOptions,
  type ValidationReport,
} from "./validate.ts";
export { formatBarsCsv, parseBarsCsv } from "./csv.ts";
export { fetchWithRetry, type HttpOptions } from "./http.ts";
export {
  generateSyntheticBars,
  generateSyntheticContinuousBars,
  SYNTHETIC_END,
  SYNTHETIC_SEED,
  syntheticVenue,
} from "./providers/synthetic.ts";
export {
  apiHosts,
  CCXT_PAGE_LIMIT,
  CCXT_TIMEFRAMES,
  ccxtProvider,
  fetchCcxtBars,
  TASK_EXCHANGE_HOSTS,
} from "./providers/ccxt.ts";
export { createCsvProvider, readCsvBars } from "./providers/csv.ts";
export {
  getProvider,
  type ImportProgress,
  loadSeries,
  type LoadSeriesOptions,
  type PrepareOptions,
  type PrepareResult,
  prepareTicker,
  SHRINK_TOLERANCE,
  validateTicker,
} from "./prepare.ts";

// A universe of many symbols: a tickers file, a folder of CSVs or one long CSV.
export {
  type LoadedUniverse,
  loadUniverse,
  type LoadUniverseOptions,
  type MemberReport,
  readTickersFile,
  resolveUniverse,
  type UniverseSpec,
} from "./universe.ts";
