/**
 * The signal plugin interface a trading bot registers: on every bar it gets
 * the probability that the price goes up, as a value object that carries the
 * model that made it (after QuantConnect Lean's Insight).
 *
 * @module
 */

import type { Bar } from "../data/types.ts";

/** Whether a signal can be trusted, and if not, why. */
export type SignalStatus = "ok" | "warming-up" | "no-model" | "stale-model" | "out-of-distribution";

/** The direction a signal points. */
export type Direction = "up" | "down" | "flat";

/**
 * One prediction for one symbol at one bar.
 *
 * @example
 * ```ts
 * if (signal.status === "ok" && signal.direction === "up") buy(signal.symbol);
 * ```
 */
export interface Signal {
  /** The symbol the signal is for. */
  symbol: string;
  /** ISO time of the bar the signal was computed on (the last bar seen). */
  time: string;
  /** Probability (0–1) that the close `horizonBars` ahead is above this bar's close. */
  probabilityUp: number;
  /** `up` or `down` when the probability crosses the plugin's thresholds, else `flat`. */
  direction: Direction;
  /** How far the probability is from 0.5, scaled to 0–1 (`|2p − 1|`). */
  confidence: number;
  /** How many bars ahead the prediction looks. */
  horizonBars: number;
  /** Whether the signal is usable; anything but `ok` comes with `probabilityUp` 0.5 or a reason. */
  status: SignalStatus;
  /** The model that produced the signal. */
  model: {
    /** Model identifier (its name, e.g. `lstm`). */
    id: string;
    /** Model version (e.g. `v3`), or `none`. */
    version: string;
    /** Last date of the data the model was trained on, or `null`. */
    trainedThrough: string | null;
  };
}

/**
 * A signal source a bot registers and calls on every bar.
 *
 * @example
 * ```ts
 * const plugin: SignalPlugin = createLstmSignal({ modelDir: "models/lstm" });
 * await plugin.init();
 * const signal = await plugin.onBar("SPY", bar);
 * ```
 */
export interface SignalPlugin {
  /** A human-readable name. */
  readonly name: string;
  /** Bars needed before signals are `ok` (warm-up of indicators plus the window length). */
  readonly warmupBars: number;
  /** Loads the model and prepares state. */
  init(): Promise<void>;
  /** Feeds the next bar of `symbol`; cost per bar does not grow with history. */
  onBar(symbol: string, bar: Bar): Promise<Signal>;
  /** Predicts from a full history, without touching incremental state. */
  predict(symbol: string, history: readonly Bar[]): Promise<Signal>;
  /** Releases model memory. */
  dispose(): void | Promise<void>;
}
