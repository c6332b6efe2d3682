/**
 * The LSTM signal plugin: what a bot registers to get, on every bar, the
 * probability that the price goes up. It reads the model `deno task train`
 * saved (following the `current.json` pointer of a versioned model folder),
 * computes features with the same streaming pipeline and saved scaler as
 * training, calibrates the network's output with the calibration saved in
 * the model card (the formula evaluation applies: `rawProbability` keeps the
 * network's own), carries the model's validation skill (a model that showed
 * none hands out the base rate as `no-skill`, direction `flat`, unless
 * `allowNoSkill`), and never crashes for
 * want of a model: with none on disk it answers `no-model` signals at
 * probability 0.5 and warns once. A model that
 * is there but broken (a missing or corrupted file, weights whose SHA-256 is
 * not the card's, a scaler that does not match the card's features) makes
 * `init()` reject once with one line naming the file; signals after that are
 * `no-model`.
 *
 * **Shadow versions.** Candidates of the same versioned model folder (the
 * `shadow` option, else the `shadow.json` that `deno task models shadow vN`
 * writes beside `current.json`) are scored on every bar beside the live
 * version: one more forward pass each, on the same feature stream when their
 * features match the live model's (a shadow with other features gets a
 * stream of its own). They never set `direction`, `probabilityUp` or
 * `status`; the signal carries them in `shadows`, and the predictions log
 * keeps them on the live signal's line, for `deno task monitor` to compare
 * and `deno task models promote --from-shadow` to gate on. A shadow that
 * fails to load is warned about once and logged as `no-model`; the live
 * signal never depends on it.
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

import type { Bar, Interval } from "../src/data/types.ts";
import { validateBar } from "../src/data/validate.ts";
import { dirname, join } from "node:path";
import type {
  Direction,
  ModelSkill,
  ShadowSignal,
  Signal,
  SignalPlugin,
  SignalStatus,
} from "../src/signal/types.ts";
import {
  ContextSeries,
  createFeatureStream,
  type FeatureStream,
  type Scaler,
} from "../src/features/mod.ts";
import { WindowBuffer } from "../src/dataset/window.ts";
import { type InferenceModel, loadInferenceModel } from "../src/model/inference.ts";
import { readShadow, resolveModelDir } from "../src/model/versions.ts";
import { readComposite } from "../src/model/composite.ts";
import { checkModelFolder } from "../src/model/store.ts";
import { createCompositeSignal } from "./ensemble_signal.ts";
import { DataError, messageOf, UsageError } from "../src/util/errors.ts";
import { checkBarSpacing } from "../src/signal/interval.ts";

/** Options of {@linkcode createLstmSignal}. */
export interface LstmSignalOptions {
  /** A model folder, or a versioned model root with `current.json` (default `models/lstm`). */
  modelDir?: string;
  /** `direction` is `up` when `probabilityUp` ≥ this (default 0.55). */
  upThreshold?: number;
  /** `direction` is `down` when `probabilityUp` ≤ this (default 0.45). */
  downThreshold?: number;
  /**
   * Signals on bars more than this many days after the end of the model's training data are
   * `stale-model`. Ages are calendar time between bar times: whole days for daily models, to
   * the minute for intraday ones (an hourly model trained through 15:30 is a day old at 15:30
   * the next day).
   */
  maxModelAgeDays?: number;
  /** A bar whose features lie further than this many training standard deviations away is `out-of-distribution` (default 8). */
  maxZScore?: number;
  /**
   * Append every signal, with its raw features (and its shadows' signals), to this JSON-lines
   * file (for `deno task monitor`). Append-only: one line per bar.
   */
  logPath?: string;
  /**
   * Versions of the same versioned model folder (`["v7"]`) to run as shadows beside the live
   * one: scored on every bar and logged, never acted on. Default: the versions `shadow.json`
   * names when `modelDir` is a versioned folder (`deno task models shadow v7`), else none; `[]`
   * runs none. The live version is never its own shadow.
   */
  shadow?: readonly string[];
  /** Where warnings go (default `console.warn`). */
  warn?: (message: string) => void;
  /**
   * Hand out a model that showed no skill on its held-out validation rows as `ok` (default
   * false). Such a model's probability is the training base rate; by default its signals are
   * `no-skill` with direction `flat`, so a bot cannot trade it by accident.
   */
  allowNoSkill?: boolean;
}

