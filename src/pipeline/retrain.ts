/**
 * The seed's monthly retraining with an A/B test before deployment: bring the
 * data up to date, hold out the most recent labelled windows, fit a candidate
 * on the bars before them, score the current version and the candidate with
 * the evaluation code on exactly the same windows, and promote the candidate
 * only if it is not worse than the current one by more than a tolerance.
 *
 * The cut ({@linkcode holdoutCut}) and the decision
 * ({@linkcode promotionDecision}) are pure functions; {@linkcode retrainModel}
 * does the I/O around them.
 *
 * @example
 * ```ts
 * import { retrainModel } from "./retrain.ts";
 * import { fitSettings } from "./fit.ts";
 * const result = await retrainModel({
 *   modelRoot: "models/lstm",
 *   fit: fitSettings({ epochs: 20 }),
 *   data: { ticker: "SPY" },
 *   dryRun: true,
 * });
 * console.log(result.decision, result.reason);
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { loadSeries, prepareTicker, readCache } from "../data/mod.ts";
import type { Bar, Series, SourceName } from "../data/types.ts";
import { minimumBars } from "../dataset/mod.ts";
import { selectBackend } from "../model/backend.ts";
import { resolveKernel } from "../model/fast/layers.ts";
import {
  nextVersion,
  readPointer,
  resolveModelDir,
  type VersionPointer,
} from "../model/versions.ts";
import { DataError, UsageError } from "../util/errors.ts";
import {
  type FitHooks,
  fitModel,
  type FitSettings,
  type FittedModel,
  resolveTrainingData,
  saveVersion,
  type TrainingData,
} from "./fit.ts";
import {
  type EvaluationModel,
  evaluationModelOf,
  loadEvaluationModel,
  MIN_EVALUATION_ROWS,
  type ModelEvaluation,
  modelInfo,
  scoreModel,
} from "./score.ts";
import { isOwnSeries, requestedTickers, seriesInterval } from "./series.ts";

/**
 * The metrics a retrain compares, by name: the score's key, its label and its direction.
 *
 * @example
 * ```ts
 * RETRAIN_METRICS["log-loss"].lowerIsBetter; // true
 * ```
 */
export const RETRAIN_METRICS = {
  "log-loss": { key: "logLoss", label: "log loss", lowerIsBetter: true },
  brier: { key: "brier", label: "Brier score", lowerIsBetter: true },
  auc: { key: "auc", label: "AUC", lowerIsBetter: false },
  accuracy: { key: "accuracy", label: "accuracy", lowerIsBetter: false },
} as const;

/**
 * A metric name of {@linkcode RETRAIN_METRICS}.
 *
 * @example
 * ```ts
 * const metric: RetrainMetric = "brier";
 * ```
 */
export type RetrainMetric = keyof typeof RETRAIN_METRICS;

/**
 * The file written into a candidate's version folder with the A/B result.
 *
 * @example
 * ```ts
 * const record = JSON.parse(await Deno.readTextFile(`models/lstm/v3/${RETRAIN_FILE}`));
 * ```
 */
export const RETRAIN_FILE = "retrain.json";

/**
 * Share of the series' bars held out when no holdout size is given.
 *
 * @example
 * ```ts
 * Math.round(1305 * DEFAULT_HOLDOUT_SHARE); // 196
 * ```
 */
export const DEFAULT_HOLDOUT_SHARE = 0.15;

/**
 * The most recent labelled windows held out, and the bars before them.
 *
 * @example
 * ```ts
 * const cut: HoldoutCut = holdoutCut(bars, { horizon: 1, needed: 400 });
 * cut.first; // the first holdout reference date
 * ```
 */
export interface HoldoutCut {
  /** Holdout windows. */
  rows: number;
  /** Index of the first holdout reference bar. */
  firstIndex: number;
  /** Index of the last holdout reference bar (the last labelled one). */
  lastIndex: number;
  /** Time of the first holdout reference bar. */
  first: string;
  /** Time of the last holdout reference bar. */
  last: string;
  /** The bars before the holdout, the candidate's training data (a copy). */
  before: Bar[];
}

/**
 * Cuts the last `rows` labelled windows (reference bars whose label
 * `horizon` bars ahead is known) off `bars`; the candidate learns from the
 * bars before them only. `rows` defaults to
 * {@linkcode DEFAULT_HOLDOUT_SHARE} of the bars, at least
 * {@linkcode MIN_EVALUATION_ROWS}. A `DataError` when fewer than `needed`
 * bars remain before the holdout.
 *
 * @example
 * ```ts
 * const cut = holdoutCut(bars, { rows: 200, horizon: 1, needed: 400, ticker: "SPY" });
 * cut.before.length; // bars.length - 201
 * ```
 */
