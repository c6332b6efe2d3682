/**
 * The one feature pipeline. Training, evaluation, backtests and the live
 * plugin all compute features here, bar by bar, with the streaming API of
 * `technicalindicators`: {@linkcode computeFeatures} is a fold of
 * {@linkcode createFeatureStream} over the bars, so the batch and incremental
 * paths are the same code and give identical numbers, and the cost per bar
 * does not depend on the length of the history.
 *
 * Prices are adjusted first (see {@linkcode adjustBar}). Every default
 * feature is a ratio or an oscillator, so none depends on the price level:
 * a model trained on SPY at 150 still reads SPY at 500.
 *
 * Add your own features with {@linkcode registerFeature} (the seed's
 * `add_custom_features`).
 *
 * Market context: `context_return`, `context_volatility` and
 * `relative_return` read a second series (the context, e.g. SPY) beside the
 * symbol's own: each bar is paired with the context's latest bar at or
 * before its time ({@linkcode ContextSeries}), in batch and live alike.
 *
 * @module
 */

import { BollingerBands, MACD, RSI, SMA } from "technicalindicators";
import type { Bar } from "../data/types.ts";
import { DataError, UsageError } from "../util/errors.ts";

export { applyScaler, fitScaler, SCALER_CLIP } from "./scaler.ts";
export { type DecideAt, DECISION_POINTS } from "./at_open.ts";
import { type DecideAt, OPEN_STEPS, openAsStep } from "./at_open.ts";
import { ContextSeries } from "./context.ts";
import { intParam } from "./params.ts";
export { ContextSeries } from "./context.ts";
export type { Scaler } from "./scaler.ts";

/**
 * One feature and its parameters: plain data, saved in `model_config.json`,
 * so a model always carries what it was trained on.
 *
 * @example
 * ```ts
 * const rsi: FeatureSpec = { name: "rsi", params: { period: 14 } };
 * ```
 */
export interface FeatureSpec {
  /** A registered feature name (see {@linkcode DEFAULT_FEATURES} and {@linkcode registerFeature}). */
  name: string;
  /** Numeric parameters; missing ones take the feature's defaults. */
  params: Record<string, number>;
}

/**
 * A streaming feature: given its parameters, creates fresh per-series state
 * and returns a step function that is called once per bar, oldest first, with
 * the adjusted bar. The step returns the feature's value, or `undefined`
 * while it is still warming up.
 *
 * @example
 * ```ts
 * const gap: CustomFeature = {
 *   params: {},
 *   warmup: () => 1,
 *   create: () => {
 *     let prev: number | undefined;
 *     return (bar) => {
 *       const v = prev === undefined ? undefined : bar.open / prev - 1;
 *       prev = bar.close;
 *       return v;
 *     };
 *   },
 * };
 * ```
 */
export interface CustomFeature {
  /** Parameter names and their defaults; a spec may use only these names. */
  params: Record<string, number>;
  /** Bars consumed before the first value: `bars[warmup(params)]` is the first bar with a value. */
  warmup(params: Readonly<Record<string, number>>): number;
  /**
   * Creates the per-series state and returns the per-bar step. A feature with
   * `context: true` gets the context series' bar (adjusted, as of the bar's
   * time) as the step's second argument.
   */
  create(
    params: Readonly<Record<string, number>>,
  ): (bar: Readonly<Bar>, context?: Readonly<Bar>) => number | undefined;
  /** One line for help texts. */
  description?: string;
  /** Whether the feature reads the context series (default false). */
  context?: boolean;
}

/**
 * The seed's features (returns, volume change, RSI 14, MACD 12/26/9 line,
 * signal and histogram, Bollinger 20/2 position) plus three price-position
 * features that do not depend on the price level. The MACD values are divided
 * by the close (`relative: 1`, a percentage MACD) so that they too are
 * level-free; `relative: 0` gives the seed's raw MACD in price units.
 *
 * @example
 * ```ts
 * const table = computeFeatures(bars, DEFAULT_FEATURES);
 * ```
 */
