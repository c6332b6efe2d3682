/**
 * A universe's windows: one model's training, validation and test windows
 * pooled over many symbols, split by calendar date for all symbols at once,
 * and written on demand from per-symbol feature tables.
 *
 * - **Tables and labels** (`buildUniverseTables`, in `universe_tables.ts`):
 *   each symbol's features, adjusted closes and opens, and labels (`up` or
 *   `beats-median`) on the universe's calendar; each label remembers the
 *   calendar date it looks at, for purging.
 * - **Date split** ({@linkcode dateSplit}): the same cut dates for every
 *   symbol. A training window ends on or before `trainEnd` and its label looks
 *   no later than `trainEnd`; validation windows end after `trainEnd` and
 *   their labels look no later than `validationEnd`; test windows end after
 *   `validationEnd`. So no symbol's future reaches another's past, and a
 *   change to any bar after `trainEnd` leaves every training window as it was.
 * - **Scaling** ({@linkcode fitUniverseScalers}): fitted on the feature rows
 *   the training windows cover, and nothing else. `pooled` fits one scaler on
 *   every symbol's training rows (a symbol outside the universe can then be
 *   scored); `per-symbol` fits one per symbol (each symbol's features
 *   standardised on its own history; a symbol needs at least
 *   {@linkcode MIN_SYMBOL_TRAINING_WINDOWS} training windows, else it is left
 *   out, and a symbol outside the universe cannot be scored).
 * - **Windows** ({@linkcode UniverseWindows}): a `WindowSource` ordered by
 *   reference date, then symbol. Each symbol's table is scaled once
 *   (`applyScaler`, row by row, exactly as `WindowBuffer.writeScaled` scales
 *   a row), so a window is one contiguous copy of `sequenceLength` rows,
 *   written only when a batch asks for it. Memory grows with the bars, not
 *   with the windows (a few bytes of index per window).
 *
 * @example
 * ```ts
 * const tables = buildUniverseTables(members, { sequenceLength: 60, horizon: 1, label: "beats-median" });
 * const split = dateSplit(tables, { trainFraction: 0.7, validationFraction: 0.15 });
 * const scalers = fitUniverseScalers(tables, split, "pooled");
 * const train = universeWindows(tables, scaleTables(tables, scalers), splitRange(tables, split, "train"));
 * ```
 *
 * @module
 */

import type { Interval, Series } from "../data/types.ts";
import type { Venue } from "../data/calendar.ts";
import { applyScaler, fitScaler, type Scaler } from "../features/mod.ts";
import {
  buildUniverseTables,
  type SymbolTable,
  type UniverseTableOptions,
  type UniverseTables,
  UNKNOWN_LABEL_DATE,
} from "./universe_tables.ts";
import type { WindowSource } from "./types.ts";
import { DataError, UsageError } from "../util/errors.ts";
import {
  type LabelKind,
  LABELS,
  type Scalers,
  type Scaling,
  SCALINGS,
  type TrainingSet,
} from "./training_set.ts";

export { type LabelKind, LABELS, type Scalers, type Scaling, SCALINGS };

/** Fewest training windows a symbol needs for a scaler of its own under `per-symbol` scaling. */
export const MIN_SYMBOL_TRAINING_WINDOWS = 20;

/**
 * The cut dates of a universe split, the same for every symbol (all
 * inclusive): training windows end in `[trainStart, trainEnd]` with labels
 * looking no later than `trainEnd`; validation windows end in
 * `(trainEnd, validationEnd]` with labels looking no later than
 * `validationEnd`; test windows end in `(validationEnd, testEnd]`.
 *
 * @example
 * ```ts
 * const split: DateSplit = { trainStart: "2013-06-01", trainEnd: "2016-06-30", validationEnd: "2017-01-31", testEnd: "2018-02-06" };
 * ```
 */
export interface DateSplit {
  /** First reference date of a training window. */
  trainStart: string;
  /** Last date a training window or label reaches. */
  trainEnd: string;
  /** Last date a validation window or label reaches. */
  validationEnd: string;
  /** Last reference date of a test window. */
  testEnd: string;
}

/**
 * How {@linkcode dateSplit} places the cuts: fractions of the reference
 * dates (default 70 % train, 15 % validation), or a first test date, or (the
 * study-period design) the last `testDays` reference dates for test and the
 * `trainDays` before them for training and validation.
 *
 * @example
 * ```ts
 * const options: DateSplitOptions = { testDays: 250, trainDays: 510, validationFraction: 0.2 };
 * ```
 */