export function holdoutCut(
  bars: readonly Bar[],
  options: { rows?: number; horizon: number; needed: number; ticker?: string },
): HoldoutCut {
  const rows = options.rows ??
    Math.max(MIN_EVALUATION_ROWS, Math.round(bars.length * DEFAULT_HOLDOUT_SHARE));
  const lastIndex = bars.length - 1 - options.horizon;
  const firstIndex = lastIndex - rows + 1;
  if (firstIndex < options.needed) {
    throw new DataError(
      `Expected at least ${options.needed} bars before a ${rows}-row holdout${
        options.ticker ? ` of ${options.ticker}` : ""
      } to train the candidate, found ${
        Math.max(0, firstIndex)
      } of ${bars.length} bars (use a smaller --holdout or more data)`,
    );
  }
  return {
    rows,
    firstIndex,
    lastIndex,
    first: bars[firstIndex].time,
    last: bars[lastIndex].time,
    before: bars.slice(0, firstIndex),
  };
}

/**
 * What a retrain does (or, in a dry run, would do) with its candidate.
 *
 * @example
 * ```ts
 * const d: RetrainDecision = "would-promote";
 * ```
 */
export type RetrainDecision =
  | "promoted"
  | "rejected"
  | "first-version"
  | "would-promote"
  | "would-reject";

/**
 * The inputs of {@linkcode promotionDecision}: the two versions' holdout scores and the run.
 *
 * @example
 * ```ts
 * const input: PromotionInput = {
 *   metric: "log-loss", tolerance: 0, candidate: 0.69, current: 0.7,
 *   interrupted: false, dryRun: false, modelRoot: "models/lstm",
 * };
 * ```
 */
export interface PromotionInput {
  /** The metric compared. */
  metric: RetrainMetric;
  /** How much worse the candidate may be, in the metric's units (negative: demand a gain). */
  tolerance: number;
  /** The candidate's holdout score. */
  candidate: number;
  /** The current version's holdout score, or `null` when there is no current version. */
  current: number | null;
  /** Whether the candidate's training was interrupted. */
  interrupted: boolean;
  /** Decide without writing anything. */
  dryRun: boolean;
  /** The versioned model folder, named in the reason. */
  modelRoot: string;
}

/**
 * The verdict of {@linkcode promotionDecision}.
 *
 * @example
 * ```ts
 * const { accept, decision, reason }: PromotionDecision = promotionDecision(input);
 * ```
 */
export interface PromotionDecision {
  /** Whether the candidate is (or would be) promoted. */
  accept: boolean;
  /** What is (or would be) done. */
  decision: RetrainDecision;
  /** Why, in words. */
  reason: string;
}

const fixed = (v: number): string => (Number.isNaN(v) ? "–" : v.toFixed(4));

/**
 * Decides whether a candidate replaces the current version: never after an
 * interrupted training; always when there is no current version; never when
 * the metric is undefined (NaN) for either; otherwise when the candidate is
 * not worse by more than `tolerance` (equal scores pass with tolerance 0).
 *
 * @example
 * ```ts
 * promotionDecision({
 *   metric: "log-loss", tolerance: 0, candidate: 0.69, current: 0.7,
 *   interrupted: false, dryRun: false, modelRoot: "models/lstm",
 * }).decision; // "promoted"
 * ```
 */
export function promotionDecision(input: PromotionInput): PromotionDecision {
  const { tolerance, candidate, current, dryRun } = input;
  const metric = RETRAIN_METRICS[input.metric];
  let accept: boolean;
  let reason: string;
  if (input.interrupted) {
    accept = false;
    reason = "training was interrupted, so the candidate is not promoted";
  } else if (current === null) {
    accept = true;
    reason = `no current version in ${input.modelRoot}: the candidate ${
      dryRun ? "would become" : "becomes"
    } the first (holdout ${metric.label} ${fixed(candidate)})`;
  } else if (Number.isNaN(candidate) || Number.isNaN(current)) {
    accept = false;
    reason =
      `${metric.label} is undefined on the holdout (one class only?): the versions cannot be compared on it`;
  } else {
    const worseBy = metric.lowerIsBetter ? candidate - current : current - candidate;
    accept = worseBy <= tolerance;
    const by = (d: number): string => d >= 1e-4 ? d.toFixed(4) : d.toExponential(1);
    const how = worseBy > 0
      ? `worse by ${by(worseBy)}`
      : worseBy < 0
      ? `better by ${by(-worseBy)}`
      : "equal";
    reason = `candidate ${metric.label} ${fixed(candidate)} vs current ${fixed(current)}: ${how}, ${
      accept ? "within" : "beyond"
    } the tolerance ${tolerance}`;
  }
  const decision: RetrainDecision = dryRun
    ? (accept ? "would-promote" : "would-reject")
    : !accept
    ? "rejected"
    : current !== null
    ? "promoted"
    : "first-version";
  if (dryRun) reason += `; --dry-run: nothing written under ${input.modelRoot}`;
  return { accept, decision, reason };
}

