/**
 * Fitting and saving a model version, the way `deno task train` and
 * `deno task retrain` do it: build the dataset of a series (scaler fitted on
 * the training rows only), train one architecture with early stopping, score
 * every split, profile the training distributions for drift monitoring, and
 * save the next version `<root>/vN` beside the others (never over one).
 * Settings are plain data: no flags, nothing read from the command line.
 *
 * @example
 * ```ts
 * import { fitAndSave, fitSettings, loadTrainingSeries } from "./fit.ts";
 * const settings = fitSettings({ epochs: 5, seed: 7 });
 * const series = await loadTrainingSeries({ source: "synthetic" }, settings.seed);
 * const saved = await fitAndSave(series, settings, { modelRoot: "models/lstm" });
 * console.log(saved.version, saved.metrics.test.accuracy);
 * ```
 *
 * @module
 */

import { join } from "node:path";
import type { LayersModel } from "../model/mod.ts";
import type { Series } from "../data/types.ts";
import { type Dataset, minimumBars } from "../dataset/mod.ts";
import {
  sampleIndices,
  type SeriesTrainingSet,
  seriesTrainingSet,
  subset,
  type TrainingSet,
} from "../dataset/training_set.ts";
import type { WindowSource } from "../dataset/types.ts";
import { checkTrainingWindows } from "../dataset/capacity.ts";
import { REFERENCE_FILE, type ReferenceProfile, referenceProfile } from "../eval/drift.ts";
import { buildModel } from "../model/architectures.ts";
import { quietly, selectBackend } from "../model/backend.ts";
import type { CardDraft } from "../model/card.ts";
import {
  calibrateAll,
  type Calibration,
  fitCalibration,
  splitSkill,
} from "../model/calibration.ts";
import { type Kernel, resolveKernel } from "../model/fast/layers.ts";
import { saveModel } from "../model/store.ts";
import {
  type Metrics,
  predictProbabilitiesAsync,
  trainModel,
  type TrainResult,
} from "../model/train.ts";
import { accuracy, logLoss } from "../eval/scores.ts";
import { nextVersion, promote } from "../model/versions.ts";
import { DataError, UsageError } from "../util/errors.ts";
import { scalersFileContent, UNIVERSE_SCALERS_FILE } from "../model/scalers.ts";

export {
  FIT_DEFAULTS,
  type FitOptions,
  type FitSettings,
  fitSettings,
  loadTrainingSeries,
  resolveTrainingData,
  settingsForCard,
  type TrainingData,
} from "./settings.ts";
import type { FitSettings } from "./settings.ts";

/**
 * Progress and interruption of a fit.
 *
 * @example
 * ```ts
 * const hooks: FitHooks = { log: console.error, shouldStop: () => false };
 * ```
 */
export interface FitHooks {
  /** Progress lines (the plan, one line per epoch); default none. */
  log?: (line: string) => void;
  /** Stop after the current batch once this returns true (keeping the best weights). */
  shouldStop?: () => boolean;
}

/**
 * A model trained by {@linkcode fitModel}, not saved yet.
 *
 * @example
 * ```ts
 * const fitted: FittedModel = await fitModel(series, fitSettings());
 * fitted.metrics.test.accuracy;
 * ```
 */
export interface FittedModel {
  /** The model with its best weights. */
  model: LayersModel;
  /** The training set it was trained, validated and tested on. */
  set: TrainingSet;
  /** What training did. */
  result: TrainResult;
  /** The backend that trained it. */
  backend: string;
  /** Who ran the recurrent layers. */
  kernel: Kernel;
  /** Metrics of each split (the training split's on a sample of {@linkcode TRAIN_SAMPLE} windows at most). */
  metrics: { train: Metrics; validation: Metrics; test: Metrics };
  /** Share of 1 labels in the test split. */
  testBaseRate: number;
  /** The calibration fitted on the held-out half of the validation windows (also in the card). */
  calibration: Calibration;
  /** The model card's draft, as `saveModel` takes it. */
  card: CardDraft;
  /** The drift reference (`reference.json`). */
  reference: ReferenceProfile;
}

/** Most training windows the card's training metrics and the drift reference are computed on. */
export const TRAIN_SAMPLE = 50_000;

/**
 * The training set of one series as `settings` build it, checked before any
 * work: too few bars for the window, the warm-up and three splits, or too few
 * training windows, are refused with one line.
 *
 * @example
 * ```ts
 * const set = seriesSet(series, fitSettings({ sequenceLength: 20 }));
 * ```
 */
