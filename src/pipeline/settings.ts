/**
 * Fit settings as plain data: what a model is trained with (architecture,
 * hyperparameters, window, horizon, split, calibration) and where its bars
 * come from. The CLI's train flags, a sweep spec's flags and a library user's
 * object all end here.
 *
 * @example
 * ```ts
 * import { fitSettings } from "./settings.ts";
 * fitSettings({ epochs: 5 }).datasetOptions.trainFraction; // 0.7
 * ```
 *
 * @module
 */

import { loadSeries } from "../data/mod.ts";
import type { Interval, Series, SourceName } from "../data/types.ts";
import type { DatasetOptions } from "../dataset/mod.ts";
import { type Architecture, type Hyperparameters, withDefaults } from "../model/architectures.ts";
import type { BackendName } from "../model/backend.ts";
import type { CardDraft } from "../model/card.ts";
import {
  type CalibrationMethod,
  cardCalibration,
  DEFAULT_CALIBRATION,
} from "../model/calibration.ts";
import type { Kernel } from "../model/fast/layers.ts";

/**
 * How a model is fitted: plain data, every default filled in (build it with
 * {@linkcode fitSettings}).
 *
 * @example
 * ```ts
 * const settings: FitSettings = fitSettings({ arch: "gru", epochs: 20 });
 * ```
 */
export interface FitSettings {
  /** Architecture. */
  arch: Architecture;
  /** Backend asked for (`auto` picks one). */
  backendName: BackendName;
  /** Kernel asked for (default: fast: the fused WASM kernels, or the fused WGSL ones on webgpu). */
  kernel?: Kernel;
  /** Seed of initialisation, shuffling, dropout (and, by convention, synthetic data). */
  seed: number;
  /** Most epochs. */
  epochs: number;
  /** Windows per batch. */
  batchSize: number;
  /** Epochs without validation improvement before stopping. */
  patience: number;
  /** Bars per window. */
  sequenceLength: number;
  /** Bars ahead the label looks. */
  horizon: number;
  /** Model hyperparameters (with the seed). */
  hyperparameters: Hyperparameters;
  /** How the dataset is built and split. */
  datasetOptions: DatasetOptions;
  /** How the raw probabilities are calibrated on the validation windows (default `platt`). */
  calibration: CalibrationMethod;
  /**
   * A permutation control: shuffle the labels of each split (within the split) with this seed
   * before training, so nothing links features and labels (walk-forward's `shuffleLabels`).
   */
  shuffleLabels?: number;
  /** Let tfjs warnings through to stderr (default false). */
  verbose?: boolean;
  /** The features module that registered custom features (recorded on the card). */
  featuresModule?: { path: string; sha256: string };
}

/**
 * What {@linkcode fitSettings} takes; anything left out gets the default
 * that `deno task train --help` states.
 *
 * @example
 * ```ts
 * const options: FitOptions = { epochs: 5, lstmUnits: 16, testStart: "2024-01-02" };
 * ```
 */
export interface FitOptions {
  /** Architecture (default `lstm`). */
  arch?: Architecture;
  /** Backend (default `wasm`). */
  backendName?: BackendName;
  /** Kernel (default: by backend). */
  kernel?: Kernel;
  /** Seed (default 42). */
  seed?: number;
  /** Most epochs (default 50). */
  epochs?: number;
  /** Windows per batch (default 32). */
  batchSize?: number;
  /** Early-stopping patience (default 10). */
  patience?: number;
  /** Bars per window (default 60). */
  sequenceLength?: number;
  /** Bars ahead the label looks (default 1). */
  horizon?: number;
  /** Recurrent units (default 50). */
  lstmUnits?: number;
  /** Dropout rate (default 0.2). */
  dropout?: number;
  /** L2 penalty (default 0: off). */
  l2?: number;
  /** Adam learning rate (default 0.001). */
  learningRate?: number;
  /** Share of windows for validation (default 0.15). */
  validationFraction?: number;
  /** Share of windows for test (default 0.15). */
  testFraction?: number;
  /** First reference date of the test split (else the fractions). */
  testStart?: string;
  /** Calibration fitted on the validation windows (default `platt`). */
  calibration?: CalibrationMethod;
  /** tfjs warnings on stderr (default false). */
  verbose?: boolean;
}

/**
 * The defaults of {@linkcode FitOptions}, as `deno task train --help` states them.
 *
 * @example
 * ```ts
 * FIT_DEFAULTS.epochs; // 50
 * ```
 */
export const FIT_DEFAULTS = {
  arch: "lstm",
  backendName: "wasm",
  seed: 42,
  epochs: 50,
  batchSize: 32,
  patience: 10,
  sequenceLength: 60,
  horizon: 1,
  lstmUnits: 50,
  dropout: 0.2,
  l2: 0,
  learningRate: 0.001,
  validationFraction: 0.15,
  testFraction: 0.15,
  calibration: DEFAULT_CALIBRATION,
} as const satisfies FitOptions;

