/**
 * The one training-set contract: what a fit, its calibration, its card and
 * its drift reference need of the data, whatever its shape. Two
 * implementations: one series ({@linkcode seriesTrainingSet}, windows
 * materialised by `buildDataset`) and a universe of many symbols
 * (`universeTrainingSet` in `./universe.ts`, windows written on demand from
 * shared feature tables). Everything above the dataset layer (fit,
 * calibration, scoring, walk-forward, studies) takes a `TrainingSet` and so is
 * written once. What stays universe-only is what is truly cross-sectional:
 * the `beats-median` label, per-symbol scalers and the portfolio.
 *
 * @example
 * ```ts
 * import { seriesTrainingSet } from "./training_set.ts";
 * const set = seriesTrainingSet(series, { sequenceLength: 30 });
 * console.log(set.description, set.train.n, set.ranges.test.first);
 * ```
 *
 * @module
 */

import type { Series } from "../data/types.ts";
import type { DecideAt, FeatureSpec, Scaler } from "../features/mod.ts";
import { computeFeatures } from "../features/mod.ts";
import { createRng } from "../util/random.ts";
import { buildDataset, type Dataset, type DatasetOptions, type SplitInfo } from "./series.ts";
import { type WindowSet, type WindowSource, windowSource } from "./types.ts";

/**
 * What a label means: `up` (the close `horizon` bars later above this close)
 * or `beats-median` (the symbol's return over the horizon above the
 * universe's cross-sectional median that day).
 *
 * @example
 * ```ts
 * LABELS.includes("beats-median"); // true
 * ```
 */
export const LABELS = ["up", "beats-median"] as const;
/** A label kind (see {@linkcode LABELS}). */
export type LabelKind = typeof LABELS[number];

/**
 * How features are standardised: `pooled` (one scaler fitted on every
 * training row) or `per-symbol` (one per symbol; a universe only).
 *
 * @example
 * ```ts
 * SCALINGS.includes("per-symbol"); // true
 * ```
 */
export const SCALINGS = ["pooled", "per-symbol"] as const;
/** A scaling (see {@linkcode SCALINGS}). */
export type Scaling = typeof SCALINGS[number];

/**
 * The scalers of a training set, fitted on its training rows only: the pooled
 * one (a single series' only scaler) and, under per-symbol scaling, one per
 * symbol.
 *
 * @example
 * ```ts
 * const scalers: Scalers = { scaling: "pooled", pooled: scaler, perSymbol: new Map() };
 * ```
 */
export interface Scalers {
  /** How windows are scaled. */
  scaling: Scaling;
  /** The scaler of every training row together. */
  pooled: Scaler;
  /** One scaler per symbol (`per-symbol` scaling only; a symbol without one is not scored). */
  perSymbol: Map<string, Scaler>;
}

/**
 * What a model card records of the data it was trained on: its `data`
 * section, its `label` and, for a universe, its `universe` section. The card
 * (`src/model/card.ts`) takes it as it is.
 *
 * @example
 * ```ts
 * const section: CardDataSection = set.card;
 * section.data.ranges.validation.last; // the last date the model learned from
 * ```
 */
export interface CardDataSection {
  /** The series (or universe) and its chronological splits. */
  data: {
    source: string;
    ticker: string;
    interval: string;
    /** Whose calendar the bars follow (left out for the NYSE, as cards always had it). */
    venue?: Series["venue"];
    /** The exchange of bars from the `ccxt` source. */
    exchange?: string;
    ranges: { train: SplitInfo; validation: SplitInfo; test: SplitInfo };
  };
  /** The label (left out for `up` on a single series, as cards always had it). */
  label?: LabelKind;
  /** `open` for a model that decides at the open (left out at the close, as cards always had it). */
  decideAt?: "open";
  /** A universe's members, scaling, context and cut dates. */
  universe?: {
    name: string;
    source: string;
    path?: string;
    symbols: string[];
    scaling: Scaling;
    context?: string;
    study?: string;
    split: { trainStart: string; trainEnd: string; validationEnd: string; testEnd: string };
  };
}

/**
 * Train, validation and test windows with everything a fit needs of them.
 * Build one with {@linkcode seriesTrainingSet} or `universeTrainingSet`.
 *
 * @example
 * ```ts
 * const set: TrainingSet = seriesTrainingSet(series);
 * const fitted = await fitModel(set, fitSettings());
 * ```
 */
export interface TrainingSet {
  /** What the set is, in words, for progress lines (`SPY (csv)`, `universe u5 (5 symbols)`). */
  readonly description: string;
  /** Training windows. */
  readonly train: WindowSource;
  /** Validation windows (early stopping and calibration). */
  readonly validation: WindowSource;
  /** Test windows, never looked at while training. */
  readonly test: WindowSource;
  /** The features with every parameter filled in, in column order. */
  readonly features: FeatureSpec[];
  /** Feature column names. */
  readonly names: string[];
  /** Bars per window. */
  readonly sequenceLength: number;
  /** Bars ahead the label looks. */
  readonly horizon: number;
  /** What the labels mean. */
  readonly label: LabelKind;
  /** When the decision is taken: at the close, or at the open (labels open to close). */
  readonly decideAt: DecideAt;
  /** The scalers, fitted on the training rows only. */
  readonly scalers: Scalers;
  /** Reference ranges and sizes of the splits. */
  readonly ranges: { train: SplitInfo; validation: SplitInfo; test: SplitInfo };
  /** What the card records of the data. */
  readonly card: CardDataSection;
  /** The raw (unscaled) feature row of the reference bar of training window `i`. */
  referenceRow(i: number): ArrayLike<number>;
  /** Symbols left out of the set, and why (none for a single series). */
  readonly dropped: { symbol: string; reason: string }[];
}

