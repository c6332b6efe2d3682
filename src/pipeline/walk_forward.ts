/**
 * Walk-forward evaluation, as FreqAI does it: the evaluation to trust. The
 * labelled windows of a series are cut into folds; for each fold a fresh model
 * with the saved model's architecture and hyperparameters is trained, with a
 * fresh scaler, on the windows before it only, and scores the fold beside the
 * baselines.
 *
 * @module
 */

import type { Bar, Interval, SourceName } from "../data/types.ts";
import { adjustedCloses, walkForwardFolds } from "../dataset/mod.ts";
import { warmupBars } from "../features/mod.ts";
import { ensureBackend } from "../model/backend.ts";
import { type EpochRecord, withTrainingThreads } from "../model/train.ts";
import type { CalibrationMethod } from "../model/calibration.ts";
import {
  fitLogistic,
  gapReversalProbabilities,
  lastBarFeatures,
  predictLogistic,
  yesterdayUp,
} from "../eval/baselines.ts";
import {
  calibrationNote,
  climatologyForecast,
  type EvaluationRows,
  type EvaluationSummary,
  summarizeWalkForward,
} from "../eval/summary.ts";
import { fitModel, settingsForCard } from "./fit.ts";
import {
  type EvaluateModelOptions,
  type EvaluationModel,
  evaluationModelOf,
  type ModelEvaluation,
  modelInfo,
} from "./score.ts";
import { compareTime } from "./series.ts";

/**
 * Options of {@linkcode walkForward}.
 *
 * @example
 * ```ts
 * const options: WalkForwardOptions = { ticker: "SPY", folds: 5, mode: "expanding" };
 * ```
 */
