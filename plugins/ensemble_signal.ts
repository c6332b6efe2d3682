/**
 * Combining signal plugins: the seed's averaging ensemble
 * (`(pred_1 + pred_2 + pred_3) / 3`) with optional weights, and regime
 * selection (the seed's bull / bear / general models), which hands each bar
 * to the model trained for the period it falls in.
 *
 * Every member sees every bar, so each keeps its own incremental state and is
 * ready the moment it is needed.
 *
 * @example
 * ```ts
 * import { createEnsembleSignal } from "./ensemble_signal.ts";
 * import { createLstmSignal } from "./lstm_signal.ts";
 * const ensemble = createEnsembleSignal([
 *   createLstmSignal({ modelDir: "models/lstm" }),
 *   createLstmSignal({ modelDir: "models/gru" }),
 * ], { weights: [2, 1] });
 * ```
 *
 * @module
 */

import type { Bar } from "../src/data/types.ts";
import type { Direction, Signal, SignalPlugin } from "../src/signal/types.ts";
import { UsageError } from "../src/util/errors.ts";
import {
  type Composite,
  type RegimeName,
  regimesOf,
  RegimeStream,
} from "../src/model/composite.ts";

/** Options of {@linkcode createEnsembleSignal}. */
export interface EnsembleOptions {
  /** One non-negative weight per plugin (default: equal weights). */
  weights?: number[];
  /** `up` at or above this averaged probability (default 0.55). */
  upThreshold?: number;
  /** `down` at or below this averaged probability (default 0.45). */
  downThreshold?: number;
  /** The ensemble's name (default `ensemble`). */
  name?: string;
}

/**
 * Averages the probabilities of several plugins, weighted. Only members whose
 * signal is `ok` take part; when none is, the ensemble passes on the first
 * member's status at probability 0.5. `rawProbability` is the same weighted
 * average of the members' raw probabilities (when every member taking part
 * reports one); the combination's skill was never measured, so
 * `model.skill` is `null`.
 *
 * @example
 * ```ts
 * const s = await ensemble.onBar("SPY", bar);
 * s.model.id; // "ensemble(lstm:lstm,lstm:gru)"
 * ```
 */
export function createEnsembleSignal(
  plugins: readonly SignalPlugin[],
  options: EnsembleOptions = {},
): SignalPlugin {
  if (plugins.length === 0) {
    throw new UsageError("Expected at least one plugin in the ensemble, found none");
  }
  const weights = options.weights ?? plugins.map(() => 1);
  if (weights.length !== plugins.length || weights.some((w) => !(w >= 0))) {
    throw new UsageError(
      `Expected ${plugins.length} non-negative weights, found [${weights.join(", ")}]`,
    );
  }
  const up = options.upThreshold ?? 0.55;
  const down = options.downThreshold ?? 0.45;
  const name = options.name ?? "ensemble";
  const id = `${name}(${plugins.map((p) => p.name).join(",")})`;

  function combine(signals: Signal[]): Signal {
    let sum = 0, rawSum = 0, total = 0, allRaw = true;
    signals.forEach((s, i) => {
      if (s.status === "ok" && weights[i] > 0) {
        sum += weights[i] * s.probabilityUp;
        if (s.rawProbability === undefined) allRaw = false;
        else rawSum += weights[i] * s.rawProbability;
        total += weights[i];
      }
    });
    // A member's shadow versions are its own: the ensemble's signal does not carry them.
    const { rawProbability: _firstRaw, shadows: _firstShadows, ...first } = signals[0];
    const model = {
      id,
      version: signals.map((s) => s.model.version).join("+"),
      trainedThrough: signals.map((s) => s.model.trainedThrough).filter((t) => t !== null).sort()
        .pop() ?? null,
      skill: null,
    };
    if (total === 0) {
      return { ...first, probabilityUp: 0.5, direction: "flat", confidence: 0, model };
    }
    const p = sum / total;
    const direction: Direction = p >= up ? "up" : p <= down ? "down" : "flat";
    return {
      ...first,
      probabilityUp: p,
      ...(allRaw ? { rawProbability: rawSum / total } : {}),
      direction,
      confidence: Math.abs(2 * p - 1),
      status: "ok",
      model,
    };
  }

  return {
    name: id,
    get warmupBars(): number {
      return Math.max(...plugins.map((p) => p.warmupBars));
    },
    async init(): Promise<void> {
      for (const p of plugins) await p.init();
    },
    async onBar(symbol: string, bar: Bar): Promise<Signal> {
      const signals: Signal[] = [];
      for (const p of plugins) signals.push(await p.onBar(symbol, bar));
      return combine(signals);
    },
    async predict(symbol: string, history: readonly Bar[]): Promise<Signal> {
      const signals: Signal[] = [];
      for (const p of plugins) signals.push(await p.predict(symbol, history));
      return combine(signals);
    },
    async dispose(): Promise<void> {
      for (const p of plugins) await p.dispose();
    },
  };
}

/** One regime: bars whose date falls in [`from`, `to`] go to `plugin`. */
export interface Regime {
  /** First date (inclusive, `YYYY-MM-DD`); open-ended when absent. */
  from?: string;
  /** Last date (inclusive, `YYYY-MM-DD`); open-ended when absent. */
  to?: string;
  /** The plugin trained for this regime. */
  plugin: SignalPlugin;
}