/**
 * One version's scores on the holdout.
 *
 * @example
 * ```ts
 * const s: VersionScores = result.candidate;
 * s.metrics.logLoss;
 * ```
 */
export interface VersionScores {
  /** The version (`v3`). */
  version: string;
  /** Its folder, or `null` for a candidate not saved. */
  dir: string | null;
  /** Its holdout scores. */
  metrics: { accuracy: number; auc: number; logLoss: number; brier: number; mcc: number };
  /** Which rows were scored, in words. */
  scope: string;
}

/**
 * What {@linkcode retrainModel} did: the object `deno task retrain --json` prints.
 *
 * @example
 * ```ts
 * const result: RetrainResult = await retrainModel(options);
 * console.log(result.decision, result.pointer?.current);
 * ```
 */
export interface RetrainResult {
  /** The versioned model folder. */
  model: string;
  /** Ticker of the bars. */
  ticker: string;
  /** Where the bars came from. */
  source: string;
  /** The bars' interval (`1d`, `1h`, …). */
  interval: string;
  /** The series after the update: range, size and bars added by this run. */
  data: { first: string; last: string; bars: number; added: number };
  /** The windows both versions were scored on. */
  holdout: { first: string; last: string; rows: number; baseRate: number };
  /** The comparison metric and tolerance. */
  metric: { name: RetrainMetric; key: string; lowerIsBetter: boolean; tolerance: number };
  /** The current version's scores, or `null` when there was none. */
  current: VersionScores | null;
  /** The candidate's scores and what it was trained on. */
  candidate: VersionScores & {
    saved: boolean;
    trained: FittedModel["set"]["ranges"];
    bestEpoch: number;
    epochsRun: number;
    interrupted: boolean;
  };
  /** What was (or would be) done. */
  decision: RetrainDecision;
  /** Why, in words. */
  reason: string;
  /** Whether the pointer now names the candidate. */
  promoted: boolean;
  /** Whether this was a dry run. */
  dryRun: boolean;
  /** The pointer after the run (`null` when there is none). */
  pointer: VersionPointer | null;
  /** Plain-words caveats (the current version trained on holdout rows, another ticker). */
  notes: string[];
}

/**
 * Options of {@linkcode retrainModel}.
 *
 * @example
 * ```ts
 * const options: RetrainOptions = {
 *   modelRoot: "models/lstm", fit: fitSettings(), data: {}, metric: "auc", tolerance: 0.005,
 * };
 * ```
 */
export interface RetrainOptions extends FitHooks {
  /** The versioned model folder, `<model-dir>/<name>`. */
  modelRoot: string;
  /** How the candidate is fitted (its horizon must be the current version's). */
  fit: FitSettings;
  /**
   * Where the bars come from. The ticker defaults to the CSV file's name, else the current
   * version's, else `SYNTH`; the source to csv with a file, else the cache's own, else
   * synthetic (seeded with `fit.seed`). A cache from a live source gets its new bars first.
   */
  data: TrainingData;
  /** Holdout windows (default {@linkcode DEFAULT_HOLDOUT_SHARE} of the bars, at least 20). */
  holdout?: number;
  /** The metric compared (default `log-loss`). */
  metric?: RetrainMetric;
  /** How much worse the candidate may be (default 0). */
  tolerance?: number;
  /** Fit and score, decide, write nothing under `modelRoot` (default false). */
  dryRun?: boolean;
}

function scoresOf(e: ModelEvaluation, version: string, dir: string | null): VersionScores {
  const { accuracy, auc, logLoss, brier, mcc } = e.metrics;
  return { version, dir, metrics: { accuracy, auc, logLoss, brier, mcc }, scope: e.scope };
}