export const DEFAULT_FEATURES: FeatureSpec[] = [
  { name: "returns", params: { period: 1 } },
  { name: "volume_change", params: { period: 1 } },
  { name: "rsi", params: { period: 14 } },
  { name: "macd", params: { fast: 12, slow: 26, signal: 9, relative: 1 } },
  { name: "macd_signal", params: { fast: 12, slow: 26, signal: 9, relative: 1 } },
  { name: "macd_histogram", params: { fast: 12, slow: 26, signal: 9, relative: 1 } },
  { name: "bb_position", params: { period: 20, stdDev: 2 } },
  { name: "high_low_range", params: {} },
  { name: "close_open_change", params: {} },
  { name: "sma_distance", params: { period: 20 } },
];

/**
 * The default features of a model that decides at the open: the
 * {@linkcode DEFAULT_FEATURES} (the previous bar's, at the open) plus the two
 * read at the open, the overnight return and the gap over its recent
 * volatility.
 *
 * @example
 * ```ts
 * computeFeatures(bars, DEFAULT_OPEN_FEATURES, { decideAt: "open" });
 * ```
 */
export const DEFAULT_OPEN_FEATURES: FeatureSpec[] = [
  ...DEFAULT_FEATURES,
  { name: "overnight_return", params: {} },
  { name: "gap_z", params: { period: 20 } },
];

/**
 * Features of a series, one row per input bar (`rows[i]` for `bars[i]`).
 * Rows before `warmup` are incomplete (all `NaN`) and must be dropped.
 *
 * @example
 * ```ts
 * const { rows, warmup } = computeFeatures(bars);
 * const usable = rows.slice(warmup);
 * ```
 */
export interface FeatureTable {
  /** Column names, one per spec (see {@linkcode featureNames}). */
  names: string[];
  /** The bars' times. */
  times: string[];
  /** One feature row per bar. */
  rows: Float64Array[];
  /** Index of the first complete row. */
  warmup: number;
  /** The adjusted closes, used for labels. */
  closes: Float64Array;
  /** The adjusted opens, used for labels decided at the open. */
  opens: Float64Array;
  /** When the rows are known (see {@linkcode DecideAt}). */
  decideAt: DecideAt;
}

/**
 * Incremental feature computation for one series: push bars oldest first;
 * each push returns that bar's feature row, or `null` during warm-up.
 *
 * @example
 * ```ts
 * const stream = createFeatureStream();
 * for (const bar of bars) {
 *   const row = stream.push(bar);
 *   if (row) console.log(row);
 * }
 * ```
 */
export interface FeatureStream {
  /**
   * Adds the next bar and returns its feature row, or `null` while warming up.
   * `context` is the context series' latest bar at or before `bar.time`
   * (required when {@linkcode FeatureStream.needsContext}).
   */
  push(bar: Bar, context?: Bar): Float64Array | null;
  /** Whether some feature reads a context series. */
  readonly needsContext: boolean;
  /** Bars pushed so far. */
  readonly count: number;
  /** Column names, one per spec. */
  readonly names: string[];
  /** Bars before the first row (see {@linkcode warmupBars}). */
  readonly warmup: number;
  /** When the rows are known: at each bar's close (`push` returns them) or at its open (`open`). */
  readonly decideAt: DecideAt;
  /**
   * Deciding at the open: the row of the bar opening at `time` at `open`
   * (raw price), from the bars pushed so far and that open alone, or `null`
   * while warming up. Call it before pushing that bar. Close-known features
   * are the previous bar's; open-known ones (`overnight_return`, `gap_z`)
   * read the open.
   */
  open(time: string, open: number, context?: Bar): Float64Array | null;
}

type Step = (bar: Readonly<Bar>, context?: Readonly<Bar>) => number | undefined;

/** A step that returns `x_t / x_{t-period} - 1`, with 0 when the old value is 0. */
function changeOver(period: number, pick: (bar: Readonly<Bar>) => number): Step {
  const ring = new Float64Array(period);
  let seen = 0;
  return (bar) => {
    const x = pick(bar);
    const slot = seen % period;
    const old = ring[slot];
    ring[slot] = x;
    seen++;
    if (seen <= period) return undefined;
    return old === 0 ? 0 : x / old - 1;
  };
}

