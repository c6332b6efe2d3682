/**
 * The signal plugin interface a trading bot registers: on every bar it gets
 * the probability that the price goes up, as a value object that carries the
 * model that made it (after QuantConnect Lean's Insight).
 *
 * @module
 */

import type { Bar } from "../data/types.ts";

/**
 * Whether a signal can be trusted, and if not, why. `no-skill`: the model
 * showed no skill on its held-out validation rows, so its calibration hands
 * out the training base rate (`probabilityUp` is that rate, `direction` is
 * `flat`); a bot that wants the base rate anyway sets `allowNoSkill` on the
 * plugin and gets `ok`. A universe model adds `unknown-symbol` (a symbol
 * outside its universe, under per-symbol scaling) and `no-context` (no bar of
 * its context symbol at or before this bar yet: feed the context symbol's bar
 * first).
 *
 * @example
 * ```ts
 * const status: SignalStatus = "no-skill";
 * ```
 */
export type SignalStatus =
  | "ok"
  | "no-skill"
  | "warming-up"
  | "no-model"
  | "stale-model"
  | "out-of-distribution"
  | "unknown-symbol"
  | "no-context";

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
  /**
   * Probability (0–1) that the close `horizonBars` ahead is above this bar's
   * close: the calibrated probability, never worse than the base rate on the
   * model's validation rows by construction (see `model.skill`).
   */
  probabilityUp: number;
  /**
   * The network's raw output before calibration, when a network ran for this
   * bar (absent for `no-model`, `warming-up` and `out-of-distribution`
   * signals, and from plugins that do not report it). Not for sizing
   * positions: it may be worse than the base rate.
   */
  rawProbability?: number;
  /** `up` or `down` when the probability crosses the plugin's thresholds, else `flat`. */
  direction: Direction;
  /** How far the probability is from 0.5, scaled to 0–1 (`|2p − 1|`). */
  confidence: number;
  /** How many bars ahead the prediction looks. */
  horizonBars: number;
  /**
   * Whether the signal is usable; anything but `ok` comes with `probabilityUp` 0.5 or a reason
   * (`no-skill` and `stale-model` with the model's probability, `no-skill`'s being the base rate).
   */
  status: SignalStatus;
  /** The model that produced the signal. */
  model: {
    /** Model identifier (its name, e.g. `lstm`). */
    id: string;
    /** Model version (e.g. `v3`), or `none`. */
    version: string;
    /** Last date of the data the model was trained on, or `null`. */
    trainedThrough: string | null;
    /**
     * The model's skill against the base rate on its validation rows, after
     * calibration (cross-fitted): above 0 it beat a constant forecast of the
     * base rate there; at 0 it hands out the base rate. `null` when unknown
     * (no model, a model saved before calibration existed, an ensemble);
     * absent from plugins that do not report it. A bot may ignore a model
     * whose skill is not above 0.
     */
    skill?: ModelSkill | null;
  };
  /**
   * The shadow versions' signals on this bar (see `createLstmSignal`'s
   * `shadow` option), for inspection and the predictions log only: they never
   * set `direction`, `probabilityUp` or `status`. Absent when no shadow runs.
   */
  shadows?: ShadowSignal[];
  /**
   * The regime a regime model judged this bar to be in (`bull`, `bear` or
   * `general`), from this bar and the bars before it only; absent for other
   * models.
   */
  regime?: string;
}

/**
 * What a shadow version (a candidate run beside the live model, never acted
 * on) said on a bar.
 *
 * @example
 * ```ts
 * for (const s of signal.shadows ?? []) console.log(s.version, s.status, s.probabilityUp);
 * ```
 */
export interface ShadowSignal {
  /** The shadow's version (e.g. `v7`). */
  version: string;
  /** Its calibrated probability that the price goes up (0.5 unless `status` is `ok` or `stale-model`). */
  probabilityUp: number;
  /** The network's raw output, when it ran for this bar. */
  rawProbability?: number;
  /** Whether its probability is usable, as for a live signal (`no-model`: it failed to load). */
  status: SignalStatus;
  /** How many bars ahead it looks. */
  horizonBars: number;
  /**
   * Its raw feature row, only when its features differ from the live
   * model's (otherwise the live signal's row is its row too).
   */
  features?: number[] | null;
}

/**
 * A model's skill scores against the base rate (1 − score / the base rate's
 * score; above 0 is better than a constant).
 *
 * @example
 * ```ts
 * if ((signal.model.skill?.brier ?? 0) <= 0) return; // no skill: do not size on it
 * ```
 */
export interface ModelSkill {
  /** Brier skill score, or `null` where undefined. */
  brier: number | null;
  /** Log-loss skill score, or `null` where undefined. */
  logLoss: number | null;
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
