/**
 * A learned price-direction signal for trading bots: market data, features,
 * LSTM training with TensorFlow.js, honest evaluation, and a signal plugin a
 * bot registers and calls on every bar.
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

export type {
  Bar,
  FetchOptions,
  FetchRange,
  Interval,
  Provider,
  Series,
  SourceName,
} from "./src/data/types.ts";
export type { Direction, Signal, SignalPlugin, SignalStatus } from "./src/signal/types.ts";
export type { WindowSet } from "./src/dataset/types.ts";
export { DataError, UsageError } from "./src/util/errors.ts";
export {
  getProvider,
  loadSeries,
  prepareTicker,
  readCache,
  summarizeReport,
  updateCache,
  validateBars,
  validateTicker,
} from "./src/data/mod.ts";
export type {
  CacheMeta,
  LoadSeriesOptions,
  PrepareOptions,
  PrepareResult,
  Problem,
  ProblemKind,
  ValidationReport,
} from "./src/data/mod.ts";
export {
  adjustBar,
  applyScaler,
  computeFeatures,
  createFeatureStream,
  DEFAULT_FEATURES,
  featureNames,
  fitScaler,
  registerFeature,
  resolveFeatureSpecs,
  warmupBars,
} from "./src/features/mod.ts";
export type {
  CustomFeature,
  FeatureSpec,
  FeatureStream,
  FeatureTable,
  Scaler,
} from "./src/features/mod.ts";
export { buildDataset, buildWindows, minimumBars, walkForwardFolds } from "./src/dataset/mod.ts";
export type { Dataset, DatasetOptions, Fold, SplitInfo } from "./src/dataset/mod.ts";
export {
  alwaysUp,
  backtestReport,
  baseRate,
  calibrationTable,
  drawdownSeries,
  edgeVerdict,
  evaluationReport,
  fitLogistic,
  formatBacktest,
  formatEvaluation,
  formatPValue,
  formatWalkForward,
  HEADLINE_METRICS,
  lastBarFeatures,
  logisticBaseline,
  maCrossoverRule,
  predictLogistic,
  previousDirection,
  pValueVsAlwaysUp,
  renderReport,
  rocCurve,
  runBacktest,
  runComparison,
  scoreProbabilities,
  summarizeEvaluation,
  summarizeWalkForward,
  withIntervals,
  yesterdayUp,
} from "./src/eval/mod.ts";
export type {
  BacktestOptions,
  BacktestResult,
  BaselineScore,
  BaselineSummary,
  BootstrapOptions,
  CalibrationBin,
  ComparisonOptions,
  ComparisonResult,
  ConfidenceInterval,
  ConfusionMatrix,
  CrossoverOptions,
  EquityResult,
  EvaluationRows,
  EvaluationSummary,
  HeadlineMetric,
  LogisticModel,
  LogisticOptions,
  PerformanceStats,
  ReportInput,
  RocPoint,
  ScoreOptions,
  Scores,
  SummaryOptions,
  Trade,
  WalkForwardSummary,
} from "./src/eval/mod.ts";
export {
  populationStability,
  PSI_SIGNIFICANT,
  PSI_STABLE,
  readReference,
  REFERENCE_FILE,
  referenceProfile,
} from "./src/eval/drift.ts";
export type { BinnedDistribution, ReferenceProfile, StabilityReport } from "./src/eval/drift.ts";
export { evaluateModel, loadEvaluationModel, scoreModel } from "./src/pipeline/score.ts";
export { walkForward } from "./src/pipeline/walk_forward.ts";
export type {
  EvaluateModelOptions,
  EvaluationModel,
  ModelEvaluation,
} from "./src/pipeline/score.ts";
export type {
  FoldEvaluation,
  WalkForwardEvaluation,
  WalkForwardOptions,
} from "./src/pipeline/walk_forward.ts";
export {
  ARCHITECTURES,
  BACKENDS,
  buildModel,
  loadModel,
  predictProbabilities,
  saveModel,
  selectBackend,
  trainModel,
} from "./src/model/mod.ts";
export type {
  Architecture,
  BackendName,
  EpochRecord,
  LoadedModel,
  Metrics,
  ModelCard,
  ModelOptions,
  TrainOptions,
  TrainResult,
} from "./src/model/mod.ts";

// The signal plugins a bot registers, and model versioning.
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
export {
  listVersions,
  promote,
  readPointer,
  resolveModelDir,
  rollback,
  type VersionPointer,
} from "./src/model/versions.ts";
export { type InferenceModel, loadInferenceModel } from "./src/model/inference.ts";
