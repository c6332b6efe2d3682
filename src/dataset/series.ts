/**
 * One series' dataset ({@linkcode buildDataset}): its feature rows, windows of
 * `sequenceLength` rows, labels and a chronological split, purged so that no
 * label of one split looks at a bar of the next, with the scaler fitted on
 * the training windows' rows only; {@linkcode buildWindows} scores other bars
 * with a saved scaler.
 *
 * @example
 * ```ts
 * import { buildDataset } from "./series.ts";
 * const dataset = buildDataset(bars, { sequenceLength: 30, testStart: "2023-01-01" });
 * console.log(dataset.train.n, dataset.ranges.test.first);
 * ```
 *
 * @module
 */

import type { Bar } from "../data/types.ts";
import {
  computeFeatures,
  DEFAULT_FEATURES,
  DEFAULT_OPEN_FEATURES,
  type FeatureSpec,
  type FeatureTable,
  fitScaler,
  resolveFeatureSpecs,
  type Scaler,
  warmupBars,
} from "../features/mod.ts";
import { DataError, UsageError } from "../util/errors.ts";
import type { WindowSet } from "./types.ts";
import { openLabel, upLabel, WindowBuffer } from "./window.ts";
import type { DecideAt } from "../features/mod.ts";
import {
  chronologicalSplit,
  fractionCounts,
  MIN_SPLIT_WINDOWS,
  minimumWindows,
  type SplitRanges,
} from "./splits.ts";

/**
 * How to build a dataset. Defaults: 60-bar windows, next-bar labels, the
 * default features, 70 % train and 15 % validation (the rest is test).
 *
 * @example
 * ```ts
 * const options: DatasetOptions = { sequenceLength: 30, testStart: "2023-01-01" };
 * ```
 */
export interface DatasetOptions {
  /** Bars per window (default 60). */
  sequenceLength?: number;
  /** Bars ahead the label looks (default 1). */
  horizon?: number;
  /**
   * When the decision is taken (default `close`): at the open, a window's
   * last row reads its reference bar's open and nothing else of it, and the
   * label is that bar's open-to-close move (see `openLabel`).
   */
  decideAt?: DecideAt;
  /** Features (default {@linkcode DEFAULT_FEATURES}; at the open `DEFAULT_OPEN_FEATURES`). */
  features?: readonly FeatureSpec[];
  /** Share of labelled windows for training, before purging (default 0.70). */
  trainFraction?: number;
  /** Share of labelled windows for validation, before purging (default 0.15). */
  validationFraction?: number;
  /**
   * First reference date of the test split (ISO date or timestamp). The
   * windows before it are split between train and validation in the ratio
   * `trainFraction : validationFraction`.
   */
  testStart?: string;
  /** Drop bars before this date before anything else (inclusive). */
  start?: string;
  /** Drop bars after this date before anything else (inclusive). */
  end?: string;
}

/**
 * One split's reference-bar range and window count.
 *
 * @example
 * ```ts
 * const info: SplitInfo = { first: "2019-04-01", last: "2022-06-30", rows: 820 };
 * ```
 */
export interface SplitInfo {
  /** Reference time of the first window. */
  first: string;
  /** Reference time of the last window. */
  last: string;
  /** Number of windows. */
  rows: number;
}

/**
 * Train, validation and test windows with the scaler fitted on the training
 * rows, and what they were built from.
 *
 * @example
 * ```ts
 * const ds: Dataset = buildDataset(bars);
 * ds.train.n; // training windows
 * ```
 */
export interface Dataset {
  /** Training windows. */
  train: WindowSet;
  /** Validation windows (early stopping only). */
  validation: WindowSet;
  /** Test windows, never looked at while training. */
  test: WindowSet;
  /** Scaler fitted on the feature rows of the training windows. */
  scaler: Scaler;
  /** The features with every parameter filled in, as the model should save them. */
  features: FeatureSpec[];
  /** Reference-bar ranges and sizes of the splits. */
  ranges: { train: SplitInfo; validation: SplitInfo; test: SplitInfo };
  /** Bars per window. */
  sequenceLength: number;
  /** Bars ahead the labels look. */
  horizon: number;
  /** When the decision is taken. */
  decideAt: DecideAt;
  /** Warm-up bars dropped before the first feature row. */
  warmup: number;
}

interface Resolved {
  sequenceLength: number;
  horizon: number;
  decideAt: DecideAt;
  features: readonly FeatureSpec[];
  trainFraction: number;
  validationFraction: number;
}

