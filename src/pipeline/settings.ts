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

import { z } from "zod";
import { loadSeries } from "../data/mod.ts";
import type { Interval, Series, SourceName } from "../data/types.ts";
import type { DatasetOptions } from "../dataset/mod.ts";
import {
  type Architecture,
  ARCHITECTURES,
  type Hyperparameters,
  withDefaults,
} from "../model/architectures.ts";
import { type BackendName, BACKENDS } from "../model/backend.ts";
import type { CardDraft } from "../model/card.ts";
import {
  CALIBRATION_METHODS,
  type CalibrationMethod,
  cardCalibration,
  DEFAULT_CALIBRATION,
} from "../model/calibration.ts";
import { type Kernel, KERNELS } from "../model/fast/layers.ts";
import { type DecideAt, DECISION_POINTS } from "../features/mod.ts";
import { UsageError } from "../util/errors.ts";

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
  /**
   * Threads the fused kernels train on (default: the machine's cores). Where a model trains,
   * not what it is: the weights are the same bits on any number.
   */
  threads?: number;
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
  /**
   * When the model decides (default `close`): at the open its features read
   * the decision bar's open and nothing else of it, and its label is that
   * bar's open-to-close move. Daily bars only.
   */
  decideAt?: DecideAt;
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
  /** Threads the fused kernels train on (default: the machine's cores; 1: no worker). */
  threads?: number;
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

/** The name of one of {@linkcode FitOptions}. */
export type FitOptionName = keyof FitOptions;

/**
 * The train flag that sets each of {@linkcode FitOptions}: the one table the
 * command line and sweep specs (whose keys are flag names) read options by.
 *
 * @example
 * ```ts
 * FIT_OPTION_FLAGS.batchSize; // "batch-size"
 * ```
 */
export const FIT_OPTION_FLAGS: { readonly [K in FitOptionName]-?: string } = {
  arch: "arch",
  backendName: "backend",
  kernel: "kernel",
  seed: "seed",
  epochs: "epochs",
  batchSize: "batch-size",
  patience: "patience",
  sequenceLength: "sequence-length",
  horizon: "horizon",
  decideAt: "decide-at",
  lstmUnits: "lstm-units",
  dropout: "dropout",
  l2: "l2",
  learningRate: "learning-rate",
  validationFraction: "validation-split",
  testFraction: "test-split",
  testStart: "test-start",
  calibration: "calibration",
  verbose: "verbose",
  threads: "threads",
};

/** Most that `validationFraction + testFraction` may be (the rest trains). */
const MAX_HELD_OUT = 0.95;

function integer(min: number, max: number): z.ZodNumber {
  const range = `an integer from ${min} to ${max}`;
  return z.number({ error: range }).int({ error: range })
    .min(min, { error: `an integer of at least ${min}` }).max(max, { error: range });
}

function decimal(min: number, max: number): z.ZodNumber {
  const range = `a number from ${min} to ${max}`;
  return z.number({ error: range }).min(min, { error: `a number of at least ${min}` })
    .max(max, { error: range });
}

function oneOf<const T extends readonly [string, ...string[]]>(choices: T): z.ZodEnum<
  {
    [K in T[number]]: K;
  }
> {
  return z.enum(choices, { error: `one of ${choices.join(", ")}` });
}

/** A real calendar date `YYYY-MM-DD`, optionally with an ISO time (a bar time). */
function isIsoDate(value: string): boolean {
  const match = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(
    value,
  );
  if (!match) return false;
  const time = Date.parse(`${match[1]}T00:00:00Z`); // NaN for 2024-13-01
  return Number.isFinite(time) && new Date(time).toISOString().slice(0, 10) === match[1];
}

const DATE = "a date like 2020-01-31";

/**
 * Each option's schema, with its bounds. Each message is what the option
 * expects; the error names the option (the CLI, the flag).
 */
const OPTION_SCHEMAS = {
  arch: oneOf(ARCHITECTURES),
  backendName: oneOf(BACKENDS),
  kernel: oneOf(KERNELS as readonly Kernel[] as [Kernel, ...Kernel[]]),
  seed: integer(0, 4294967295),
  epochs: integer(1, 100000),
  batchSize: integer(1, 1000000),
  patience: integer(1, 100000),
  sequenceLength: integer(1, 10000),
  horizon: integer(1, 10000),
  decideAt: oneOf(DECISION_POINTS),
  lstmUnits: integer(1, 4096),
  dropout: decimal(0, 0.95),
  l2: decimal(0, 10),
  learningRate: decimal(1e-9, 10),
  validationFraction: decimal(0.01, 0.9),
  testFraction: decimal(0.01, 0.9),
  testStart: z.string({ error: DATE }).refine(isIsoDate, { error: DATE }),
  calibration: oneOf(CALIBRATION_METHODS),
  verbose: z.boolean({ error: "true or false" }),
  threads: integer(1, 1024),
} satisfies { [K in FitOptionName]-?: z.ZodType<Required<FitOptions>[K]> };

/**
 * The schema of {@linkcode FitOptions}: every option optional, each within
 * its bounds, no unknown option. {@linkcode fitSettings} checks its input
 * with it, and adds the one rule across options (validation and test shares
 * below 0.95 together).
 */
const fitOptionsSchema: z.ZodType<FitOptions> = z.strictObject(
  Object.fromEntries(
    Object.entries(OPTION_SCHEMAS).map(([name, schema]) => [name, schema.optional()]),
  ) as { [K in FitOptionName]-?: z.ZodOptional<(typeof OPTION_SCHEMAS)[K]> },
  { error: "an object of fit options" },
);

