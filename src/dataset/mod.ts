/**
 * Windows, labels and chronological splits: from bars to the
 * {@linkcode WindowSet}s a model trains and is evaluated on, through one
 * training-set contract ({@linkcode TrainingSet}) with two shapes: one series
 * ({@linkcode seriesTrainingSet}, windows built by {@linkcode buildDataset})
 * and a universe of many symbols ({@linkcode universeDataset}, windows written
 * on demand from the tables of {@linkcode buildUniverseTables}).
 *
 * A window of `sequenceLength` feature rows ends on its reference bar `t`
 * (rows `t - sequenceLength + 1 … t`) and its label is 1 when the adjusted
 * close `horizon` bars later is above the close of `t` (a universe may label
 * `beats-median` instead). Nothing in a window comes from after `t`. Splits
 * are chronological by reference bar (by calendar date, the same cuts for
 * every symbol, in a universe), purged so that no label of one split looks at
 * a bar of the next, and the scaler is fitted on the feature rows of the
 * training windows only.
 *
 * @example
 * ```ts
 * import { seriesTrainingSet } from "./mod.ts";
 * const set = seriesTrainingSet(series, { sequenceLength: 30 });
 * console.log(set.description, set.train.n, set.ranges.test.first);
 * ```
 *
 * @module
 */

export { adjustedCloses, openLabel, upLabel, WindowBuffer } from "./window.ts";
export { isWindowSource, type WindowSet, type WindowSource, windowSource } from "./types.ts";
export {
  chronologicalSplit,
  type Fold,
  MIN_SPLIT_WINDOWS,
  type SplitRanges,
  walkForwardFolds,
} from "./splits.ts";
export {
  buildDataset,
  buildWindows,
  type Dataset,
  type DatasetOptions,
  minimumBars,
  type SplitInfo,
} from "./series.ts";

// The one training-set contract and the series shape.
export {
  type CardDataSection,
  type LabelKind,
  LABELS,
  sampleIndices,
  type Scalers,
  type Scaling,
  SCALINGS,
  type SeriesTrainingSet,
  seriesTrainingSet,
  subset,
  type TrainingSet,
  trainingSetOf,
} from "./training_set.ts";

// The universe shape: tables and labels, date splits, scalers and windows written on demand.
export {
  buildUniverseTables,
  type SymbolTable,
  type UniverseTableOptions,
  type UniverseTables,
} from "./universe_tables.ts";
export {
  buildUniverseDataset,
  dateRange,
  type DateSplit,
  dateSplit,
  type DateSplitOptions,
  fitUniverseScalers,
  MIN_SYMBOL_TRAINING_WINDOWS,
  referenceDates,
  scalerFor,
  scaleTables,
  splitRange,
  type UniverseAbout,
  type UniverseDataset,
  universeDataset,
  type UniverseDatasetOptions,
  type UniverseWindows,
  universeWindows,
  type WindowRange,
  windowsInfo,
} from "./universe.ts";