/** The bars, brought up to date: a cache from a live source gets the bars after its last one. */
async function updatedSeries(
  data: TrainingData & { ticker: string },
  seed: number,
  log: (line: string) => void,
  current: EvaluationModel | null,
): Promise<{ series: Series; added: number }> {
  const { ticker, csv, start, end } = data;
  const interval = data.interval ?? "1d";
  const dataDir = data.dataDir ?? "data";
  let source: SourceName | undefined = data.source;
  let added = 0;
  if (source === undefined) {
    const cached = await readCache(ticker, { dataDir, interval });
    source = cached ? cached.meta.source as SourceName : undefined;
    if (!cached && current?.info.card.data.source === "synthetic") source = "synthetic";
  }
  if (source !== undefined && source !== "synthetic" && source !== "csv") {
    const cached = await readCache(ticker, { dataDir, interval });
    const from = cached && cached.meta.source === source
      ? cached.meta.first.slice(0, 10)
      : undefined;
    log(`retrain: fetching new ${ticker} bars from ${source}`);
    const prepared = await prepareTicker(ticker, { source, dataDir, start: from, interval });
    added = prepared.added;
    log(
      `retrain: ${ticker} cache ${prepared.first} to ${prepared.last} (${prepared.rows} bars, ${added} new)`,
    );
  }
  const series = await loadSeries({
    ticker,
    // A CSV import cached by prepare is read back from the cache.
    source: source === "csv" && !csv ? undefined : source,
    csv,
    dataDir,
    start,
    end,
    seed,
    interval,
  });
  return { series, added };
}

/** A candidate trained in memory, scored like a saved model (calibration included). */
function inMemoryModel(fitted: FittedModel, dir: string, version: string): EvaluationModel {
  return evaluationModelOf(fitted.model, {
    info: modelInfo(dir, version, fitted.card),
    scalers: fitted.set.scalers,
    calibration: fitted.calibration,
    history: fitted.result.history,
  });
}

/** Caveats about the current version's scores on the holdout. */
function notesOn(current: EvaluationModel, symbol: string, times: readonly string[]): string[] {
  const notes: string[] = [];
  const { version, card } = current.info;
  const ticker = card.data.ticker;
  const seenUpTo = card.data.ranges.validation.last;
  const own = isOwnSeries(current.info.card, symbol);
  const seen = times.filter((t) => t <= seenUpTo).length;
  if (!own) {
    notes.push(`current ${version} was trained on ${ticker}, not ${symbol}`);
  }
  if (seen > 0) {
    notes.push(
      `current ${version} was trained or early-stopped on ${seen} of the ${times.length} holdout rows${
        own ? "" : "' dates"
      } (to ${seenUpTo}), so its scores there are partly in sample and flatter it`,
    );
  }
  return notes;
}

/**
 * Runs one retrain: updates the data, loads the current version of
 * `options.modelRoot` (if any), fits a candidate on the bars before the
 * holdout, scores both on the same holdout windows, decides with
 * {@linkcode promotionDecision}, and (unless a dry run) saves the candidate
 * as the next version with {@linkcode RETRAIN_FILE} inside, promoting it if
 * accepted. Usage errors (a horizon other than the current version's) and
 * data errors come before anything is written.
 *
 * @example
 * ```ts
 * const result = await retrainModel({
 *   modelRoot: "models/lstm",
 *   fit: fitSettings({ epochs: 20 }),
 *   data: { ticker: "SPY" },
 *   log: console.error,
 * });
 * console.log(result.decision);
 * ```
 */