export interface DateSplitOptions {
  /** Share of reference dates for training, before purging (default 0.70). */
  trainFraction?: number;
  /** Share of reference dates for validation (default 0.15; of the training dates with `testStart`/`testDays`). */
  validationFraction?: number;
  /** First reference date of the test split. */
  testStart?: string;
  /** Reference dates of the test split, the last ones. */
  testDays?: number;
  /** Reference dates of training and validation together, just before the test split. */
  trainDays?: number;
}

/**
 * The calendar indices on which some symbol has a window with a known label:
 * the dates a split cuts. They depend on bar dates only, never on prices.
 *
 * @example
 * ```ts
 * const dates = referenceDates(tables); // ascending calendar indices
 * ```
 */
export function referenceDates(tables: UniverseTables): number[] {
  const has = new Uint8Array(tables.calendar.length);
  for (const t of tables.tables) {
    for (let i = t.first; i < t.dates.length; i++) if (t.labels[i] >= 0) has[t.dates[i]] = 1;
  }
  const out: number[] = [];
  for (let d = 0; d < has.length; d++) if (has[d]) out.push(d);
  return out;
}

/**
 * Places the cut dates of a split (see {@linkcode DateSplitOptions}) on the
 * universe's reference dates. Throws a `DataError` when a split would have no
 * dates.
 *
 * @example
 * ```ts
 * const split = dateSplit(tables, { trainFraction: 0.7, validationFraction: 0.15 });
 * ```
 */
export function dateSplit(tables: UniverseTables, options: DateSplitOptions = {}): DateSplit {
  const dates = referenceDates(tables);
  const { calendar } = tables;
  const tf = options.trainFraction ?? 0.7;
  const vf = options.validationFraction ?? 0.15;
  for (const [name, value] of [["trainFraction", tf], ["validationFraction", vf]] as const) {
    if (!(value > 0 && value < 1)) {
      throw new UsageError(`Expected ${name} between 0 and 1, found ${value}`);
    }
  }
  let trainFrom = 0;
  let trainCount: number;
  let validationCount: number;
  let testFrom: number;
  if (options.testDays !== undefined || options.testStart !== undefined) {
    testFrom = options.testDays !== undefined
      ? dates.length - options.testDays
      : dates.findIndex((d) => calendar[d] >= options.testStart!);
    if (testFrom < 0) testFrom = dates.length;
    if (options.trainDays !== undefined) trainFrom = Math.max(0, testFrom - options.trainDays);
    const before = testFrom - trainFrom;
    validationCount = Math.round(before * (options.testStart !== undefined ? vf / (tf + vf) : vf));
    trainCount = before - validationCount;
  } else {
    if (!(tf + vf < 1)) {
      throw new UsageError(`Expected trainFraction + validationFraction below 1, found ${tf + vf}`);
    }
    trainCount = Math.floor(dates.length * tf + 1e-9);
    validationCount = Math.floor(dates.length * vf + 1e-9);
    testFrom = trainCount + validationCount;
  }
  const sizes = { train: trainCount, validation: validationCount, test: dates.length - testFrom };
  if (Object.values(sizes).some((s) => s < 1)) {
    throw new DataError(
      `Expected reference dates in each split, found ${sizes.train} train, ${sizes.validation} validation and ${sizes.test} test of ${dates.length}`,
    );
  }
  return {
    trainStart: calendar[dates[trainFrom]],
    trainEnd: calendar[dates[trainFrom + trainCount - 1]],
    validationEnd: calendar[dates[trainFrom + trainCount + validationCount - 1]],
    testEnd: calendar[dates[dates.length - 1]],
  };
}

/**
 * Which windows a set takes, in calendar indices: reference dates in
 * `[from, to]` whose label looks no later than `labelCut`.
 *
 * @example
 * ```ts
 * const range: WindowRange = splitRange(tables, split, "train");
 * ```
 */
export interface WindowRange {
  /** First reference date (calendar index, inclusive). */
  from: number;
  /** Last reference date (calendar index, inclusive). */
  to: number;
  /** Last date a label may look at (calendar index). */
  labelCut: number;
}