function macdParams(p: Readonly<Record<string, number>>): [number, number, number, boolean] {
  if (p.relative !== 0 && p.relative !== 1) {
    throw new UsageError(`Expected MACD parameter relative to be 0 or 1, found ${p.relative}`);
  }
  const fast = intParam(p, "fast", 1);
  const slow = intParam(p, "slow", 2);
  const signal = intParam(p, "signal", 1);
  if (fast >= slow) {
    throw new UsageError(`Expected MACD fast period below slow period, found ${fast} and ${slow}`);
  }
  return [fast, slow, signal, p.relative === 1];
}

function macdFeature(
  pick: "MACD" | "signal" | "histogram",
  extraWarmup: (signal: number) => number,
  description: string,
): CustomFeature {
  return {
    params: { fast: 12, slow: 26, signal: 9, relative: 1 },
    description,
    warmup: (p) => {
      const [, slow, signal] = macdParams(p);
      return slow - 1 + extraWarmup(signal);
    },
    create: (p) => {
      const [fastPeriod, slowPeriod, signalPeriod, relative] = macdParams(p);
      const macd = new MACD({
        values: [],
        fastPeriod,
        slowPeriod,
        signalPeriod,
        SimpleMAOscillator: false,
        SimpleMASignal: false,
      });
      const warmup = slowPeriod - 1 + extraWarmup(signalPeriod);
      let seen = 0;
      return (bar) => {
        const out = macd.nextValue(bar.close);
        if (seen++ < warmup || out?.MACD === undefined) return undefined;
        // technicalindicators reports a signal of exactly 0 (a flat series) as missing.
        const signal = out.signal ?? 0;
        const v = pick === "MACD" ? out.MACD : pick === "signal" ? signal : out.MACD - signal;
        return relative ? v / bar.close : v;
      };
    },
  };
}

