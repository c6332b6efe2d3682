/**
 * The series that goes with a model: which ticker a request means, where its
 * bars come from, which seed regenerates synthetic bars, whether they are the
 * model's own training series, and which of their rows are out of sample.
 * Every command that scores, replays, predicts, retrains or monitors a model
 * asks this module, so the rule is written once.
 *
 * @example
 * ```ts
 * import { loadModelSeries, scopeFor } from "./series.ts";
 * const { series, own } = await loadModelSeries(card, "SPY", { dataDir: "data" });
 * const scope = scopeFor(card, "SPY", {});
 * const scored = series.bars.filter((b) => scope.includes(b.time));
 * ```
 *
 * @module
 */

import { loadSeries, validateTicker } from "../data/mod.ts";
import type { Interval, Series, SourceName } from "../data/types.ts";
import type { CardDraft } from "../model/card.ts";
import { DataError, UsageError } from "../util/errors.ts";
import { parseInterval } from "../data/interval.ts";

/** What a command asks for: its data flags, all optional. */
export interface SeriesRequest {
  /** One ticker or a comma-separated list (default: the CSV file's name, else the model's own). */
  ticker?: string;
  /** A CSV file to read the bars from. */
  csv?: string;
  /** The data source (default: the model's own on its own ticker, else the cache). */
  source?: SourceName;
  /** The cache folder (default `data`). */
  dataDir?: string;
  /** Seed of synthetic bars (default: the model's on its own ticker, else 42). */
  seed?: number;
  /** Last bar loaded (inclusive). */
  end?: string;
  /** Bar interval (default: the model's own, else `1d`); another than the model's is refused. */
  interval?: Interval;
}

/** A model's series for one ticker. */
export interface ModelSeries {
  /** The bars. */
  series: Series;
  /** The ticker, upper case. */
  ticker: string;
  /** Whether this is the ticker the model was trained on. */
  own: boolean;
  /** The seed synthetic bars were (or would be) generated with. */
  seed: number;
}

/** The seed of synthetic data when neither the request nor the model names one. */
export const DEFAULT_SEED = 42;

/**
 * The tickers a request names: its list, else the CSV file's name, else the
 * model's own ticker. A usage error when none can be found.
 *
 * @example
 * ```ts
 * requestedTickers(card, { ticker: "spy,qqq" }); // ["SPY", "QQQ"]
 * requestedTickers(card, { csv: "data/aapl.csv" }); // ["AAPL"]
 * ```
 */
export function requestedTickers(
  card: Pick<CardDraft, "data"> | null,
  request: Pick<SeriesRequest, "ticker" | "csv">,
): string[] {
  if (request.ticker !== undefined) {
    const list = request.ticker.split(",").map((t) => t.trim()).filter((t) => t !== "");
    if (list.length === 0) {
      throw new UsageError("Expected ticker to name a symbol, found none", { options: ["ticker"] });
    }
    if (request.csv !== undefined && list.length > 1) {
      throw new UsageError(`Expected one ticker with csv, found ${list.length}`, {
        options: ["ticker", "csv"],
      });
    }
    return list.map(validateTicker);
  }
  if (request.csv !== undefined) {
    const stem = request.csv.split("/").pop()!.replace(/\.[^.]*$/, "");
    return [validateTicker(stem)];
  }
  if (card === null) {
    throw new UsageError(
      "Expected ticker to name a symbol (there is no model to take it from), found none",
      { options: ["ticker"] },
    );
  }
  return [validateTicker(card.data.ticker)];
}

/**
 * Whether `ticker` is the series the model was trained on.
 *
 * @example
 * ```ts
 * isOwnSeries(card, "spy"); // true for a model trained on SPY
 * ```
 */
export function isOwnSeries(card: Pick<CardDraft, "data"> | null, ticker: string): boolean {
  return card !== null && card.data.ticker.toUpperCase() === ticker.toUpperCase();
}

/**
 * Where `ticker`'s bars come from for this model: a CSV file when one is
 * given, else the requested source, else (on the model's own ticker) the
 * source the model learned from. Synthetic bars are regenerated with the
 * model's seed; bars from a live provider or a CSV import are read back from
 * the cache `prepare` wrote, never fetched here.
 *
 * @example
 * ```ts
 * const { series } = await loadModelSeries(card, "SPY", { dataDir: "data" });
 * ```
 */
export async function loadModelSeries(
  card: Pick<CardDraft, "data" | "seed"> | null,
  ticker: string,
  request: SeriesRequest = {},
): Promise<ModelSeries> {
  const own = isOwnSeries(card, ticker);
  if (request.csv !== undefined && request.source !== undefined && request.source !== "csv") {
    throw new UsageError(
      `Expected source to be csv or absent with a CSV file, found "${request.source}"`,
      { options: ["source"] },
    );
  }
  if (request.source === "csv" && request.csv === undefined) {
    throw new UsageError("Expected csv to name a file when the source is CSV, found none", {
      options: ["csv"],
    });
  }
  const modelSource = own ? card!.data.source as SourceName : undefined;
  const source = request.csv !== undefined ? "csv" : request.source ?? modelSource;
  const seed = request.seed ?? (own ? card!.seed : DEFAULT_SEED);
  const interval = seriesInterval(card, request.interval);
  const series = await loadSeries({
    ticker,
    // A CSV import the model learned from is read back from the cache.
    source: source === "csv" && request.csv === undefined ? undefined : source,
    csv: request.csv,
    dataDir: request.dataDir,
    end: request.end,
    interval,
    seed,
    // A CSV or synthetic series of a crypto model follows the model's venue.
    venue: card?.data.venue,
  });
  if (series.interval !== interval) {
    throw new DataError(
      `Expected ${interval} bars of ${series.symbol} for a model trained on ${interval} bars, found ${series.interval} bars`,
    );
  }
  return { series, ticker: series.symbol, own, seed };
}