/** The calendar index of the last date on or before `date` (-1 when none). */
function indexOnOrBefore(calendar: readonly string[], date: string): number {
  let lo = 0;
  let hi = calendar.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (calendar[mid].slice(0, date.length) <= date) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** The calendar index of the first date on or after `date` (the length when none). */
function indexOnOrAfter(calendar: readonly string[], date: string): number {
  const i = indexOnOrBefore(calendar, date);
  return i >= 0 && calendar[i].slice(0, date.length) === date ? i : i + 1;
}

/**
 * The window range of one split of `split`.
 *
 * @example
 * ```ts
 * const test = splitRange(tables, split, "test");
 * ```
 */
export function splitRange(
  tables: UniverseTables,
  split: DateSplit,
  which: "train" | "validation" | "test",
): WindowRange {
  const at = (date: string): number => indexOnOrBefore(tables.calendar, date);
  const trainEnd = at(split.trainEnd);
  const validationEnd = at(split.validationEnd);
  if (which === "train") {
    return {
      from: indexOnOrAfter(tables.calendar, split.trainStart),
      to: trainEnd,
      labelCut: trainEnd,
    };
  }
  if (which === "validation") {
    return { from: trainEnd + 1, to: validationEnd, labelCut: validationEnd };
  }
  return { from: validationEnd + 1, to: at(split.testEnd), labelCut: UNKNOWN_LABEL_DATE - 1 };
}

/**
 * The window range of reference dates `start … end` (inclusive dates; default
 * every date) whose labels are known.
 *
 * @example
 * ```ts
 * const range = dateRange(tables, "2017-01-01", undefined);
 * ```
 */
export function dateRange(tables: UniverseTables, start?: string, end?: string): WindowRange {
  const { calendar } = tables;
  const from = start === undefined ? 0 : indexOnOrAfter(calendar, start);
  const to = end === undefined ? calendar.length - 1 : indexOnOrBefore(calendar, end);
  return { from, to, labelCut: UNKNOWN_LABEL_DATE - 1 };
}

function rowView(t: SymbolTable, width: number, i: number): Float64Array {
  return t.raw.subarray(i * width, (i + 1) * width);
}

/** Bar indices of a table's windows in `range` (labelled only), ascending. */
function windowRows(t: SymbolTable, range: WindowRange, labelled: boolean): number[] {
  const out: number[] = [];
  for (let i = t.first; i < t.dates.length; i++) {
    const d = t.dates[i];
    if (d < range.from) continue;
    if (d > range.to) break;
    if (labelled && (t.labels[i] < 0 || t.labelDates[i] > range.labelCut)) continue;
    out.push(i);
  }
  return out;
}

/**
 * Fits the scalers on the feature rows the windows of `range` cover (rows
 * `first window - sequenceLength + 1 … last window` of each symbol), and on
 * nothing else. Throws a `DataError` when there are no training windows.
 *
 * @example
 * ```ts
 * const scalers = fitUniverseScalers(tables, splitRange(tables, split, "train"), "pooled");
 * ```
 */
export function fitUniverseScalers(
  tables: UniverseTables,
  range: WindowRange,
  scaling: Scaling,
): Scalers {
  if (!SCALINGS.includes(scaling)) {
    throw new UsageError(`Expected scaling ${SCALINGS.join(" or ")}, found "${scaling}"`);
  }
  const width = tables.names.length;
  const all: Float64Array[] = [];
  const perSymbol = new Map<string, Scaler>();
  for (const t of tables.tables) {
    const rows = windowRows(t, range, true);
    if (rows.length === 0) continue;
    const views: Float64Array[] = [];
    for (let i = rows[0] - tables.sequenceLength + 1; i <= rows[rows.length - 1]; i++) {
      views.push(rowView(t, width, i));
    }
    for (const v of views) all.push(v);
    if (scaling === "per-symbol" && rows.length >= MIN_SYMBOL_TRAINING_WINDOWS) {
      perSymbol.set(t.symbol, fitScaler(views, tables.names));
    }
  }
  if (all.length === 0) {
    throw new DataError(
      `Expected training windows to fit the scaler on, found none between ${
        tables.calendar[range.from]
      } and ${tables.calendar[range.to]}`,
    );
  }
  return { scaling, pooled: fitScaler(all, tables.names), perSymbol };
}

/**
 * The scaler a symbol's windows are scaled with: the pooled one, or under
 * `per-symbol` scaling its own (`undefined` when it has none).
 *
 * @example
 * ```ts
 * scalerFor(scalers, "AAPL");
 * ```
 */
export function scalerFor(scalers: Scalers, symbol: string): Scaler | undefined {
  return scalers.scaling === "pooled" ? scalers.pooled : scalers.perSymbol.get(symbol);
}

/**
 * Each table's feature rows scaled with its scaler (`applyScaler`, clipping
 * included), `null` for a symbol without one: what windows are copied from.
 *
 * @example
 * ```ts
 * const scaled = scaleTables(tables, scalers);
 * ```
 */
export function scaleTables(
  tables: UniverseTables,
  scalers: Scalers,
): (Float32Array | null)[] {
  const width = tables.names.length;
  return tables.tables.map((t) => {
    const scaler = scalerFor(scalers, t.symbol);
    if (!scaler) return null;
    if (scaler.names.join("\n") !== tables.names.join("\n")) {
      throw new DataError(
        `Expected the scaler's features ${scaler.names.join(", ")}, found ${
          tables.names.join(", ")
        }`,
      );
    }
    const n = t.dates.length;
    const out = new Float32Array(n * width);
    for (let i = tables.warmup; i < n; i++) {
      out.set(applyScaler(scaler, rowView(t, width, i)), i * width);
    }
    return out;
  });
}

/**
 * A universe's windows as a {@linkcode WindowSource}: ordered by reference
 * date, then symbol; window `i` is bar `rows[i]` of table `symbols[i]`, its
 * `sequenceLength` scaled rows copied when a batch asks for it.
 *
 * @example
 * ```ts
 * const w = universeWindows(tables, scaled, range);
 * const x = new Float32Array(2 * w.seqLen * w.nFeatures);
 * w.fill([0, 1], x);
 * w.refTime(0); // "2013-05-03"
 * ```
 */
export class UniverseWindows implements WindowSource {
  /** Number of windows. */
  readonly n: number;
  /** Bars per window. */
  readonly seqLen: number;
  /** Features per bar. */
  readonly nFeatures: number;
  /** Labels (0 for a window whose label is not known yet). */
  readonly y: Uint8Array;
  /** Table index of each window's symbol. */
  readonly symbols: Uint16Array;
  /** Bar index of each window's reference bar in its table. */
  readonly rows: Uint32Array;
  /** Calendar index of each window's reference date. */
  readonly dates: Uint32Array;
  /** The tables the windows come from. */
  readonly tables: UniverseTables;
  #scaled: readonly (Float32Array | null)[];

  /**
   * Windows over `tables` (scaled by `scaled`) at the given symbols and rows;
   * build with {@linkcode universeWindows}.
   *
   * @example
   * ```ts
   * const w = new UniverseWindows(tables, scaled, { symbols, rows, y });
   * ```
   */
  constructor(
    tables: UniverseTables,
    scaled: readonly (Float32Array | null)[],
    parts: { symbols: Uint16Array; rows: Uint32Array; y: Uint8Array },
  ) {
    this.tables = tables;
    this.#scaled = scaled;
    this.symbols = parts.symbols;
    this.rows = parts.rows;
    this.y = parts.y;
    this.n = parts.rows.length;
    this.seqLen = tables.sequenceLength;
    this.nFeatures = tables.names.length;
    this.dates = new Uint32Array(this.n);
    for (let i = 0; i < this.n; i++) {
      this.dates[i] = tables.tables[parts.symbols[i]].dates[parts.rows[i]];
    }
  }

  /**
   * Writes windows `indices[k]` at `out[k * seqLen * nFeatures]`.
   *
   * @example
   * ```ts
   * windows.fill(Uint32Array.of(0, 5), out);
   * ```
   */
  fill(indices: ArrayLike<number>, out: Float32Array): void {
    const width = this.nFeatures;
    const span = this.seqLen * width;
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k];
      const scaled = this.#scaled[this.symbols[i]]!;
      const end = (this.rows[i] + 1) * width;
      out.set(scaled.subarray(end - span, end), k * span);
    }
  }

  /**
   * The symbol of window `i`.
   *
   * @example
   * ```ts
   * windows.symbolOf(0); // "AAPL"
   * ```
   */
  symbolOf(i: number): string {
    return this.tables.tables[this.symbols[i]].symbol;
  }

  /**
   * The reference date of window `i`.
   *
   * @example
   * ```ts
   * windows.refTime(0); // "2013-05-03"
   * ```
   */
  refTime(i: number): string {
    return this.tables.calendar[this.dates[i]];
  }

  /**
   * Every window's reference date, in window order.
   *
   * @example
   * ```ts
   * const times = windows.refTimes();
   * ```
   */
  refTimes(): string[] {
    return Array.from(this.dates, (d) => this.tables.calendar[d]);
  }

  /**
   * The windows `keep` says yes to, in the same order (sharing the tables).
   *
   * @example
   * ```ts
   * const aapl = windows.select((i) => windows.symbolOf(i) === "AAPL");
   * ```
   */
  select(keep: (i: number) => boolean): UniverseWindows {
    const picked: number[] = [];
    for (let i = 0; i < this.n; i++) if (keep(i)) picked.push(i);
    return new UniverseWindows(this.tables, this.#scaled, {
      symbols: Uint16Array.from(picked, (i) => this.symbols[i]),
      rows: Uint32Array.from(picked, (i) => this.rows[i]),
      y: Uint8Array.from(picked, (i) => this.y[i]),
    });
  }
}