/**
 * Fills in the defaults of `options` and derives the hyperparameters and the
 * dataset options. Checks nothing: callers validate their inputs (the train
 * flags do, with usage errors naming the flag).
 *
 * @example
 * ```ts
 * const settings = fitSettings({ epochs: 2, sequenceLength: 10 });
 * settings.datasetOptions.trainFraction; // 0.7
 * ```
 */
export function fitSettings(options: FitOptions = {}): FitSettings {
  const o = { ...FIT_DEFAULTS, ...withoutUndefined(options) };
  const { sequenceLength, horizon, seed, validationFraction, testFraction } = o;
  return {
    arch: o.arch,
    backendName: o.backendName,
    kernel: options.kernel,
    seed,
    epochs: o.epochs,
    batchSize: o.batchSize,
    patience: o.patience,
    sequenceLength,
    horizon,
    hyperparameters: withDefaults({
      inputShape: [sequenceLength, 1],
      lstmUnits: o.lstmUnits,
      dropout: o.dropout,
      l2: o.l2,
      learningRate: o.learningRate,
      seed,
    }),
    datasetOptions: {
      sequenceLength,
      horizon,
      trainFraction: 1 - validationFraction - testFraction,
      validationFraction,
      testStart: options.testStart,
    },
    calibration: o.calibration,
    verbose: options.verbose ?? false,
  };
}

/**
 * The settings that refit a card's model on other bars: its architecture,
 * hyperparameters, window, horizon, features and calibration method (unless
 * `overrides` says otherwise), as walk-forward evaluation retrains it per fold.
 *
 * @example
 * ```ts
 * const settings = settingsForCard(card, { testStart: "2023-01-02", epochs: 5 });
 * ```
 */
export function settingsForCard(
  card: CardDraft,
  overrides: {
    epochs?: number;
    kernel?: Kernel;
    backendName?: BackendName;
    calibration?: CalibrationMethod;
    testStart?: string;
    verbose?: boolean;
  } = {},
): FitSettings {
  const hp = card.hyperparameters;
  const settings = fitSettings({
    arch: card.arch,
    backendName: overrides.backendName,
    kernel: overrides.kernel,
    seed: hp.seed,
    epochs: overrides.epochs ?? hp.epochs,
    batchSize: hp.batchSize,
    patience: hp.patience,
    sequenceLength: card.sequenceLength,
    horizon: card.horizon,
    lstmUnits: hp.lstmUnits,
    dropout: hp.dropout,
    l2: hp.l2,
    learningRate: hp.learningRate,
    testStart: overrides.testStart,
    calibration: overrides.calibration ?? cardCalibration(card).method,
    verbose: overrides.verbose,
  });
  return {
    ...settings,
    datasetOptions: { ...settings.datasetOptions, features: card.features },
    ...(card.featuresModule ? { featuresModule: card.featuresModule } : {}),
  };
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Where a model's training bars come from; all optional.
 *
 * @example
 * ```ts
 * const data: TrainingData = { ticker: "SPY", dataDir: "data", start: "2019-01-01" };
 * ```
 */
export interface TrainingData {
  /** One ticker (default: `CSV` with a CSV file, else `SYNTH`). */
  ticker?: string;
  /** The source (default: csv with a file, the cache with a ticker, else synthetic). */
  source?: SourceName;
  /** A CSV file to import the bars from. */
  csv?: string;
  /** The data cache folder (default `data`). */
  dataDir?: string;
  /** First bar used. */
  start?: string;
  /** Last bar used. */
  end?: string;
  /** Bar interval (default `1d`); the card records it and every later command keeps to it. */
  interval?: Interval;
}

/**
 * Train's rule for the ticker and source of {@linkcode TrainingData}: a CSV
 * file means source csv, a ticker alone the data cache, nothing at all
 * seeded synthetic bars; the ticker defaults to `CSV` or `SYNTH`.
 *
 * @example
 * ```ts
 * resolveTrainingData({}); // { ticker: "SYNTH", source: "synthetic" }
 * resolveTrainingData({ ticker: "SPY" }); // { ticker: "SPY", source: undefined }
 * ```
 */
export function resolveTrainingData(data: TrainingData): TrainingData & { ticker: string } {
  const source = data.source ?? (data.csv ? "csv" : data.ticker ? undefined : "synthetic");
  return { ...data, source, ticker: data.ticker ?? (data.csv ? "CSV" : "SYNTH") };
}

/**
 * Loads the bars a model is trained on, by {@linkcode resolveTrainingData}'s
 * rule; `seed` seeds synthetic bars (train gives them the model's seed).
 *
 * @example
 * ```ts
 * const series = await loadTrainingSeries({ ticker: "SPY", source: "synthetic" }, 42);
 * ```
 */
export async function loadTrainingSeries(data: TrainingData, seed: number): Promise<Series> {
  const { ticker, source, csv, dataDir, start, end } = resolveTrainingData(data);
  return await loadSeries({
    ticker,
    source,
    csv,
    dataDir,
    start,
    end,
    seed,
    interval: data.interval,
  });
}
