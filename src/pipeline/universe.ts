/**
 * Universe models, the module's second way of working: one model trained on
 * the pooled windows of many symbols (`deno task train --universe`), scored
 * pooled and per symbol beside the reversal rule and a logistic model on the
 * same rows (`deno task evaluate --universe`), and traded as a daily
 * long-short portfolio (`deno task backtest --universe`). Walk-forward
 * retraining runs by date folds over the whole universe; the Fischer & Krauss
 * (2018) study design is a preset ({@linkcode FISCHER_KRAUSS}).
 *
 * Everything below composes `src/universe/` (data, date split, lazy windows,
 * baselines, portfolio) with the model layer (`buildModel`, `trainModel`,
 * `saveModel`) and the evaluation layer (`summarizeEvaluation`), as
 * `fit.ts`, `score.ts` and `walk_forward.ts` do for one ticker. The
 * probability a universe model hands out is the network's, through the
 * card's calibration (fitted on the validation windows, as for one ticker).
 *
 * @example
 * ```ts
 * import { fitAndSaveUniverse, loadUniverseData, universeFitSettings } from "./universe.ts";
 * import { fitSettings } from "./fit.ts";
 * const settings = universeFitSettings(fitSettings({ epochs: 2 }), { label: "beats-median" });
 * const data = await loadUniverseData({ kind: "list", name: "t", symbols: ["AAA", "BBB"] }, {
 *   source: "synthetic",
 * });
 * await fitAndSaveUniverse(data, settings, { modelRoot: "models/universe" });
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { loadSeries } from "../data/mod.ts";
import type { Series, SourceName } from "../data/types.ts";
import { type Fold, walkForwardFolds } from "../dataset/splits.ts";
import {
  CONTEXT_FEATURES,
  DEFAULT_FEATURES,
  type FeatureSpec,
  needsContext,
  resolveFeatureSpecs,
} from "../features/mod.ts";
import { REFERENCE_FILE, referenceProfile } from "../eval/drift.ts";
import { scoreProbabilities } from "../eval/metrics.ts";
import { accuracy, logLoss } from "../eval/scores.ts";
import {
  calibrationNote,
  type EvaluationRows,
  type EvaluationSummary,
  formatEvaluation,
  summarizeEvaluation,
} from "../eval/summary.ts";
import type { ReportInput } from "../eval/report.ts";
import { buildModel, type LayersModel, withDefaults } from "../model/architectures.ts";
import { ensureBackend, quietly, selectBackend } from "../model/backend.ts";
import {
  calibrateAll,
  type Calibration,
  cardCalibration,
  fitCalibration,
  splitSkill,
} from "../model/calibration.ts";
import type { CardDraft, ModelCard } from "../model/card.ts";
import { type Kernel, resolveKernel } from "../model/fast/layers.ts";
import { loadModel, saveModel } from "../model/store.ts";
import {
  type EpochRecord,
  type Metrics,
  predictProbabilitiesAsync,
  trainModel,
} from "../model/train.ts";
import { nextVersion, promote, resolveModelDir } from "../model/versions.ts";
import { createRng } from "../util/random.ts";
import { DataError, UsageError } from "../util/errors.ts";
import { formatTable } from "../util/table.ts";
import {
  fitUniverseLogistic,
  predictUniverseLogistic,
  previousDirections,
  reversal,
} from "../eval/universe_baselines.ts";
import { type LoadedUniverse, loadUniverse, type UniverseSpec } from "../universe/data.ts";
import {
  buildUniverseTables,
  dateRange,
  type DateSplit,
  type DateSplitOptions,
  fitUniverseScalers,
  type LabelKind,
  referenceDates,
  scaleTables,
  type Scaling,
  splitRange,
  universeDataset,
  type UniverseScalers,
  type UniverseTables,
  type UniverseWindows,
  universeWindows,
  windowsInfo,
} from "../dataset/universe.ts";
import {
  type PortfolioResult,
  type PortfolioStats,
  type PriceTable,
  runPortfolio,
} from "../eval/portfolio.ts";
import {
  readUniverseScalers,
  scalersFileContent,
  UNIVERSE_SCALERS_FILE,
} from "../model/scalers.ts";
import type { FitHooks, FitSettings } from "./fit.ts";

/**
 * Study presets `--study` takes.
 *
 * @example
 * ```ts
 * STUDIES.includes("fischer-krauss"); // true
 * ```
 */
export const STUDIES = ["fischer-krauss"] as const;
/** A study preset. */
export type Study = typeof STUDIES[number];

/**
 * The Fischer & Krauss (2018) study design: sequences of 240 standardized
 * daily returns (pooled scaling: the training period's mean and standard
 * deviation), a 25-unit LSTM with dropout 0.1, the `beats-median` label, and
 * rolling study periods of 750 training days (the first 240 only the
 * look-back of the first sequence, so 510 reference dates of training
 * windows, the last 20 % of them for early stopping) followed by 250 trading
 * days, sliding forward by 250. Differences from the paper: this module's
 * `lstm` architecture has two recurrent layers and a 25-unit dense layer
 * before the output, trains with Adam rather than RMSprop, and clips
 * standardized values at ±10.
 *
 * @example
 * ```ts
 * FISCHER_KRAUSS.sequenceLength; // 240
 * ```
 */
export const FISCHER_KRAUSS = {
  features: [{ name: "returns", params: { period: 1 } }] as FeatureSpec[],
  sequenceLength: 240,
  lstmUnits: 25,
  dropout: 0.1,
  label: "beats-median" as LabelKind,
  scaling: "pooled" as Scaling,
  trainDays: 510,
  testDays: 250,
  validationFraction: 0.2,
} as const;

/**
 * How a universe model is fitted: the one-ticker settings plus the universe's
 * own (build with {@linkcode universeFitSettings}).
 *
 * @example
 * ```ts
 * const s: UniverseFitSettings = universeFitSettings(fitSettings(), { scaling: "per-symbol" });
 * ```
 */
export interface UniverseFitSettings {
  /** Architecture, hyperparameters, training and calibration, as for one ticker. */
  fit: FitSettings;
  /** Features (the context features included when there is a context). */
  features: FeatureSpec[];
  /** The label. */
  label: LabelKind;
  /** How features are standardised. */
  scaling: Scaling;
  /** The context symbol, if any. */
  context?: string;
  /** The study preset, if any. */
  study?: Study;
  /** Where the date split puts its cuts. */
  split: DateSplitOptions;
}

/**
 * Builds universe settings from one-ticker fit settings. `--study
 * fischer-krauss` sets the preset's features, window, units, dropout, label,
 * scaling and split, except what `explicit` names (the flags the user gave:
 * `sequenceLength`, `lstmUnits`, `dropout`, `label`, `scaling`).
 *
 * @example
 * ```ts
 * const s = universeFitSettings(fitSettings({ epochs: 3 }), { study: "fischer-krauss" });
 * s.fit.sequenceLength; // 240
 * ```
 */
export function universeFitSettings(
  fit: FitSettings,
  options: {
    label?: LabelKind;
    scaling?: Scaling;
    context?: string;
    study?: Study;
    explicit?: ReadonlySet<string>;
  } = {},
): UniverseFitSettings {
  const explicit = options.explicit ?? new Set<string>();
  const contextFeatures = options.context ? CONTEXT_FEATURES : [];
  if (options.study === "fischer-krauss") {
    const fk = FISCHER_KRAUSS;
    const sequenceLength = explicit.has("sequenceLength") ? fit.sequenceLength : fk.sequenceLength;
    const hp = fit.hyperparameters;
    return {
      fit: {
        ...fit,
        sequenceLength,
        datasetOptions: { ...fit.datasetOptions, sequenceLength },
        hyperparameters: {
          ...hp,
          lstmUnits: explicit.has("lstmUnits") ? hp.lstmUnits : fk.lstmUnits,
          dropout: explicit.has("dropout") ? hp.dropout : fk.dropout,
        },
      },
      features: resolveFeatureSpecs([...fk.features, ...contextFeatures]),
      label: options.label ?? fk.label,
      scaling: options.scaling ?? fk.scaling,
      context: options.context,
      study: "fischer-krauss",
      split: {
        testDays: fk.testDays,
        trainDays: fk.trainDays,
        validationFraction: fk.validationFraction,
      },
    };
  }
  const d = fit.datasetOptions;
  return {
    fit,
    features: resolveFeatureSpecs([...(d.features ?? DEFAULT_FEATURES), ...contextFeatures]),
    label: options.label ?? "up",
    scaling: options.scaling ?? "pooled",
    context: options.context,
    split: {
      trainFraction: d.trainFraction,
      validationFraction: d.validationFraction,
      testStart: d.testStart,
    },
  };
}