/**
 * The interval of the bars a model reads: its own (the card's
 * `data.interval`), or `requested` when there is no model. A request for
 * another interval than the model's is refused with one line: a model
 * trained on hourly bars knows nothing of daily ones (its indicator periods
 * are in bars).
 *
 * @example
 * ```ts
 * seriesInterval(card, undefined); // "1h" for a model trained on hourly bars
 * seriesInterval(card, "1d"); // throws: Expected interval 1h (the model was trained on 1h bars of SPY), found 1d
 * ```
 */
export function seriesInterval(
  card: Pick<CardDraft, "data"> | null,
  requested: Interval | undefined,
): Interval {
  if (card === null) return requested ?? "1d";
  const own = parseInterval(card.data.interval);
  if (requested !== undefined && requested !== own) {
    throw new UsageError(
      `Expected interval ${own} (the model was trained on ${own} bars of ${card.data.ticker}), found ${requested}`,
      { options: ["interval"] },
    );
  }
  return own;
}

/**
 * Which rows of a ticker's series a score, a replay or a comparison may use
 * for a model, and why, in plain words.
 *
 * @example
 * ```ts
 * const scope: Scope = scopeFor(card, "SPY", {});
 * scope.outOfSample; // true: only rows after the validation range
 * ```
 */
export interface Scope {
  /** Whether the ticker is the model's training series. */
  own: boolean;
  /** Whether rows are restricted to the card's test range (own series, no range asked). */
  outOfSample: boolean;
  /** The first reference time in scope when `outOfSample` (the card's first test window). */
  from?: string;
  /** Whether a reference time is in scope. */
  includes(time: string): boolean;
  /** The rule, in words. */
  text: string;
}

/** Compares a bar time with a date or timestamp, by the date's own precision. */
export function compareTime(time: string, date: string): number {
  const t = time.slice(0, date.length);
  return t < date ? -1 : t > date ? 1 : 0;
}

/**
 * The scope rule: on the model's own ticker, only the rows of its test range
 * (from the card's first test window on: the rows after its validation range,
 * less the bars whose labels early stopping already looked at) unless
 * `start`/`end` say otherwise; on any other ticker, every row in range. The
 * same first date and row count as `models list` and the card give.
 *
 * @example
 * ```ts
 * scopeFor(card, "AAPL", { start: "2023-01-01" }).includes("2022-12-30"); // false
 * ```
 */
export function scopeFor(
  card: Pick<CardDraft, "data">,
  ticker: string,
  range: { start?: string; end?: string },
): Scope {
  const own = isOwnSeries(card, ticker);
  const outOfSample = own && range.start === undefined && range.end === undefined;
  const seenUpTo = card.data.ranges.validation.last;
  const testFrom = card.data.ranges.test.first;
  const text = outOfSample
    ? `out of sample: ${ticker} is the model's training series, so only its test range is used (from ${testFrom}; the validation range ends ${seenUpTo}); start/end override`
    : own
    ? `the requested range of the model's training series; rows up to ${seenUpTo} were seen in training or early stopping`
    : `every labelled window of ${ticker} in range`;
  return {
    own,
    outOfSample,
    from: outOfSample ? testFrom : undefined,
    includes: (time: string): boolean =>
      (!outOfSample || compareTime(time, testFrom) >= 0) &&
      (range.start === undefined || compareTime(time, range.start) >= 0) &&
      (range.end === undefined || compareTime(time, range.end) <= 0),
    text,
  };
}

/**
 * A note when another ticker's rows overlap the period the model learned
 * from (market-wide moves of those days were seen), else the empty string.
 *
 * @example
 * ```ts
 * overlapNote(card, "AAPL", "2019-01-02", "2024-12-31");
 * ```
 */
export function overlapNote(
  card: Pick<CardDraft, "data">,
  ticker: string,
  first: string,
  last: string,
): string {
  const { train, validation } = card.data.ranges;
  if (isOwnSeries(card, ticker) || first > validation.last || last < train.first) return "";
  return `; its dates overlap the period the model learned from on ${card.data.ticker} (to ${validation.last}), so market-wide moves of those days were seen`;
}

/**
 * The bars the model learned from, for baselines fitted on its training rows;
 * a sentence saying why not when they are not at hand (a cache that is gone,
 * a CSV import never cached).
 *
 * @example
 * ```ts
 * const bars = await trainingBarsOf(card, { dataDir: "data" });
 * if (typeof bars === "string") console.error(bars);
 * ```
 */
export async function trainingBarsOf(
  card: Pick<CardDraft, "data" | "seed">,
  request: Pick<SeriesRequest, "dataDir" | "interval"> = {},
): Promise<Series["bars"] | string> {
  try {
    const ticker = validateTicker(card.data.ticker);
    const { dataDir } = request; // the model's own source, seed and interval, never the request's
    return (await loadModelSeries(card, ticker, { dataDir })).series.bars;
  } catch (error) {
    return `${card.data.ticker} training data not available (${
      error instanceof Error ? error.message : error
    })`;
  }
}
