/**
 * Scoring a saved model on a series, the way `deno task evaluate` and
 * `deno task retrain` do it: load the model, its scaler and feature list,
 * rebuild the windows with the one feature pipeline (the scaler is never
 * refitted), predict every labelled window in range, and summarise the
 * scores beside the baselines on exactly the same rows.
 *
 * @module
 */

import { join } from "node:path";
import type { Bar } from "../data/types.ts";
import { adjustedCloses, buildWindows } from "../dataset/mod.ts";
import type { WindowSet, WindowSource } from "../dataset/types.ts";
import type { Scalers } from "../dataset/training_set.ts";
import { type Scaler, warmupBars } from "../features/mod.ts";
import { checkModelFolder, loadModel } from "../model/store.ts";
import { type Composite, readComposite, REGIMES, regimesOf } from "../model/composite.ts";
import { accuracy, brierScore, logLoss } from "../eval/scores.ts";
import type { CardDraft } from "../model/card.ts";
import { calibrateAll, type Calibration, cardCalibration } from "../model/calibration.ts";
import type { Kernel } from "../model/fast/layers.ts";
import type { LayersModel } from "../model/architectures.ts";
import { predictProbabilitiesAsync } from "../model/train.ts";
import { readUniverseScalers } from "../model/scalers.ts";
import { resolveModelDir } from "../model/versions.ts";
import { DataError } from "../util/errors.ts";
import {
  fitLogistic,
  gapReversalProbabilities,
  lastBarFeatures,
  predictLogistic,
  yesterdayUp,
} from "../eval/baselines.ts";
import type { EpochRecord } from "../model/train.ts";
import {
  type BaselineSummary,
  calibrationNote,
  type ClimatologyForecast,
  climatologyForecast,
  earliestHalfClimatology,
  type EvaluationRows,
  type EvaluationSummary,
  summarizeEvaluation,
} from "../eval/summary.ts";
import { overlapNote, scopeFor } from "./series.ts";

/** Fewest scored windows an evaluation accepts. */
export const MIN_EVALUATION_ROWS = 20;

/**
 * What a model folder says about how it was trained, as far as evaluation
 * needs it (read from `model_config.json`).
 *
 * @example
 * ```ts
 * const info: ModelInfo = (await loadEvaluationModel("models/lstm")).info;
 * info.card.data.ranges.validation.last; // "2021-06-30"
 * ```
 */
export interface ModelInfo {
  /** The model folder actually loaded (a version folder for a versioned root). */
  dir: string;
  /** Its version (`v3`) or `unversioned`. */
  version: string;
  /** The model card (for a candidate in memory, its draft), for hyperparameters and provenance. */
  card: CardDraft;
}

/**
 * A loaded model with what scoring needs.
 *
 * @example
 * ```ts
 * const loaded: EvaluationModel = await loadEvaluationModel("models/lstm");
 * ```
 */
export interface EvaluationModel {
  /** What the model was trained on. */
  info: ModelInfo;
  /** The saved scaler, never refitted (a universe model's pooled one). */
  scaler: Scaler;
  /** The saved scalers: the pooled one and, under per-symbol scaling, one per symbol. */
  scalers: Scalers;
  /** The calibration saved with the model (the identity for a card without one). */
  calibration: Calibration;
  /** The probabilities handed out for windows built with `info` and `scalers`: the calibrated ones. */
  predict(windows: WindowSet | WindowSource): Promise<Float64Array>;
  /** The network's raw probabilities of the windows and the calibrated ones from them. */
  predictWithRaw(
    windows: WindowSet | WindowSource,
  ): Promise<{ raw: Float32Array; probabilities: Float64Array }>;
  /** The training history (one entry per epoch), or `undefined` when the folder has none. */
  history?: EpochRecord[];
  /** Releases the model's memory. */
  dispose(): void;
  /**
   * For an ensemble or regime model (`src/model/composite.ts`): what it is,
   * in words, and its probabilities on windows of `bars` (each member scores
   * windows built with its own scaler and features, at the same reference
   * times), with every member's beside them.
   */
  composite?: {
    description: string;
    predict(bars: readonly Bar[], windows: WindowSet): Promise<CompositeScores>;
  };
}

/** A composite's probabilities on some windows, with its members' on the same windows. */
export interface CompositeScores {
  /** The members' raw probabilities combined (weighted, or the active regime's member's). */
  raw: Float32Array;
  /** The probabilities handed out. */
  probabilities: Float64Array;
  /** Each member's probabilities on the same rows (`regime`: the regime it serves). */
  members: { name: string; version: string; regime?: string; probabilities: Float64Array }[];
  /** The active regime of each row (regime models). */
  regimes?: string[];
}