/**
 * A universe's bars and its context series.
 *
 * @example
 * ```ts
 * const data: UniverseData = await loadUniverseData(spec, { dataDir: "data", context: "SPY" });
 * ```
 */
export interface UniverseData {
  /** The universe as read (members, per-symbol reports, summary text). */
  universe: LoadedUniverse;
  /** Where it was read from. */
  spec: UniverseSpec;
  /** `cache`, `synthetic`, `csv-dir` or `long-csv`. */
  source: string;
  /** The context series, when asked for. */
  context?: Series;
}

/**
 * Options of {@linkcode loadUniverseData}.
 *
 * @example
 * ```ts
 * const options: UniverseDataOptions = { dataDir: "data", context: "SPY" };
 * ```
 */
export interface UniverseDataOptions {
  /** The data cache folder (default `data`). */
  dataDir?: string;
  /** `synthetic` generates a list universe; otherwise the cache is read. */
  source?: SourceName;
  /** Seed of synthetic bars (default 42). */
  seed?: number;
  /** First bar used. */
  start?: string;
  /** Last bar used. */
  end?: string;
  /** The context symbol: a member of the universe, or else read like one from the cache. */
  context?: string;
  /** Only these symbols. */
  only?: readonly string[];
}

/**
 * Reads a universe (see `loadUniverse`) and its context series: the member of
 * that name when the universe has one, else the cached (or synthetic) series.
 *
 * @example
 * ```ts
 * const data = await loadUniverseData(await resolveUniverse("tickers.txt"), { context: "SPY" });
 * console.error(data.universe.text);
 * ```
 */
export async function loadUniverseData(
  spec: UniverseSpec,
  options: UniverseDataOptions = {},
): Promise<UniverseData> {
  const { dataDir, source, seed, start, end } = options;
  const universe = await loadUniverse(spec, {
    dataDir,
    source,
    seed,
    start,
    end,
    only: options.only,
  });
  let context: Series | undefined;
  if (options.context !== undefined) {
    context = universe.members.find((m) => m.symbol === options.context);
    if (!context && options.only && spec.kind !== "list") {
      context = (await loadUniverse(spec, { dataDir, start, end, only: [options.context] }))
        .members[0];
    }
    context ??= await loadSeries({
      ticker: options.context,
      source: source === "synthetic" ? "synthetic" : undefined,
      dataDir,
      seed,
      start,
      end,
    });
  }
  const kind = spec.kind === "list" ? (source === "synthetic" ? "synthetic" : "cache") : spec.kind;
  return { universe, spec, source: kind, context };
}

/** The tables of a universe for a model's features, window, horizon, label and context. */
function tablesOf(
  data: UniverseData,
  settings: Pick<UniverseFitSettings, "features" | "label" | "context"> & {
    sequenceLength: number;
    horizon: number;
  },
): UniverseTables {
  if (needsContext(settings.features) && !data.context) {
    throw new UsageError(
      `Expected the context series ${settings.context ?? ""} for the context features, found none`,
    );
  }
  return buildUniverseTables(data.universe.members, {
    sequenceLength: settings.sequenceLength,
    horizon: settings.horizon,
    features: settings.features,
    label: settings.label,
    context: data.context && settings.context
      ? { symbol: settings.context, bars: data.context.bars }
      : undefined,
  });
}

/** A seeded sample of at most `max` window indices, ascending (all of them when fewer). */
function sampleIndices(n: number, max: number, seed: number): Uint32Array {
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

/** Most training windows the card's train metrics and the drift reference are computed on. */
export const TRAIN_SAMPLE = 50_000;

/**
 * A universe model trained by {@linkcode fitUniverseModel}, not saved yet.
 *
 * @example
 * ```ts
 * const fitted: FittedUniverse = await fitUniverseModel(data, settings);
 * ```
 */
export interface FittedUniverse {
  /** The model with its best weights. */
  model: LayersModel;
  /** The pooled scaler and, under per-symbol scaling, one per symbol. */
  scalers: UniverseScalers;
  /** What training did. */
  history: EpochRecord[];
  /** The card's draft. */
  card: CardDraft;
  /** The drift reference (`reference.json`). */
  reference: ReturnType<typeof referenceProfile>;
  /** Metrics of each split (train on a sample of {@linkcode TRAIN_SAMPLE} windows). */
  metrics: { train: Metrics; validation: Metrics; test: Metrics };
  /** Share of up labels in the test windows. */
  testBaseRate: number;
  /** The calibration fitted on the validation windows. */
  calibration: Calibration;
  /** The backend and kernel it trained on. */
  backend: string;
  /** Who ran the recurrent layers. */
  kernel: Kernel;
  /** Symbols in the tables, left out, and why. */
  symbols: { used: string[]; dropped: { symbol: string; reason: string }[]; excluded: string[] };
}

function metricsOf(p: ArrayLike<number>, y: ArrayLike<number>): Metrics {
  return { loss: logLoss(p, y), accuracy: accuracy(p, y) };
}

const mean = (y: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i];
  return y.length ? s / y.length : NaN;
};

/**
 * Builds a universe's date-split dataset and trains one model on the pooled
 * windows of every symbol; calibrates on the validation windows. Saves
 * nothing.
 *
 * @example
 * ```ts
 * const fitted = await fitUniverseModel(data, settings, { log: console.error });
 * fitted.model.dispose();
 * ```
 */
export async function fitUniverseModel(
  data: UniverseData,
  settings: UniverseFitSettings,
  hooks: FitHooks = {},
): Promise<FittedUniverse> {
  const { fit } = settings;
  const { arch, seed, epochs, batchSize, patience, sequenceLength, horizon } = fit;
  const log = hooks.log ?? ((): void => {});
  const verbose = fit.verbose ?? false;
  const tables = tablesOf(data, { ...settings, sequenceLength, horizon });
  const dataset = universeDataset(tables, { ...settings.split, scaling: settings.scaling });
  const backend = await selectBackend(fit.backendName, { verbose, log });
  const kernel = resolveKernel(fit.kernel, backend);
  const { split } = dataset;
  log(
    `train: universe ${data.universe.name} (${tables.tables.length} symbols${
      tables.dropped.length ? `, ${tables.dropped.length} dropped` : ""
    }${
      dataset.excluded.length ? `, ${dataset.excluded.length} without a scaler` : ""
    }) ${arch} on ${backend} (${kernel} kernel), label ${settings.label}, ${settings.scaling} scaling${
      settings.context ? `, context ${settings.context}` : ""
    }: ${dataset.train.n} train (${split.trainStart} to ${split.trainEnd}), ${dataset.validation.n} validation (to ${split.validationEnd}), ${dataset.test.n} test windows (to ${split.testEnd}) of ${sequenceLength}×${dataset.train.nFeatures}`,
  );
  for (const d of tables.dropped) log(`  dropped ${d.symbol}: ${d.reason}`);
  const model = await quietly(
    () =>
      buildModel(arch, {
        ...fit.hyperparameters,
        inputShape: [sequenceLength, dataset.train.nFeatures],
        kernel,
      }),
    verbose,
  );
  try {
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
    const sample = sampleIndices(dataset.train.n, TRAIN_SAMPLE, seed);
    const trainSample = dataset.train.select((i) => sampleHas(sample, i));
    const raw = {
      train: await predictProbabilitiesAsync(model, trainSample),
      validation: await predictProbabilitiesAsync(model, dataset.validation),
      test: await predictProbabilitiesAsync(model, dataset.test),
    };
    const metrics = {
      train: metricsOf(raw.train, trainSample.y),
      validation: metricsOf(raw.validation, dataset.validation.y),
      test: metricsOf(raw.test, dataset.test.y),
    };
    const trainBaseRate = mean(dataset.train.y);
    const fitted = fitCalibration(raw.validation, dataset.validation.y, {
      method: fit.calibration,
      baseRate: trainBaseRate,
    });
    const calibration: Calibration = {
      ...fitted,
      test: splitSkill(fitted, raw.test, dataset.test.y),
    };
    log(`calibration: ${calibration.method}; ${calibration.reason}`);
    const width = tables.names.length;
    const reference = referenceProfile(
      Array.from({ length: trainSample.n }, (_, i) => {
        const t = tables.tables[trainSample.symbols[i]];
        const r = trainSample.rows[i];
        return t.raw.subarray(r * width, (r + 1) * width);
      }),
      tables.names,
      calibrateAll(calibration, raw.train),
    );
    const used = tables.tables.map((t) => t.symbol).filter((s) => !dataset.excluded.includes(s));
    const spec = data.spec;
    const card: CardDraft = {
      arch,
      hyperparameters: { ...fit.hyperparameters, epochs, batchSize, patience },
      features: tables.features,
      sequenceLength,
      nFeatures: width,
      horizon,
      data: {
        source: data.source,
        ticker: `universe:${data.universe.name}`,
        interval: "1d",
        ranges: dataset.ranges,
      },
      seed,
      backend,
      kernel,
      metrics,
      testBaseRate: mean(dataset.test.y),
      calibration,
      interrupted: result.interrupted,
      bestEpoch: result.bestEpoch,
      epochsRun: result.epochsRun,
      label: settings.label,
      universe: {
        name: data.universe.name,
        source: data.source,
        ...(spec.kind !== "list" ? { path: spec.path } : {}),
        symbols: used,
        scaling: settings.scaling,
        ...(settings.context ? { context: settings.context } : {}),
        ...(settings.study ? { study: settings.study } : {}),
        split,
      },
    };
    return {
      model,
      scalers: dataset.scalers,
      history: result.history,
      card,
      reference,
      metrics,
      testBaseRate: mean(dataset.test.y),
      calibration,
      backend,
      kernel,
      symbols: { used, dropped: tables.dropped, excluded: dataset.excluded },
    };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

function sampleHas(sorted: Uint32Array, i: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < i) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo] === i;
}