/** The LSTM plugin: a {@linkcode SignalPlugin} that can also reload its model. */
export interface LstmSignalPlugin extends SignalPlugin {
  /**
   * For a model that decides at the open (`train --decide-at open`): the
   * signal of the session of `symbol` opening at `time` at price `open`
   * (raw), known before the bar is finished; it changes no state, so it may
   * be asked again. Feed the finished bar with `onBar` afterwards (its signal
   * is the same probability). A model deciding at the close refuses it with
   * a `UsageError`.
   */
  onOpen(symbol: string, time: string, open: number): Promise<Signal>;
  /** Re-reads the model pointer and swaps in the version it names, between bars. */
  reload(): Promise<void>;
  /** The version in use, or `none`. */
  readonly version: string;
  /** The shadow versions running beside it (those that failed to load included). */
  readonly shadows: readonly string[];
}

/**
 * One feature stream of a series and the windows of raw rows its models read (one per sequence
 * length), fed one bar at a time by {@linkcode advance}.
 */
interface Feed {
  stream: FeatureStream;
  /** Raw feature rows of the last `sequenceLength` bars, by sequence length (scaled at prediction time). */
  windows: Map<number, WindowBuffer>;
}

/** A series' feeds, one per distinct feature list (and context symbol) of the models in use. */
interface SeriesState {
  feeds: Map<string, Feed>;
}

interface SymbolState extends SeriesState {
  lastTime: string | null;
}

/** A model in use: the live version or a shadow. */
interface Loaded {
  model: InferenceModel;
  version: string;
  /** The feed it reads ({@linkcode feedKey}). */
  feed: string;
}

/** A shadow version: loaded, or `null` when it failed to load (logged as `no-model`). */
interface Shadow {
  version: string;
  loaded: Loaded | null;
}

/** How one model scores one bar, before it becomes a signal. */
interface Scored {
  status: SignalStatus;
  probability: number;
  /** The network's output, when it ran. */
  raw?: number;
}

/** Whether and how a model takes a bar of a symbol: its scaler, its context bar, or a refusal. */
interface Admission {
  scaler?: Scaler;
  market?: Bar;
  refused?: "unknown-symbol" | "no-context";
}

