/**
 * `deno task train`: build the dataset from cached, imported or synthetic
 * bars, train one of the architectures with early stopping, and save the
 * model folder.
 *
 * @module
 */

import { join } from "node:path";
import {
  choiceFlag,
  type Command,
  dateFlag,
  type Flags,
  kernelFlag,
  kernelHelp,
  numberFlag,
  parseFlags,
  printResult,
  progress,
  stringFlag,
} from "./common.ts";
import { loadSeries } from "../data/mod.ts";
import { type Series, type SourceName, SOURCES } from "../data/types.ts";
import { buildDataset, type Dataset, type DatasetOptions, minimumBars } from "../dataset/mod.ts";
import { computeFeatures } from "../features/mod.ts";
import { REFERENCE_FILE, referenceProfile } from "../eval/drift.ts";
import { nextVersion, promote } from "../model/versions.ts";
import {
  ARCHITECTURES,
  BACKENDS,
  buildModel,
  type Hyperparameters,
  measureModel,
  type Metrics,
  predictProbabilitiesAsync,
  quietly,
  saveModel,
  selectBackend,
  trainModel,
  type TrainResult,
  withDefaults,
} from "../model/mod.ts";
import type { LayersModel } from "@tensorflow/tfjs";
import type { Kernel } from "../model/fast/layers.ts";
import type { CardDraft } from "../model/card.ts";
import { DataError, UsageError } from "../util/errors.ts";

const HELP = `Usage: deno task train [--ticker SPY | --csv FILE | --source synthetic] [flags]

Build 60-bar feature windows (scaler fitted on training rows only), train a
direction model with Adam and early stopping on validation loss, and save
a new version <model-dir>/<name>/vN/: model.json + weights.bin (standard tfjs
layers format), scaler.json, training_history.json, model_config.json and
reference.json (training distributions for drift monitoring).

Data:
  --ticker T          read the bars \`deno task prepare\` cached for T
  --data-dir DIR      cache folder (default data)
  --csv FILE          import bars from a CSV file instead
  --source NAME       ${SOURCES.join(" | ")} (default: the cache with --ticker,
                      csv with --csv, else synthetic: seeded offline data, no prior step)
  --start DATE        first bar used (YYYY-MM-DD), e.g. a regime model
  --end DATE          last bar used
  --test-start DATE   first reference date of the test split (else the fractions)
  --validation-split F  share of windows for validation (default 0.15)
  --test-split F      share of windows for test (default 0.15)
  --horizon N         label: close N bars ahead above this close (default 1)
  --sequence-length N bars per window (default 60)

Model and training:
  --arch A            ${ARCHITECTURES.join(" | ")} (default lstm, the seed's)
  --epochs N          most epochs (default 50)
  --batch-size N      windows per batch (default 32)
  --lstm-units N      recurrent units (default 50)
  --dropout F         dropout rate (default 0.2)
  --learning-rate F   Adam learning rate (default 0.001)
  --l2 F              L2 penalty on kernels and recurrent kernels (default 0: off)
  --patience N        epochs without validation improvement before stopping (default 10)
  --seed N            seed of initialisation, shuffling, dropout and synthetic data (default 42)
  --backend B         ${BACKENDS.join(" | ")} (default wasm; auto picks wasm, see README)
${kernelHelp(22)}

Output:
  --model-dir DIR     parent folder of models (default models)
  --name NAME         model name (default lstm): each run writes a new version
                      <model-dir>/<name>/vN and never overwrites one
  --no-promote        keep the new version a candidate; by default it becomes
                      current (current.json), the one plugins load
  --json              print one JSON object with the results
  --verbose, -v       tfjs warnings and stack traces on stderr
  --help, -h          this text

Ctrl-C stops after the current batch and saves the best weights so far,
marked interrupted. The same data, flags and seed on cpu or wasm give
byte-identical weights (weightsSha256).

Exit codes: 0 ok, 1 failed (data, file), 2 usage.

Examples:
  deno task train --source synthetic --epochs 5
  deno task train --ticker SPY --epochs 50
  deno task train --ticker SPY --start 2019-01-01 --end 2021-12-31 --name lstm_bull_market`;

/** The flags of `deno task train` (`deno task retrain` takes them too, all but `--no-promote`). */
export const FLAGS = {
  ticker: { type: "string" },
  "data-dir": { type: "string" },
  csv: { type: "string" },
  source: { type: "string" },
  start: { type: "string" },
  end: { type: "string" },
  "test-start": { type: "string" },
  "validation-split": { type: "string" },
  "test-split": { type: "string" },
  horizon: { type: "string" },
  "sequence-length": { type: "string" },
  arch: { type: "string" },
  epochs: { type: "string" },
  "batch-size": { type: "string" },
  "lstm-units": { type: "string" },
  dropout: { type: "string" },
  "learning-rate": { type: "string" },
  l2: { type: "string" },
  patience: { type: "string" },
  seed: { type: "string" },
  backend: { type: "string" },
  kernel: { type: "string" },
  "model-dir": { type: "string" },
  name: { type: "string" },
  "no-promote": { type: "boolean" },
} as const;

