/**
 * Evaluating a saved model on one ticker, the way `deno task evaluate` does:
 * the ticker's series as it goes with the model, the model's training bars for
 * the logistic baseline, then a plain out-of-sample score or a walk-forward
 * evaluation.
 *
 * @module
 */

import type { Bar } from "../data/types.ts";
import { type EvaluationRows, formatEvaluation, formatWalkForward } from "../eval/summary.ts";
import { formatTable } from "../util/table.ts";
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
        `Expected a trained model for --walk-forward (it retrains on each fold), found the ${loaded.composite.description}; walk-forward its members`,
      );
    }
    return await walkForward(loaded, bars, { ...common, seed, ...options.walkForward });
  }
  const trainingBars = own ? undefined : await trainingBarsOf(loaded.info.card, options.request);
  return await scoreModel(loaded, bars, { ...common, seed, trainingBars });
}

const fixed4 = (v: number): string => (Number.isNaN(v) ? "–" : v.toFixed(4));

/** The composite's members beside it, on the same rows. */
function compositeText(c: NonNullable<ModelEvaluation["composite"]>, e: ModelEvaluation): string {
  const rows = [
    ["model", "accuracy", "brier", "log loss"],
    [
      `${e.model.dir} (the ${c.description.split(" ")[0]})`,
      fixed4(e.metrics.accuracy),
      fixed4(e.metrics.brier),
      fixed4(e.metrics.logLoss),
    ],
    ...c.members.map((m) => [
      `member ${m.name} ${m.version}${m.regime ? ` (${m.regime})` : ""}`,
      fixed4(m.accuracy),
      fixed4(m.brier),
      fixed4(m.logLoss),
    ]),
  ];
  const regimes = c.regimes
    ? `\nrows per regime: ${Object.entries(c.regimes).map(([r, n]) => `${r} ${n}`).join(", ")}`
    : "";
  return `${c.description}; members on the same ${e.rows} rows:\n${formatTable(rows)}${regimes}`;
}

/**
 * The human text of one or several evaluations: a comparison line per ticker
 * when there are several, then each evaluation with its scope, its folds
 * (walk-forward), its scores beside the baselines and the verdict.
 *
 * @example
 * ```ts
 * console.log(evaluationText([evaluation]));
 * ```
 */
export function evaluationText(evaluations: ModelEvaluation[]): string {
  const parts = evaluations.map((e) => {
    const folds = "folds" in e
      ? [
        formatWalkForward({ folds: (e as WalkForwardEvaluation).folds, pooled: e }),
        "pooled scores of every fold's test rows:",
      ]
      : [];
    return [
      `${e.ticker}: model ${e.model.dir} (${e.model.version})`,
      `scope: ${e.scope}`,
      ...folds,
      formatEvaluation(e),
      `logistic baseline fitted on ${e.baselines.logistic?.fittedOn ?? "nothing"}`,
      ...(e.composite ? [compositeText(e.composite, e)] : []),
    ].join("\n");
  });
  if (evaluations.length < 2) return parts.join("");
  const header = [
    "ticker",
    "rows",
    "first",
    "last",
    "accuracy",
    "always-up",
    "logistic",
    "auc",
    "brier skill",
    "p",
  ];
  const table = formatTable([
    header,
    ...evaluations.map((e) => [
      e.ticker,
      String(e.rows),
      e.first,
      e.last,
      fixed4(e.metrics.accuracy),
      fixed4(e.baselines.alwaysUp.accuracy),
      e.baselines.logistic ? fixed4(e.baselines.logistic.accuracy) : "–",
      fixed4(e.metrics.auc),
      fixed4(e.metrics.brierSkill),
      e.pValueVsAlwaysUp.toFixed(3),
    ]),
  ]);
  return [table, "", ...parts].join("\n\n");
}