/**
 * Creates the LSTM signal plugin. Call `init()` once, then `onBar` for every
 * new bar of every symbol (each symbol keeps its own state), or `predict` with
 * a full history. With `shadow` (or a `shadow.json` beside `current.json`),
 * the shadow versions are scored on every bar too and carried in
 * `signal.shadows` and the log, never in `direction`.
 *
 * @example
 * ```ts
 * const plugin = createLstmSignal({ modelDir: "models/lstm", maxModelAgeDays: 90, shadow: ["v7"] });
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
  let composite: { plugin: SignalPlugin; version: string } | null = null;
  let shadows: Shadow[] = [];
  let initialised = false;
  let states = new Map<string, SymbolState>();
  let log: Deno.FsFile | null = null;
  // Universe models with context features: each context symbol's bars, shared by every symbol.
  let contexts = new Map<string, ContextSeries>();
  // Whether each symbol's last bar carried an adjusted close (warned once on a switch).
  const adjusted = new Map<string, boolean>();
  let warnedAdjusted = false;

  async function load(): Promise<{ live: Loaded | null; shadows: Shadow[] }> {
    const where = await resolveModelDir(modelDir);
    // An ensemble or regime model on disk: its members are LSTM plugins of their own folders,
    // combined by createCompositeSignal; this plugin hands its signals on (and logs them).
    const previous = composite;
    composite = null;
    await previous?.plugin.dispose();
    if (!where) return { live: null, shadows: [] };
    const spec = await readComposite(where.dir, checkModelFolder);
    if (spec) {
      const inner = createCompositeSignal(
        spec,
        // Members hand the ensemble their probabilities as before; it weighs `ok` members only.
        (dir) =>
          createLstmSignal({
            ...options,
            modelDir: dir,
            logPath: undefined,
            shadow: [],
            allowNoSkill: true,
          }),
        { name: id, version: where.version, upThreshold, downThreshold },
      );
      await inner.init();
      composite = { plugin: inner, version: where.version };
      return { live: null, shadows: [] };
    }
    const model = await loadInferenceModel(where.dir);
    const live = { model, version: where.version, feed: feedKey(model) };
    // Shadow versions live beside the version served: in the versioned folder, or the folder
    // above a version folder named directly. shadow.json is read for a versioned folder only.
    const versioned = where.dir !== modelDir;
    const root = versioned ? modelDir : dirname(where.dir);
    let wanted: readonly string[];
    try {
      wanted = options.shadow ?? (versioned ? await readShadow(root) : []);
    } catch (error) {
      warn(`lstm signal: no shadow runs: ${messageOf(error)}`);
      wanted = [];
    }
    const next: Shadow[] = [];
    for (const version of new Set(wanted)) {
      if (version === where.version) continue;
      try {
        const shadow = await loadInferenceModel(join(root, version));
        next.push({ version, loaded: { model: shadow, version, feed: feedKey(shadow) } });
      } catch (error) {
        warn(
          `lstm signal: shadow ${version} not loaded (logged as "no-model"; the live signal is unaffected): ${
            messageOf(error)
          }`,
        );
        next.push({ version, loaded: null });
      }
    }
    return { live, shadows: next };
  }

  /** Every model in use, the live one first. */
  function inUse(): Loaded[] {
    if (!loaded) return [];
    return [loaded, ...shadows.flatMap((s) => (s.loaded ? [s.loaded] : []))];
  }

  /** Whether `model` takes a bar of `symbol` at `time` (contexts are read, not fed). */
  function admit(model: InferenceModel, symbol: string, time: string): Admission {
    const universe = model.universe;
    if (!universe) return {};
    const scaler = universe.scalerFor(symbol);
    if (!scaler) return { refused: "unknown-symbol" };
    if (!universe.context) return { scaler };
    const market = contexts.get(universe.context)?.at(time);
    return market ? { scaler, market } : { scaler, refused: "no-context" };
  }

  /**
   * Feeds one bar to every feed of `series` that some model in use reads and admits it for;
   * returns the new raw row of each feed advanced (`null` during its feature warm-up).
   */
  function step(
    series: SeriesState,
    bar: Bar,
    admitted: Map<Loaded, Admission>,
  ): Map<string, Float64Array | null> {
    const rows = new Map<string, Float64Array | null>();
    for (const [slot, admission] of admitted) {
      if (admission.refused || rows.has(slot.feed)) continue;
      rows.set(slot.feed, advance(series.feeds.get(slot.feed)!, bar, admission.market));
    }
    return rows;
  }

  function score(slot: Loaded, time: string, window: WindowBuffer, a: Admission): Scored {
    const { model } = slot;
    if (a.refused) return { status: a.refused, probability: 0.5 };
    if (!window.full) return { status: "warming-up", probability: 0.5 };
    if (model.maxAbsZ(window.last(), a.scaler) > maxZScore) {
      return { status: "out-of-distribution", probability: 0.5 };
    }
    const { raw, probability } = model.scoreWindow(window, a.scaler);
    const stale = options.maxModelAgeDays !== undefined && model.trainedThrough !== null &&
      daysBetween(model.trainedThrough, time) > options.maxModelAgeDays;
    return { status: stale ? "stale-model" : "ok", probability, raw };
  }

  /** The signal of the live model, with the shadows' beside it (they never change it). */
  function signalOf(
    symbol: string,
    time: string,
    series: SeriesState,
    admitted: Map<Loaded, Admission>,
    rows: Map<string, Float64Array | null>,
  ): Signal {
    const live = loaded!;
    const { model, version } = live;
    const info = { id, version, trainedThrough: model.trainedThrough, skill: skillOf(model) };
    const scored = score(live, time, windowOf(series, live), admitted.get(live)!);
    // A model without validated skill hands out the base rate: said as no-skill, never traded.
    const s: Scored = model.noSkill && !options.allowNoSkill &&
        (scored.status === "ok" || scored.status === "stale-model")
      ? { ...scored, status: "no-skill" }
      : scored;
    const usable = s.status === "ok" || s.status === "stale-model" || s.status === "no-skill";
    const p = s.probability;
    const direction: Direction = s.status !== "ok"
      ? "flat"
      : p >= upThreshold
      ? "up"
      : p <= downThreshold
      ? "down"
      : "flat";
    const signal: Signal = usable
      ? {
        symbol,
        time,
        probabilityUp: p,
        rawProbability: s.raw,
        direction,
        confidence: Math.abs(2 * p - 1),
        horizonBars: model.horizon,
        status: s.status,
        model: info,
      }
      : neutral(symbol, time, s.status, model.horizon, info);
    if (shadows.length) {
      signal.shadows = shadows.map((shadow): ShadowSignal => {
        const slot = shadow.loaded;
        if (!slot) {
          return {
            version: shadow.version,
            probabilityUp: 0.5,
            status: "no-model",
            horizonBars: model.horizon,
          };
        }
        const own = score(slot, time, windowOf(series, slot), admitted.get(slot)!);
        const entry: ShadowSignal = {
          version: shadow.version,
          probabilityUp: own.probability,
          ...(own.raw === undefined ? {} : { rawProbability: own.raw }),
          status: own.status,
          horizonBars: slot.model.horizon,
        };
        if (slot.feed !== live.feed) {
          const row = rows.get(slot.feed);
          entry.features = row ? Array.from(row) : null;
        }
        return entry;
      });
    }
    return signal;
  }

  async function record(signal: Signal, features: Float64Array | null | undefined): Promise<void> {
    if (!options.logPath) return;
    if (!log) {
      log = await Deno.open(options.logPath, { create: true, append: true });
    }
    const line = JSON.stringify({ ...signal, features: features ? Array.from(features) : null });
    await log.write(new TextEncoder().encode(line + "\n"));
  }

  /** Makes every symbol's feeds match the models in use: new feeds and windows start empty. */
  function refit(): void {
    for (const state of states.values()) fitSeries(state, inUse());
  }

  const plugin: LstmSignalPlugin = {
    name: `lstm:${id}`,
    get warmupBars(): number {
      return composite ? composite.plugin.warmupBars : loaded ? loaded.model.warmupBars : 0;
    },
    get version(): string {
      return loaded?.version ?? composite?.version ?? "none";
    },
    get shadows(): readonly string[] {
      return shadows.map((s) => s.version);
    },
    async init(): Promise<void> {
      if (initialised) return;
      if (!(downThreshold <= upThreshold)) {
        throw new UsageError(
          `Expected downThreshold at or below upThreshold, found downThreshold ${downThreshold} above upThreshold ${upThreshold}`,
        );
      }
      try {
        ({ live: loaded, shadows } = await load());
      } catch (error) {
        // A broken model (a missing or corrupted file, weights that do not match their SHA-256,
        // a scaler that does not match the card) is said once, here; a bot that carries on gets
        // "no-model" signals at 0.5, never a prediction from it.
        loaded = null;
        shadows = [];
        initialised = true;
        throw error;
      }
      if (!loaded && !composite) {
        warn(`lstm signal: no model in ${modelDir}; every signal will be "no-model" at 0.5`);
      }
      initialised = true;
    },
    async onBar(name: string, given: Bar): Promise<Signal> {
      if (!initialised) await plugin.init();
      // One stream per symbol as the cache names it ("spy" is SPY); the bar checked by the
      // import's validator before it changes any state, so a refused bar can be sent again fixed.
      const symbol = symbolKey(name);
      if (composite) {
        const signal = await composite.plugin.onBar(symbol, given); // its members check the bar
        await record(signal, undefined);
        return signal;
      }
      const bar = validateBar(given, {
        label: symbol,
        interval: (loaded?.model.interval as Interval | undefined) ?? "1d",
      });
      if (!loaded) {
        const signal = neutral(symbol, bar.time, "no-model", 1, noModelInfo());
        await record(signal, undefined);
        return signal;
      }
      let state = states.get(symbol);
      if (!state) {
        state = { feeds: new Map(), lastTime: null };
        fitSeries(state, inUse());
        states.set(symbol, state);
      }
      if (state.lastTime !== null && bar.time <= state.lastTime) {
        throw new DataError(
          `Expected bars of ${symbol} in increasing time order, found ${bar.time} after ${state.lastTime}`,
        );
      }
      const time = typeof given.time === "string" ? given.time : bar.time;
      checkInterval(loaded.model, modelDir, { symbol, time, previous: state.lastTime }, warn);
      noteAdjusted(symbol, bar);
      state.lastTime = bar.time;
      // A universe model: the context symbol's bar joins the shared context stream first; a
      // symbol outside the universe under per-symbol scaling, or a bar with no context bar at
      // or before it yet, gets a refusal and leaves that model's feed as it was.
      const models = inUse();
      for (const slot of models) {
        const ctx = slot.model.universe?.context;
        if (ctx !== undefined && ctx !== null && ctx === symbol) contextOf(ctx).push(bar);
      }
      const admitted = new Map(models.map((m) => [m, admit(m.model, symbol, bar.time)]));
      const rows = step(state, bar, admitted);
      const signal = signalOf(symbol, bar.time, state, admitted, rows);
      await record(signal, rows.get(loaded.feed));
      return signal;
    },
    async onOpen(name: string, time: string, open: number): Promise<Signal> {
      if (!initialised) await plugin.init();
      const symbol = symbolKey(name);
      if (composite) {
        throw new UsageError(
          `Expected a single model deciding at the open for onOpen, found the composite ${modelDir}`,
        );
      }
      if (!loaded) return neutral(symbol, time, "no-model", 1, noModelInfo());
      if (loaded.model.decideAt !== "open") {
        throw new UsageError(
          `Expected a model that decides at the open for onOpen, found ${modelDir} deciding at the close (feed the finished bar to onBar)`,
        );
      }
      if (typeof time !== "string" || !/^\d{4}-\d{2}-\d{2}/.test(time)) {
        throw new DataError(
          `Expected an ISO time for the open of ${symbol}, found ${String(time)}`,
        );
      }
      if (!(typeof open === "number" && open > 0 && Number.isFinite(open))) {
        throw new DataError(`Expected a positive open of ${symbol} at ${time}, found ${open}`);
      }
      let state = states.get(symbol);
      if (!state) {
        state = { feeds: new Map(), lastTime: null };
        fitSeries(state, inUse());
        states.set(symbol, state);
      }
      if (state.lastTime !== null && time <= state.lastTime) {
        throw new DataError(
          `Expected bars of ${symbol} in increasing time order, found ${time} after ${state.lastTime}`,
        );
      }
      const models = inUse();
      const admitted = new Map(models.map((m) => [m, admit(m.model, symbol, time)]));
      const market = new Map<string, Bar | undefined>();
      for (const [slot, a] of admitted) market.set(slot.feed, a.market);
      const peek = atOpen(state, time, open, (feed) => {
        for (const [key, f] of state!.feeds) if (f === feed) return market.get(key);
        return undefined;
      });
      return signalOf(symbol, time, peek.series, admitted, peek.rows);
    },
    async predict(name: string, history: readonly Bar[]): Promise<Signal> {
      if (!initialised) await plugin.init();
      const symbol = symbolKey(name);
      if (composite) return await composite.plugin.predict(symbol, history);
      const time = history.length ? history[history.length - 1].time : "";
      if (!loaded) return neutral(symbol, time, "no-model", 1, noModelInfo());
      if (history.length) {
        const before = history.length > 1 ? history[history.length - 2].time : null;
        checkInterval(loaded.model, modelDir, { symbol, time, previous: before }, warn);
      }
      const series: SeriesState = { feeds: new Map() };
      const models = inUse();
      fitSeries(series, models);
      let admitted = new Map(models.map((m) => [m, admit(m.model, symbol, time)]));
      let rows = new Map<string, Float64Array | null>();
      for (const bar of history) {
        admitted = new Map(models.map((m) => [m, admit(m.model, symbol, bar.time)]));
        rows = step(series, bar, admitted);
      }
      return signalOf(symbol, time, series, admitted, rows);
    },
    async reload(): Promise<void> {
      const next = await load();
      const previous = inUse();
      // Feature state carries over for the feeds the new models read (raw rows are scaled at
      // prediction time); a feed or window length no model reads any more is dropped.
      loaded = next.live;
      shadows = next.shadows;
      if (loaded) refit();
      else states = new Map();
      initialised = true;
      for (const slot of previous) slot.model.dispose();
    },
    dispose(): void {
      void composite?.plugin.dispose();
      composite = null;
      for (const slot of inUse()) slot.model.dispose();
      loaded = null;
      shadows = [];
      initialised = false;
      states.clear();
      contexts = new Map();
      if (log) {
        log.close();
        log = null;
      }
    },
  };

  /**
   * Warns once when a symbol's bars stop (or start) carrying an adjusted close: the features
   * are computed on adjusted prices, so the switch shifts the probability silently.
   */
  function noteAdjusted(symbol: string, bar: Bar): void {
    const has = bar.adjClose !== undefined;
    const before = adjusted.get(symbol);
    adjusted.set(symbol, has);
    if (before === undefined || before === has || warnedAdjusted) return;
    warnedAdjusted = true;
    warn(
      `lstm signal: bars of ${symbol} ${has ? "with" : "without"} adjClose after bars ${
        has ? "without" : "with"
      } one (at ${bar.time}): the model's features read adjusted prices, so its probabilities shift; send adjClose with every bar or with none`,
    );
  }

  function contextOf(symbol: string): ContextSeries {
    let series = contexts.get(symbol);
    if (!series) {
      series = new ContextSeries(CONTEXT_HISTORY);
      contexts.set(symbol, series);
    }
    return series;
  }

  return plugin;
}