/** A found value as an error line shows it: numbers as JavaScript writes them, strings quoted. */
function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** What `option` expects when `value` is not a valid value of it, else `undefined`. */
function checkFitOption(option: FitOptionName, value: unknown): string | undefined {
  const result = OPTION_SCHEMAS[option].safeParse(value);
  return result.success ? undefined : result.error.issues[0].message;
}

/** The option a train flag sets (`"batch-size"` → `batchSize`), if any. */
function fitOptionOfFlag(flag: string): FitOptionName | undefined {
  return (Object.keys(FIT_OPTION_FLAGS) as FitOptionName[]).find((o) =>
    FIT_OPTION_FLAGS[o] === flag
  );
}

/** The value a flag's text gives `option`: numbers by `Number` (`""` and `"ten"` give NaN). */
function fromText(option: FitOptionName, text: string): unknown {
  const schema: z.ZodType = OPTION_SCHEMAS[option];
  if (schema instanceof z.ZodNumber) return text.trim() === "" ? NaN : Number(text);
  if (option === "verbose") return text === "true" ? true : text === "false" ? false : text;
  return text;
}

/**
 * What a train flag expects when `text` is not a valid value of it (the
 * command line's and a sweep spec's check of one value), else `undefined`;
 * also `undefined` for a flag that sets no fit option.
 *
 * @example
 * ```ts
 * checkFitFlag("lstm-units", "0"); // "an integer of at least 1"
 * checkFitFlag("lstm-units", "16"); // undefined
 * ```
 */
export function checkFitFlag(flag: string, text: string): string | undefined {
  const option = fitOptionOfFlag(flag);
  return option === undefined ? undefined : checkFitOption(option, fromText(option, text));
}

/**
 * The fit options that train flags set (flag names as keys, values as the
 * command line gives them: text, `true` for a boolean flag); flags that set
 * none are ignored. A {@linkcode UsageError} naming the option (its
 * `options` say which) for a malformed value.
 *
 * @example
 * ```ts
 * fitOptionsOfFlags({ "lstm-units": "16", ticker: "SPY" }); // { lstmUnits: 16 }
 * ```
 */
export function fitOptionsOfFlags(
  flags: Readonly<Record<string, string | boolean | undefined>>,
): FitOptions {
  const options: Record<string, unknown> = {};
  for (const option of Object.keys(FIT_OPTION_FLAGS) as FitOptionName[]) {
    const raw = flags[FIT_OPTION_FLAGS[option]];
    if (raw === undefined) continue;
    const value = typeof raw === "string" ? fromText(option, raw) : raw;
    const expected = checkFitOption(option, value);
    if (expected !== undefined) {
      throw new UsageError(`Expected ${option} to be ${expected}, found ${describe(raw)}`, {
        options: [option],
      });
    }
    options[option] = value;
  }
  return checkFitOptions(options);
}

/**
 * `options` checked by `fitOptionsSchema` and the rule across
 * options; a one-line {@linkcode UsageError} naming the option otherwise.
 */
function checkFitOptions(options: unknown): FitOptions {
  const result = fitOptionsSchema.safeParse(options);
  if (!result.success) {
    const issue = result.error.issues[0];
    if (issue.code === "unrecognized_keys") {
      throw new UsageError(
        `Expected only ${Object.keys(FIT_OPTION_FLAGS).join(", ")} in fit options, found "${
          issue.keys[0]
        }"`,
      );
    }
    const option = issue.path[0];
    if (option === undefined) {
      throw new UsageError(`Expected ${issue.message}, found ${describe(options)}`);
    }
    const name = String(option);
    const found = describe((options as Record<string, unknown>)[name]);
    throw new UsageError(`Expected ${name} to be ${issue.message}, found ${found}`, {
      options: [name],
    });
  }
  const held = (result.data.validationFraction ?? FIT_DEFAULTS.validationFraction) +
    (result.data.testFraction ?? FIT_DEFAULTS.testFraction);
  if (!(held < MAX_HELD_OUT)) {
    throw new UsageError(
      `Expected validationFraction + testFraction below ${MAX_HELD_OUT}, found ${held}`,
      { options: ["validationFraction", "testFraction"] },
    );
  }
  return result.data;
}

/**
 * Checks `options` (the fit options' schema: each option within its
 * bounds, no unknown option, validation and test shares below 0.95
 * together), fills in the defaults and derives the hyperparameters and the
 * dataset options. A one-line {@linkcode UsageError} naming the option for
 * anything malformed (the command line names the flag instead).
 *
 * @example
 * ```ts
 * const settings = fitSettings({ epochs: 2, sequenceLength: 10 });
 * settings.datasetOptions.trainFraction; // 0.7
 * fitSettings({ lstmUnits: 1e5 }); // throws: Expected lstmUnits to be an integer from 1 to 4096, found 100000
 * ```
 */
export function fitSettings(options: FitOptions = {}): FitSettings {
  const checked = checkFitOptions(options);
  const o = { ...FIT_DEFAULTS, ...withoutUndefined(checked) };
  const { sequenceLength, horizon, seed, validationFraction, testFraction } = o;
  return {
    arch: o.arch,
    backendName: o.backendName,
    kernel: checked.kernel,
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
      ...(checked.decideAt === "open" ? { decideAt: "open" as const } : {}),
      trainFraction: 1 - validationFraction - testFraction,
      validationFraction,
      testStart: checked.testStart,
    },
    calibration: o.calibration,
    verbose: checked.verbose ?? false,
    ...(checked.threads === undefined ? {} : { threads: checked.threads }),
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
    decideAt: card.decideAt,
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