export interface WalkForwardOptions extends EvaluateModelOptions {
  /** Number of folds. */
  folds: number;
  /** `expanding` (default) trains on everything before a fold; `sliding` on the latest stretch. */
  mode?: "expanding" | "sliding";
  /** Windows per fold (default: the windows after the first training stretch, divided evenly). */
  retrainEvery?: number;
  /** Most epochs per fold (default: the model's own). */
  epochs?: number;
  /**
   * How each fold's model is calibrated on that fold's validation rows (default: the method the
   * saved model was trained with; `none` for a card without calibration).
   */
  calibration?: CalibrationMethod;
  /**
   * A permutation control: shuffle every fold's labels (training, validation and test, each
   * within itself) with this seed before training, so nothing links features and labels; the
   * verdict must then find no edge.
   */
  shuffleLabels?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/**
 * One walk-forward fold's scores and what its model was trained on.
 *
 * @example
 * ```ts
 * const f: FoldEvaluation = evaluation.folds[0];
 * console.log(f.train.last, f.first, f.metrics.accuracy);
 * ```
 */
export interface FoldEvaluation extends EvaluationSummary {
  /** The reference-bar range of the fold's training windows (before the validation split). */
  train: { first: string; last: string; rows: number };
  /** The epoch whose weights scored the fold (early stopping on the fold's validation rows). */
  bestEpoch: number;
  /** The fold model's training history, one entry per epoch run. */
  history: EpochRecord[];
}

/**
 * A walk-forward evaluation: the pooled scores of every fold's test rows at
 * the top level (the `--json` shape of a plain evaluation) and each fold's.
 *
 * @example
 * ```ts
 * const { evaluation } = await walkForward(loaded, bars, { ticker: "SPY", folds: 5 });
 * console.log(evaluation.verdict, evaluation.folds.length);
 * ```
 */
export interface WalkForwardEvaluation extends ModelEvaluation {
  /** `expanding` or `sliding`. */
  mode: "expanding" | "sliding";
  /** One evaluation per fold, in time order. */
  folds: FoldEvaluation[];
  /** The pooled AUC beside the mean of per-fold AUCs, and what the gap means. */
  auc: FoldAuc;
}

/**
 * The pooled AUC of walk-forward folds beside the mean of the folds' own
 * AUCs. Pooling compares rows across folds, and across folds the calibrated
 * probabilities differ mostly by each fold's level (its base rate): folds
 * that each hand out a constant have per-fold AUCs of 0.5 and a pooled AUC
 * that only reflects their different base rates. The per-fold mean measures
 * ranking within a fold, the skill a bot trades on.
 *
 * @example
 * ```ts
 * const a: FoldAuc = foldAuc(summarizeWalkForward(parts, { seed: 42 }));
 * if (a.baseRateDriven) console.log(a.note);
 * ```
 */
export interface FoldAuc {
  /** The AUC of every fold's rows pooled. */
  pooled: number;
  /** The mean of the per-fold AUCs (folds of one class left out; `NaN` when none is left). */
  foldMean: number;
  /**
   * Whether the pooled AUC says nothing about ranking within a fold: every fold hands out a
   * constant (its base rate), or the pooled AUC is off the per-fold mean by
   * {@linkcode BASE_RATE_DRIVEN_GAP} or more.
   */
  baseRateDriven: boolean;
  /** The reading in one sentence. */
  note: string;
}

/**
 * The gap between the pooled AUC and the mean of per-fold AUCs from which
 * the pooled figure is said to be driven by the folds' different base rates.
 *
 * @example
 * ```ts
 * BASE_RATE_DRIVEN_GAP; // 0.01
 * ```
 */
export const BASE_RATE_DRIVEN_GAP = 0.01;

/**
 * Reads the pooled AUC of walk-forward folds beside the mean of per-fold
 * AUCs (see {@linkcode FoldAuc}).
 *
 * @example
 * ```ts
 * foldAuc(summarizeWalkForward(parts, { seed: 42 })).note;
 * // "pooled AUC 0.520, mean of per-fold AUCs 0.500: the pooled figure is driven by …"
 * ```
 */
export function foldAuc(summary: {
  folds: readonly { metrics: { auc: number }; calibration?: { shrinkage: number } }[];
  pooled: { metrics: { auc: number } };
}): FoldAuc {
  const pooled = summary.pooled.metrics.auc;
  const aucs = summary.folds.map((f) => f.metrics.auc).filter((a) => Number.isFinite(a));
  const foldMean = aucs.length ? aucs.reduce((s, a) => s + a, 0) / aucs.length : NaN;
  const several = summary.folds.length > 1;
  // A fold calibrated to weight 1 on the base rate hands out one constant on all its rows.
  const constant = summary.folds.every((f) => (f.calibration?.shrinkage ?? 0) >= 1);
  const baseRateDriven = several &&
    (constant || Math.abs(pooled - foldMean) >= BASE_RATE_DRIVEN_GAP);
  const figures = `pooled AUC ${pooled.toFixed(3)}, mean of per-fold AUCs ${foldMean.toFixed(3)}`;
  const note = !baseRateDriven
    ? `${figures}: the pooled figure agrees with the ranking within the folds`
    : constant
    ? `${figures}: every fold hands out its base rate as a constant, so nothing is ranked within a fold and the pooled figure only reflects the folds' different base rates`
    : `${figures}: the pooled figure is driven by the folds' different base rates (pooling compares rows across folds, whose probabilities differ by each fold's level), not by ranking within a fold; read the per-fold mean`;
  return { pooled, foldMean, baseRateDriven, note };
}

/**
 * Walk-forward evaluation, as FreqAI does it: the labelled windows of `bars`
 * (between `start` and `end`) are cut into folds; for each fold a fresh model
 * with the saved model's architecture and hyperparameters is trained, with a
 * fresh scaler, on the windows before it only (split chronologically into
 * training and early-stopping rows, purged by the horizon), and scores the
 * fold. Baselines are scored on the same rows (the logistic one fitted on the
 * fold's training rows). The pooled scores are the figure to trust.
 *
 * @example
 * ```ts
 * const loaded = await loadEvaluationModel("models/lstm");
 * const { evaluation } = await walkForward(loaded, bars, { ticker: "SPY", folds: 5 });
 * console.log(evaluation.metrics.accuracy, evaluation.baselines.alwaysUp.accuracy);
 * ```
 */
export async function walkForward(
  loaded: Pick<EvaluationModel, "info">,
  bars: readonly Bar[],
  options: WalkForwardOptions,
): Promise<{ evaluation: WalkForwardEvaluation; rows: EvaluationRows }> {
  const { info } = loaded;
  const { features, sequenceLength, horizon, arch } = info.card;
  const mode = options.mode ?? "expanding";
  const selected = bars.filter((b) =>
    (options.start === undefined || compareTime(b.time, options.start) >= 0) &&
    (options.end === undefined || compareTime(b.time, options.end) <= 0)
  );
  const first = warmupBars(features, info.card) + sequenceLength - 1;
  const n = Math.max(0, selected.length - horizon - first);
  const folds = walkForwardFolds(n, {
    folds: options.folds,
    mode,
    retrainEvery: options.retrainEvery,
  });
  // Each fold is fitted by the pipeline `deno task train` runs (fitModel: early stopping and
  // calibration on the fold's validation rows), on the backend already selected.
  const backendName = await ensureBackend() as "wasm" | "webgpu" | "cpu";
  const index = new Map(bars.map((b, i) => [b.time, i]));
  const closes = adjustedCloses(bars);
  const parts: EvaluationRows[] = [];
  const trained: Omit<FoldEvaluation, keyof EvaluationSummary>[] = [];
  const started = performance.now();
  // One pool of kernel workers for every fold (started once); each fold's scoring uses it too.
  await withTrainingThreads(undefined, async () => {
    for (const [f, fold] of folds.entries()) {
      // Window k's first bar (warm-up included) is selected[k]; its reference bar selected[first + k].
      const slice = selected.slice(fold.trainStart, first + fold.testEnd + horizon);
      const settings = {
        ...settingsForCard(info.card, {
          epochs: options.epochs,
          kernel: options.kernel,
          backendName,
          calibration: options.calibration,
          testStart: selected[first + fold.testStart].time,
        }),
        shuffleLabels: options.shuffleLabels,
      };
      // The fold's card is never saved: it names the saved model's interval and source.
      const fitted = await fitModel({
        symbol: options.ticker,
        interval: info.card.data.interval as Interval,
        source: info.card.data.source as SourceName,
        bars: slice,
      }, settings);
      const { dataset } = fitted;
      const scorer = evaluationModelOf(fitted.model, {
        info: modelInfo(info.dir, `fold ${f + 1}`, fitted.card),
        scalers: fitted.set.scalers,
        calibration: fitted.calibration,
      });
      try {
        const test = dataset.test;
        const { raw, probabilities } = await scorer.predictWithRaw(test);
        const logistic = fitLogistic(lastBarFeatures(dataset.train), dataset.train.y);
        parts.push({
          probabilities,
          rawProbabilities: raw,
          calibration: calibrationNote(fitted.calibration),
          labels: test.y,
          refTimes: test.refTimes,
          previousUp: yesterdayUp(closes, test.refTimes.map((t) => index.get(t)!), {
            decideAt: info.card.decideAt,
          }),
          logisticProbabilities: predictLogistic(logistic, lastBarFeatures(test)),
          ...(info.card.decideAt === "open"
            ? {
              gapReversal: gapReversalProbabilities(
                bars,
                test.refTimes.map((t) => index.get(t)!),
              ),
            }
            : {}),
          climatology: climatologyForecast(
            dataset.train.y,
            test.n,
            `the fold's ${dataset.train.n} training rows (${dataset.ranges.train.first} to ${dataset.ranges.train.last})`,
          ),
        });
        trained.push({
          train: dataset.ranges.train,
          bestEpoch: fitted.result.bestEpoch,
          history: fitted.result.history,
        });
        options.log?.(
          `fold ${
            f + 1
          }/${folds.length}: trained on ${dataset.ranges.train.first} to ${dataset.ranges.train.last} (best epoch ${fitted.result.bestEpoch}), ${fitted.calibration.method} calibration with weight ${
            fitted.calibration.shrinkage.toFixed(2)
          } on the base rate, scored ${test.n} rows ${test.refTimes[0]} to ${
            test.refTimes[test.n - 1]
          }; ${eta(started, f + 1, folds.length)}`,
        );
      } finally {
        scorer.dispose();
      }
    }
  });
  const summary = summarizeWalkForward(parts, { seed: options.seed ?? 42 });
  const rows: EvaluationRows = {
    probabilities: parts.flatMap((p) => Array.from(p.probabilities)),
    rawProbabilities: parts.flatMap((p) => Array.from(p.rawProbabilities!)),
    labels: parts.flatMap((p) => Array.from(p.labels)),
    refTimes: parts.flatMap((p) => p.refTimes),
    previousUp: parts.flatMap((p) => Array.from(p.previousUp)),
    logisticProbabilities: parts.flatMap((p) => Array.from(p.logisticProbabilities!)),
    climatology: {
      probabilities: parts.flatMap((p) => Array.from(p.climatology!.probabilities)),
      fittedOn: "each fold's own training rows",
    },
  };
  const fittedOn = "each fold's own training rows";
  const evaluation: WalkForwardEvaluation = {
    ticker: options.ticker,
    model: { dir: info.dir, version: info.version },
    scope:
      `walk-forward over ${options.ticker}: ${folds.length} ${mode} folds, each scored by a fresh ${arch} model (hyperparameters of ${info.dir}) trained only on earlier rows and calibrated (${
        parts[0].calibration!.method
      }) on its own validation rows${
        options.shuffleLabels === undefined
          ? ""
          : `; every fold's labels shuffled (seed ${options.shuffleLabels}): a permutation control`
      }`,
    mode,
    ...summary.pooled,
    baselines: {
      ...summary.pooled.baselines,
      logistic: summary.pooled.baselines.logistic &&
        { ...summary.pooled.baselines.logistic, fittedOn },
    },
    folds: summary.folds.map((s, i) => ({ ...s, ...trained[i] })),
    auc: foldAuc(summary),
  };
  return { evaluation, rows };
}

/** "12 s elapsed, about 48 s left" after `done` of `total` steps begun at `started`. */
function eta(started: number, done: number, total: number): string {
  const elapsed = (performance.now() - started) / 1000;
  const left = (elapsed / done) * (total - done);
  const text = (s: number): string =>
    s < 90 ? `${Math.round(s)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${text(elapsed)} elapsed, about ${text(left)} left`;
}