/** Context bars a plugin keeps (`predict` with a history reads as far back as this). */
const CONTEXT_HISTORY = 4096;

/** The feed a model reads: models with the same features and context symbol share one. */
function feedKey(model: InferenceModel): string {
  return JSON.stringify([model.features, model.universe?.context ?? null, model.decideAt]);
}

/**
 * Gives `series` a feed for each feature list of `models` and a window for each sequence length
 * read from it (new ones empty), and drops the feeds and windows no model reads.
 */
function fitSeries(series: SeriesState, models: readonly Loaded[]): void {
  const wanted = new Map<string, Set<number>>();
  for (const slot of models) {
    let feed = series.feeds.get(slot.feed);
    if (!feed) {
      feed = {
        stream: createFeatureStream(slot.model.features, { decideAt: slot.model.decideAt }),
        windows: new Map(),
      };
      series.feeds.set(slot.feed, feed);
    }
    const length = slot.model.sequenceLength;
    if (!feed.windows.has(length)) {
      feed.windows.set(length, new WindowBuffer(length, feed.stream.names.length));
    }
    const lengths = wanted.get(slot.feed) ?? new Set();
    lengths.add(length);
    wanted.set(slot.feed, lengths);
  }
  for (const [key, feed] of series.feeds) {
    const lengths = wanted.get(key);
    if (!lengths) series.feeds.delete(key);
    else {for (const length of feed.windows.keys()) {
        if (!lengths.has(length)) feed.windows.delete(length);
      }}
  }
}

