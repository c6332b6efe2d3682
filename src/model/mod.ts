/**
 * Models: architectures, backend selection, the training loop, the model
 * store, the model card, calibration, versions and per-window inference (the
 * library's `./model` entry). Build with {@linkcode buildModel}, train with
 * {@linkcode trainModel}, save with {@linkcode saveModel}, load with
 * {@linkcode loadModel}; {@linkcode promote} and {@linkcode rollback} move a
 * versioned folder's `current.json`.
 *
 * @example
 * ```ts
 * import { buildModel, saveModel, selectBackend, trainModel } from "@lstm-signal/core/model";
 * await selectBackend("wasm");
 * const model = buildModel("lstm", { inputShape: [60, 10], seed: 42 });
 * const result = await trainModel(model, dataset, { epochs: 50 });
 * ```
 *
 * @module
 */

export {
  type Architecture,
  ARCHITECTURES,
  buildModel,
  type Hyperparameters,
  type LayersModel,
  type ModelOptions,
  withDefaults,
} from "./architectures.ts";
export {
  type AutoWorkload,
  type BackendMeasurement,
  type BackendName,
  BACKENDS,
  ensureBackend,
  quietly,
  selectBackend,
  type SelectBackendOptions,
} from "./backend.ts";
export {
  type EpochRecord,
  measureModel,
  type Metrics,
  predictProbabilities,
  predictProbabilitiesAsync,
  trainModel,
  type TrainOptions,
  type TrainResult,
} from "./train.ts";
export { type LoadedModel, loadModel, saveModel, type SaveModelOptions } from "./store.ts";
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
} from "./card.ts";
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
} from "./calibration.ts";
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
} from "./versions.ts";
export { type InferenceModel, loadInferenceModel } from "./inference.ts";
export type { Kernel } from "./fast/layers.ts";