const BUILTIN: ReadonlyMap<string, CustomFeature> = new Map<string, CustomFeature>([
  ["returns", {
    params: { period: 1 },
    description: "Close-to-close return over `period` bars",
    warmup: (p) => intParam(p, "period", 1),
    create: (p) => changeOver(intParam(p, "period", 1), (bar) => bar.close),
  }],
  ["volume_change", {
    params: { period: 1 },
    description: "Relative change of volume over `period` bars (0 after a zero-volume bar)",
    warmup: (p) => intParam(p, "period", 1),
    create: (p) => changeOver(intParam(p, "period", 1), (bar) => bar.volume),
  }],
  ["rsi", {
    params: { period: 14 },
    description: "Relative strength index (0-100)",
    warmup: (p) => intParam(p, "period", 1),
    create: (p) => {
      const rsi = new RSI({ period: intParam(p, "period", 1), values: [] });
      return (bar) => rsi.nextValue(bar.close);
    },
  }],
  [
    "macd",
    macdFeature("MACD", () => 0, "MACD line (EMA fast - EMA slow), over the close if relative"),
  ],
  [
    "macd_signal",
    macdFeature("signal", (s) => s - 1, "MACD signal line (EMA of the MACD line)"),
  ],
  [
    "macd_histogram",
    macdFeature("histogram", (s) => s - 1, "MACD histogram (line - signal)"),
  ],
  ["bb_position", {
    params: { period: 20, stdDev: 2 },
    description: "Position of the close in the Bollinger bands (0 lower, 1 upper)",
    warmup: (p) => intParam(p, "period", 1) - 1,
    create: (p) => {
      const stdDev = p.stdDev;
      if (!(stdDev > 0)) {
        throw new UsageError(`Expected feature parameter stdDev to be positive, found ${stdDev}`);
      }
      const bb = new BollingerBands({ period: intParam(p, "period", 1), stdDev, values: [] });
      return (bar) => {
        const b = bb.nextValue(bar.close);
        if (b === undefined) return undefined;
        return b.upper === b.lower ? 0.5 : b.pb;
      };
    },
  }],
  ["high_low_range", {
    params: {},
    description: "(high - low) / close",
    warmup: () => 0,
    create: () => (bar) => (bar.high - bar.low) / bar.close,
  }],
  ["close_open_change", {
    params: {},
    description: "(close - open) / close",
    warmup: () => 0,
    create: () => (bar) => (bar.close - bar.open) / bar.close,
  }],
  ["sma_distance", {
    params: { period: 20 },
    description: "close / SMA(period) - 1",
    warmup: (p) => intParam(p, "period", 1) - 1,
    create: (p) => {
      const sma = new SMA({ period: intParam(p, "period", 1), values: [] });
      return (bar) => {
        const m = sma.nextValue(bar.close);
        return m === undefined ? undefined : bar.close / m - 1;
      };
    },
  }],
  ["overnight_return", {
    params: {},
    description: "open / previous close - 1 (known at the open; raw prices)",
    warmup: () => 1,
    create: openAsStep(OPEN_STEPS.get("overnight_return")!),
  }],
  ["gap_z", {
    params: { period: 20 },
    description:
      "The overnight return over the standard deviation of the last `period` close-to-close returns (known at the open)",
    warmup: (p) => intParam(p, "period", 2) + 1,
    create: openAsStep(OPEN_STEPS.get("gap_z")!),
  }],
  ["intraday_return", {
    params: {},
    description: "close / open - 1: the bar's own open-to-close return",
    warmup: () => 0,
    create: () => (bar) => bar.close / bar.open - 1,
  }],
  ["context_return", {
    params: { period: 1 },
    description: "The context series' close-to-close return over `period` bars",
    context: true,
    warmup: (p) => intParam(p, "period", 1),
    create: (p) => {
      const change = changeOver(intParam(p, "period", 1), (bar) => bar.close);
      return (_bar, context) => change(context!);
    },
  }],
  ["context_volatility", {
    params: { period: 20 },
    description: "Standard deviation of the context series' 1-bar returns over `period` bars",
    context: true,
    warmup: (p) => intParam(p, "period", 2),
    create: (p) => {
      const period = intParam(p, "period", 2);
      const change = changeOver(1, (bar) => bar.close);
      const ring = new Float64Array(period);
      let seen = 0;
      return (_bar, context) => {
        const r = change(context!);
        if (r === undefined) return undefined;
        ring[seen++ % period] = r;
        if (seen < period) return undefined;
        let mean = 0;
        for (let i = 0; i < period; i++) mean += ring[i];
        mean /= period;
        let sum = 0;
        for (let i = 0; i < period; i++) sum += (ring[i] - mean) ** 2;
        return Math.sqrt(sum / (period - 1));
      };
    },
  }],
  ["relative_return", {
    params: { period: 1 },
    description: "The bar's return over `period` bars minus the context series' return",
    context: true,
    warmup: (p) => intParam(p, "period", 1),
    create: (p) => {
      const own = changeOver(intParam(p, "period", 1), (bar) => bar.close);
      const market = changeOver(intParam(p, "period", 1), (bar) => bar.close);
      return (bar, context) => {
        const a = own(bar);
        const b = market(context!);
        return a === undefined || b === undefined ? undefined : a - b;
      };
    },
  }],
]);

/**
 * The context features a universe model adds with `--context SYMBOL`: the
 * context series' return and volatility and the symbol's return relative to
 * it.
 *
 * @example
 * ```ts
 * computeFeatures(bars, [...DEFAULT_FEATURES, ...CONTEXT_FEATURES], { context: spyBars });
 * ```
 */
export const CONTEXT_FEATURES: FeatureSpec[] = [
  { name: "context_return", params: { period: 1 } },
  { name: "context_volatility", params: { period: 20 } },
  { name: "relative_return", params: { period: 1 } },
];

/**
 * Whether any of `specs` reads a context series. Throws a `DataError` for an
 * unknown feature.
 *
 * @example
 * ```ts
 * needsContext(CONTEXT_FEATURES); // true
 * ```
 */
export function needsContext(specs: readonly FeatureSpec[]): boolean {
  return resolve(specs).some((r) => r.def.context === true);
}