function resolveOptions(options: DatasetOptions): Resolved {
  const {
    sequenceLength = 60,
    horizon = 1,
    features = options.decideAt === "open" ? DEFAULT_OPEN_FEATURES : DEFAULT_FEATURES,
    trainFraction = 0.7,
    validationFraction = 0.15,
  } = options;
  positiveInt("sequenceLength", sequenceLength);
  positiveInt("horizon", horizon);
  const fractions = { trainFraction, validationFraction };
  for (const [name, value] of Object.entries(fractions)) {
    if (!(value > 0 && value < 1)) {
      throw new UsageError(`Expected ${name} between 0 and 1, found ${value}`);
    }
  }
  if (options.testStart === undefined && !(trainFraction + validationFraction < 1)) {
    const sum = trainFraction + validationFraction;
    throw new UsageError(`Expected trainFraction + validationFraction below 1, found ${sum}`);
  }
  for (const key of ["start", "end", "testStart"] as const) {
    const value = options[key];
    if (value !== undefined && !/^\d{4}-\d{2}-\d{2}/.test(value)) {
      throw new UsageError(`Expected ${key} to be an ISO date (YYYY-MM-DD), found "${value}"`);
    }
  }
  if (options.start !== undefined && options.end !== undefined && options.start > options.end) {
    throw new UsageError(`Expected start before end, found ${options.start} and ${options.end}`);
  }
  const decideAt = options.decideAt ?? "close";
  if (decideAt !== "close" && decideAt !== "open") {
    throw new UsageError(`Expected decideAt close or open, found "${decideAt}"`);
  }
  return { sequenceLength, horizon, decideAt, features, trainFraction, validationFraction };
}

function positiveInt(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new UsageError(`Expected ${name} to be a positive integer, found ${value}`);
  }
}

/** Compares a bar time with a date or timestamp, by the date's own precision. */
function compareTime(time: string, date: string): number {
  const t = time.slice(0, date.length);
  return t < date ? -1 : t > date ? 1 : 0;
}

/**
 * Bars needed to build a dataset with `options`: warm-up + sequence length +
 * horizon, plus enough bars that every split keeps at least
 * {@linkcode MIN_SPLIT_WINDOWS} windows after purging. 133 for the defaults.
 *
 * @example
 * ```ts
 * minimumBars(); // 133
 * ```
 */
export function minimumBars(options: DatasetOptions = {}): number {
  const o = resolveOptions(options);
  return warmupBars(o.features, o) + o.sequenceLength + o.horizon + minimumWindows(o) - 1;
}

/**
 * Builds train, validation and test windows from bars (oldest first).
 * `start`/`end` select bars first; features are computed on the selection;
 * windows are split chronologically by reference bar and purged (see
 * `chronologicalSplit`); the scaler is fitted on the feature rows covered by
 * the training windows and applied, unchanged, to all three splits. Windows
 * whose label is not known yet (the last `horizon` bars) are left out.
 * Throws a `DataError` saying how many bars are needed when there are too few.
 *
 * @example
 * ```ts
 * const ds = buildDataset(bars, { sequenceLength: 60, horizon: 1 });
 * console.log(ds.ranges.test.first, ds.test.n);
 * ```
 */
export function buildDataset(bars: readonly Bar[], options: DatasetOptions = {}): Dataset {
  const o = resolveOptions(options);
  const { start, end, testStart } = options;
  const selected = bars.filter((b) =>
    (start === undefined || compareTime(b.time, start) >= 0) &&
    (end === undefined || compareTime(b.time, end) <= 0)
  );
  const warmup = warmupBars(o.features, o);
  const spare = minimumWindows(o) - 1;
  const needed = warmup + o.sequenceLength + o.horizon + spare;
  if (selected.length < needed) {
    const period = start !== undefined || end !== undefined
      ? ` from ${start ?? "the first bar"} to ${end ?? "the last bar"}`
      : "";
    throw new DataError(
      `Expected at least ${needed} bars (${warmup} warm-up + ${o.sequenceLength} sequence + ${o.horizon} horizon + ${spare} for the splits), found ${selected.length}${period}`,
    );
  }
  const table = computeFeatures(selected, o.features, { decideAt: o.decideAt });
  const first = warmup + o.sequenceLength - 1;
  const count = selected.length - o.horizon - first;
  let counts = fractionCounts(count, o);
  if (testStart !== undefined) {
    let before = 0;
    while (before < count && compareTime(table.times[first + before], testStart) < 0) before++;
    const validationCount = Math.round(
      before * o.validationFraction / (o.trainFraction + o.validationFraction),
    );
    counts = { trainCount: before - validationCount, validationCount };
  }
  const split = chronologicalSplit(count, { ...counts, horizon: o.horizon });
  checkSizes(split, testStart);

  const trainRows = table.rows.slice(
    first + split.train[0] - o.sequenceLength + 1,
    first + split.train[1],
  );
  const scaler = fitScaler(trainRows, table.names);
  const make = ([a, b]: [number, number]): WindowSet =>
    windows(table, scaler, {
      from: first + a,
      to: first + b,
      sequenceLength: o.sequenceLength,
      horizon: o.horizon,
    });
  const sets = {
    train: make(split.train),
    validation: make(split.validation),
    test: make(split.test),
  };
  const info = (w: WindowSet): SplitInfo => ({
    first: w.refTimes[0],
    last: w.refTimes[w.n - 1],
    rows: w.n,
  });
  return {
    ...sets,
    scaler,
    features: resolveFeatureSpecs(o.features),
    ranges: { train: info(sets.train), validation: info(sets.validation), test: info(sets.test) },
    sequenceLength: o.sequenceLength,
    horizon: o.horizon,
    decideAt: o.decideAt,
    warmup,
  };
}