/**
 * The batch path from a network to the probabilities it hands out: raw
 * outputs of the network, then the calibration (`applyCalibration`, the
 * formula the per-window path of `src/model/inference.ts` applies too).
 * Used for saved models, retrain's in-memory candidate and walk-forward's
 * per-fold models alike.
 *
 * @example
 * ```ts
 * const scored = evaluationModelOf(model, { info, scalers: set.scalers, calibration });
 * const p = await scored.predict(dataset.test);
 * ```
 */
export function evaluationModelOf(
  model: LayersModel,
  parts: { info: ModelInfo; scalers: Scalers; calibration: Calibration; history?: EpochRecord[] },
): EvaluationModel {
  const predictWithRaw = async (
    windows: WindowSet | WindowSource,
  ): Promise<{ raw: Float32Array; probabilities: Float64Array }> => {
    const raw = await predictProbabilitiesAsync(model, windows, { batchSize: 512 });
    return { raw, probabilities: calibrateAll(parts.calibration, raw) };
  };
  return {
    ...parts,
    scaler: parts.scalers.pooled,
    predictWithRaw,
    predict: async (windows: WindowSet | WindowSource): Promise<Float64Array> =>
      (await predictWithRaw(windows)).probabilities,
    dispose: (): void => {
      model.dispose();
    },
  };
}

/**
 * Loads a model folder (or a versioned root's current version) for scoring.
 * Fails with one `DataError` naming the file when a file is missing or
 * corrupted, or when its feature list is not one this module computes.
 *
 * @example
 * ```ts
 * const loaded = await loadEvaluationModel("models/lstm");
 * const p = await loaded.predict(windows);
 * loaded.dispose();
 * ```
 */
