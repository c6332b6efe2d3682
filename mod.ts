/**
 * A learned price-direction signal for trading bots: market data, features,
 * LSTM training with TensorFlow.js, honest evaluation, and a signal plugin a
 * bot registers and calls on every bar.
 *
 * The API comes in two tiers. The first is what a bot needs: the signal
 * plugin interface, the LSTM, ensemble and regime plugins, model versions and
 * inference. The second is what a library user composes: the pipeline (fit,
 * score, walk-forward, evaluate, backtest, monitor, retrain), the model card,
 * and the building blocks (data, features, dataset, models, evaluation
 * results and scores). Presentation (report text, HTML) stays with the
 * command line.
 *
 * @example
 * ```ts
 * import { createLstmSignal } from "./mod.ts";
 * const signal = createLstmSignal({ modelDir: "models/lstm" });
 * await signal.init();
 * ```
 *
 * @module
 */

// ─── Tier 1: what a bot needs ────────────────────────────────────────────────

// The signal plugin interface and its value objects.
export type {
  Direction,
  ModelSkill,
  ShadowSignal,
  Signal,
  SignalPlugin,
  SignalStatus,
} from "./src/signal/types.ts";
export type { Bar } from "./src/data/types.ts";
export { DataError, UsageError } from "./src/util/errors.ts";

// The signal plugins a bot registers.
export {
  createLstmSignal,
  type LstmSignalOptions,
  type LstmSignalPlugin,
} from "./plugins/lstm_signal.ts";
export {
  createEnsembleSignal,
  createRegimeSignal,
  type EnsembleOptions,
  type Regime,
} from "./plugins/ensemble_signal.ts";

// Model versions: which version a versioned model folder serves, promotion and rollback, and
// the shadow versions run beside it.
export {
  listVersions,
  promote,
  readPointer,
  readShadow,
  resolveModelDir,
  rollback,
  SHADOW_FILE,
  type VersionPointer,
  writeShadow,
} from "./src/model/versions.ts";

// Per-window inference with a saved model.
export { type InferenceModel, loadInferenceModel } from "./src/model/inference.ts";

// ─── Tier 2: what a library user composes ────────────────────────────────────

// The pipeline: the series that goes with a model, scoring, walk-forward, evaluate, backtest,
// monitor, fit and save a version, retrain.
export * from "./src/pipeline/mod.ts";

// The model card (`model_config.json`).
export {
  CARD_FILE,
  CARD_SCHEMA_VERSION,
  type CardDraft,
  type CardMetrics,
  type CardRange,
  type CardUniverse,
  createCard,
  type ModelCard,
  parseCard,
  readCard,
  trainedThrough,
} from "./src/model/card.ts";

// Universe models: one model across many symbols, split by date, windows built on the fly,
// cross-sectional labels, the reversal and logistic baselines, the daily long-short portfolio.
export * from "./src/universe/mod.ts";
export {
  evaluateUniverse,
  FISCHER_KRAUSS,
  fitAndSaveUniverse,
  type FittedUniverse,
  fitUniverseModel,
  type LoadedUniverseModel,
  loadUniverseData,
  loadUniverseModel,
  modelUniverse,
  type PortfolioArm,
  runUniverseStudy,
  STUDIES,
  type Study,
  type SymbolScore,
  TRAIN_SAMPLE,
  type UniverseData,
  type UniverseDataOptions,
  type UniverseEvaluateOptions,
  type UniverseEvaluation,
  type UniverseFitSettings,
  universeFitSettings,
  type UniverseFitSummary,
  universeFolds,
  type UniverseResult,
  universeSeriesFor,
  type UniverseWalkForward,
} from "./src/pipeline/universe.ts";

// Calibration: the one map from the network's raw probability to the one handed out.
export {
  applyCalibration,
  calibrateAll,
  type Calibration,
  CALIBRATION_METHODS,
  type CalibrationMethod,
  cardCalibration,
  DEFAULT_CALIBRATION,
  fitCalibration,
  type FitCalibrationOptions,
  IDENTITY_CALIBRATION,
  MIN_CALIBRATION_ROWS,
  skillAgainstBaseRate,
  type SkillPair,
  type SplitSkill,
  splitSkill,
} from "./src/model/calibration.ts";