/**
 * The windows of `range` over every scaled symbol (a symbol whose scaled
 * table is `null` has none), ordered by reference date, then symbol. With
 * `labelled: false` windows whose label is not known yet are kept, with
 * label 0 (the live edge).
 *
 * @example
 * ```ts
 * const test = universeWindows(tables, scaled, splitRange(tables, split, "test"));
 * ```
 */
export function universeWindows(
  tables: UniverseTables,
  scaled: readonly (Float32Array | null)[],
  range: WindowRange,
  options: { labelled?: boolean } = {},
): UniverseWindows {
  const labelled = options.labelled ?? true;
  const days = tables.calendar.length;
  const perSymbol = tables.tables.map((t, s) => scaled[s] ? windowRows(t, range, labelled) : []);
  const counts = new Uint32Array(days + 1);
  perSymbol.forEach((rows, s) => {
    for (const i of rows) counts[tables.tables[s].dates[i] + 1]++;
  });
  for (let d = 0; d < days; d++) counts[d + 1] += counts[d];
  const n = counts[days];
  const symbols = new Uint16Array(n);
  const rows = new Uint32Array(n);
  const y = new Uint8Array(n);
  const next = counts.slice(0, days);
  perSymbol.forEach((list, s) => {
    const t = tables.tables[s];
    for (const i of list) {
      const k = next[t.dates[i]]++;
      symbols[k] = s;
      rows[k] = i;
      y[k] = Math.max(0, t.labels[i]);
    }
  });
  return new UniverseWindows(tables, scaled, { symbols, rows, y });
}

