/**
 * The pipeline: what the commands and bots compose from the building blocks.
 * The series that goes with a model (one rule for ticker, source, seed and
 * out-of-sample scope), scoring a saved model beside the baselines,
 * walk-forward evaluation, evaluating and backtesting a model on a ticker,
 * monitoring it live (and comparing shadow versions with it), fitting and
 * saving a version, retraining with an A/B test before promotion, and
 * promoting a shadow version on its live record. Every function returns
 * data; the text the commands print is theirs (`src/pipeline/evaluate.ts`'s
 * `evaluationText`, `src/pipeline/monitor.ts`'s `monitorText`), not this
 * entry point's.
 *
 * @example
 * ```ts
 * import { evaluateTicker, loadEvaluationModel } from "./mod.ts";
 * const loaded = await loadEvaluationModel("models/lstm");
 * const { evaluation } = await evaluateTicker(loaded, "SPY", { request: { dataDir: "data" } });
 * console.log(evaluation.metrics.auc, evaluation.baselines.alwaysUp);
 * loaded.dispose();
 * ```
 *
 * @module
 */

// The series that goes with a model.
export {
  DEFAULT_SEED,
  isOwnSeries,
  loadModelSeries,
  type ModelSeries,
  requestedTickers,
  type Scope,
  scopeFor,
  type SeriesRequest,
  trainingBarsOf,
} from "./series.ts";

// Scoring a saved model, and walk-forward evaluation.
export {
  barsNeeded,
  type CompositeScores,
  evaluateModel,
  type EvaluateModelOptions,
  type EvaluationModel,
  evaluationModelOf,
  loadEvaluationModel,
  MIN_EVALUATION_ROWS,
  type ModelEvaluation,
  type ModelInfo,
  modelInfo,
  type ScoredModel,
  scoreModel,
} from "./score.ts";
export {
  type FoldAuc,
  type FoldEvaluation,
  walkForward,
  type WalkForwardEvaluation,
  type WalkForwardOptions,
} from "./walk_forward.ts";

// Evaluating, backtesting and monitoring a model on a ticker.
export { evaluateTicker, type EvaluateTickerOptions } from "./evaluate.ts";
export {
  backtestModel,
  type BacktestModelOptions,
  type ModelBacktest,
  type ModelBacktestRun,
} from "./backtest.ts";
export {
  monitorModel,
  type MonitorOptions,
  type MonitorResult,
  type TestScores,
} from "./monitor.ts";
export {
  type Alert,
  type Drift,
  joinSignals,
  type LiveLogOptions,
  type LoggedShadow,
  type LoggedSignal,
} from "./predictions_log.ts";
export {
  compareShadows,
  type CompareShadowsOptions,
  SHADOW_METRICS,
  type ShadowComparison,
  type ShadowComparisons,
  type ShadowMetric,
  type ShadowSide,
} from "./shadow_comparison.ts";

// Promotion from the shadow record: the retrain gate on the live comparison.
export {
  DEFAULT_MIN_LIVE_BARS,
  promoteFromShadow,
  readShadowDecisions,
  type RecordedScores,
  SHADOW_PROMOTION_FILE,
  type ShadowDecisionRecord,
  type ShadowPromotionOptions,
  type ShadowPromotionResult,
} from "./shadow.ts";

// Fitting and saving a version, and retraining.
export {
  FIT_DEFAULTS,
  fitAndSave,
  type FitAndSaveOptions,
  type FitHooks,
  fitModel,
  type FitOptions,
  type FitSettings,
  fitSettings,
  type FitSummary,
  type FittedModel,
  loadTrainingSeries,
  resolveTrainingData,
  type SavedVersion,
  saveVersion,
  settingsForCard,
  type TrainingData,
} from "./fit.ts";
export {
  DEFAULT_HOLDOUT_SHARE,
  type HoldoutCut,
  holdoutCut,
  type PromotionDecision,
  promotionDecision,
  type PromotionInput,
  RETRAIN_FILE,
  RETRAIN_METRICS,
  type RetrainDecision,
  type RetrainMetric,
  retrainModel,
  type RetrainOptions,
  type RetrainResult,
  type VersionScores,
} from "./retrain.ts";

// Universe models: the study presets, the settings, the data and its training set.
export {
  FISCHER_KRAUSS,
  GHOSH_NEUFELD_SAHOO,
  loadUniverseData,
  modelUniverse,
  STUDIES,
  type Study,
  studyPreset,
  tablesOf,
  type UniverseData,
  type UniverseDataOptions,
  type UniverseFitSettings,
  universeFitSettings,
  universeSeriesFor,
  universeSet,
} from "./universe.ts";

// Scoring a universe model, its walk-forward and the studies; what they return.
export {
  evaluateUniverse,
  isUniverseModel,
  runUniverseStudy,
  scoreUniverseRequest,
  type UniverseEvaluateOptions,
  universeFolds,
  type UniverseRequest,
  type UniverseWalkForward,
} from "./study.ts";
export type {
  PortfolioArm,
  SymbolScore,
  UniverseEvaluation,
  UniverseResult,
} from "./universe_scores.ts";
