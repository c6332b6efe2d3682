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
import { buildDataset, type Dataset, minimumBars } from "../dataset/mod.ts";
import { checkTrainingWindows } from "../dataset/capacity.ts";
import { computeFeatures } from "../features/mod.ts";
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
import type { WindowSet } from "../dataset/types.ts";
import { nextVersion, promote } from "../model/versions.ts";
import { DataError } from "../util/errors.ts";
import { createRng } from "../util/random.ts";

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
  /** The windows it was trained, validated and tested on. */
  dataset: Dataset;
  /** What training did. */
  result: TrainResult;
  /** The backend that trained it. */
  backend: string;
  /** Who ran the recurrent layers. */
  kernel: Kernel;
  /** Metrics of each split. */
  metrics: { train: Metrics; validation: Metrics; test: Metrics };
  /** Share of up labels in the test split. */
  testBaseRate: number;
  /** The calibration fitted on the validation windows (also in the card). */
  calibration: Calibration;
  /** The model card's draft, as `saveModel` takes it. */
  card: CardDraft;
  /** The drift reference (`reference.json`). */
  reference: ReferenceProfile;
}

/**
 * Builds the dataset of `series` and trains a model as `settings` say;
 * `hooks.shouldStop` stops it after the current batch with the best weights
 * so far (the card then says interrupted). Saves nothing.
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
  hooks: FitHooks = {},
): Promise<FittedModel> {
  const { arch, seed, epochs, batchSize, patience, sequenceLength, horizon } = settings;
  const hp = settings.hyperparameters;
  const verbose = settings.verbose ?? false;
  const log = hooks.log ?? ((): void => {});
  const needed = minimumBars(settings.datasetOptions);
  if (series.bars.length < needed) {
    throw new DataError(
      `Expected at least ${needed} bars for --sequence-length ${sequenceLength}, indicator warm-up and three splits, found ${series.bars.length}`,
    );
  }
  // Before any work: a window longer than the data, or too few training windows, is refused.
  checkTrainingWindows(series.bars.length, settings.datasetOptions);
  const built = buildDataset(series.bars, settings.datasetOptions);
  const dataset = settings.shuffleLabels === undefined
    ? built
    : shuffledLabels(built, settings.shuffleLabels);
  const workload = { batchSize, lstmUnits: hp.lstmUnits }; // what `--backend auto` decides for
  const backend = await selectBackend(settings.backendName, { verbose, log, workload });
  const kernel = resolveKernel(settings.kernel, backend);
  log(
    `train: ${series.symbol} (${series.source}) ${arch} on ${backend} (${kernel} kernel): ${dataset.train.n} train, ` +
      `${dataset.validation.n} validation, ${dataset.test.n} test windows of ` +
      `${sequenceLength}×${dataset.train.nFeatures}`,
  );
  const model = await quietly(
    () =>
      buildModel(arch, { ...hp, inputShape: [sequenceLength, dataset.train.nFeatures], kernel }),
    verbose,
  );
  const result = await quietly(
    () =>
      trainModel(model, dataset, {
        epochs,
        batchSize,
        patience,
        seed,
        log,
        shouldStop: hooks.shouldStop,
      }),
    verbose,
  );
  // The raw network probabilities of each split, read once: the card's metrics (those of the
  // saved weights) and the calibration's inputs.
  const raw = {
    train: await predictProbabilitiesAsync(model, dataset.train),
    validation: await predictProbabilitiesAsync(model, dataset.validation),
    test: await predictProbabilitiesAsync(model, dataset.test),
  };
  const metrics = {
    train: metricsOf(raw.train, dataset.train),
    validation: metricsOf(raw.validation, dataset.validation),
    test: metricsOf(raw.test, dataset.test),
  };
  const testBaseRate = dataset.test.y.reduce((sum, y) => sum + y, 0) / Math.max(1, dataset.test.n);
  // Calibration on the validation windows only, shrinking toward the training base rate (the
  // climatology evaluation compares with); its skill on the test windows is recorded beside.
  const trainBaseRate = dataset.train.y.reduce((sum, y) => sum + y, 0) / dataset.train.n;
  const fittedCalibration = fitCalibration(raw.validation, dataset.validation.y, {
    method: settings.calibration,
    baseRate: trainBaseRate,
  });
  const calibration: Calibration = {
    ...fittedCalibration,
    test: splitSkill(fittedCalibration, raw.test, dataset.test.y),
  };
  log(`calibration: ${calibration.method}; ${calibration.reason}`);
  // The drift reference: raw features of each training window's last bar and the probabilities
  // the model hands out (calibrated) on the training windows, for `deno task monitor`.
  const table = computeFeatures(series.bars, dataset.features);
  const rowAt = new Map(table.times.map((time, i) => [time, table.rows[i]]));
  const reference = referenceProfile(
    dataset.train.refTimes.map((time) => rowAt.get(time)!),
    table.names,
    calibrateAll(calibration, raw.train),
  );
  const card: CardDraft = {
    arch,
    hyperparameters: { ...hp, epochs, batchSize, patience },
    features: dataset.features,
    sequenceLength,
    nFeatures: dataset.train.nFeatures,
    horizon,
    data: {
      source: series.source,
      ticker: series.symbol,
      interval: series.interval,
      ranges: dataset.ranges,
    },
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
    dataset,
    result,
    backend,
    kernel,
    metrics,
    testBaseRate,
    calibration,
    card,
    reference,
  };
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

/** Loss and accuracy of probabilities on a window set: what `measureModel` computes. */
function metricsOf(probabilities: Float32Array, windows: WindowSet): Metrics {
  return {
    loss: logLoss(probabilities, windows.y),
    accuracy: accuracy(probabilities, windows.y),
  };
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
 * overwriting one), with `extraFiles` beside it, and promotes it if asked.
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
  const weightsSha256 = await saveModel(modelDir, fitted.model, {
    card: fitted.card,
    scaler: fitted.dataset.scaler,
    history: fitted.result.history,
    overwrite: false,
    extraFiles: { [REFERENCE_FILE]: fitted.reference, ...options.extraFiles },
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
  /** Share of up labels in the test split (the always-up baseline's accuracy). */
  testBaseRate: number;
  /** The calibration fitted on the validation windows. */
  calibration: Calibration;
}

/**
 * Fits a model on `series` and saves it as the next version of
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
  series: Series,
  settings: FitSettings,
  options: FitAndSaveOptions,
): Promise<FitSummary> {
  const fitted = await fitModel(series, settings, options);
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
    };
  } finally {
    fitted.model.dispose();
  }
}