export async function loadEvaluationModel(
  dir: string,
  options: { kernel?: Kernel } = {},
): Promise<EvaluationModel> {
  const where = await resolveModelDir(dir);
  if (!where) {
    throw new DataError(
      `Expected a model in ${dir} (model.json or current.json), found none; run \`deno task train\` first`,
    );
  }
  const composite = await readComposite(where.dir, checkModelFolder);
  if (composite) return await loadCompositeModel(composite, where.version, options);
  const { model, card, scaler } = await loadModel(where.dir, options);
  try {
    const info = modelInfo(where.dir, where.version, card);
    const history = await readHistory(where.dir);
    return evaluationModelOf(model, {
      info,
      scalers: await readUniverseScalers(where.dir, card, scaler),
      calibration: cardCalibration(card),
      history,
    });
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** Loads an ensemble or regime model's members and scores them together on the same rows. */
async function loadCompositeModel(
  composite: Composite,
  version: string,
  options: { kernel?: Kernel },
): Promise<EvaluationModel> {
  const members: EvaluationModel[] = [];
  try {
    for (const m of composite.members) members.push(await loadEvaluationModel(m.dir, options));
  } catch (error) {
    for (const m of members) m.dispose();
    throw error;
  }
  const base = members[composite.members.indexOf(composite.base)];
  const { spec } = composite;
  const predict = async (bars: readonly Bar[], windows: WindowSet): Promise<CompositeScores> => {
    const scored: { raw: Float32Array; probabilities: Float64Array }[] = [];
    for (const [i, member] of members.entries()) {
      const all = windowsOf(member, bars);
      const at = new Map(all.refTimes.map((t, j) => [t, j]));
      const picks = windows.refTimes.map((t) => at.get(t));
      const missing = picks.findIndex((j) => j === undefined);
      if (missing >= 0) {
        throw new DataError(
          `Expected member ${
            composite.members[i].name
          } of ${composite.dir} to score the window at ${windows.refTimes[missing]}, found none`,
        );
      }
      const out = await member.predictWithRaw(all);
      scored.push({
        raw: Float32Array.from(picks, (j) => out.raw[j!]),
        probabilities: Float64Array.from(picks, (j) => out.probabilities[j!]),
      });
    }
    const n = windows.n;
    const raw = new Float32Array(n);
    const probabilities = new Float64Array(n);
    let regimes: string[] | undefined;
    if (spec.kind === "ensemble") {
      const total = composite.members.reduce((a, m) => a + m.weight, 0);
      for (let r = 0; r < n; r++) {
        let p = 0, q = 0;
        composite.members.forEach((m, i) => {
          p += m.weight * scored[i].probabilities[r];
          q += m.weight * scored[i].raw[r];
        });
        probabilities[r] = p / total;
        raw[r] = q / total;
      }
    } else {
      const byTime = new Map(bars.map((b, i) => [b.time, i]));
      const all = regimesOf(bars, spec.rule!);
      regimes = windows.refTimes.map((t) => all[byTime.get(t)!]);
      const general = composite.members.findIndex((m) => m.regime === "general");
      for (let r = 0; r < n; r++) {
        const own = composite.members.findIndex((m) => m.regime === regimes![r]);
        const i = own >= 0 ? own : general;
        probabilities[r] = scored[i].probabilities[r];
        raw[r] = scored[i].raw[r];
      }
    }
    return {
      raw,
      probabilities,
      members: composite.members.map((m, i) => ({
        name: m.name,
        version: m.version,
        ...(m.regime ? { regime: m.regime } : {}),
        probabilities: scored[i].probabilities,
      })),
      ...(regimes ? { regimes } : {}),
    };
  };
  return {
    info: modelInfo(composite.dir, version, composite.card),
    scaler: base.scaler,
    scalers: base.scalers,
    calibration: base.calibration,
    predict: (): Promise<Float64Array> => {
      throw new DataError(
        `Expected bars to score the ${spec.kind} ${composite.dir} (its members build their own windows), found windows only`,
      );
    },
    predictWithRaw: (): Promise<{ raw: Float32Array; probabilities: Float64Array }> => {
      throw new DataError(
        `Expected bars to score the ${spec.kind} ${composite.dir} (its members build their own windows), found windows only`,
      );
    },
    composite: { description: composite.description, predict },
    dispose: (): void => {
      for (const m of members) m.dispose();
    },
  };
}

/**
 * What evaluation needs of a card. `loadModel` has validated the card and
 * checked its features against the scaler.
 */
export function modelInfo(dir: string, version: string, card: CardDraft): ModelInfo {
  return { dir, version, card };
}

async function readHistory(dir: string): Promise<EpochRecord[] | undefined> {
  const file = join(dir, "training_history.json");
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DataError(`Expected JSON in ${file}, found a corrupted file`);
  }
  if (Array.isArray(parsed)) return parsed as EpochRecord[];
  throw new DataError(`Expected a list of epochs in ${file}, found ${typeof parsed}`);
}

/**
 * Options of {@linkcode evaluateModel} and {@linkcode scoreModel}.
 *
 * @example
 * ```ts
 * const options: EvaluateModelOptions = { ticker: "AAPL", start: "2023-01-01", seed: 42 };
 * ```
 */
export interface EvaluateModelOptions {
  /** The symbol of the bars (decides whether they are the model's own series). */
  ticker: string;
  /** First reference date scored (inclusive). Default: the first, or after the validation range on the model's own ticker. */
  start?: string;
  /** Last reference date scored (inclusive). */
  end?: string;
  /** Seed of the bootstrap (default 42). */
  seed?: number;
  /**
   * Bars of the model's training series, for the logistic baseline; on the model's own ticker
   * the scored bars serve. A string says why they are not at hand: the baseline is then fitted
   * on the earliest half of the scored rows, and the evaluation says so.
   */
  trainingBars?: readonly Bar[] | string;
  /** Who runs the recurrent layers: the fused WASM kernels (default) or stock tfjs. */
  kernel?: Kernel;
}

/**
 * An evaluation in the `--json` shape: the summary plus what was scored.
 *
 * @example
 * ```ts
 * const e: ModelEvaluation = await evaluateModel("models/lstm", bars, { ticker: "SPY" });
 * console.log(e.scope, e.baselines.logistic?.fittedOn);
 * ```
 */
export interface ModelEvaluation extends EvaluationSummary {
  /** The ticker scored. */
  ticker: string;
  /** The model folder and version scored. */
  model: { dir: string; version: string };
  /** Which rows were scored and why, in plain words. */
  scope: string;
  /** Baselines on the same rows; the logistic one says what it was fitted on. */
  baselines: EvaluationSummary["baselines"] & {
    logistic?: BaselineSummary & { fittedOn: string };
  };
  /**
   * For an ensemble or regime model: what it is, and each member's scores on
   * exactly the rows the composite was scored on (and, for a regime model,
   * how many rows fell in each regime).
   */
  composite?: {
    description: string;
    members: {
      name: string;
      version: string;
      regime?: string;
      accuracy: number;
      brier: number;
      logLoss: number;
    }[];
    regimes?: Record<string, number>;
  };
}

/**
 * A scored model: the evaluation and the rows behind it (for the report).
 *
 * @example
 * ```ts
 * const { evaluation, rows } = await scoreModel(loaded, bars, { ticker: "SPY" });
 * ```
 */
export interface ScoredModel {
  /** The evaluation. */
  evaluation: ModelEvaluation;
  /** The scored rows: probabilities, labels, times and baselines' inputs. */
  rows: EvaluationRows;
}

/**
 * Windows `from … to - 1` of a set, sharing its buffers.
 *
 * @example
 * ```ts
 * const lastTen = sliceWindows(windows, windows.n - 10, windows.n);
 * ```
 */
export function sliceWindows(windows: WindowSet, from: number, to: number): WindowSet {
  const span = windows.seqLen * windows.nFeatures;
  return {
    ...windows,
    x: windows.x.subarray(from * span, to * span),
    y: windows.y.subarray(from, to),
    refTimes: windows.refTimes.slice(from, to),
    n: to - from,
  };
}

/**
 * The bars a model needs before `rows` windows can be scored: warm-up,
 * window, horizon and one bar per further row.
 *
 * @example
 * ```ts
 * barsNeeded(card, 20); // 33 + 60 + 1 + 19 = 113 for the defaults
 * ```
 */
export function barsNeeded(
  info: Pick<CardDraft, "features" | "sequenceLength" | "horizon" | "decideAt">,
  rows: number = MIN_EVALUATION_ROWS,
): number {
  return warmupBars(info.features, info) + info.sequenceLength + info.horizon + rows - 1;
}

/** Labelled windows of `bars` built with the model's scaler, features, window and horizon. */
function windowsOf(loaded: EvaluationModel, bars: readonly Bar[]): WindowSet {
  const { features, sequenceLength, horizon, decideAt } = loaded.info.card;
  return buildWindows(bars, loaded.scaler, { sequenceLength, horizon, features, decideAt });
}

/**
 * The model's training windows rebuilt from its own series (the saved scaler
 * applied, nothing refitted), or a reason why they could not be.
 */
function trainingWindows(
  loaded: EvaluationModel,
  bars: readonly Bar[] | string | undefined,
): WindowSet | string {
  const { info } = loaded;
  if (bars === undefined) return `${info.card.data.ticker} training data not at hand`;
  if (typeof bars === "string") return bars;
  const all = windowsOf(loaded, bars);
  const { first, last, rows } = info.card.data.ranges.train;
  const lo = all.refTimes.findIndex((t) => t >= first);
  const hi = all.refTimes.findLastIndex((t) => t <= last) + 1;
  if (lo < 0 || hi - lo !== rows) {
    return `${info.card.data.ticker} data at hand gives ${
      Math.max(0, hi - lo)
    } of the ${rows} training rows`;
  }
  return sliceWindows(all, lo, hi);
}

/**
 * Scores a loaded model on `bars` (oldest first, the whole series: bars
 * before `start` serve as warm-up). On the model's own ticker, only rows
 * after its validation range are scored unless `start`/`end` say otherwise.
 *
 * @example
 * ```ts
 * const loaded = await loadEvaluationModel("models/lstm");
 * const { evaluation } = await scoreModel(loaded, bars, { ticker: "AAPL" });
 * ```
 */
export async function scoreModel(
  loaded: EvaluationModel,
  bars: readonly Bar[],
  options: EvaluateModelOptions,
): Promise<ScoredModel> {
  const { info } = loaded;
  const needed = barsNeeded(info.card);
  if (bars.length < needed) {
    throw new DataError(
      `Expected at least ${needed} bars of ${options.ticker} (${
        warmupBars(info.card.features, info.card)
      } warm-up + ${info.card.sequenceLength} window + ${info.card.horizon} horizon + ${
        MIN_EVALUATION_ROWS - 1
      } more for ${MIN_EVALUATION_ROWS} scored rows), found ${bars.length}`,
    );
  }
  const scope = scopeFor(info.card, options.ticker, options);
  const all = windowsOf(loaded, bars);
  const lo = all.refTimes.findIndex(scope.includes);
  const hi = all.refTimes.findLastIndex(scope.includes) + 1;
  const windows = sliceWindows(all, Math.max(lo, 0), hi);
  const overlap = windows.n > 0
    ? overlapNote(info.card, options.ticker, windows.refTimes[0], windows.refTimes[windows.n - 1])
    : "";
  if (lo < 0 || hi - lo < MIN_EVALUATION_ROWS) {
    throw new DataError(
      `Expected at least ${MIN_EVALUATION_ROWS} labelled windows of ${options.ticker} to score (${scope.text}), found ${
        Math.max(0, hi - lo)
      }`,
    );
  }
  const index = new Map(bars.map((b, i) => [b.time, i]));
  const closes = adjustedCloses(bars);
  const refIndices = windows.refTimes.map((t) => index.get(t)!);
  const atOpen = info.card.decideAt === "open";
  const previousUp = yesterdayUp(closes, refIndices, { decideAt: info.card.decideAt });
  const composed = loaded.composite ? await loaded.composite.predict(bars, windows) : null;
  const { raw: rawProbabilities, probabilities } = composed ??
    await loaded.predictWithRaw(windows);

  const train = trainingWindows(loaded, scope.own ? bars : options.trainingBars);
  let fittedOn: string;
  let logisticProbabilities: Float64Array;
  // Climatology: the training base rate as a constant probability (the card keeps only the test's).
  let climatology: ClimatologyForecast;
  const features = lastBarFeatures(windows);
  if (typeof train === "string") {
    // The card's calibration recorded the training base rate (the rate it shrinks toward): that
    // is climatology; only a card without one falls back to the earliest half, in sample.
    const recorded = info.card.calibration;
    const { train: trainRange } = info.card.data.ranges;
    climatology = recorded
      ? {
        probabilities: new Float64Array(windows.n).fill(recorded.baseRate),
        fittedOn:
          `the model's ${trainRange.rows} training rows of ${info.card.data.ticker} (${trainRange.first} to ${trainRange.last}), their base rate as its card records it (${train})`,
      }
      : earliestHalfClimatology(windows.y, windows.refTimes, train);
    const half = Math.floor(windows.n / 2);
    const model = fitLogistic(features.slice(0, half), windows.y.subarray(0, half));
    logisticProbabilities = predictLogistic(model, features);
    fittedOn = `the earliest 50% of the evaluated rows (${half} rows, to ${
      windows.refTimes[half - 1]
    }), in sample there: ${train}`;
  } else {
    const model = fitLogistic(lastBarFeatures(train), train.y);
    logisticProbabilities = predictLogistic(model, features);
    fittedOn = `the model's ${train.n} training rows of ${info.card.data.ticker} (${
      train.refTimes[0]
    } to ${train.refTimes[train.n - 1]})`;
    climatology = climatologyForecast(train.y, windows.n, fittedOn);
  }
  const rows: EvaluationRows = {
    probabilities,
    rawProbabilities,
    calibration: calibrationNote(loaded.calibration),
    labels: windows.y,
    refTimes: windows.refTimes,
    previousUp,
    logisticProbabilities,
    ...(atOpen ? { gapReversal: gapReversalProbabilities(bars, refIndices) } : {}),
    climatology,
  };
  const summary = summarizeEvaluation(rows, { seed: options.seed ?? 42 });
  const evaluation: ModelEvaluation = {
    ticker: options.ticker,
    model: { dir: info.dir, version: info.version },
    scope: scope.text + overlap,
    ...summary,
    baselines: {
      ...summary.baselines,
      logistic: summary.baselines.logistic && { ...summary.baselines.logistic, fittedOn },
    },
    ...(composed && loaded.composite
      ? {
        composite: {
          description: loaded.composite.description,
          members: composed.members.map((m) => ({
            name: m.name,
            version: m.version,
            ...(m.regime ? { regime: m.regime } : {}),
            accuracy: accuracy(m.probabilities, windows.y),
            brier: brierScore(m.probabilities, windows.y),
            logLoss: logLoss(m.probabilities, windows.y),
          })),
          ...(composed.regimes
            ? {
              regimes: Object.fromEntries(
                REGIMES.map((r) => [r, composed.regimes!.filter((x) => x === r).length]),
              ),
            }
            : {}),
        },
      }
      : {}),
  };
  return { evaluation, rows };
}

/**
 * Loads the model in `dir`, scores it on `bars` and releases it: the
 * evaluation `deno task evaluate --json` prints, for callers such as
 * `deno task retrain` that compare a candidate with the current model on the
 * same rows.
 *
 * @example
 * ```ts
 * const { bars } = await loadSeries({ ticker: "SPY", dataDir: "data" });
 * const e = await evaluateModel("models/lstm", bars, { ticker: "SPY", start: "2024-01-01" });
 * console.log(e.metrics.accuracy, e.baselines.alwaysUp.accuracy, e.verdict);
 * ```
 */
export async function evaluateModel(
  dir: string,
  bars: readonly Bar[],
  options: EvaluateModelOptions,
): Promise<ModelEvaluation> {
  const loaded = await loadEvaluationModel(dir, { kernel: options.kernel });
  try {
    return (await scoreModel(loaded, bars, options)).evaluation;
  } finally {
    loaded.dispose();
  }
}