export async function retrainModel(options: RetrainOptions): Promise<RetrainResult> {
  const { modelRoot: root, fit, data } = options;
  const metricName = options.metric ?? "log-loss";
  const metric = RETRAIN_METRICS[metricName];
  const tolerance = options.tolerance ?? 0;
  const dryRun = options.dryRun ?? false;
  const log = options.log ?? ((): void => {});

  // The current version, read before training so a broken one fails fast; it runs on the
  // kernel the candidate is trained with.
  const where = await resolveModelDir(root);
  const backend = await selectBackend(fit.backendName, { verbose: fit.verbose });
  const kernel = resolveKernel(fit.kernel, backend);
  const current = where ? await loadEvaluationModel(root, { kernel }) : null;
  let candidate: EvaluationModel | undefined;
  try {
    const named = data.ticker ??
      (data.csv !== undefined ? requestedTickers(null, { csv: data.csv })[0] : undefined) ??
      current?.info.card.data.ticker;
    // The interval: the current version's (another is refused), else the request's, else daily.
    const interval = seriesInterval(current?.info.card ?? null, data.interval);
    const resolved = resolveTrainingData({ ...data, ticker: named, interval });
    if (current && current.info.card.horizon !== fit.horizon) {
      throw new UsageError(
        `Expected horizon ${current.info.card.horizon} like the current version ${current.info.version} (labels over other bars cannot be compared), found ${fit.horizon}`,
        { options: ["horizon"] },
      );
    }
    const currentPoint = current?.info.card.decideAt ?? "close";
    const candidatePoint = fit.datasetOptions.decideAt ?? "close";
    if (current && currentPoint !== candidatePoint) {
      throw new UsageError(
        `Expected decideAt ${currentPoint} like the current version ${current.info.version} (a model deciding at the ${currentPoint} predicts another move), found ${candidatePoint}`,
        { options: ["decideAt"] },
      );
    }
    const { series, added } = await updatedSeries(resolved, fit.seed, log, current);
    const bars = series.bars;

    // Hold out the most recent labelled windows; the candidate sees only the bars before.
    const cut = holdoutCut(bars, {
      rows: options.holdout,
      horizon: fit.horizon,
      needed: minimumBars(fit.datasetOptions),
      ticker: series.symbol,
    });
    const { rows, first, last, before } = cut;
    log(
      `retrain: ${series.symbol}: holdout ${first} to ${last} (${rows} rows); candidate trained on ${before.length} bars to ${
        before[before.length - 1].time
      }${current ? `, against current ${current.info.version}` : ", no current version"}`,
    );
    const fitted = await fitModel({ ...series, bars: before }, fit, options);
    const planned = await nextVersion(root);
    candidate = inMemoryModel(fitted, join(root, planned), planned);

    // Both scored by the same code on the same windows.
    const scoring = { ticker: series.symbol, start: first, end: last, seed: fit.seed };
    const candidateScored = await scoreModel(candidate, bars, scoring);
    const currentScored = current ? await scoreModel(current, bars, scoring) : null;
    const times = candidateScored.rows.refTimes;
    if (
      times.length !== rows ||
      (currentScored && currentScored.rows.refTimes.join() !== times.join())
    ) {
      throw new DataError(
        `Expected both versions to score the same ${rows} holdout windows, found ${times.length} for the candidate${
          currentScored
            ? ` and ${currentScored.rows.refTimes.length} for ${current!.info.version}`
            : ""
        } (the current version needs ${
          current ? current.info.card.sequenceLength : 0
        }-bar windows plus warm-up before ${first})`,
      );
    }

    const { accept, decision, reason } = promotionDecision({
      metric: metricName,
      tolerance,
      candidate: candidateScored.evaluation.metrics[metric.key],
      current: currentScored?.evaluation.metrics[metric.key] ?? null,
      interrupted: fitted.result.interrupted,
      dryRun,
      modelRoot: root,
    });
    const holdout = {
      first,
      last,
      rows,
      baseRate: candidateScored.evaluation.baselines.baseRate,
    };
    const result: RetrainResult = {
      model: root,
      ticker: series.symbol,
      source: series.source,
      interval: series.interval,
      data: { first: bars[0].time, last: bars[bars.length - 1].time, bars: bars.length, added },
      holdout,
      metric: { name: metricName, key: metric.key, lowerIsBetter: metric.lowerIsBetter, tolerance },
      current: currentScored && current
        ? scoresOf(currentScored.evaluation, current.info.version, current.info.dir)
        : null,
      candidate: {
        ...scoresOf(candidateScored.evaluation, planned, dryRun ? null : join(root, planned)),
        saved: !dryRun,
        trained: fitted.dataset.ranges,
        bestEpoch: fitted.result.bestEpoch,
        epochsRun: fitted.result.epochsRun,
        interrupted: fitted.result.interrupted,
      },
      decision,
      reason,
      promoted: !dryRun && accept,
      dryRun,
      pointer: null,
      notes: current ? notesOn(current, series.symbol, times) : [],
    };
    if (!dryRun) {
      // The candidate's folder is written once, with the A/B record inside it.
      const saved = await saveVersion(fitted, root, {
        promote: accept,
        extraFiles: {
          [RETRAIN_FILE]: {
            decision,
            reason,
            decidedAt: new Date().toISOString(),
            holdout,
            metric: result.metric,
            current: result.current,
            candidate: { metrics: result.candidate.metrics },
          },
        },
      });
      result.candidate.version = saved.version;
      result.candidate.dir = saved.modelDir;
      if (!accept) result.reason += `; ${saved.version} stays on disk, marked rejected`;
    }
    result.pointer = await readPointer(root);
    return result;
  } finally {
    current?.dispose();
    candidate?.dispose();
  }
}
