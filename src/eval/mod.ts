/**
 * Honest evaluation of a direction model: the primitive scores training
 * shares (log loss, Brier, accuracy, quantile), classification metrics with
 * block-bootstrap intervals, a paired test against always-up, the baselines
 * every score stands next to, a bar-by-bar backtest host driving a
 * `SignalPlugin`, and the summary of an evaluation (its `--json` shape). The
 * text and HTML drawn from them are in `src/views/`.
 *
 * @example
 * ```ts
 * import { alwaysUp, edgeVerdict, pValueVsAlwaysUp, scoreProbabilities } from "./src/eval/mod.ts";
 * const scores = scoreProbabilities(probs, labels);
 * console.log(scores.accuracy, alwaysUp(labels).accuracy);
 * console.log(edgeVerdict(pValueVsAlwaysUp(probs, labels, { seed: 42 })));
 * ```
 *
 * @module
 */

export * from "./scores.ts";
export * from "./metrics.ts";
export * from "./baselines.ts";
export * from "./backtest.ts";
export * from "./summary.ts";
// Drift against a version's reference.json (its zod schema stays inside: readReference parses).
export {
  type BinnedDistribution,
  populationStability,
  PSI_SIGNIFICANT,
  PSI_STABLE,
  readReference,
  REFERENCE_FILE,
  type ReferenceProfile,
  referenceProfile,
  type StabilityReport,
} from "./drift.ts";

// The long-short portfolio of a universe model's daily ranking.
export {
  type PortfolioDay,
  type PortfolioOptions,
  type PortfolioResult,
  type PortfolioStats,
  portfolioStats,
  type PriceTable,
  runPortfolio,
  type Scores as PortfolioScores,
} from "./portfolio.ts";