export function seriesSet(series: Series, settings: FitSettings): SeriesTrainingSet {
  if (settings.datasetOptions.decideAt === "open" && series.interval !== "1d") {
    throw new UsageError(
      `Expected daily bars to decide at the open (an intraday bar opens where the last one closed, so there is no gap to read), found ${series.interval} bars of ${series.symbol}`,
      { options: ["decideAt"] },
    );
  }
  const needed = minimumBars(settings.datasetOptions);
  if (series.bars.length < needed) {
    throw new DataError(
      `Expected at least ${needed} bars for --sequence-length ${settings.sequenceLength}, indicator warm-up and three splits, found ${series.bars.length}`,
    );
  }
  checkTrainingWindows(series.bars.length, settings.datasetOptions);
  return seriesTrainingSet(series, {
    ...settings.datasetOptions,
    shuffleLabels: settings.shuffleLabels,
  });
}

/**
 * Trains a model on a training set (one series, built by
 * {@linkcode seriesSet}, or a universe) as `settings` say, with early stopping
 * on the earlier half of the validation windows, calibrates it on the later
 * half (rows that neither trained it nor picked its epoch) and drafts its card; `hooks.shouldStop` stops it
 * after the current batch with the best weights so far (the card then says
 * interrupted). Saves nothing.
 *
 * @example
 * ```ts
 * const fitted = await fitModel(series, fitSettings({ epochs: 5 }), { log: console.error });
 * fitted.model.dispose();
 * ```
 */
export async function fitModel(
  series: Series,
  settings: FitSettings,
  hooks?: FitHooks,
): Promise<FittedModel & { set: SeriesTrainingSet; dataset: Dataset }>;
/**
 * Trains a model on a training set already built (a series' or a universe's), as the first
 * overload does for a series.
 *
 * @example
 * ```ts
 * const fitted = await fitModel(universeSet(data, settings), settings.fit);
 * fitted.model.dispose();
 * ```
 */