const custom = new Map<string, CustomFeature>();

function lookup(name: string): CustomFeature | undefined {
  return BUILTIN.get(name) ?? custom.get(name);
}

/**
 * Registers a user-defined streaming feature (the seed's
 * `add_custom_features`). Names are lower snake case and cannot replace a
 * built-in or an already registered feature. Register before training and
 * before loading a model that uses the feature.
 *
 * @example
 * ```ts
 * registerFeature("gap", {
 *   params: {},
 *   warmup: () => 1,
 *   create: () => {
 *     let prev: number | undefined;
 *     return (bar) => {
 *       const v = prev === undefined ? undefined : bar.open / prev - 1;
 *       prev = bar.close;
 *       return v;
 *     };
 *   },
 * });
 * computeFeatures(bars, [...DEFAULT_FEATURES, { name: "gap", params: {} }]);
 * ```
 */
export function registerFeature(name: string, def: CustomFeature): void {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) {
    throw new UsageError(`Expected a lower snake case feature name, found "${name}"`);
  }
  if (lookup(name) !== undefined) {
    throw new UsageError(
      `Expected a new feature name, found "${name}", which is already registered`,
    );
  }
  custom.set(name, def);
}

/**
 * The names of the features registered with {@linkcode registerFeature}, in
 * registration order (built-ins not included).
 *
 * @example
 * ```ts
 * registeredFeatureNames(); // ["gap"] after registerFeature("gap", ...)
 * ```
 */
export function registeredFeatureNames(): string[] {
  return [...custom.keys()];
}

interface Resolved {
  name: string;
  label: string;
  params: Record<string, number>;
  def: CustomFeature;
}

function resolve(specs: readonly FeatureSpec[]): Resolved[] {
  if (specs.length === 0) throw new UsageError("Expected at least one feature, found none");
  return specs.map((spec) => {
    const def = lookup(spec.name);
    if (def === undefined) {
      const known = [...BUILTIN.keys(), ...custom.keys()].join(", ");
      throw new DataError(`Unknown feature ${spec.name}; known: ${known}`);
    }
    for (const key of Object.keys(spec.params)) {
      if (!Object.hasOwn(def.params, key)) {
        const known = Object.keys(def.params).join(", ") || "none";
        throw new DataError(`Unknown parameter ${key} for feature ${spec.name}; known: ${known}`);
      }
    }
    const params = { ...def.params, ...spec.params };
    const parts = Object.entries(params).map(([k, v]) => `${k}=${v}`);
    const label = parts.length === 0 ? spec.name : `${spec.name}(${parts.join(",")})`;
    return { name: spec.name, label, params, def };
  });
}

/**
 * The specs with every parameter filled in (defaults for missing ones), as a
 * model should save them. Throws a `DataError` for an unknown feature or
 * parameter.
 *
 * @example
 * ```ts
 * resolveFeatureSpecs([{ name: "rsi", params: {} }]); // [{ name: "rsi", params: { period: 14 } }]
 * ```
 */
export function resolveFeatureSpecs(
  specs: readonly FeatureSpec[] = DEFAULT_FEATURES,
): FeatureSpec[] {
  return resolve(specs).map((r, i) => ({ name: specs[i].name, params: r.params }));
}

/**
 * Column names for `specs`: the feature name followed by its full parameter
 * list, e.g. `rsi(period=14)`, so that the same feature with two parameter
 * sets gets two distinct columns.
 *
 * @example
 * ```ts
 * featureNames([{ name: "rsi", params: {} }]); // ["rsi(period=14)"]
 * ```
 */
export function featureNames(specs: readonly FeatureSpec[] = DEFAULT_FEATURES): string[] {
  return resolve(specs).map((r) => r.label);
}

/**
 * Bars consumed before the first complete feature row: `rows[warmupBars()]`
 * is the first usable row. 33 for {@linkcode DEFAULT_FEATURES} (the MACD
 * signal line needs 26 + 9 - 1 closes).
 *
 * @example
 * ```ts
 * warmupBars(); // 33
 * ```
 */