function checkSizes(split: SplitRanges, testStart: string | undefined): void {
  const sizes = {
    train: split.train[1] - split.train[0],
    validation: split.validation[1] - split.validation[0],
    test: split.test[1] - split.test[0],
  };
  if (Object.values(sizes).every((s) => s >= MIN_SPLIT_WINDOWS)) return;
  const where = testStart === undefined ? "" : ` with testStart ${testStart}`;
  throw new DataError(
    `Expected at least ${MIN_SPLIT_WINDOWS} windows in each split, found ${sizes.train} train, ${sizes.validation} validation and ${sizes.test} test${where}`,
  );
}

/**
 * Builds windows from bars with a saved scaler, which is never refitted: for
 * evaluation on other data and for the live plugin. Every reference bar after
 * the warm-up and the first full window gets a window; with `labelledOnly`
 * (the default) the last `horizon` bars, whose labels are not known yet, are
 * left out; with `labelledOnly: false` they are kept with label 0. Fewer bars
 * than warm-up + sequence length give an empty set. Context features read
 * `context`, the context series' bars. Throws a `DataError` when the scaler
 * was fitted on other features.
 *
 * @example
 * ```ts
 * const test = buildWindows(bars, scaler, { sequenceLength: 60, horizon: 1, features: DEFAULT_FEATURES });
 * ```
 */
export function buildWindows(
  bars: readonly Bar[],
  scaler: Scaler,
  options: {
    sequenceLength: number;
    horizon: number;
    features: readonly FeatureSpec[];
    labelledOnly?: boolean;
    context?: readonly Bar[];
    decideAt?: DecideAt;
  },
): WindowSet {
  const { sequenceLength, horizon, features, labelledOnly = true } = options;
  positiveInt("sequenceLength", sequenceLength);
  positiveInt("horizon", horizon);
  const table = computeFeatures(bars, features, {
    context: options.context,
    decideAt: options.decideAt,
  });
  if (table.names.join("\n") !== scaler.names.join("\n")) {
    throw new DataError(
      `Expected the scaler's features ${scaler.names.join(", ")}, found ${table.names.join(", ")}`,
    );
  }
  const from = table.warmup + sequenceLength - 1;
  const to = Math.max(from, bars.length - (labelledOnly ? horizon : 0));
  return windows(table, scaler, { from, to, sequenceLength, horizon });
}

/**
 * Windows for reference bars `from … to - 1` through a {@linkcode WindowBuffer}
 * (the one window path the live plugin also takes); labels by
 * {@linkcode upLabel}, 0 where the label is not known yet.
 */
function windows(
  table: FeatureTable,
  scaler: Scaler,
  range: { from: number; to: number; sequenceLength: number; horizon: number },
): WindowSet {
  const { from, to, sequenceLength, horizon } = range;
  const width = table.names.length;
  const n = Math.max(0, to - from);
  const span = sequenceLength * width;
  const x = new Float32Array(n * span);
  const y = new Uint8Array(n);
  const refTimes: string[] = new Array(n);
  const { closes, rows } = table;
  const buffer = new WindowBuffer(sequenceLength, width);
  for (let i = from - sequenceLength + 1; i < from; i++) buffer.push(rows[i]);
  for (let k = 0; k < n; k++) {
    const ref = from + k;
    buffer.push(rows[ref]);
    buffer.writeScaled(scaler, x.subarray(k * span, (k + 1) * span));
    y[k] = (table.decideAt === "open"
      ? openLabel(table.opens, closes, ref, horizon)
      : upLabel(closes, ref, horizon)) ?? 0;
    refTimes[k] = table.times[ref];
  }
  return { x, y, refTimes, n, seqLen: sequenceLength, nFeatures: width };
}