/** The window of raw rows `slot` scores from. */
function windowOf(series: SeriesState, slot: Loaded): WindowBuffer {
  return series.feeds.get(slot.feed)!.windows.get(slot.model.sequenceLength)!;
}

/**
 * Feeds one bar to a feed: its feature row (`null` during the feature
 * warm-up) joins every window. The one per-bar step of `onBar` and `predict`.
 * For a model deciding at the open the row is the one known at the bar's
 * open (its open and the bars before it), then the finished bar is taken in.
 */
function advance(feed: Feed, bar: Bar, context?: Bar): Float64Array | null {
  const atOpen = feed.stream.decideAt === "open";
  const row = atOpen
    ? feed.stream.open(bar.time, bar.open, context)
    : feed.stream.push(bar, context);
  if (row) { for (const window of feed.windows.values()) window.push(row); }
  if (atOpen) feed.stream.push(bar, context);
  return row;
}

/**
 * The feeds of `series` as they would be at the open of the bar at `time`,
 * leaving `series` as it is: each open-deciding feed's windows with the
 * at-open row pushed on copies. What `onOpen` scores from.
 */
function atOpen(
  series: SeriesState,
  time: string,
  open: number,
  context: (feed: Feed) => Bar | undefined,
): { series: SeriesState; rows: Map<string, Float64Array | null> } {
  const feeds = new Map<string, Feed>();
  const rows = new Map<string, Float64Array | null>();
  for (const [key, feed] of series.feeds) {
    if (feed.stream.decideAt !== "open") {
      feeds.set(key, feed);
      continue;
    }
    const row = feed.stream.open(time, open, context(feed));
    rows.set(key, row);
    const windows = new Map<number, WindowBuffer>();
    for (const [length, window] of feed.windows) {
      windows.set(length, row ? window.withRow(row) : window);
    }
    feeds.set(key, { stream: feed.stream, windows });
  }
  return { series: { feeds }, rows };
}

