/**
 * A learned price-direction signal for trading bots: the signal plugin a bot
 * registers and calls on every bar, its options and the signals it hands out.
 *
 * This entry is a bot's: the LSTM plugin (which also opens ensembles and
 * regime models saved with `deno task models`), the ensemble and regime
 * plugins built in code, the signal's value objects, and what a features
 * module needs to register custom features. Library users compose the rest
 * from the subpath entries in `deno.json` (`./pipeline`, `./model`, `./data`,
 * `./features`, `./dataset`, `./eval`).
 *
 * @example
 * ```ts
 * import { createLstmSignal } from "./mod.ts";
 * const signal = createLstmSignal({ modelDir: "models/lstm" });
 * await signal.init();
 * const s = await signal.onBar("SPY", {
 *   time: "2024-02-13",
 *   open: 494.53,
 *   high: 497.09,
 *   low: 490.72,
 *   close: 494.08,
 *   volume: 112943400,
 * });
 * if (s.status === "ok" && s.direction === "up") console.log("buy", s.probabilityUp);
 * ```
 *
 * @module
 */

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

// Custom features for a features module (`--features-module`), which the plugin imports again
// before it loads a model trained on them.
export {
  type CustomFeature,
  DEFAULT_FEATURES,
  type FeatureSpec,
  registerFeature,
} from "./src/features/mod.ts";