// Data: bar types, providers, the cache, loading a series, validation.
export type {
  FetchOptions,
  FetchRange,
  Interval,
  Provider,
  Series,
  SourceName,
} from "./src/data/types.ts";
export {
  type CacheConflict,
  type CacheMeta,
  getProvider,
  INTERVALS,
  loadSeries,
  type LoadSeriesOptions,
  type MergeCounts,
  type PrepareOptions,
  type PrepareResult,
  prepareTicker,
  type Problem,
  PROBLEM_KINDS,
  type ProblemKind,
  type RawBar,
  type RawNumber,
  readCache,
  SOURCES,
  updateCache,
  type UpdateCacheOptions,
  validateBars,
  type ValidateOptions,
  validateTicker,
  type ValidationReport,
} from "./src/data/mod.ts";

// Synthetic bars, with the positive control's planted edge (`SYNTH.EDGE35`), off by default.
export { generateSyntheticBars, syntheticEdge } from "./src/data/providers/synthetic.ts";

// Features: the one feature pipeline (batch and streaming), custom features, the scaler.
export {
  adjustBar,
  applyScaler,
  computeFeatures,
  CONTEXT_FEATURES,
  ContextSeries,
  createFeatureStream,
  type CustomFeature,
  DEFAULT_FEATURES,
  featureNames,
  type FeatureSpec,
  type FeatureStream,
  type FeatureTable,
  fitScaler,
  needsContext,
  registerFeature,
  resolveFeatureSpecs,
  type Scaler,
  warmupBars,
} from "./src/features/mod.ts";

// Dataset: windows and their labels (one buffer for batch and live), splits and folds.
export {
  adjustedCloses,
  buildDataset,
  buildWindows,
  chronologicalSplit,
  type Dataset,
  type DatasetOptions,
  type Fold,
  minimumBars,
  type SplitInfo,
  type SplitRanges,
  upLabel,
  walkForwardFolds,
  WindowBuffer,
} from "./src/dataset/mod.ts";
export type { WindowSet } from "./src/dataset/types.ts";
export { isWindowSource, type WindowSource, windowSource } from "./src/dataset/types.ts";

// Models: architectures, backends, training, the model store.
export {
  type Architecture,
  ARCHITECTURES,
  type AutoWorkload,
  type BackendMeasurement,
  type BackendName,
  BACKENDS,
  buildModel,
  type EpochRecord,
  type Hyperparameters,
  type LayersModel,
  type LoadedModel,
  loadModel,
  type Metrics,
  type ModelOptions,
  predictProbabilities,
  predictProbabilitiesAsync,
  saveModel,
  type SaveModelOptions,
  selectBackend,
  type SelectBackendOptions,
  trainModel,
  type TrainOptions,
  type TrainResult,
} from "./src/model/mod.ts";
export type { Kernel } from "./src/model/fast/layers.ts";

// Evaluation results and scores: the score primitives, metrics, baselines, the backtest
// engine, summaries and drift.
export {
  accuracy,
  brierScore,
  LOG_LOSS_EPSILON,
  logLoss,
  predictsUp,
  quantile,
} from "./src/eval/scores.ts";
export {
  type BootstrapOptions,
  type CalibrationBin,
  calibrationTable,
  type ConfidenceInterval,
  type ConfusionMatrix,
  HEADLINE_METRICS,
  type HeadlineMetric,
  pairedDifferences,
  type PairedMetric,
  pValueVsAlwaysUp,
  reliabilityBins,
  rocCurve,
  type RocPoint,
  type ScoreOptions,
  scoreProbabilities,
  type Scores,
  SKILL_METRICS,
  type SkillMetric,
  skillScore,
  skillWithIntervals,
  withIntervals,
} from "./src/eval/metrics.ts";
export {
  alwaysUp,
  type BaselineScore,
  baseRate,
  fitLogistic,
  lastBarFeatures,
  logisticBaseline,
  type LogisticModel,
  type LogisticOptions,
  predictLogistic,
  previousDirection,
  yesterdayUp,
} from "./src/eval/baselines.ts";
export {
  type BacktestOptions,
  type BacktestResult,
  type ComparisonOptions,
  type ComparisonResult,
  type CrossoverOptions,
  drawdownSeries,
  type EquityResult,
  maCrossoverRule,
  type PerformanceStats,
  runBacktest,
  runComparison,
  type SessionGaps,
  type Trade,
} from "./src/eval/backtest.ts";
export {
  type BaselineSummary,
  type CalibrationNote,
  calibrationNote,
  type ClimatologyForecast,
  climatologyForecast,
  type ClimatologySummary,
  type EvaluationRows,
  type EvaluationSummary,
  summarizeEvaluation,
  summarizeWalkForward,
  type SummaryOptions,
  type WalkForwardSummary,
} from "./src/eval/summary.ts";
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
} from "./src/eval/drift.ts";