/**
 * What {@linkcode fitAndSaveUniverse} did: the summary `train --universe --json` prints.
 *
 * @example
 * ```ts
 * const s: UniverseFitSummary = await fitAndSaveUniverse(data, settings, { modelRoot });
 * ```
 */
export interface UniverseFitSummary {
  /** The version folder. */
  modelDir: string;
  /** `vN`. */
  version: string;
  /** Whether it is now current. */
  current: boolean;
  /** SHA-256 of `weights.bin`. */
  weightsSha256: string;
  /** Epochs run. */
  epochsRun: number;
  /** The epoch whose weights were kept. */
  bestEpoch: number;
  /** Whether training was cut short. */
  interrupted: boolean;
  /** The backend that trained it. */
  backend: string;
  /** Who ran the recurrent layers. */
  kernel: Kernel;
  /** Metrics of each split (train on a sample). */
  metrics: { train: Metrics; validation: Metrics; test: Metrics };
  /** Share of up labels in the test windows. */
  testBaseRate: number;
  /** The label, scaling, context and split. */
  universe: NonNullable<CardDraft["universe"]> & { label: LabelKind; symbolCount: number };
  /** Symbols left out, and why. */
  dropped: { symbol: string; reason: string }[];
  /** The calibration. */
  calibration: Calibration;
}

/**
 * Fits a universe model and saves it as the next version of
 * `options.modelRoot` (with `reference.json` and, for per-symbol scaling,
 * `universe_scalers.json`), promoted unless `promote: false`; releases the
 * model.
 *
 * @example
 * ```ts
 * const summary = await fitAndSaveUniverse(data, settings, { modelRoot: "models/universe" });
 * console.log(summary.modelDir);
 * ```
 */
export async function fitAndSaveUniverse(
  data: UniverseData,
  settings: UniverseFitSettings,
  options: FitHooks & { modelRoot: string; promote?: boolean },
): Promise<UniverseFitSummary> {
  const fitted = await fitUniverseModel(data, settings, options);
  try {
    const version = await nextVersion(options.modelRoot);
    const modelDir = join(options.modelRoot, version);
    const scalersFile = scalersFileContent(fitted.scalers);
    const weightsSha256 = await saveModel(modelDir, fitted.model, {
      card: fitted.card,
      scaler: fitted.scalers.pooled,
      history: fitted.history,
      overwrite: false,
      extraFiles: {
        [REFERENCE_FILE]: fitted.reference,
        ...(scalersFile ? { [UNIVERSE_SCALERS_FILE]: scalersFile } : {}),
      },
    });
    const promoted = options.promote ?? true;
    if (promoted) await promote(options.modelRoot, version);
    const card = fitted.card;
    return {
      modelDir,
      version,
      current: promoted,
      weightsSha256,
      epochsRun: card.epochsRun,
      bestEpoch: card.bestEpoch,
      interrupted: card.interrupted,
      backend: fitted.backend,
      kernel: fitted.kernel,
      metrics: fitted.metrics,
      testBaseRate: fitted.testBaseRate,
      universe: {
        ...card.universe!,
        label: settings.label,
        symbolCount: card.universe!.symbols.length,
      },
      dropped: fitted.symbols.dropped,
      calibration: fitted.calibration,
    };
  } finally {
    fitted.model.dispose();
  }
}

/**
 * A saved model loaded for universe scoring: the network, its card, its
 * scalers and its calibration.
 *
 * @example
 * ```ts
 * const loaded: LoadedUniverseModel = await loadUniverseModel("models/universe");
 * ```
 */
export interface LoadedUniverseModel {
  /** The version folder loaded. */
  dir: string;
  /** Its version, or `unversioned`. */
  version: string;
  /** The card. */
  card: ModelCard;
  /** The network. */
  model: LayersModel;
  /** The scalers (a single-ticker model's one scaler serves as the pooled one). */
  scalers: UniverseScalers;
  /** The calibration of the card (the identity for a card without one). */
  calibration: Calibration;
  /** Releases the network. */
  dispose(): void;
}

/**
 * Loads a model folder (or a versioned root's current version) for universe
 * scoring. A single-ticker model loads too: it is scored across a universe
 * with its one scaler, `up` labels and no context.
 *
 * @example
 * ```ts
 * const loaded = await loadUniverseModel("models/universe");
 * loaded.dispose();
 * ```
 */