export function warmupBars(
  specs: readonly FeatureSpec[] = DEFAULT_FEATURES,
  options: { decideAt?: DecideAt } = {},
): number {
  return warmupOf(resolve(specs), options.decideAt ?? "close");
}

/**
 * The bar with adjusted prices: when `adjClose` is present, open, high, low
 * and close are scaled by `adjClose / close` (volume unchanged), so splits and
 * dividends are not mistaken for moves.
 *
 * @example
 * ```ts
 * adjustBar({ time: "2024-01-02", open: 10, high: 12, low: 9, close: 10, volume: 5, adjClose: 5 });
 * // { time: "2024-01-02", open: 5, high: 6, low: 4.5, close: 5, volume: 5 }
 * ```
 */
export function adjustBar(bar: Readonly<Bar>): Bar {
  if (!(bar.close > 0)) {
    throw new DataError(`Expected a positive close at ${bar.time}, found ${bar.close}`);
  }
  const adj = bar.adjClose;
  if (adj === undefined || adj === bar.close) {
    return {
      time: bar.time,
      open: bar.open,
      high: bar.high,
      low: bar.low,
      close: bar.close,
      volume: bar.volume,
    };
  }
  if (!(adj > 0)) {
    throw new DataError(`Expected a positive adjusted close at ${bar.time}, found ${adj}`);
  }
  const k = adj / bar.close;
  return {
    time: bar.time,
    open: bar.open * k,
    high: bar.high * k,
    low: bar.low * k,
    close: adj,
    volume: bar.volume,
  };
}

/**
 * Creates an incremental feature computation for one series. Bars must come
 * in strictly increasing time order. After warm-up every value must be
 * finite; otherwise `push` throws a `DataError` naming the feature and bar.
 *
 * @example
 * ```ts
 * const stream = createFeatureStream(DEFAULT_FEATURES);
 * const row = stream.push({ time: "2024-01-02", open: 1, high: 1, low: 1, close: 1, volume: 1 });
 * // null: still warming up
 * ```
 */
export function createFeatureStream(
  specs: readonly FeatureSpec[] = DEFAULT_FEATURES,
  options: { decideAt?: DecideAt } = {},
): FeatureStream {
  const decideAt = options.decideAt ?? "close";
  const resolved = resolve(specs);
  const names = resolved.map((r) => r.label);
  const warmup = warmupOf(resolved, decideAt);
  // Open-known features run on raw prices in both modes (at the open the bar's adjustment is
  // not known yet), so a model's rows are the same whichever point it decides at.
  const opens = resolved.map((r) => {
    const make = BUILTIN.get(r.name) === r.def ? OPEN_STEPS.get(r.name) : undefined;
    return make ? make(r.params) : undefined;
  });
  const steps = resolved.map((r, f) => opens[f] ? undefined : r.def.create(r.params));
  const contextual = resolved.find((r) => r.def.context === true);
  let count = 0;
  let lastTime: string | undefined;
  let lastClose: Float64Array | null = null; // the close-known values of the last pushed bar
  const check = (row: Float64Array, time: string, bar: number): Float64Array | null => {
    if (bar <= warmup) return null;
    for (let f = 0; f < row.length; f++) {
      if (!Number.isFinite(row[f])) {
        const where = `${time} (bar ${bar}, after ${warmup} warm-up bars)`;
        throw new DataError(`Expected a finite ${names[f]} at ${where}, found ${row[f]}`);
      }
    }
    return row;
  };
  const ordered = (time: string): void => {
    if (lastTime !== undefined && !(time > lastTime)) {
      throw new DataError(
        `Expected bars in increasing time order, found ${time} after ${lastTime}`,
      );
    }
  };
  const contextFor = (time: string, context?: Bar): Bar | undefined => {
    if (contextual === undefined) return undefined;
    if (context === undefined || context.time > time) {
      throw new DataError(
        `Expected a context bar at or before ${time} for feature ${contextual.label}, found ${
          context === undefined ? "none" : context.time
        }`,
      );
    }
    return adjustBar(context);
  };
  return {
    names,
    warmup,
    decideAt,
    needsContext: contextual !== undefined,
    get count(): number {
      return count;
    },
    open(time: string, open: number, _context?: Bar): Float64Array | null {
      if (decideAt !== "open") {
        throw new UsageError(
          "Expected a model that decides at the open, found one deciding at the close",
        );
      }
      ordered(time);
      if (!(open > 0)) throw new DataError(`Expected a positive open at ${time}, found ${open}`);
      const row = new Float64Array(steps.length);
      for (let f = 0; f < steps.length; f++) {
        row[f] = opens[f] ? opens[f]!.peek(open) ?? NaN : lastClose ? lastClose[f] : NaN;
      }
      return check(row, time, count + 1);
    },
    push(bar: Bar, context?: Bar): Float64Array | null {
      ordered(bar.time);
      const market = contextFor(bar.time, context);
      const adjusted = adjustBar(bar);
      const row = new Float64Array(steps.length);
      for (let f = 0; f < steps.length; f++) {
        const o = opens[f];
        if (o) {
          row[f] = o.peek(bar.open) ?? NaN;
          o.close(bar);
        } else {
          row[f] = steps[f]!(adjusted, market) ?? NaN;
        }
      }
      lastTime = bar.time;
      lastClose = row;
      count++;
      return decideAt === "open" ? null : check(row, bar.time, count);
    },
  };
}