/**
 * One split's reference-date range and window count (the card's shape).
 *
 * @example
 * ```ts
 * const info = windowsInfo(train); // { first: "2013-05-03", last: "2016-06-29", rows: 412000 }
 * ```
 */
export function windowsInfo(w: UniverseWindows): { first: string; last: string; rows: number } {
  return {
    first: w.n > 0 ? w.refTime(0) : "",
    last: w.n > 0 ? w.refTime(w.n - 1) : "",
    rows: w.n,
  };
}

/**
 * Options of {@linkcode buildUniverseDataset}: the tables' and the split's,
 * and the scaling.
 *
 * @example
 * ```ts
 * const options: UniverseDatasetOptions = { label: "beats-median", scaling: "pooled" };
 * ```
 */
export interface UniverseDatasetOptions extends UniverseTableOptions, DateSplitOptions {
  /** How features are standardised (default `pooled`). */
  scaling?: Scaling;
}

/**
 * Where a universe's bars came from, as its model card records it.
 *
 * @example
 * ```ts
 * const about: UniverseAbout = { name: "u5", source: "csv-dir", path: "../u5", interval: "1d" };
 * ```
 */
export interface UniverseAbout {
  /** The universe's name (its folder or tickers file). */
  name: string;
  /** `cache`, `synthetic`, `csv-dir` or `long-csv`. */
  source: string;
  /** The folder or file of a `csv-dir` or `long-csv` universe. */
  path?: string;
  /** The study preset the model was trained by, if any. */
  study?: string;
  /** The bars' interval (default `1d`). */
  interval?: Interval;
  /** Whose calendar the bars follow (default `nyse`, which the card leaves out). */
  venue?: Venue;
}

/**
 * A universe's train, validation and test windows with their scalers: the
 * universe implementation of the one {@linkcode TrainingSet} contract.
 *
 * @example
 * ```ts
 * const ds: UniverseDataset = buildUniverseDataset(members, { label: "beats-median" });
 * ds.train.n; // training windows of every symbol
 * ```
 */