/**
 * Picks a model by date range: the first regime whose range holds the bar's
 * date answers, else `fallback` (the seed's general model).
 *
 * @example
 * ```ts
 * const regimes = createRegimeSignal([
 *   { from: "2019-01-01", to: "2021-12-31", plugin: bull },
 *   { from: "2022-01-01", to: "2022-12-31", plugin: bear },
 * ], { fallback: general });
 * ```
 */
export function createRegimeSignal(
  regimes: readonly Regime[],
  options: { fallback: SignalPlugin; name?: string },
): SignalPlugin {
  const members = [...regimes.map((r) => r.plugin), options.fallback];
  const pick = (time: string): number => {
    const day = time.slice(0, 10);
    const index = regimes.findIndex((r) =>
      (r.from === undefined || day >= r.from) && (r.to === undefined || day <= r.to)
    );
    return index === -1 ? members.length - 1 : index;
  };
  return {
    name: options.name ?? `regime(${members.map((p) => p.name).join(",")})`,
    get warmupBars(): number {
      return Math.max(...members.map((p) => p.warmupBars));
    },
    async init(): Promise<void> {
      for (const p of members) await p.init();
    },
    async onBar(symbol: string, bar: Bar): Promise<Signal> {
      const signals: Signal[] = [];
      for (const p of members) signals.push(await p.onBar(symbol, bar));
      return signals[pick(bar.time)];
    },
    predict(symbol: string, history: readonly Bar[]): Promise<Signal> {
      const time = history.length ? history[history.length - 1].time : "";
      return members[pick(time)].predict(symbol, history);
    },
    async dispose(): Promise<void> {
      for (const p of members) await p.dispose();
    },
  };
}

/**
 * Serves an ensemble or regime model from disk (`deno task models ensemble|regime`,
 * `src/model/composite.ts`): the weighted ensemble of its members
 * ({@linkcode createEnsembleSignal}), or, for a regime model, the member
 * serving the regime its rule gives the bar (computed per symbol from that bar
 * and the bars before it only), with the regime on the signal
 * (`signal.regime`). `makeMember` builds a member's plugin from its version
 * folder (the LSTM plugin). The signal's `model` names the composite and its
 * version.
 *
 * @example
 * ```ts
 * const composite = await readComposite("models/ens/v1", checkModelFolder);
 * const plugin = createCompositeSignal(composite!, (dir) => createLstmSignal({ modelDir: dir }), {
 *   name: "ens",
 *   version: "v1",
 * });
 * ```
 */
export function createCompositeSignal(
  composite: Composite,
  makeMember: (dir: string) => SignalPlugin,
  options: { name: string; version: string; upThreshold?: number; downThreshold?: number },
): SignalPlugin {
  const members = composite.members.map((m) => makeMember(m.dir));
  const model = (signal: Signal): Signal["model"] => ({
    id: options.name,
    version: options.version,
    trainedThrough: composite.card.data.ranges.validation.last,
    skill: signal.model.skill === undefined ? undefined : null,
  });
  if (composite.spec.kind === "ensemble") {
    const inner = createEnsembleSignal(members, {
      weights: composite.members.map((m) => m.weight),
      upThreshold: options.upThreshold,
      downThreshold: options.downThreshold,
      name: options.name,
    });
    return {
      ...inner,
      name: options.name,
      get warmupBars(): number {
        return inner.warmupBars;
      },
      onBar: async (symbol, bar) => {
        const s = await inner.onBar(symbol, bar);
        return { ...s, model: model(s) };
      },
      predict: async (symbol, history) => {
        const s = await inner.predict(symbol, history);
        return { ...s, model: model(s) };
      },
    };
  }
  const rule = composite.spec.rule!;
  const general = composite.members.findIndex((m) => m.regime === "general");
  const memberOf = (regime: RegimeName): number => {
    const own = composite.members.findIndex((m) => m.regime === regime);
    return own >= 0 ? own : general;
  };
  const streams = new Map<string, RegimeStream>();
  const served = (signal: Signal, regime: RegimeName): Signal => {
    const { shadows: _shadows, ...rest } = signal;
    return { ...rest, regime, model: model(signal) };
  };
  return {
    name: options.name,
    get warmupBars(): number {
      return Math.max(...members.map((p) => p.warmupBars));
    },
    async init(): Promise<void> {
      for (const p of members) await p.init();
    },
    async onBar(symbol: string, bar: Bar): Promise<Signal> {
      let stream = streams.get(symbol);
      if (!stream) streams.set(symbol, stream = new RegimeStream(rule));
      const regime = stream.push(bar);
      const signals: Signal[] = [];
      for (const p of members) signals.push(await p.onBar(symbol, bar));
      return served(signals[memberOf(regime)], regime);
    },
    async predict(symbol: string, history: readonly Bar[]): Promise<Signal> {
      const regimes = regimesOf(history, rule);
      const regime = regimes[regimes.length - 1] ?? "general";
      return served(await members[memberOf(regime)].predict(symbol, history), regime);
    },
    async dispose(): Promise<void> {
      streams.clear();
      for (const p of members) await p.dispose();
    },
  };
}
