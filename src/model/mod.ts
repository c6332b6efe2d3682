/**
 * Models: architectures, backend selection, the training loop and the model
 * store. Build with {@linkcode buildModel}, train with {@linkcode trainModel},
 * save with {@linkcode saveModel}, load with {@linkcode loadModel}.
 *
 * @example
 * ```ts
 * import { buildModel, saveModel, selectBackend, trainModel } from "./src/model/mod.ts";
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
  type CardDraft,
  type CardMetrics,
  type CardRange,
  createCard,
  type ModelCard,
  parseCard,
  readCard,
  trainedThrough,
} from "./card.ts";