function sourceOf(flags: Flags): { source?: SourceName; ticker: string } {
  const csv = stringFlag(flags, "csv");
  const ticker = stringFlag(flags, "ticker");
  const given = flags.source === undefined
    ? undefined
    : choiceFlag(flags, "source", SOURCES, "csv");
  const source = given ?? (csv ? "csv" : ticker ? undefined : "synthetic");
  if (source === "csv" && !csv) {
    throw new UsageError("Expected --csv FILE with --source csv, found none");
  }
  if (!ticker && source !== "synthetic" && !csv) {
    throw new UsageError(`Expected --ticker for --source ${source}, found none`);
  }
  return { source, ticker: ticker ?? (csv ? "CSV" : "SYNTH") };
}

function line(label: string, m: Metrics): string {
  return `  ${label.padEnd(11)} loss ${m.loss.toFixed(4)}  accuracy ${m.accuracy.toFixed(4)}`;
}

/** What train's flags ask for, checked (see {@linkcode trainSettings}). */
export interface TrainSettings {
  /** The flags they were read from. */
  flags: Flags;
  /** tfjs warnings on stderr. */
  verbose: boolean;
  /** The data source (`undefined`: the cache). */
  source?: SourceName;
  /** The ticker (`SYNTH` or `CSV` when none was given). */
  ticker: string;
  /** The CSV file, if any. */
  csv?: string;
  /** The data cache folder, if given. */
  dataDir?: string;
  /** Architecture. */
  arch: (typeof ARCHITECTURES)[number];
  /** Backend asked for. */
  backendName: (typeof BACKENDS)[number];
  /** Seed of initialisation, shuffling, dropout and synthetic data. */
  seed: number;
  /** Most epochs. */
  epochs: number;
  /** Windows per batch. */
  batchSize: number;
  /** Early-stopping patience. */
  patience: number;
  /** Bars per window. */
  sequenceLength: number;
  /** Bars ahead the label looks. */
  horizon: number;
  /** Model hyperparameters. */
  hp: Hyperparameters;
  /** First bar used. */
  start?: string;
  /** Last bar used. */
  end?: string;
  /** The model name. */
  name: string;
  /** `<model-dir>/<name>`. */
  modelRoot: string;
  /** How the dataset is split. */
  datasetOptions: DatasetOptions;
}

/**
 * Reads and checks train's flags (everything but `--help` and `--no-promote`);
 * usage errors for anything malformed.
 *
 * @example
 * ```ts
 * const settings = trainSettings({ source: "synthetic", epochs: "2" });
 * ```
 */
export function trainSettings(flags: Flags): TrainSettings {
  const verbose = flags.verbose === true;
  const { source, ticker } = sourceOf(flags);
  const arch = choiceFlag(flags, "arch", ARCHITECTURES, "lstm");
  const backendName = choiceFlag(flags, "backend", BACKENDS, "wasm");
  const seed = numberFlag(flags, "seed", 42, { integer: true, min: 0 });
  const epochs = numberFlag(flags, "epochs", 50, { integer: true, min: 1 });
  const batchSize = numberFlag(flags, "batch-size", 32, { integer: true, min: 1 });
  const patience = numberFlag(flags, "patience", 10, { integer: true, min: 1 });
  const sequenceLength = numberFlag(flags, "sequence-length", 60, { integer: true, min: 1 });
  const horizon = numberFlag(flags, "horizon", 1, { integer: true, min: 1 });
  const validationFraction = numberFlag(flags, "validation-split", 0.15, { min: 0.01, max: 0.9 });
  const testFraction = numberFlag(flags, "test-split", 0.15, { min: 0.01, max: 0.9 });
  if (validationFraction + testFraction >= 0.95) {
    throw new UsageError(
      `Expected --validation-split + --test-split below 0.95, found ${
        validationFraction + testFraction
      }`,
    );
  }
  const hp = withDefaults({
    inputShape: [sequenceLength, 1],
    lstmUnits: numberFlag(flags, "lstm-units", 50, { integer: true, min: 1 }),
    dropout: numberFlag(flags, "dropout", 0.2, { min: 0, max: 0.95 }),
    l2: numberFlag(flags, "l2", 0, { min: 0 }),
    learningRate: numberFlag(flags, "learning-rate", 0.001, { min: 1e-9, max: 10 }),
    seed,
  });
  const start = dateFlag(flags, "start");
  const end = dateFlag(flags, "end");
  const testStart = dateFlag(flags, "test-start");
  const name = stringFlag(flags, "name", "lstm");
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    throw new UsageError(
      `Expected --name to be a folder name like lstm_bull_market, found "${name}"`,
    );
  }
  const modelRoot = join(stringFlag(flags, "model-dir", "models"), name);
  const datasetOptions = {
    sequenceLength,
    horizon,
    trainFraction: 1 - validationFraction - testFraction,
    validationFraction,
    testStart,
  };
  return {
    flags,
    verbose,
    source,
    ticker,
    csv: stringFlag(flags, "csv"),
    dataDir: stringFlag(flags, "data-dir"),
    arch,
    backendName,
    seed,
    epochs,
    batchSize,
    patience,
    sequenceLength,
    horizon,
    hp,
    start,
    end,
    name,
    modelRoot,
    datasetOptions,
  };
}

