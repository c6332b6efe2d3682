/**
 * Evaluating a saved model on one ticker, the way `deno task evaluate` does:
 * the ticker's series as it goes with the model, the model's training bars for
 * the logistic baseline, then a plain out-of-sample score or a walk-forward
 * evaluation.
 *
 * @module
 */

import type { Bar } from "../data/types.ts";
import type { EvaluationRows } from "../eval/summary.ts";
import { type EvaluationModel, type ModelEvaluation, scoreModel } from "./score.ts";
import { UsageError } from "../util/errors.ts";
import { loadModelSeries, type SeriesRequest, trainingBarsOf } from "./series.ts";
import {
  walkForward,
  type WalkForwardEvaluation,
  type WalkForwardOptions,
} from "./walk_forward.ts";

/**
 * Options of {@linkcode evaluateTicker}.
 *
 * @example
 * ```ts
 * const options: EvaluateTickerOptions = { request: { dataDir: "data" }, seed: 42 };
 * ```
 */
export interface EvaluateTickerOptions {
  /** Where the bars come from (the data flags). */
  request: SeriesRequest;
  /** First reference date scored. */
  start?: string;
  /** Last reference date scored. */
  end?: string;
  /** Seed of the bootstrap (default 42). */
  seed?: number;
  /** Walk-forward instead of a plain score: folds, mode, epochs and progress. */
  walkForward?: Omit<WalkForwardOptions, "ticker" | "start" | "end" | "seed">;
}

/**
 * Scores `loaded` on `ticker`: a plain evaluation of the saved weights, or
 * walk-forward retraining when `options.walkForward` is given.
 *
 * @example
 * ```ts
 * const loaded = await loadEvaluationModel("models/lstm");
 * const { evaluation } = await evaluateTicker(loaded, "SPY", { request: {} });
 * ```
 */
export async function evaluateTicker(
  loaded: EvaluationModel,
  ticker: string,
  options: EvaluateTickerOptions,
): Promise<{ evaluation: ModelEvaluation | WalkForwardEvaluation; rows: EvaluationRows }> {
  const { series, own } = await loadModelSeries(loaded.info.card, ticker, options.request);
  const bars: readonly Bar[] = series.bars;
  const common = { ticker: series.symbol, start: options.start, end: options.end };
  const seed = options.seed;
  if (options.walkForward) {
    if (loaded.composite) {
      throw new UsageError(
        `Expected a trained model for walkForward (it retrains on each fold), found the ${loaded.composite.description}; walk-forward its members`,
        { options: ["walkForward"] },
      );
    }
    return await walkForward(loaded, bars, { ...common, seed, ...options.walkForward });
  }
  const trainingBars = own ? undefined : await trainingBarsOf(loaded.info.card, options.request);
  return await scoreModel(loaded, bars, { ...common, seed, trainingBars });
}