export interface UniverseDataset extends TrainingSet {
  /** The tables. */
  readonly tables: UniverseTables;
  /** The cut dates. */
  readonly split: DateSplit;
  /** Training windows. */
  readonly train: UniverseWindows;
  /** Validation windows (early stopping and calibration). */
  readonly validation: UniverseWindows;
  /** Test windows. */
  readonly test: UniverseWindows;
  /** Symbols left out of the splits (no scaler of their own under per-symbol scaling). */
  readonly excluded: string[];
}

/**
 * Splits and scales prepared tables (see {@linkcode buildUniverseDataset}):
 * by `options.split`'s cut dates when given (a walk-forward fold), else by
 * the fractions or day counts of {@linkcode dateSplit}.
 *
 * @example
 * ```ts
 * const ds = universeDataset(tables, { scaling: "per-symbol" });
 * ```
 */
export function universeDataset(
  tables: UniverseTables,
  options: DateSplitOptions & { scaling?: Scaling; split?: DateSplit; about?: UniverseAbout } = {},
): UniverseDataset {
  const split = options.split ?? dateSplit(tables, options);
  const scaling = options.scaling ?? "pooled";
  const scalers = fitUniverseScalers(tables, splitRange(tables, split, "train"), scaling);
  const scaled = scaleTables(tables, scalers);
  const make = (which: "train" | "validation" | "test"): UniverseWindows =>
    universeWindows(tables, scaled, splitRange(tables, split, which));
  const train = make("train");
  const validation = make("validation");
  const test = make("test");
  for (const [name, w] of [["train", train], ["validation", validation], ["test", test]] as const) {
    if (w.n === 0) {
      throw new DataError(
        `Expected ${name} windows between ${split.trainStart} and ${split.testEnd}, found none`,
      );
    }
  }
  const ranges = {
    train: windowsInfo(train),
    validation: windowsInfo(validation),
    test: windowsInfo(test),
  };
  const excluded = tables.tables.filter((_, s) => scaled[s] === null).map((t) => t.symbol);
  const about = options.about ?? { name: "universe", source: "memory" };
  const width = tables.names.length;
  const symbols = tables.tables.map((t) => t.symbol).filter((s) => !excluded.includes(s));
  return {
    description: `universe ${about.name} (${tables.tables.length} symbols${
      tables.dropped.length ? `, ${tables.dropped.length} dropped` : ""
    }${excluded.length ? `, ${excluded.length} without a scaler` : ""}), label ${tables.label}${
      tables.decideAt === "open" ? " at the open" : ""
    }, ${scaling} scaling${tables.context ? `, context ${tables.context}` : ""}`,
    dropped: tables.dropped,
    tables,
    split,
    scalers,
    train,
    validation,
    test,
    ranges,
    excluded,
    features: tables.features,
    names: tables.names,
    sequenceLength: tables.sequenceLength,
    horizon: tables.horizon,
    label: tables.label,
    decideAt: tables.decideAt,
    card: {
      data: {
        source: about.source,
        ticker: `universe:${about.name}`,
        interval: about.interval ?? "1d",
        ...(about.venue !== undefined && about.venue !== "nyse" ? { venue: about.venue } : {}),
        ranges,
      },
      label: tables.label,
      ...(tables.decideAt === "open" ? { decideAt: "open" as const } : {}),
      universe: {
        name: about.name,
        source: about.source,
        ...(about.path !== undefined ? { path: about.path } : {}),
        symbols,
        scaling,
        ...(tables.context ? { context: tables.context } : {}),
        ...(about.study ? { study: about.study } : {}),
        split,
      },
    },
    referenceRow: (i: number): Float64Array => {
      const t = tables.tables[train.symbols[i]];
      const r = train.rows[i];
      return t.raw.subarray(r * width, (r + 1) * width);
    },
  };
}

/**
 * Builds a universe's tables, splits them by date, fits the scalers on the
 * training rows and returns the three window sources.
 *
 * @example
 * ```ts
 * const ds = buildUniverseDataset(members, { sequenceLength: 20, label: "beats-median" });
 * console.log(ds.split.trainEnd, ds.train.n, ds.test.n);
 * ```
 */
export function buildUniverseDataset(
  members: readonly Series[],
  options: UniverseDatasetOptions = {},
): UniverseDataset {
  return universeDataset(buildUniverseTables(members, options), options);
}