/**
 * A {@linkcode TrainingSet} of one series: `buildDataset`'s splits (purged,
 * the scaler fitted on the training rows) with the dataset kept beside them.
 *
 * @example
 * ```ts
 * const set = seriesTrainingSet(series, { sequenceLength: 20 });
 * set.dataset.test.refTimes[0]; // the first test window's reference bar
 * ```
 */
export interface SeriesTrainingSet extends TrainingSet {
  /** The materialised windows and scaler. */
  readonly dataset: Dataset;
}

/**
 * Builds the training set of one series (see `buildDataset` for the splits);
 * `shuffleLabels` permutes each split's labels within the split with that
 * seed (the permutation control: nothing links features and labels).
 * Throws a `DataError` saying how many bars are needed when there are too few.
 *
 * @example
 * ```ts
 * const set = seriesTrainingSet(series, { sequenceLength: 60, testStart: "2023-01-03" });
 * ```
 */
export function seriesTrainingSet(
  series: Series,
  options: DatasetOptions & { shuffleLabels?: number } = {},
): SeriesTrainingSet {
  const dataset = buildDataset(series.bars, options);
  return trainingSetOf(
    series,
    options.shuffleLabels === undefined ? dataset : shuffledLabels(dataset, options.shuffleLabels),
  );
}

/**
 * The training set of a series whose dataset is already built (the labels
 * permuted by a control, say).
 *
 * @example
 * ```ts
 * const set = trainingSetOf(series, buildDataset(series.bars));
 * ```
 */
export function trainingSetOf(series: Series, dataset: Dataset): SeriesTrainingSet {
  let rows: Map<string, Float64Array> | undefined;
  const referenceRow = (i: number): Float64Array => {
    if (!rows) {
      const table = computeFeatures(series.bars, dataset.features, {
        decideAt: dataset.decideAt,
      });
      rows = new Map(table.times.map((time, k) => [time, table.rows[k]]));
    }
    return rows.get(dataset.train.refTimes[i])!;
  };
  return {
    description: `${series.symbol} (${series.source})${
      dataset.decideAt === "open" ? ", deciding at the open" : ""
    }`,
    dataset,
    train: windowSource(dataset.train),
    validation: windowSource(dataset.validation),
    test: windowSource(dataset.test),
    features: dataset.features,
    names: dataset.scaler.names,
    sequenceLength: dataset.sequenceLength,
    horizon: dataset.horizon,
    label: "up",
    decideAt: dataset.decideAt,
    scalers: { scaling: "pooled", pooled: dataset.scaler, perSymbol: new Map() },
    ranges: dataset.ranges,
    card: {
      data: {
        source: series.source,
        ticker: series.symbol,
        interval: series.interval,
        ...(series.venue && series.venue !== "nyse" ? { venue: series.venue } : {}),
        ...(series.exchange ? { exchange: series.exchange } : {}),
        ranges: dataset.ranges,
      },
      ...(dataset.decideAt === "open" ? { decideAt: "open" as const } : {}),
    },
    referenceRow,
    dropped: [],
  };
}

/**
 * The windows `indices` of `source` (ascending or not), as a source of their
 * own: window `k` of the result is window `indices[k]` of `source`.
 *
 * @example
 * ```ts
 * const firstTen = subset(set.train, Uint32Array.from({ length: 10 }, (_, i) => i));
 * ```
 */
export function subset(source: WindowSource, indices: Uint32Array): WindowSource {
  const y = Uint8Array.from(indices, (i) => source.y[i]);
  return {
    n: indices.length,
    seqLen: source.seqLen,
    nFeatures: source.nFeatures,
    y,
    fill(picks: ArrayLike<number>, out: Float32Array): void {
      source.fill(Uint32Array.from(Array.from(picks, (k) => indices[k])), out);
    },
  };
}

/**
 * A seeded sample of at most `max` of `n` window indices, ascending (all of
 * them when `n <= max`): what the card's training metrics and the drift
 * reference are computed on for a large set.
 *
 * @example
 * ```ts
 * sampleIndices(5, 10, 42); // Uint32Array [0, 1, 2, 3, 4]
 * ```
 */
export function sampleIndices(n: number, max: number, seed: number): Uint32Array {
  const all = new Uint32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  if (n <= max) return all;
  const rng = createRng(seed);
  for (let i = 0; i < max; i++) {
    const j = i + rng.int(n - i);
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, max).sort();
}

/** The dataset with each split's labels permuted within the split (seeded Fisher-Yates). */
function shuffledLabels(dataset: Dataset, seed: number): Dataset {
  const rng = createRng(seed);
  const shuffle = (set: WindowSet): WindowSet => {
    const y = Uint8Array.from(set.y);
    for (let i = y.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [y[i], y[j]] = [y[j], y[i]];
    }
    return { ...set, y };
  };
  return {
    ...dataset,
    train: shuffle(dataset.train),
    validation: shuffle(dataset.validation),
    test: shuffle(dataset.test),
  };
}