function noModelInfo(): Signal["model"] {
  return { id: "none", version: "none", trainedThrough: null, skill: null };
}

/** The model's validation skill after calibration, as a signal carries it. */
function skillOf(model: InferenceModel): ModelSkill | null {
  const s = model.skill;
  return s ? { brier: s.brierSkill, logLoss: s.logLossSkill } : null;
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

/** Calendar days from one bar time to another: a date is its midnight UTC, a timestamp exact. */
function daysBetween(from: string, to: string): number {
  const ms = (t: string): number => Date.parse(t.length <= 10 ? `${t}T00:00:00Z` : t);
  return (ms(to) - ms(from)) / 86_400_000;
}

/**
 * Refuses a bar of another interval than the model's (see `checkBarSpacing`, which follows the
 * card's venue), and says a gap the venue's calendar does not excuse as a warning.
 */
function checkInterval(
  model: InferenceModel,
  modelDir: string,
  step: { symbol: string; time: string; previous: string | null },
  warn: (message: string) => void,
): void {
  const gap = checkBarSpacing(model, { ...step, modelName: `the model in ${modelDir}` });
  if (gap) warn(`lstm signal: ${gap.message}`);
}

/** A symbol as the cache names it: trimmed and upper-cased ("spy" and "SPY" are one stream). */
function symbolKey(symbol: string): string {
  return symbol.trim().toUpperCase();
}