/** Bars before the first complete row: at the open, one more for the close-known features. */
function warmupOf(resolved: Resolved[], decideAt: DecideAt): number {
  return Math.max(
    ...resolved.map((r) => {
      const w = r.def.warmup(r.params);
      const knownAtOpen = BUILTIN.get(r.name) === r.def && OPEN_STEPS.has(r.name);
      return decideAt === "open" && !knownAtOpen ? w + 1 : w;
    }),
  );
}

/**
 * Computes the feature table of a series: a fold of
 * {@linkcode createFeatureStream} over `bars` (oldest first), so it gives
 * exactly what the live stream gives bar by bar. Context features need
 * `options.context`, the context series' bars (oldest first), paired with
 * each bar by {@linkcode ContextSeries}; a bar before the context's first
 * throws a `DataError`.
 *
 * @example
 * ```ts
 * const table = computeFeatures(bars);
 * table.rows[table.warmup]; // the first complete row
 * ```
 */
export function computeFeatures(
  bars: readonly Bar[],
  specs: readonly FeatureSpec[] = DEFAULT_FEATURES,
  options: { context?: readonly Bar[]; decideAt?: DecideAt } = {},
): FeatureTable {
  const decideAt = options.decideAt ?? "close";
  const stream = createFeatureStream(specs, { decideAt });
  const width = stream.names.length;
  const rows: Float64Array[] = new Array(bars.length);
  const closes = new Float64Array(bars.length);
  const opens = new Float64Array(bars.length);
  const times: string[] = new Array(bars.length);
  const contextBars = options.context;
  if (stream.needsContext && contextBars === undefined) {
    throw new UsageError(
      "Expected the context series' bars for the context features, found none",
    );
  }
  const context = new ContextSeries(1);
  let next = 0;
  for (let i = 0; i < bars.length; i++) {
    const bar = bars[i];
    let market: Bar | undefined;
    if (stream.needsContext) {
      while (next < contextBars!.length && contextBars![next].time <= bar.time) {
        context.push(contextBars![next++]);
      }
      market = context.at(bar.time);
    }
    const atOpen = decideAt === "open" ? stream.open(bar.time, bar.open, market) : null;
    const atClose = stream.push(bar, market);
    rows[i] = (decideAt === "open" ? atOpen : atClose) ?? new Float64Array(width).fill(NaN);
    times[i] = bar.time;
    closes[i] = bar.adjClose ?? bar.close;
    opens[i] = bar.adjClose !== undefined && bar.close > 0
      ? bar.open * (bar.adjClose / bar.close)
      : bar.open;
  }
  return { names: stream.names, times, rows, warmup: stream.warmup, closes, opens, decideAt };
}
