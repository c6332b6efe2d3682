/**
 * The LSTM signal plugin: what a bot registers to get, on every bar, the
 * probability that the price goes up. It reads the model `deno task train`
 * saved (following the `current.json` pointer of a versioned model folder),
 * computes features with the same streaming pipeline and saved scaler as
 * training, and never crashes for want of a model: with none on disk it
 * answers `no-model` signals at probability 0.5 and warns once.
 *
 * @example
 * ```ts
 * import { createLstmSignal } from "./lstm_signal.ts";
 * const plugin = createLstmSignal({ modelDir: "models/lstm" });
 * await plugin.init();
 * const signal = await plugin.onBar("SPY", { time: "2024-01-02", open: 1, high: 1, low: 1, close: 1, volume: 1 });
 * ```
 *
 * @module
 */

import type { Bar } from "../src/data/types.ts";
import type { Direction, Signal, SignalPlugin, SignalStatus } from "../src/signal/types.ts";
import { createFeatureStream, type FeatureStream } from "../src/features/mod.ts";
import { WindowBuffer } from "../src/dataset/window.ts";
import { type InferenceModel, loadInferenceModel } from "../src/model/inference.ts";
import { resolveModelDir } from "../src/model/versions.ts";
import { DataError } from "../src/util/errors.ts";

/** Options of {@linkcode createLstmSignal}. */
export interface LstmSignalOptions {
  /** A model folder, or a versioned model root with `current.json` (default `models/lstm`). */
  modelDir?: string;
  /** `direction` is `up` when `probabilityUp` ≥ this (default 0.55). */
  upThreshold?: number;
  /** `direction` is `down` when `probabilityUp` ≤ this (default 0.45). */
  downThreshold?: number;
  /** Signals on bars more than this many days after the model's last training date are `stale-model`. */
  maxModelAgeDays?: number;
  /** A bar whose features lie further than this many training standard deviations away is `out-of-distribution` (default 8). */
  maxZScore?: number;
  /** Append every signal, with its raw features, to this JSON-lines file (for `deno task monitor`). */
  logPath?: string;
  /** Where warnings go (default `console.warn`). */
  warn?: (message: string) => void;
}

/** The LSTM plugin: a {@linkcode SignalPlugin} that can also reload its model. */
export interface LstmSignalPlugin extends SignalPlugin {
  /** Re-reads the model pointer and swaps in the version it names, between bars. */
  reload(): Promise<void>;
  /** The version in use, or `none`. */
  readonly version: string;
}

/** One series' feature stream and window of raw rows, fed one bar at a time by {@linkcode advance}. */
interface SeriesState {
  stream: FeatureStream;
  /** Raw feature rows of the last `sequenceLength` bars (scaled at prediction time). */
  window: WindowBuffer;
}

interface SymbolState extends SeriesState {
  lastTime: string | null;
}

interface Loaded {
  model: InferenceModel;
  version: string;
}

/**
 * Creates the LSTM signal plugin. Call `init()` once, then `onBar` for every
 * new bar of every symbol (each symbol keeps its own state), or `predict` with
 * a full history.
 *
 * @example
 * ```ts
 * const plugin = createLstmSignal({ modelDir: "models/lstm", maxModelAgeDays: 90 });
 * await plugin.init();
 * for (const bar of bars) {
 *   const s = await plugin.onBar("SPY", bar);
 *   if (s.status === "ok" && s.direction === "up") console.log("buy", s.probabilityUp);
 * }
 * plugin.dispose();
 * ```
 */
