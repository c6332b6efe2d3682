/**
 * Scoring across a universe, walk-forward by date folds and the study
 * presets: a model (any kind the one loader opens) scored pooled and per
 * symbol beside the reversal rule, a logistic model and the base rate on the
 * same rows, and traded as a daily long-short portfolio. Each walk-forward
 * fold is fitted by `fitModel` on a fold's `UniverseDataset`, so it is
 * calibrated exactly as `deno task train` calibrates.
 *
 * @example
 * ```ts
 * import { evaluateUniverse } from "./study.ts";
 * import { loadEvaluationModel } from "./score.ts";
 * const loaded = await loadEvaluationModel("models/universe");
 * const { evaluation } = await evaluateUniverse(loaded, data, { topK: 10, costBps: 5 });
 * ```
 *
 * @module
 */

import { type Fold, walkForwardFolds } from "../dataset/splits.ts";
import {
  dateRange,
  type DateSplit,
  referenceDates,
  scaleTables,
  splitRange,
  universeDataset,
  universeWindows,
  windowsInfo,
} from "../dataset/universe.ts";
import { scoreProbabilities } from "../eval/metrics.ts";
import { resolveFeatureSpecs } from "../features/mod.ts";
import type { CardDraft } from "../model/card.ts";
import type { Kernel } from "../model/fast/layers.ts";
import { type BackendName, ensureBackend } from "../model/backend.ts";
import { withTrainingThreads } from "../model/train.ts";
import { DataError } from "../util/errors.ts";
import { readCard } from "../model/card.ts";
import { resolveModelDir } from "../model/versions.ts";
import type { Interval, SourceName } from "../data/types.ts";
import { type LoadedUniverse, resolveUniverse } from "../data/universe.ts";
import { barsPerYear } from "../data/interval.ts";
import { CRYPTO_TAKER_FEE_BPS } from "../eval/backtest.ts";
import { UsageError } from "../util/errors.ts";
import { fitModel } from "./fit.ts";
import {
  assemble,
  concat,
  marketTable,
  type ScoredRows,
  scoreRows,
  type UniverseEvaluation,
  type UniverseResult,
} from "./universe_scores.ts";
import {
  type EvaluationModel,
  evaluationModelOf,
  loadEvaluationModel,
  modelInfo,
} from "./score.ts";
import { fitSettings, settingsForCard } from "./settings.ts";
import { seriesInterval } from "./series.ts";
import {
  loadUniverseData,
  modelUniverse,
  type Study,
  studyPreset,
  tablesOf,
  type UniverseData,
  type UniverseFitSettings,
  universeFitSettings,
} from "./universe.ts";

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
  /**
   * Cost per half-turn in basis points (default {@linkcode STOCK_UNIVERSE_COST_BPS} on the NYSE,
   * the exchange taker fee `CRYPTO_TAKER_FEE_BPS` on a crypto venue).
   */
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

/**
 * A universe portfolio's default cost per half-turn on the NYSE, in basis
 * points (on a crypto venue: the exchange's taker fee, `CRYPTO_TAKER_FEE_BPS`,
 * as a single-symbol backtest charges).
 *
 * @example
 * ```ts
 * STOCK_UNIVERSE_COST_BPS; // 5
 * ```
 */
export const STOCK_UNIVERSE_COST_BPS = 5;

/** The portfolio's settings: the options', else the defaults of the universe's venue and bars. */
function portfolioDefaults(
  options: UniverseEvaluateOptions,
  universe: Pick<LoadedUniverse, "interval" | "venue">,
): {
  topK: number;
  longOnly: boolean;
  costBps: number;
  seed: number;
  interval: Interval;
  barsPerYear: number;
} {
  const { interval, venue } = universe;
  return {
    topK: options.topK ?? 10,
    longOnly: options.longOnly ?? false,
    costBps: options.costBps ??
      (venue === "crypto" ? CRYPTO_TAKER_FEE_BPS : STOCK_UNIVERSE_COST_BPS),
    seed: options.seed ?? 42,
    interval,
    barsPerYear: barsPerYear(interval, venue),
  };
}