export async function loadUniverseModel(
  dir: string,
  options: { kernel?: Kernel } = {},
): Promise<LoadedUniverseModel> {
  const where = await resolveModelDir(dir);
  if (!where) {
    throw new DataError(
      `Expected a model in ${dir} (model.json or current.json), found none; run \`deno task train --universe …\` first`,
    );
  }
  const { model, card, scaler } = await loadModel(where.dir, options);
  try {
    const scalers = await readUniverseScalers(where.dir, card, scaler);
    return {
      dir: where.dir,
      version: where.version,
      card,
      model,
      scalers,
      calibration: cardCalibration(card),
      dispose: (): void => {
        model.dispose();
      },
    };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/**
 * The universe a model was trained on, as a spec and data options (for
 * `evaluate --universe` without a value).
 *
 * @example
 * ```ts
 * const own = modelUniverse(card); // { spec, source }
 * ```
 */
export function modelUniverse(
  card: Pick<ModelCard, "universe" | "data">,
): { spec: UniverseSpec; source?: SourceName } | undefined {
  const u = card.universe;
  if (!u) return undefined;
  if ((u.source === "csv-dir" || u.source === "long-csv") && u.path !== undefined) {
    return { spec: { kind: u.source, name: u.name, path: u.path } };
  }
  return {
    spec: { kind: "list", name: u.name, symbols: u.symbols },
    source: u.source === "synthetic" ? "synthetic" : undefined,
  };
}

/**
 * One symbol's scores in a universe evaluation.
 *
 * @example
 * ```ts
 * const worst: SymbolScore = evaluation.perSymbol[0];
 * ```
 */
export interface SymbolScore {
  /** The symbol. */
  symbol: string;
  /** Scored windows. */
  rows: number;
  /** Share of 1 labels. */
  baseRate: number;
  /** Share called right. */
  accuracy: number;
  /** ROC AUC of the network's raw probabilities (calibration does not change a ranking; `null` with one class). */
  auc: number | null;
  /** Brier score. */
  brier: number;
  /** Log loss. */
  logLoss: number;
  /** `1 - Brier / Brier(climatology)`, climatology being the pooled training base rate. */
  brierSkill: number;
  /** The reversal rule's AUC on the same rows. */
  reversalAuc: number | null;
}

/**
 * The portfolio arms of a universe evaluation, before and after costs.
 *
 * @example
 * ```ts
 * const arm: PortfolioArm = evaluation.portfolio.arms[0]; // the model, next-open fills
 * ```
 */
export interface PortfolioArm {
  /** `model`, `reversal`, `logistic`, `equal-weight`, `market (SPY)`, `model (at close)`. */
  name: string;
  /** `next-open` or `close`. */
  fill: "next-open" | "close";
  /** Statistics before costs. */
  before: PortfolioStats;
  /** Statistics after costs. */
  after: PortfolioStats;
  /** Returns per calendar year. */
  periods: { period: string; days: number; before: number; after: number }[];
  /** Days without positions (fewer candidates than the arm needs). */
  flatDays: number;
}

/**
 * A universe evaluation in the `--json` shape.
 *
 * @example
 * ```ts
 * const { evaluation } = await evaluateUniverse(loaded, data, {});
 * console.log(evaluation.pooled.metrics.auc, evaluation.reversal.auc);
 * ```
 */
export interface UniverseEvaluation {
  /** The universe scored. */
  universe: {
    name: string;
    symbols: number;
    scored: number;
    dropped: { symbol: string; reason: string }[];
    unknown: string[];
  };
  /** The model scored (its folder and version), or the study run. */
  model: { dir: string; version: string } | { study: string };
  /** The label. */
  label: LabelKind;
  /** The scaling. */
  scaling: Scaling;
  /** The context symbol, or `null`. */
  context: string | null;
  /** Which rows were scored and why. */
  scope: string;
  /** Pooled scores of every scored window beside the baselines (`logistic` says what it was fitted on). */
  pooled: EvaluationSummary & { logisticFittedOn: string };
  /** The reversal rule on the same rows (it ranks; its probabilities are cross-sectional percentiles). */
  reversal: { accuracy: number; auc: number; mcc: number };
  /** Every symbol's scores, sorted by AUC, worst first. */
  perSymbol: SymbolScore[];
  /** Walk-forward folds, when retrained by date folds. */
  folds?: {
    train: { first: string; last: string; rows: number };
    test: { first: string; last: string; rows: number };
    bestEpoch: number;
    auc: number;
    accuracy: number;
    brierSkill: number;
    reversalAuc: number;
  }[];
  /** The daily long-short portfolio of the model beside its baselines. */
  portfolio: {
    topK: number;
    longOnly: boolean;
    costBps: number;
    arms: PortfolioArm[];
  };
}

/**
 * Options of {@linkcode evaluateUniverse} and {@linkcode runUniverseStudy}.
 *
 * @example
 * ```ts
 * const options: UniverseEvaluateOptions = { topK: 10, costBps: 5, walkForward: { folds: 3 } };
 * ```
 */
export interface UniverseEvaluateOptions {
  /** First reference date scored. Default: after the validation range on the model's own universe. */
  start?: string;
  /** Last reference date scored. */
  end?: string;
  /** Only these symbols are scored (the whole universe still makes the labels and the median). */
  only?: readonly string[];
  /** Seed of the bootstrap (default 42). */
  seed?: number;
  /** Symbols long and short each day (default 10). */
  topK?: number;
  /** Long only (default false). */
  longOnly?: boolean;
  /** Cost per half-turn in basis points (default 5). */
  costBps?: number;
  /** Retrain by date folds instead of scoring the saved weights. */
  walkForward?: UniverseWalkForward;
  /** Who runs the recurrent layers. */
  kernel?: Kernel;
  /** Progress lines. */
  log?: (line: string) => void;
}

/**
 * Walk-forward by date folds over a universe: the reference dates in range
 * are cut into folds (`walkForwardFolds` over dates, not windows); each fold
 * trains a fresh model with fresh scalers on the dates before it (the last
 * `validationFraction` of them for early stopping and calibration) and scores
 * the fold's windows.
 *
 * @example
 * ```ts
 * const wf: UniverseWalkForward = { folds: 3, mode: "expanding" };
 * ```
 */
export interface UniverseWalkForward {
  /** Folds (default 5; with `retrainEvery`, as many as fit when not given). */
  folds?: number;
  /** `expanding` (default) or `sliding`. */
  mode?: "expanding" | "sliding";
  /** Reference dates per fold. */
  retrainEvery?: number;
  /** Reference dates of the first (or, sliding, every) training stretch. */
  minTrain?: number;
  /** Share of each fold's training dates kept for early stopping (default 0.15). */
  validationFraction?: number;
  /** Most epochs per fold (default the settings'). */
  epochs?: number;
}

/** Scored windows with everything the summary and the portfolio need. */
interface ScoredRows {
  windows: UniverseWindows[];
  /** The network's raw probabilities: what the portfolio and the AUCs rank by. */
  raw: Float64Array;
  probabilities: Float64Array;
  logistic: Float64Array;
  reversalScores: Float64Array;
  reversalProbabilities: Float64Array;
  climatology: Float64Array;
  previousUp: Uint8Array;
  labels: Uint8Array;
  refTimes: string[];
  dates: Uint32Array;
  symbols: Uint16Array;
  logisticFittedOn: string;
}

/**
 * The network's raw probabilities and, through the calibration, the ones the
 * model hands out: the one batch path of a universe model.
 */
async function handedOut(
  model: LayersModel,
  calibration: Calibration,
  windows: UniverseWindows,
): Promise<{ raw: Float64Array; probabilities: Float64Array }> {
  const raw = Float64Array.from(await predictProbabilitiesAsync(model, windows));
  return { raw, probabilities: calibrateAll(calibration, raw) };
}

/** Scores `windows` with the model and the baselines fitted on `train`. */
async function scoreRows(
  model: LayersModel,
  calibration: Calibration,
  train: UniverseWindows,
  windows: UniverseWindows,
  seed: number,
): Promise<Omit<ScoredRows, "windows" | "logisticFittedOn"> & { logisticRows: number }> {
  const { raw, probabilities } = await handedOut(model, calibration, windows);
  const logisticModel = fitUniverseLogistic(train, { seed });
  const rev = reversal(windows);
  const rate = mean(train.y);
  return {
    raw,
    probabilities,
    logistic: predictUniverseLogistic(logisticModel, windows),
    reversalScores: rev.scores,
    reversalProbabilities: rev.probabilities,
    climatology: new Float64Array(windows.n).fill(rate),
    previousUp: previousDirections(windows),
    labels: windows.y,
    refTimes: windows.refTimes(),
    dates: windows.dates,
    symbols: windows.symbols,
    logisticRows: logisticModel.rows,
  };
}

function concat(parts: ScoredRows[]): ScoredRows {
  const f64 = (get: (p: ScoredRows) => ArrayLike<number>): Float64Array =>
    Float64Array.from(parts.flatMap((p) => Array.from(get(p))));
  return {
    windows: parts.flatMap((p) => p.windows),
    raw: f64((p) => p.raw),
    probabilities: f64((p) => p.probabilities),
    logistic: f64((p) => p.logistic),
    reversalScores: f64((p) => p.reversalScores),
    reversalProbabilities: f64((p) => p.reversalProbabilities),
    climatology: f64((p) => p.climatology),
    previousUp: Uint8Array.from(parts.flatMap((p) => Array.from(p.previousUp))),
    labels: Uint8Array.from(parts.flatMap((p) => Array.from(p.labels))),
    refTimes: parts.flatMap((p) => p.refTimes),
    dates: Uint32Array.from(parts.flatMap((p) => Array.from(p.dates))),
    symbols: Uint16Array.from(parts.flatMap((p) => Array.from(p.symbols))),
    logisticFittedOn: parts.length === 1
      ? parts[0].logisticFittedOn
      : "each fold's own training windows",
  };
}

const nan = (v: number): number | null => Number.isNaN(v) ? null : v;

function perSymbolScores(rows: ScoredRows, tables: UniverseTables): SymbolScore[] {
  const bySymbol = new Map<number, number[]>();
  for (let i = 0; i < rows.labels.length; i++) {
    let list = bySymbol.get(rows.symbols[i]);
    if (!list) bySymbol.set(rows.symbols[i], list = []);
    list.push(i);
  }
  const out: SymbolScore[] = [];
  for (const [s, idx] of bySymbol) {
    const p = Float64Array.from(idx, (i) => rows.probabilities[i]);
    const raw = Float64Array.from(idx, (i) => rows.raw[i]);
    const y = Uint8Array.from(idx, (i) => rows.labels[i]);
    const c = Float64Array.from(idx, (i) => rows.climatology[i]);
    const r = Float64Array.from(idx, (i) => rows.reversalProbabilities[i]);
    const m = scoreProbabilities(p, y);
    const climatologyBrier = scoreProbabilities(c, y).brier;
    out.push({
      symbol: tables.tables[s].symbol,
      rows: idx.length,
      baseRate: mean(y),
      accuracy: m.accuracy,
      auc: nan(scoreProbabilities(raw, y).auc),
      brier: m.brier,
      logLoss: m.logLoss,
      brierSkill: climatologyBrier > 0 ? 1 - m.brier / climatologyBrier : 0,
      reversalAuc: nan(scoreProbabilities(r, y).auc),
    });
  }
  return out.sort((a, b) =>
    (a.auc ?? 0.5) - (b.auc ?? 0.5) || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0)
  );
}

/** Bootstrap settings for pooled rows: blocks of about five days of the whole cross-section. */
function bootstrapFor(
  rows: ScoredRows,
  seed: number,
): { seed: number; blockLength: number; resamples: number } {
  const days = new Set(rows.dates).size;
  const perDay = Math.max(1, Math.round(rows.labels.length / Math.max(1, days)));
  return {
    seed,
    blockLength: Math.max(20, Math.min(5 * perDay, Math.floor(rows.labels.length / 5))),
    resamples: rows.labels.length > 20_000 ? 200 : 1000,
  };
}

function portfolioArms(
  tables: UniverseTables,
  rows: ScoredRows,
  market: { symbol: string; table: PriceTable } | undefined,
  options: { topK: number; longOnly: boolean; costBps: number },
): { arms: PortfolioArm[]; runs: [string, PortfolioResult][] } {
  const runs: [string, PortfolioResult][] = [];
  const base = { dates: rows.dates, symbols: rows.symbols };
  const run = (name: string, values: ArrayLike<number>, extra: Partial<typeof options> & {
    fill?: "next-open" | "close";
    topK?: number;
  } = {}): void => {
    runs.push([
      name,
      runPortfolio(tables.calendar, tables.tables, { ...base, values }, { ...options, ...extra }),
    ]);
  };
  run("model", rows.raw);
  run("reversal", rows.reversalScores);
  run("logistic", rows.logistic);
  run("equal-weight", new Float64Array(rows.labels.length), { topK: Infinity, longOnly: true });
  if (market) {
    const days = [...new Set(rows.dates)].sort((a, b) => a - b);
    runs.push([
      `market (${market.symbol})`,
      runPortfolio(tables.calendar, [market.table], {
        dates: days,
        symbols: new Uint16Array(days.length),
        values: new Float64Array(days.length),
      }, { ...options, topK: Infinity, longOnly: true }),
    ]);
  }
  run("model (at close)", rows.raw, { fill: "close" });
  run("reversal (at close)", rows.reversalScores, { fill: "close" });
  const arms = runs.map(([name, r]) => ({
    name,
    fill: r.options.fill,
    before: r.before,
    after: r.after,
    periods: r.periods,
    flatDays: r.days.filter((d) => d.positions === 0).length,
  }));
  return { arms, runs };
}

/** The context series on the universe's calendar, as a price table for the market arm. */
function marketTable(tables: UniverseTables, context: Series | undefined): PriceTable | undefined {
  if (!context) return undefined;
  const index = new Map(tables.calendar.map((t, i) => [t, i]));
  const bars = context.bars.filter((b) => index.has(b.time));
  if (bars.length < 3) return undefined;
  return {
    dates: Uint32Array.from(bars, (b) => index.get(b.time)!),
    opens: Float64Array.from(
      bars,
      (b) => b.adjClose !== undefined && b.close > 0 ? b.open * (b.adjClose / b.close) : b.open,
    ),
    closes: Float64Array.from(bars, (b) => b.adjClose ?? b.close),
  };
}

/** Puts a universe evaluation together from scored rows. */
function assemble(
  tables: UniverseTables,
  rows: ScoredRows,
  parts: {
    model: UniverseEvaluation["model"];
    scaling: Scaling;
    scope: string;
    unknown: string[];
    name: string;
    market: { symbol: string; table: PriceTable } | undefined;
    seed: number;
    topK: number;
    longOnly: boolean;
    costBps: number;
    folds?: UniverseEvaluation["folds"];
    calibration?: Calibration;
  },
): UniverseResult {
  if (rows.labels.length < 20) {
    throw new DataError(
      `Expected at least 20 labelled windows to score (${parts.scope}), found ${rows.labels.length}`,
    );
  }
  const evaluationRows: EvaluationRows = {
    probabilities: rows.probabilities,
    rawProbabilities: rows.raw,
    ...(parts.calibration ? { calibration: calibrationNote(parts.calibration) } : {}),
    labels: rows.labels,
    refTimes: rows.refTimes,
    previousUp: rows.previousUp,
    logisticProbabilities: rows.logistic,
    climatology: { probabilities: rows.climatology, fittedOn: rows.logisticFittedOn },
  };
  const pooled = summarizeEvaluation(evaluationRows, bootstrapFor(rows, parts.seed));
  const rev = scoreProbabilities(rows.reversalProbabilities, rows.labels);
  const { arms, runs } = portfolioArms(tables, rows, parts.market, parts);
  const scored = new Set(rows.symbols).size;
  return {
    evaluation: {
      universe: {
        name: parts.name,
        symbols: tables.tables.length,
        scored,
        dropped: tables.dropped,
        unknown: parts.unknown,
      },
      model: parts.model,
      label: tables.label,
      scaling: parts.scaling,
      context: tables.context ?? null,
      scope: parts.scope,
      pooled: { ...pooled, logisticFittedOn: rows.logisticFittedOn },
      reversal: { accuracy: rev.accuracy, auc: rev.auc, mcc: rev.mcc },
      perSymbol: perSymbolScores(rows, tables),
      ...(parts.folds ? { folds: parts.folds } : {}),
      portfolio: { topK: parts.topK, longOnly: parts.longOnly, costBps: parts.costBps, arms },
    },
    runs,
    rows: evaluationRows,
    symbols: Array.from(rows.symbols, (s) => tables.tables[s].symbol),
  };
}

/**
 * What {@linkcode evaluateUniverse} and {@linkcode runUniverseStudy} return:
 * the evaluation (`--json`), the portfolio runs (for the report's curves) and
 * the pooled rows.
 *
 * @example
 * ```ts
 * const { evaluation, runs } = await evaluateUniverse(loaded, data, {});
 * ```
 */
export interface UniverseResult {
  /** The evaluation. */
  evaluation: UniverseEvaluation;
  /** Each portfolio arm's run, by name. */
  runs: [string, PortfolioResult][];
  /** The pooled scored rows. */
  rows: EvaluationRows;
  /** The symbol of each scored row. */
  symbols: string[];
}

function portfolioDefaults(options: UniverseEvaluateOptions): {
  topK: number;
  longOnly: boolean;
  costBps: number;
  seed: number;
} {
  return {
    topK: options.topK ?? 10,
    longOnly: options.longOnly ?? false,
    costBps: options.costBps ?? 5,
    seed: options.seed ?? 42,
  };
}

/** The settings that refit a card's model across a universe. */
function settingsOfCard(card: ModelCard, fit: FitSettings): UniverseFitSettings {
  return {
    fit,
    features: resolveFeatureSpecs(card.features),
    label: card.label ?? "up",
    scaling: card.universe?.scaling ?? "pooled",
    context: card.universe?.context,
    study: card.universe?.study as Study | undefined,
    split: {},
  };
}

/**
 * Scores a saved model across a universe: windows rebuilt with its features,
 * labels and saved scalers (never refitted), the scope's rows predicted, then
 * pooled and per-symbol scores beside the reversal rule, a logistic model on
 * the same standardized returns (fitted on the training dates' windows) and
 * the base rate, and the daily portfolio. On the model's own universe only
 * rows after its validation range are scored unless `start`/`end` say
 * otherwise. With `walkForward`, the card's architecture and hyperparameters
 * are retrained by date folds instead (see {@linkcode runUniverseStudy}).
 *
 * @example
 * ```ts
 * const loaded = await loadUniverseModel("models/universe");
 * const data = await loadUniverseData(modelUniverse(loaded.card)!.spec, { dataDir: "data" });
 * const { evaluation } = await evaluateUniverse(loaded, data, { topK: 10, costBps: 5 });
 * ```
 */
export async function evaluateUniverse(
  loaded: LoadedUniverseModel,
  data: UniverseData,
  options: UniverseEvaluateOptions = {},
): Promise<UniverseResult> {
  const { card } = loaded;
  const settings = settingsOfCard(card, fitSettingsOfCard(card, options.kernel));
  if (options.walkForward) {
    return await runUniverseStudy(data, settings, {
      ...options,
      model: { dir: loaded.dir, version: loaded.version },
    });
  }
  const tables = tablesOf(data, {
    ...settings,
    sequenceLength: card.sequenceLength,
    horizon: card.horizon,
  });
  const scaled = scaleTables(tables, loaded.scalers);
  const unknown = tables.tables.filter((_, s) => scaled[s] === null).map((t) => t.symbol);
  // A universe model's rows up to its validation end were seen, whichever symbols are scored:
  // market-wide moves of those dates shaped its weights.
  const trainedOn = new Set(card.universe?.symbols ?? []);
  const own = card.universe !== undefined &&
    data.universe.members.some((m) => trainedOn.has(m.symbol));
  const seenUpTo = card.universe?.split.validationEnd ?? card.data.ranges.validation.last;
  const outOfSample = card.universe !== undefined && options.start === undefined &&
    options.end === undefined;
  const start = outOfSample ? nextDate(tables.calendar, seenUpTo) : options.start;
  const range = dateRange(tables, start, options.end);
  const only = options.only ? new Set(options.only) : undefined;
  let windows = universeWindows(tables, scaled, range);
  if (only) windows = windows.select((i) => only.has(windows.symbolOf(i)));
  const split: DateSplit = card.universe?.split ?? {
    trainStart: card.data.ranges.train.first,
    trainEnd: card.data.ranges.train.last,
    validationEnd: card.data.ranges.validation.last,
    testEnd: card.data.ranges.test.last,
  };
  const train = universeWindows(tables, scaled, splitRange(tables, split, "train"));
  if (train.n === 0) {
    throw new DataError(
      `Expected windows of the model's training dates (${split.trainStart} to ${split.trainEnd}) in universe ${data.universe.name} for the baselines, found none`,
    );
  }
  options.log?.(`evaluate: ${windows.n} windows of ${new Set(windows.symbols).size} symbols`);
  const seed = options.seed ?? 42;
  const scoredRows = await scoreRows(loaded.model, loaded.calibration, train, windows, seed);
  const fittedOn =
    `${train.n} windows of the model's training dates (${split.trainStart} to ${split.trainEnd})${
      scoredRows.logisticRows < train.n
        ? `, a seeded sample of ${scoredRows.logisticRows} for the logistic model`
        : ""
    }`;
  const rows: ScoredRows = { ...scoredRows, windows: [windows], logisticFittedOn: fittedOn };
  const scope = outOfSample
    ? `out of sample: only rows after the model's validation range (${seenUpTo}) are scored${
      own ? "" : ` (universe ${data.universe.name} has none of the symbols it was trained on)`
    }; --start/--end override`
    : own
    ? `the requested range of the model's own universe; rows up to ${seenUpTo} were seen in training or early stopping`
    : `every labelled window of universe ${data.universe.name} in range${
      card.universe ? "" : ` (a single-ticker model of ${card.data.ticker})`
    }`;
  const market = tables.context && data.context ? marketTable(tables, data.context) : undefined;
  return assemble(tables, rows, {
    model: { dir: loaded.dir, version: loaded.version },
    calibration: loaded.calibration,
    scaling: loaded.scalers.scaling,
    scope,
    unknown,
    name: data.universe.name,
    market: market && { symbol: tables.context!, table: market },
    ...portfolioDefaults(options),
  });
}

function nextDate(calendar: readonly string[], date: string): string | undefined {
  return calendar.find((t) => t > date);
}

/** Fit settings that retrain a card's model (its architecture, hyperparameters and training). */
function fitSettingsOfCard(card: ModelCard, kernel?: Kernel): FitSettings {
  const hp = card.hyperparameters;
  return {
    arch: card.arch,
    backendName: "wasm",
    kernel,
    seed: hp.seed,
    epochs: hp.epochs,
    batchSize: hp.batchSize,
    patience: hp.patience,
    sequenceLength: card.sequenceLength,
    horizon: card.horizon,
    hyperparameters: withDefaults({ ...hp, inputShape: [card.sequenceLength, 1] }),
    datasetOptions: { sequenceLength: card.sequenceLength, horizon: card.horizon },
    calibration: cardCalibration(card).method,
  } as FitSettings;
}

/**
 * The folds of a walk-forward over `dates` reference dates (indices into
 * them): `walkForwardFolds` over dates, with as many folds as fit when
 * `retrainEvery` and `minTrain` are given without `folds` (the study
 * periods of a preset), else `folds` (default 5). Throws a `DataError` when
 * not one fold fits.
 *
 * @example
 * ```ts
 * universeFolds(1017, { mode: "sliding", minTrain: 510, retrainEvery: 250 }); // 2 study periods
 * ```
 */
export function universeFolds(dates: number, wf: UniverseWalkForward): Fold[] {
  const count = wf.folds ??
    (wf.retrainEvery !== undefined && wf.minTrain !== undefined
      ? Math.floor((dates - wf.minTrain) / wf.retrainEvery)
      : 5);
  if (count < 1) {
    throw new DataError(
      `Expected at least ${
        (wf.minTrain ?? 0) + (wf.retrainEvery ?? 1)
      } reference dates for one fold, found ${dates}`,
    );
  }
  return walkForwardFolds(dates, {
    folds: count,
    mode: wf.mode,
    minTrain: wf.minTrain,
    retrainEvery: wf.retrainEvery,
  });
}

/**
 * Walk-forward by date folds over a universe (the evaluation to trust, and
 * the study design of a preset): for each fold, fresh scalers and a fresh
 * model of `settings` trained on the fold's training dates only, the fold's
 * windows scored beside the baselines (the logistic model fitted on the
 * fold's training windows), and all folds pooled; then the daily portfolio
 * over the pooled out-of-sample predictions. With `settings.study`
 * `fischer-krauss` the folds are the paper's rolling study periods unless
 * `options.walkForward` says otherwise.
 *
 * @example
 * ```ts
 * const settings = universeFitSettings(fitSettings({ epochs: 3 }), { study: "fischer-krauss" });
 * const { evaluation } = await runUniverseStudy(data, settings, { topK: 10, costBps: 5 });
 * ```
 */
export async function runUniverseStudy(
  data: UniverseData,
  settings: UniverseFitSettings,
  options: UniverseEvaluateOptions & { model?: UniverseEvaluation["model"] } = {},
): Promise<UniverseResult> {
  const { fit } = settings;
  const log = options.log ?? ((): void => {});
  const fk = settings.study === "fischer-krauss";
  const wf: UniverseWalkForward = {
    ...(fk
      ? {
        mode: "sliding" as const,
        minTrain: FISCHER_KRAUSS.trainDays,
        retrainEvery: FISCHER_KRAUSS.testDays,
        validationFraction: FISCHER_KRAUSS.validationFraction,
      }
      : {}),
    ...options.walkForward,
  };
  const tables = tablesOf(data, {
    ...settings,
    sequenceLength: fit.sequenceLength,
    horizon: fit.horizon,
  });
  const range = dateRange(tables, options.start, options.end);
  const dates = referenceDates(tables).filter((d) => d >= range.from && d <= range.to);
  const folds = universeFolds(dates.length, wf);
  const vf = wf.validationFraction ?? 0.15;
  // The backend the caller selected (the commands select one from --backend), else wasm.
  const backend = await ensureBackend();
  const kernel = resolveKernel(options.kernel ?? fit.kernel, backend);
  const seed = options.seed ?? 42;
  const only = options.only ? new Set(options.only) : undefined;
  const parts: ScoredRows[] = [];
  const foldInfo: NonNullable<UniverseEvaluation["folds"]> = [];
  let unknown: string[] = [];
  for (const [f, fold] of folds.entries()) {
    const trainDates = dates.slice(fold.trainStart, fold.trainEnd);
    const validationCount = Math.max(1, Math.round(trainDates.length * vf));
    const trainCount = trainDates.length - validationCount;
    if (trainCount < 1) {
      throw new DataError(`Expected training dates in fold ${f + 1}, found ${trainDates.length}`);
    }
    const split: DateSplit = {
      trainStart: tables.calendar[trainDates[0]],
      trainEnd: tables.calendar[trainDates[trainCount - 1]],
      validationEnd: tables.calendar[trainDates[trainDates.length - 1]],
      testEnd: tables.calendar[dates[fold.testEnd - 1]],
    };
    const dataset = universeDatasetForSplit(tables, split, settings.scaling);
    unknown = dataset.unknown;
    let test = dataset.test;
    if (only) test = test.select((i) => only.has(test.symbolOf(i)));
    const model = await quietly(
      () =>
        buildModel(fit.arch, {
          ...fit.hyperparameters,
          inputShape: [fit.sequenceLength, tables.names.length],
          kernel,
        }),
      fit.verbose,
    );
    try {
      const started = Date.now();
      const result = await trainModel(model, dataset, {
        epochs: wf.epochs ?? fit.epochs,
        batchSize: fit.batchSize,
        patience: fit.patience,
        seed: fit.seed,
        log: (line) => log(`fold ${f + 1}/${folds.length}: ${line}`),
        shouldStop: undefined,
      });
      const rawValidation = await predictProbabilitiesAsync(model, dataset.validation);
      const calibration = fitCalibration(rawValidation, dataset.validation.y, {
        method: fit.calibration,
        baseRate: mean(dataset.train.y),
      });
      const scored = await scoreRows(model, calibration, dataset.train, test, seed);
      const fittedOn = `each fold's own training windows`;
      parts.push({ ...scored, windows: [test], logisticFittedOn: fittedOn });
      const m = scoreProbabilities(scored.probabilities, scored.labels);
      const rawAuc = scoreProbabilities(scored.raw, scored.labels).auc;
      foldInfo.push({
        train: windowsInfo(dataset.train),
        test: windowsInfo(test),
        bestEpoch: result.bestEpoch,
        auc: rawAuc,
        accuracy: m.accuracy,
        brierSkill: 1 - m.brier / scoreProbabilities(scored.climatology, scored.labels).brier,
        reversalAuc: scoreProbabilities(scored.reversalProbabilities, scored.labels).auc,
      });
      log(
        `fold ${
          f + 1
        }/${folds.length}: trained on ${split.trainStart} to ${split.trainEnd} (${dataset.train.n} windows, best epoch ${result.bestEpoch}, ${
          Math.round((Date.now() - started) / 1000)
        }s), scored ${test.n} windows ${test.refTime(0)} to ${test.refTime(test.n - 1)}: AUC ${
          rawAuc.toFixed(4)
        }, reversal AUC ${foldInfo.at(-1)!.reversalAuc.toFixed(4)}`,
      );
    } finally {
      model.dispose();
    }
  }
  const rows = concat(parts);
  const market = tables.context && data.context ? marketTable(tables, data.context) : undefined;
  const design = fk
    ? `the Fischer & Krauss study: ${folds.length} rolling study periods of ${wf.minTrain} training reference dates (750 days with the 240-bar look-back) and ${wf.retrainEvery} trading days`
    : `walk-forward over universe ${data.universe.name}: ${folds.length} ${
      wf.mode ?? "expanding"
    } date folds`;
  return assemble(tables, rows, {
    model: options.model ?? { study: settings.study ?? "walk-forward" },
    scaling: settings.scaling,
    scope: `${design}, each scored by a fresh ${fit.arch} model trained only on earlier dates`,
    unknown,
    name: data.universe.name,
    market: market && { symbol: tables.context!, table: market },
    ...portfolioDefaults(options),
    folds: foldInfo,
  });
}

/** A fold's dataset on fixed cut dates, with the symbols left without a scaler. */
function universeDatasetForSplit(
  tables: UniverseTables,
  split: DateSplit,
  scaling: Scaling,
): {
  train: UniverseWindows;
  validation: UniverseWindows;
  test: UniverseWindows;
  unknown: string[];
} {
  const scalers = fitUniverseScalers(tables, splitRange(tables, split, "train"), scaling);
  const scaled = scaleTables(tables, scalers);
  const make = (which: "train" | "validation" | "test"): UniverseWindows =>
    universeWindows(tables, scaled, splitRange(tables, split, which));
  const sets = { train: make("train"), validation: make("validation"), test: make("test") };
  for (const [name, w] of Object.entries(sets)) {
    if (w.n === 0) {
      throw new DataError(
        `Expected ${name} windows between ${split.trainStart} and ${split.testEnd}, found none`,
      );
    }
  }
  return {
    ...sets,
    unknown: tables.tables.filter((_, s) => scaled[s] === null).map((t) => t.symbol),
  };
}

const pct = (v: number, digits = 3): string =>
  Number.isFinite(v) ? `${(100 * v).toFixed(digits)}%` : "–";
const fixed = (v: number | null | undefined, digits = 4): string =>
  v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(digits);

/**
 * The portfolio table of a universe evaluation: each arm's mean daily return,
 * Sharpe, drawdown and turnover before and after costs.
 *
 * @example
 * ```ts
 * console.log(portfolioText(evaluation));
 * ```
 */
export function portfolioText(evaluation: UniverseEvaluation): string {
  const p = evaluation.portfolio;
  const header = [
    "arm",
    "fill",
    "days",
    "flat",
    "mean/day",
    "t",
    "sharpe",
    "max dd",
    "turnover",
    "mean/day net",
    "sharpe net",
    "total net",
  ];
  const rows = p.arms.map((a) => [
    a.name,
    a.fill,
    String(a.before.days),
    String(a.flatDays),
    pct(a.before.meanDaily),
    fixed(a.before.tStat, 2),
    fixed(a.before.sharpe, 2),
    pct(a.before.maxDrawdown, 1),
    fixed(a.before.turnover, 2),
    pct(a.after.meanDaily),
    fixed(a.after.sharpe, 2),
    pct(a.after.totalReturn, 1),
  ]);
  const years = [...new Set(p.arms.flatMap((a) => a.periods.map((x) => x.period)))].sort();
  const perYear = formatTable([
    ["arm (net of costs)", ...years],
    ...p.arms.map((a) => [
      a.name,
      ...years.map((y) => {
        const x = a.periods.find((q) => q.period === y);
        return x ? pct(x.after, 1) : "–";
      }),
    ]),
  ]);
  return [
    `portfolio: each day ${p.longOnly ? "long" : "long and short"} the top ${p.topK}${
      p.longOnly ? "" : ` and bottom ${p.topK}`
    } by score, ${p.costBps} bps per half-turn; next-open fills are tradable, "at close" is the paper's convention (filled at the close the ranking was computed from)`,
    formatTable([header, ...rows]),
    "",
    "returns per year, after costs:",
    perYear,
  ].join("\n");
}

/**
 * The human text of a universe evaluation: scope, pooled scores beside the
 * baselines (and the reversal rule), folds, the worst and best ten symbols,
 * and the portfolio.
 *
 * @example
 * ```ts
 * console.log(universeEvaluationText(evaluation));
 * ```
 */
export function universeEvaluationText(evaluation: UniverseEvaluation): string {
  const e = evaluation;
  const model = "study" in e.model
    ? `study ${e.model.study}`
    : `model ${e.model.dir} (${e.model.version})`;
  const symbolRows = (list: SymbolScore[]): string[][] =>
    list.map((s) => [
      s.symbol,
      String(s.rows),
      fixed(s.accuracy),
      fixed(s.auc),
      fixed(s.reversalAuc),
      fixed(s.brierSkill),
    ]);
  const header = ["symbol", "rows", "accuracy", "auc", "reversal auc", "brier skill"];
  const worst = e.perSymbol.slice(0, 10);
  const best = e.perSymbol.slice(Math.max(worst.length, e.perSymbol.length - 10)).reverse();
  const folds = e.folds
    ? [
      formatTable([
        [
          "fold",
          "trained on",
          "train windows",
          "scored",
          "rows",
          "best epoch",
          "auc",
          "reversal auc",
          "brier skill",
        ],
        ...e.folds.map((f, i) => [
          String(i + 1),
          `${f.train.first} .. ${f.train.last}`,
          String(f.train.rows),
          `${f.test.first} .. ${f.test.last}`,
          String(f.test.rows),
          String(f.bestEpoch),
          fixed(f.auc),
          fixed(f.reversalAuc),
          fixed(f.brierSkill),
        ]),
      ]),
      "pooled scores of every fold's rows:",
    ]
    : [];
  return [
    `universe ${e.universe.name}: ${e.universe.symbols} symbols, ${e.universe.scored} scored; ${model}; label ${e.label}, ${e.scaling} scaling${
      e.context ? `, context ${e.context}` : ""
    }`,
    ...(e.universe.dropped.length
      ? [
        `dropped (too few bars or features that cannot be computed): ${
          e.universe.dropped.map((d) => d.symbol).join(", ")
        }`,
      ]
      : []),
    ...(e.universe.unknown.length
      ? [
        `not scored (no scaler of their own): ${e.universe.unknown.slice(0, 20).join(", ")}${
          e.universe.unknown.length > 20 ? ` and ${e.universe.unknown.length - 20} more` : ""
        }`,
      ]
      : []),
    `scope: ${e.scope}`,
    ...folds,
    formatEvaluation(e.pooled),
    `logistic baseline fitted on ${e.pooled.logisticFittedOn}`,
    `reversal rule (rank by the last bar's return, lowest first) on the same rows: accuracy ${
      fixed(e.reversal.accuracy)
    }, AUC ${fixed(e.reversal.auc)}, MCC ${fixed(e.reversal.mcc)}`,
    "",
    `per symbol, worst ${worst.length} by AUC:`,
    formatTable([header, ...symbolRows(worst)]),
    ...(best.length
      ? [`per symbol, best ${best.length} by AUC:`, formatTable([header, ...symbolRows(best)])]
      : []),
    "",
    portfolioText(e),
  ].join("\n");
}

/**
 * The HTML report of a universe evaluation: the pooled scores, the model's
 * portfolio equity after costs against the equal-weight universe, its
 * drawdown, and every arm's figures and yearly returns in the table.
 *
 * @example
 * ```ts
 * await atomicWriteFile("reports/u.html", renderReport(universeReport(result, "Universe")));
 * ```
 */
export function universeReport(result: UniverseResult, title: string): ReportInput {
  const { evaluation, runs } = result;
  const model = runs.find(([n]) => n === "model")![1];
  const equal = runs.find(([n]) => n === "equal-weight")![1];
  const equalByDate = new Map(equal.days.map((d, i) => [d.date, equal.equityAfter[i]]));
  let last = 1;
  const bench = model.days.map((d) => (last = equalByDate.get(d.date) ?? last));
  let peak = 1;
  const drawdown = model.equityAfter.map((e) => {
    peak = Math.max(peak, e);
    return 1 - e / peak;
  });
  const years = [
    ...new Set(evaluation.portfolio.arms.flatMap((a) => a.periods.map((p) => p.period))),
  ]
    .sort();
  return {
    title,
    summary: [
      `Scope: ${evaluation.scope}.`,
      evaluation.pooled.verdict,
      `Reversal rule on the same rows: AUC ${fixed(evaluation.reversal.auc)}; the network's AUC ${
        fixed(evaluation.pooled.baselines.rawNetwork?.auc ?? evaluation.pooled.metrics.auc)
      } (the portfolio ranks by the network's raw probability; the histogram shows it).`,
      `The equity chart is the model's portfolio after ${evaluation.portfolio.costBps} bps costs against the equal-weight universe (as buy-and-hold).`,
    ],
    metricsTable: {
      headers: [
        "arm",
        "fill",
        "mean/day",
        "sharpe",
        "max dd",
        "mean/day net",
        "sharpe net",
        ...years,
      ],
      rows: evaluation.portfolio.arms.map((a) => [
        a.name,
        a.fill,
        pct(a.before.meanDaily),
        fixed(a.before.sharpe, 2),
        pct(a.before.maxDrawdown, 1),
        pct(a.after.meanDaily),
        fixed(a.after.sharpe, 2),
        ...years.map((y) => {
          const x = a.periods.find((q) => q.period === y);
          return x ? pct(x.after, 1) : "–";
        }),
      ]),
    },
    probabilities: result.rows.rawProbabilities ?? result.rows.probabilities,
    equity: {
      strategy: model.equityAfter,
      buyAndHold: bench,
      dates: model.days.map((d) => d.date),
    },
    drawdown,
  };
}

/**
 * A symbol's bars as a universe model sees them, and its labels by the
 * model's own label definition: what `deno task monitor` joins a universe
 * model's logged signals with. For `beats-median` the label of a bar needs
 * the whole universe's returns, so the model's universe is read and its
 * tables built (the same drop rules and calendar as training); `labelAt` is
 * then the label of bar `index` of `series.bars` (`undefined` when not known
 * or for another horizon). For `up` it is absent: the one `upLabel` rule
 * applies. `context` is the context series, for a model with context
 * features (`deno task predict` feeds it to the plugin first).
 *
 * @example
 * ```ts
 * const { series, labelAt } = await universeSeriesFor(card, "AAPL", { dataDir: "data" });
 * ```
 */
export async function universeSeriesFor(
  card: ModelCard,
  ticker: string,
  request: { dataDir?: string; source?: SourceName; seed?: number; end?: string },
): Promise<{
  series: Series;
  context?: Series;
  labelAt?: (index: number, horizon: number) => 0 | 1 | undefined;
}> {
  const own = modelUniverse(card);
  if (!own) throw new UsageError(`Expected a universe model, found one of ${card.data.ticker}`);
  const data = await loadUniverseData(own.spec, {
    dataDir: request.dataDir,
    source: request.source ?? own.source,
    seed: request.seed ?? card.seed,
    end: request.end,
    context: card.universe?.context,
  });
  const series = data.universe.members.find((m) => m.symbol === ticker);
  if (!series) {
    throw new DataError(
      `Expected ${ticker} in the model's universe ${own.spec.name}, found it missing`,
    );
  }
  const context = data.context;
  if ((card.label ?? "up") === "up") return { series, context };
  const tables = tablesOf(data, {
    features: resolveFeatureSpecs(card.features),
    label: card.label ?? "up",
    context: card.universe?.context,
    sequenceLength: card.sequenceLength,
    horizon: card.horizon,
  });
  const table = tables.tables.find((t) => t.symbol === ticker);
  const byTime = new Map<string, number>(
    table ? table.times.map((t, k) => [t, table.labels[k]]) : [],
  );
  return {
    series,
    context,
    labelAt: (index: number, horizon: number): 0 | 1 | undefined => {
      const y = horizon === card.horizon ? byTime.get(series.bars[index]?.time) : undefined;
      return y === 0 || y === 1 ? y : undefined;
    },
  };
}