export function createLstmSignal(options: LstmSignalOptions = {}): LstmSignalPlugin {
  const modelDir = options.modelDir ?? "models/lstm";
  const upThreshold = options.upThreshold ?? 0.55;
  const downThreshold = options.downThreshold ?? 0.45;
  const maxZScore = options.maxZScore ?? 8;
  const warn = options.warn ?? ((message: string) => console.warn(message));
  const id = modelDir.replace(/\/+$/, "").split("/").pop() || "lstm";
  let loaded: Loaded | null = null;
  let initialised = false;
  let states = new Map<string, SymbolState>();
  let log: Deno.FsFile | null = null;

  async function load(): Promise<Loaded | null> {
    const where = await resolveModelDir(modelDir);
    if (!where) return null;
    const model = await loadInferenceModel(where.dir);
    return { model, version: where.version };
  }

  function signalFor(symbol: string, time: string, window: WindowBuffer): Promise<Signal> {
    if (!loaded) return Promise.resolve(neutral(symbol, time, "no-model", 1, noModelInfo()));
    const { model, version } = loaded;
    const info = { id, version, trainedThrough: model.trainedThrough };
    if (!window.full) {
      return Promise.resolve(neutral(symbol, time, "warming-up", model.horizon, info));
    }
    if (model.maxAbsZ(window.last()) > maxZScore) {
      return Promise.resolve(neutral(symbol, time, "out-of-distribution", model.horizon, info));
    }
    const p = model.predictWindow(window);
    const stale = options.maxModelAgeDays !== undefined && model.trainedThrough !== null &&
      daysBetween(model.trainedThrough, time) > options.maxModelAgeDays;
    const direction: Direction = stale
      ? "flat"
      : p >= upThreshold
      ? "up"
      : p <= downThreshold
      ? "down"
      : "flat";
    return Promise.resolve({
      symbol,
      time,
      probabilityUp: p,
      direction,
      confidence: Math.abs(2 * p - 1),
      horizonBars: model.horizon,
      status: stale ? "stale-model" : "ok",
      model: info,
    });
  }

  async function record(signal: Signal, features: Float64Array | undefined): Promise<void> {
    if (!options.logPath) return;
    if (!log) {
      log = await Deno.open(options.logPath, { create: true, append: true });
    }
    const line = JSON.stringify({ ...signal, features: features ? Array.from(features) : null });
    await log.write(new TextEncoder().encode(line + "\n"));
  }

  const plugin: LstmSignalPlugin = {
    name: `lstm:${id}`,
    get warmupBars(): number {
      return loaded ? loaded.model.warmupBars : 0;
    },
    get version(): string {
      return loaded?.version ?? "none";
    },
    async init(): Promise<void> {
      if (initialised) return;
      loaded = await load();
      if (!loaded) {
        warn(`lstm signal: no model in ${modelDir}; every signal will be "no-model" at 0.5`);
      }
      initialised = true;
    },
    async onBar(symbol: string, bar: Bar): Promise<Signal> {
      if (!initialised) await plugin.init();
      if (!loaded) {
        const signal = neutral(symbol, bar.time, "no-model", 1, noModelInfo());
        await record(signal, undefined);
        return signal;
      }
      let state = states.get(symbol);
      if (!state) {
        state = { ...newSeries(loaded.model), lastTime: null };
        states.set(symbol, state);
      }
      if (state.lastTime !== null && bar.time <= state.lastTime) {
        throw new DataError(
          `Expected bars of ${symbol} in time order, found ${bar.time} after ${state.lastTime}`,
        );
      }
      state.lastTime = bar.time;
      const row = advance(state, bar);
      const signal = await signalFor(symbol, bar.time, state.window);
      await record(signal, row ?? undefined);
      return signal;
    },
    async predict(symbol: string, history: readonly Bar[]): Promise<Signal> {
      if (!initialised) await plugin.init();
      const time = history.length ? history[history.length - 1].time : "";
      if (!loaded) return neutral(symbol, time, "no-model", 1, noModelInfo());
      const series = newSeries(loaded.model);
      for (const bar of history) advance(series, bar);
      return signalFor(symbol, time, series.window);
    },
    async reload(): Promise<void> {
      const next = await load();
      const previous = loaded;
      if (next && previous && sameFeatures(next.model, previous.model)) {
        loaded = next; // feature state carries over: raw rows are scaled at prediction time
      } else {
        loaded = next;
        states = new Map();
      }
      initialised = true;
      previous?.model.dispose();
    },
    dispose(): void {
      loaded?.model.dispose();
      loaded = null;
      initialised = false;
      states.clear();
      if (log) {
        log.close();
        log = null;
      }
    },
  };
  return plugin;
}

/** A fresh feature stream and window for a series scored by `model`. */
function newSeries(model: InferenceModel): SeriesState {
  const stream = createFeatureStream(model.features);
  return { stream, window: new WindowBuffer(model.sequenceLength, stream.names.length) };
}

/**
 * Feeds one bar to a series: its feature row (`null` during the feature
 * warm-up) joins the window. The one per-bar step of `onBar` and `predict`.
 */
function advance(series: SeriesState, bar: Bar): Float64Array | null {
  const row = series.stream.push(bar);
  if (row) series.window.push(row);
  return row;
}

function sameFeatures(a: InferenceModel, b: InferenceModel): boolean {
  return JSON.stringify(a.features) === JSON.stringify(b.features) &&
    a.sequenceLength === b.sequenceLength;
}

function noModelInfo(): Signal["model"] {
  return { id: "none", version: "none", trainedThrough: null };
}

function neutral(
  symbol: string,
  time: string,
  status: SignalStatus,
  horizonBars: number,
  model: Signal["model"],
): Signal {
  return {
    symbol,
    time,
    probabilityUp: 0.5,
    direction: "flat",
    confidence: 0,
    horizonBars,
    status,
    model,
  };
}

function daysBetween(from: string, to: string): number {
  return (Date.parse(to.slice(0, 10)) - Date.parse(from.slice(0, 10))) / 86_400_000;
}