/** A model trained by {@linkcode fitModel}, not saved yet. */
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
  /** The model card's draft, as {@linkcode saveModel} takes it. */
  card: CardDraft;
  /** The drift reference (`reference.json`). */
  reference: unknown;
}

/**
 * Builds the dataset of `series` and trains a model as train's flags say
 * (Ctrl-C stops after the current batch); saves nothing.
 *
 * @example
 * ```ts
 * const fitted = await fitModel(trainSettings(flags), series);
 * ```
 */
export async function fitModel(settings: TrainSettings, series: Series): Promise<FittedModel> {
  const { flags, verbose, arch, backendName, seed, epochs, batchSize, patience } = settings;
  const { sequenceLength, horizon, hp, datasetOptions } = settings;
  const needed = minimumBars(datasetOptions);
  if (series.bars.length < needed) {
    throw new DataError(
      `Expected at least ${needed} bars for --sequence-length ${sequenceLength}, indicator warm-up and three splits, found ${series.bars.length}`,
    );
  }
  const dataset = buildDataset(series.bars, datasetOptions);
  const backend = await selectBackend(backendName, { verbose, log: progress });
  const kernel = kernelFlag(flags, backend);
  progress(
    `train: ${series.symbol} (${series.source}) ${arch} on ${backend} (${kernel} kernel): ${dataset.train.n} train, ` +
      `${dataset.validation.n} validation, ${dataset.test.n} test windows of ` +
      `${sequenceLength}×${dataset.train.nFeatures}`,
  );
  const model = await quietly(
    () =>
      buildModel(arch, { ...hp, inputShape: [sequenceLength, dataset.train.nFeatures], kernel }),
    verbose,
  );
  let stop = false;
  const onInterrupt = (): void => {
    stop = true;
    progress("train: interrupted, stopping after the current batch (keeping the best weights)");
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  let result;
  try {
    result = await quietly(
      () =>
        trainModel(model, dataset, {
          epochs,
          batchSize,
          patience,
          seed,
          log: progress,
          shouldStop: () => stop,
        }),
      verbose,
    );
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
  }
  const metrics = {
    train: await measureModel(model, dataset.train),
    validation: await measureModel(model, dataset.validation),
    test: await measureModel(model, dataset.test),
  };
  const testBaseRate = dataset.test.y.reduce((sum, y) => sum + y, 0) / Math.max(1, dataset.test.n);
  // The drift reference: raw features of each training window's last bar and the model's
  // probabilities on the training windows, for `deno task monitor`.
  const table = computeFeatures(series.bars, dataset.features);
  const rowAt = new Map(table.times.map((time, i) => [time, table.rows[i]]));
  const reference = referenceProfile(
    dataset.train.refTimes.map((time) => rowAt.get(time)!),
    table.names,
    await predictProbabilitiesAsync(model, dataset.train),
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
    interrupted: result.interrupted,
    bestEpoch: result.bestEpoch,
    epochsRun: result.epochsRun,
  };
  return { model, dataset, result, backend, kernel, metrics, testBaseRate, card, reference };
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
): Promise<{ version: string; modelDir: string; weightsSha256: string }> {
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
 * Runs `deno task train` with `args`; returns the exit code.
 *
 * @example
 * ```ts
 * const code = await train(["--source", "synthetic", "--epochs", "2", "--json"]);
 * ```
 */
export const train: Command = async (args: string[]): Promise<number> => {
  const { flags } = parseFlags(args, FLAGS);
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const settings = trainSettings(flags);
  const { arch, modelRoot } = settings;
  const series = await loadSeries({
    ticker: settings.ticker,
    source: settings.source,
    csv: settings.csv,
    dataDir: settings.dataDir,
    start: settings.start,
    end: settings.end,
    seed: settings.seed,
  });
  const fitted = await fitModel(settings, series);
  const { result, backend, kernel, metrics, testBaseRate } = fitted;
  const promoted = flags["no-promote"] !== true;
  const { version, modelDir, weightsSha256 } = await saveVersion(fitted, modelRoot, {
    promote: promoted,
  });
  fitted.model.dispose();
  const summary = {
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
    weightsSha256,
  };
  printResult(flags, summary, () =>
    [
      `Saved ${modelDir} (${arch}, ${backend}${result.interrupted ? ", interrupted" : ""})${
        promoted ? `, now the current version of ${modelRoot}` : ", not promoted"
      }`,
      `  epochs run ${result.epochsRun}, best epoch ${result.bestEpoch}`,
      line("train", metrics.train),
      line("validation", metrics.validation),
      `${line("test", metrics.test)}  (always-up baseline: ${testBaseRate.toFixed(4)})`,
      `  weights sha256 ${weightsSha256}`,
    ].join("\n"));
  return 0;
};