/** The settings that refit a card's model across a universe. */
function settingsOfCard(
  card: CardDraft,
  kernel: Kernel | undefined,
  backendName: BackendName,
): UniverseFitSettings {
  return {
    fit: settingsForCard(card, { kernel, backendName }),
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
 * const loaded = await loadEvaluationModel("models/universe");
 * const data = await loadUniverseData(modelUniverse(loaded.card)!.spec, { dataDir: "data" });
 * const { evaluation } = await evaluateUniverse(loaded, data, { topK: 10, costBps: 5 });
 * ```
 */
export async function evaluateUniverse(
  loaded: EvaluationModel,
  data: UniverseData,
  options: UniverseEvaluateOptions = {},
): Promise<UniverseResult> {
  const { card, dir, version } = loaded.info;
  if (loaded.composite) {
    throw new DataError(
      `Expected a single model to score across universe ${data.universe.name}, found the ${loaded.composite.description} ${dir}`,
    );
  }
  // Walk-forward folds train on the backend the caller selected (the commands select one from
  // --backend), else wasm.
  const backend = await ensureBackend() as BackendName;
  const settings = settingsOfCard(card, options.kernel, backend);
  if (options.walkForward) {
    return await runUniverseStudy(data, settings, { ...options, model: { dir, version } });
  }
  const tables = tablesOf(data, {
    ...settings,
    sequenceLength: card.sequenceLength,
    horizon: card.horizon,
    decideAt: card.decideAt,
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
  const scoredRows = await scoreRows(loaded, train, windows, seed);
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
    model: { dir, version },
    calibration: loaded.calibration,
    scaling: loaded.scalers.scaling,
    scope,
    unknown,
    name: data.universe.name,
    market: market && { symbol: tables.context!, table: market },
    ...portfolioDefaults(options, data.universe),
  });
}

function nextDate(calendar: readonly string[], date: string): string | undefined {
  return calendar.find((t) => t > date);
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
  const preset = settings.study ? studyPreset(settings.study) : undefined;
  const wf: UniverseWalkForward = {
    ...(preset
      ? {
        mode: "sliding" as const,
        minTrain: preset.trainDays,
        retrainEvery: preset.testDays,
        validationFraction: preset.validationFraction,
      }
      : {}),
    ...options.walkForward,
  };
  const tables = tablesOf(data, {
    ...settings,
    sequenceLength: fit.sequenceLength,
    horizon: fit.horizon,
    decideAt: fit.datasetOptions.decideAt,
  });
  const range = dateRange(tables, options.start, options.end);
  const dates = referenceDates(tables).filter((d) => d >= range.from && d <= range.to);
  const folds = universeFolds(dates.length, wf);
  const vf = wf.validationFraction ?? 0.15;
  const kernel = options.kernel ?? fit.kernel;
  const seed = options.seed ?? 42;
  const only = options.only ? new Set(options.only) : undefined;
  const parts: ScoredRows[] = [];
  const foldInfo: NonNullable<UniverseEvaluation["folds"]> = [];
  let unknown: string[] = [];
  // One pool of kernel workers for every period: started once, and the scoring after each fit
  // predicts on it too (trainModel alone would stop its workers when it returns).
  await withTrainingThreads(fit.threads, async () => {
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
      const dataset = universeDataset(tables, { split, scaling: settings.scaling });
      unknown = dataset.excluded;
      let test = dataset.test;
      if (only) test = test.select((i) => only.has(test.symbolOf(i)));
      const started = Date.now();
      const fitted = await fitModel(dataset, {
        ...fit,
        kernel,
        epochs: wf.epochs ?? fit.epochs,
      }, { log: (line) => log(`fold ${f + 1}/${folds.length}: ${line}`) });
      const result = fitted.result;
      try {
        const scorer = evaluationModelOf(fitted.model, {
          info: modelInfo(
            options.model && "dir" in options.model ? options.model.dir : "study",
            `fold ${f + 1}`,
            fitted.card,
          ),
          scalers: dataset.scalers,
          calibration: fitted.calibration,
        });
        const scored = await scoreRows(scorer, dataset.train, test, seed);
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
          gapReversalAuc: scoreProbabilities(scored.gapProbabilities, scored.labels).auc,
        });
        log(
          `fold ${f + 1}/${folds.length}: trained on ${foldInfo.at(-1)!.train.first} to ${
            foldInfo.at(-1)!.train.last
          } (${dataset.train.n} windows, best epoch ${result.bestEpoch}, ${
            Math.round((Date.now() - started) / 1000)
          }s), scored ${test.n} windows ${test.refTime(0)} to ${test.refTime(test.n - 1)}: AUC ${
            rawAuc.toFixed(4)
          }, reversal AUC ${foldInfo.at(-1)!.reversalAuc.toFixed(4)}, gap reversal AUC ${
            foldInfo.at(-1)!.gapReversalAuc.toFixed(4)
          }`,
        );
      } finally {
        fitted.model.dispose();
      }
    }
  });
  const rows = concat(parts);
  const market = tables.context && data.context ? marketTable(tables, data.context) : undefined;
  const design = preset
    ? `the ${settings.study} study: ${folds.length} rolling study periods of ${wf.minTrain} training reference dates (750 days with the 240-bar look-back) and ${wf.retrainEvery} trading days`
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
    ...portfolioDefaults(options, data.universe),
    folds: foldInfo,
  });
}

/**
 * Whether `modelDir` (a model folder or a versioned root) holds a universe
 * model; `false` when there is no readable model (the single-ticker path
 * then says what is wrong).
 *
 * @example
 * ```ts
 * if (await isUniverseModel("models/universe")) console.log("universe model");
 * ```
 */
export async function isUniverseModel(modelDir: string): Promise<boolean> {
  try {
    const where = await resolveModelDir(modelDir);
    return where !== null && (await readCard(where.dir)).universe !== undefined;
  } catch {
    return false;
  }
}

/**
 * What {@linkcode scoreUniverseRequest} scores: a study preset run from
 * scratch on a universe, or a saved model across a universe (its own when
 * `universe` is left out).
 *
 * @example
 * ```ts
 * const request: UniverseRequest = { modelDir: "models/universe" };
 * ```
 */
export interface UniverseRequest {
  /** The universe (a tickers file, list, folder or long CSV); absent: the model's own. */
  universe?: string;
  /** A study preset to run instead of scoring a saved model. */
  study?: Study;
  /** The study's context symbol. */
  context?: string;
  /** The saved model, when no study is run. */
  modelDir: string;
  /** The data cache folder. */
  dataDir?: string;
  /** `synthetic` for a generated universe. */
  source?: SourceName;
  /** Seed of synthetic bars and of the study's models. */
  seed?: number;
  /**
   * The bars' interval: a study's (default `1d`); a saved model's own (another is refused, as
   * for one ticker).
   */
  interval?: Interval;
}

/**
 * Scores a universe as `evaluate --universe`, `backtest --universe` and
 * `--study` ask: runs the study preset (each period retrained from scratch),
 * or loads the saved model and scores it across the universe (walk-forward
 * when `options.walkForward` says so). Returns the result and a page title.
 *
 * @example
 * ```ts
 * const { result } = await scoreUniverseRequest({ modelDir: "models/universe" }, { topK: 10 });
 * ```
 */
export async function scoreUniverseRequest(
  request: UniverseRequest,
  options: UniverseEvaluateOptions = {},
): Promise<{ result: UniverseResult; title: string }> {
  const { study, universe } = request;
  if (study !== undefined) {
    if (universe === undefined) {
      throw new UsageError(`Expected a universe with the ${study} study, found none`);
    }
    const fit = fitSettings({
      epochs: options.walkForward?.epochs,
      seed: request.seed,
      kernel: options.kernel,
    });
    const settings = universeFitSettings(fit, { study, context: request.context });
    const data = await loadUniverseData(await resolveUniverse(universe), {
      dataDir: request.dataDir,
      source: request.source,
      seed: request.seed,
      interval: request.interval,
      context: request.context,
    });
    options.log?.(data.universe.text);
    const result = await runUniverseStudy(data, settings, {
      ...options,
      walkForward: { ...options.walkForward, epochs: options.walkForward?.epochs ?? fit.epochs },
    });
    return { result, title: `The ${study} study on universe ${data.universe.name}` };
  }
  const loaded = await loadEvaluationModel(request.modelDir, { kernel: options.kernel });
  try {
    const { card, dir } = loaded.info;
    const own = modelUniverse(card);
    if (universe === undefined && !own) {
      throw new UsageError(
        `Expected a universe for ${dir}, a single-ticker model of ${card.data.ticker}, found none`,
      );
    }
    const spec = universe === undefined ? own!.spec : await resolveUniverse(universe);
    const data = await loadUniverseData(spec, {
      dataDir: request.dataDir,
      source: request.source ?? (spec === own?.spec ? own.source : undefined),
      seed: request.seed ?? card.seed,
      // The model's own bars: its interval (another is refused in one line) and venue.
      interval: seriesInterval(card, request.interval),
      ...(card.data.venue ? { venue: card.data.venue } : {}),
      context: card.universe?.context,
    });
    options.log?.(data.universe.text);
    const result = await evaluateUniverse(loaded, data, options);
    const kind = options.walkForward ? "Walk-forward evaluation" : "Evaluation";
    return { result, title: `${kind} of ${dir} on universe ${data.universe.name}` };
  } finally {
    loaded.dispose();
  }
}