export async function fitModel<S extends TrainingSet>(
  set: S,
  settings: FitSettings,
  hooks?: FitHooks,
): Promise<FittedModel & { set: S }>;
export async function fitModel(
  data: Series | TrainingSet,
  settings: FitSettings,
  hooks: FitHooks = {},
): Promise<FittedModel & { dataset?: Dataset }> {
  const set = "bars" in data ? seriesSet(data, settings) : data;
  const { arch, seed, epochs, batchSize, patience, sequenceLength, horizon } = settings;
  const hp = settings.hyperparameters;
  const verbose = settings.verbose ?? false;
  const log = hooks.log ?? ((): void => {});
  const workload = { batchSize, lstmUnits: hp.lstmUnits }; // what `--backend auto` decides for
  const backend = await selectBackend(settings.backendName, { verbose, log, workload });
  const kernel = resolveKernel(settings.kernel, backend);
  const { train, validation, test, ranges } = set;
  log(
    `train: ${set.description} ${arch} on ${backend} (${kernel} kernel): ${train.n} train (${ranges.train.first} to ${ranges.train.last}), ` +
      `${validation.n} validation (to ${ranges.validation.last}), ${test.n} test windows (to ${ranges.test.last}) of ` +
      `${sequenceLength}×${train.nFeatures}`,
  );
  for (const d of set.dropped) log(`  dropped ${d.symbol}: ${d.reason}`);
  const model = await quietly(
    () => buildModel(arch, { ...hp, inputShape: [sequenceLength, train.nFeatures], kernel }),
    verbose,
  );
  try {
    // Early stopping reads the earlier part of the validation slice only; the later part, which
    // neither trained the network nor picked its epoch, is the calibration's (see holdOut).
    const held = holdOut(validation, set.horizon);
    const result = await quietly(
      () =>
        trainModel(model, { train, validation: held.earlyStopping }, {
          epochs,
          batchSize,
          patience,
          seed,
          log,
          shouldStop: hooks.shouldStop,
          threads: settings.threads,
        }),
      verbose,
    );
    // The raw network probabilities of each split, read once: the card's metrics (those of the
    // saved weights) and the calibration's inputs. A large training split is sampled.
    const sample = sampleIndices(train.n, TRAIN_SAMPLE, seed);
    const trainSample = sample.length === train.n ? train : subset(train, sample);
    const raw = {
      train: await predictProbabilitiesAsync(model, trainSample),
      validation: await predictProbabilitiesAsync(model, validation),
      test: await predictProbabilitiesAsync(model, test),
    };
    const metrics = {
      train: metricsOf(raw.train, trainSample.y),
      validation: metricsOf(raw.validation, validation.y),
      test: metricsOf(raw.test, test.y),
    };
    const testBaseRate = mean(test.y);
    // Calibration on the held-out validation windows only, shrinking toward the training base
    // rate (the climatology evaluation compares with); its skill on the test windows is recorded.
    const fittedCalibration = fitCalibration(
      Array.from(held.calibration, (i) => raw.validation[i]),
      Array.from(held.calibration, (i) => validation.y[i]),
      { method: settings.calibration, baseRate: mean(train.y) },
    );
    const calibration: Calibration = {
      ...fittedCalibration,
      test: splitSkill(fittedCalibration, raw.test, test.y),
    };
    log(`calibration: ${calibration.method}; ${calibration.reason}`);
    // The drift reference: raw features of each (sampled) training window's last bar and the
    // probabilities the model hands out (calibrated) on them, for `deno task monitor`.
    const reference = referenceProfile(
      Array.from(sample, (i) => set.referenceRow(i)),
      set.names,
      calibrateAll(calibration, raw.train),
    );
    const card: CardDraft = {
      arch,
      hyperparameters: { ...hp, epochs, batchSize, patience },
      features: set.features,
      sequenceLength,
      nFeatures: train.nFeatures,
      horizon,
      ...set.card,
      seed,
      backend,
      kernel,
      metrics,
      testBaseRate,
      calibration,
      interrupted: result.interrupted,
      bestEpoch: result.bestEpoch,
      epochsRun: result.epochsRun,
      ...(settings.featuresModule ? { featuresModule: settings.featuresModule } : {}),
    };
    return {
      model,
      set,
      ...("dataset" in set ? { dataset: (set as SeriesTrainingSet).dataset } : {}),
      result,
      backend,
      kernel,
      metrics,
      testBaseRate,
      calibration,
      card,
      reference,
    };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/**
 * The validation slice split in time: the earlier half stops training early (picks the epoch),
 * the later half calibrates and judges skill (`src/model/calibration.ts` says why). Windows are
 * in time order (a universe's by date, then symbol); the cut falls between two dates, and the
 * `horizon` dates before it are left out of early stopping so no label spans both parts. Each
 * part keeps at least one window (a held-out part that small calibrates to the base rate).
 */
function holdOut(
  validation: WindowSource,
  horizon: number,
): { earlyStopping: WindowSource; calibration: Uint32Array } {
  const n = validation.n;
  // A universe's windows carry their calendar index; a series' windows are one per bar.
  const dates = (validation as { dates?: ArrayLike<number> }).dates;
  const time = (i: number): number => (dates ? dates[i] : i);
  const cut = n > 1 ? time(Math.floor(n / 2)) : Infinity;
  let early = 0, late = n;
  while (early < n && time(early) <= cut - horizon) early++;
  while (late > 0 && time(late - 1) >= cut) late--;
  early = Math.max(1, Math.min(early, n - 1));
  late = Math.max(early, late);
  const range = (from: number, to: number): Uint32Array =>
    Uint32Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k);
  return {
    earlyStopping: n > 1 ? subset(validation, range(0, early)) : validation,
    calibration: n > 1 ? range(late, n) : range(0, n),
  };
}

function mean(y: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += y[i];
  return y.length ? sum / y.length : NaN;
}

/** Loss and accuracy of probabilities on labels: what `measureModel` computes. */
function metricsOf(probabilities: ArrayLike<number>, labels: ArrayLike<number>): Metrics {
  return { loss: logLoss(probabilities, labels), accuracy: accuracy(probabilities, labels) };
}

/**
 * Where {@linkcode saveVersion} put a model.
 *
 * @example
 * ```ts
 * const saved: SavedVersion = await saveVersion(fitted, "models/lstm", { promote: true });
 * ```
 */
export interface SavedVersion {
  /** The version, `vN`. */
  version: string;
  /** Its folder, `<modelRoot>/vN`. */
  modelDir: string;
  /** SHA-256 of `weights.bin`. */
  weightsSha256: string;
}

/**
 * Saves a fitted model as the next version `<modelRoot>/vN` (never
 * overwriting one), with its drift reference, its per-symbol scalers (a
 * universe under per-symbol scaling) and `extraFiles` beside it, and promotes
 * it if asked.
 *
 * @example
 * ```ts
 * const { version } = await saveVersion(fitted, "models/lstm", { promote: false });
 * ```
 */
export async function saveVersion(
  fitted: FittedModel,
  modelRoot: string,
  options: { promote: boolean; extraFiles?: Record<string, unknown> },
): Promise<SavedVersion> {
  const version = await nextVersion(modelRoot);
  const modelDir = join(modelRoot, version);
  const scalers = scalersFileContent(fitted.set.scalers);
  const weightsSha256 = await saveModel(modelDir, fitted.model, {
    card: fitted.card,
    scaler: fitted.set.scalers.pooled,
    history: fitted.result.history,
    overwrite: false,
    extraFiles: {
      [REFERENCE_FILE]: fitted.reference,
      ...(scalers ? { [UNIVERSE_SCALERS_FILE]: scalers } : {}),
      ...options.extraFiles,
    },
  });
  if (options.promote) await promote(modelRoot, version);
  return { version, modelDir, weightsSha256 };
}

/**
 * Options of {@linkcode fitAndSave}.
 *
 * @example
 * ```ts
 * const options: FitAndSaveOptions = { modelRoot: "models/lstm", promote: false };
 * ```
 */
export interface FitAndSaveOptions extends FitHooks {
  /** The versioned model folder, `<model-dir>/<name>`. */
  modelRoot: string;
  /** Make the new version current (default true). */
  promote?: boolean;
  /** More JSON files for the version folder, by file name. */
  extraFiles?: Record<string, unknown>;
}

/**
 * What {@linkcode fitAndSave} did: the summary `deno task train --json` prints.
 *
 * @example
 * ```ts
 * const summary: FitSummary = await fitAndSave(series, settings, { modelRoot: "models/lstm" });
 * console.log(summary.modelDir, summary.interrupted);
 * ```
 */
export interface FitSummary extends SavedVersion {
  /** Whether the version is now current. */
  current: boolean;
  /** Epochs run. */
  epochsRun: number;
  /** The epoch whose weights were kept. */
  bestEpoch: number;
  /** Whether `shouldStop` cut training short. */
  interrupted: boolean;
  /** The backend that trained it. */
  backend: string;
  /** Who ran the recurrent layers. */
  kernel: Kernel;
  /** Metrics of each split. */
  metrics: { train: Metrics; validation: Metrics; test: Metrics };
  /** Share of 1 labels in the test split (the always-up baseline's accuracy, for `up`). */
  testBaseRate: number;
  /** The calibration fitted on the validation windows. */
  calibration: Calibration;
  /** A universe model's label, scaling, context, split and symbol count. */
  universe?: NonNullable<CardDraft["universe"]> & { label: string; symbolCount: number };
  /** Symbols left out of a universe, and why. */
  dropped?: { symbol: string; reason: string }[];
}

/**
 * Fits a model on a series or a training set and saves it as the next version of
 * `options.modelRoot` (promoted unless `promote: false`), in one call;
 * releases the model's memory.
 *
 * @example
 * ```ts
 * const series = await loadTrainingSeries({ source: "synthetic" }, 42);
 * const summary = await fitAndSave(series, fitSettings({ epochs: 5 }), {
 *   modelRoot: "models/lstm",
 * });
 * ```
 */
export async function fitAndSave(
  data: Series | TrainingSet,
  settings: FitSettings,
  options: FitAndSaveOptions,
): Promise<FitSummary> {
  const fitted = "bars" in data
    ? await fitModel(data, settings, options)
    : await fitModel(data, settings, options);
  try {
    const promoted = options.promote ?? true;
    const { version, modelDir, weightsSha256 } = await saveVersion(fitted, options.modelRoot, {
      promote: promoted,
      extraFiles: options.extraFiles,
    });
    const { result, backend, kernel, metrics, testBaseRate, calibration } = fitted;
    return {
      modelDir,
      version,
      current: promoted,
      epochsRun: result.epochsRun,
      bestEpoch: result.bestEpoch,
      interrupted: result.interrupted,
      backend,
      kernel,
      metrics,
      testBaseRate,
      calibration,
      weightsSha256,
      ...(fitted.card.universe
        ? {
          universe: {
            ...fitted.card.universe,
            label: fitted.set.label,
            symbolCount: fitted.card.universe.symbols.length,
          },
          dropped: fitted.set.dropped,
        }
        : {}),
    };
  } finally {
    fitted.model.dispose();
  }
}
