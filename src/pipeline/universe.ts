/**
 * Universe models, the module's second shape of training set: one model
 * trained on the pooled windows of many symbols (`deno task train
 * --universe`). This module turns a universe's bars into the one
 * training-set contract (`universeSet`: a `UniverseDataset` from
 * `src/dataset/universe.ts`), so the fit, its calibration and its card are
 * `fit.ts`'s, exactly as for one ticker; scoring, walk-forward and the study
 * presets are in `study.ts`. The Fischer & Krauss (2018) study design is a
 * preset ({@linkcode FISCHER_KRAUSS}).
 *
 * @example
 * ```ts
 * import { loadUniverseData, universeFitSettings, universeSet } from "./universe.ts";
 * import { fitAndSave } from "./fit.ts";
 * import { fitSettings } from "./settings.ts";
 * const settings = universeFitSettings(fitSettings({ epochs: 2 }), { label: "beats-median" });
 * const data = await loadUniverseData({ kind: "list", name: "t", symbols: ["AAA", "BBB"] }, {
 *   source: "synthetic",
 * });
 * await fitAndSave(universeSet(data, settings), settings.fit, { modelRoot: "models/universe" });
 * ```
 *
 * @module
 */

import { loadSeries } from "../data/mod.ts";
import type { Interval, Series, SourceName } from "../data/types.ts";
import type { Venue } from "../data/calendar.ts";
import { parseInterval } from "../data/interval.ts";
import {
  CONTEXT_FEATURES,
  type DecideAt,
  DEFAULT_FEATURES,
  DEFAULT_OPEN_FEATURES,
  type FeatureSpec,
  needsContext,
  resolveFeatureSpecs,
} from "../features/mod.ts";
import type { ModelCard } from "../model/card.ts";
import { DataError, UsageError } from "../util/errors.ts";
import { type LoadedUniverse, loadUniverse, type UniverseSpec } from "../data/universe.ts";
import {
  type DateSplitOptions,
  type LabelKind,
  type Scaling,
  type UniverseDataset,
  universeDataset,
} from "../dataset/universe.ts";
import { buildUniverseTables, type UniverseTables } from "../dataset/universe_tables.ts";
import type { FitSettings } from "./settings.ts";

/**
 * Study presets `--study` takes.
 *
 * @example
 * ```ts
 * STUDIES.includes("fischer-krauss"); // true
 * ```
 */
export const STUDIES = ["fischer-krauss", "ghosh-neufeld-sahoo"] as const;
/** A study preset. */
export type Study = typeof STUDIES[number];

/**
 * The Fischer & Krauss (2018) study design: sequences of 240 standardized
 * daily returns (pooled scaling: the training period's mean and standard
 * deviation), a 25-unit LSTM with dropout 0.1, the `beats-median` label, and
 * rolling study periods of 750 training days (the first 240 only the
 * look-back of the first sequence, so 510 reference dates of training
 * windows, the last 20 % of them for early stopping) followed by 250 trading
 * days, sliding forward by 250. The network is the paper's (`paper`: one
 * LSTM, dropout, Dense(1, sigmoid), RMSprop, batch 512 as Ghosh, Neufeld &
 * Sahoo publish it) unless the user names another architecture or batch. Differences from the paper: standardized values are clipped
 * at ±10, and epochs are capped rather than run to early stopping.
 *
 * @example
 * ```ts
 * FISCHER_KRAUSS.sequenceLength; // 240
 * ```
 */
export const FISCHER_KRAUSS = {
  features: [{ name: "returns", params: { period: 1 } }] as FeatureSpec[],
  arch: "paper",
  batchSize: 512,
  sequenceLength: 240,
  lstmUnits: 25,
  dropout: 0.1,
  label: "beats-median" as LabelKind,
  scaling: "pooled" as Scaling,
  trainDays: 510,
  testDays: 250,
  validationFraction: 0.2,
  decideAt: "close",
} as const;

/**
 * The Ghosh, Neufeld & Sahoo (2022) study design: the Fischer & Krauss
 * network and rolling 750/250-day periods, but deciding at the open: each
 * day's features are its intraday return (close / open - 1) and close-to-close
 * return, known at the close, and the overnight return (open / previous close
 * - 1), the latest one being the decision day's own; the label is whether the
 * decision day's open-to-close return beats that day's cross-sectional
 * median, and the portfolio is entered at the open and closed at the close.
 * The same differences from the paper as {@linkcode FISCHER_KRAUSS}.
 *
 * @example
 * ```ts
 * GHOSH_NEUFELD_SAHOO.decideAt; // "open"
 * ```
 */
export const GHOSH_NEUFELD_SAHOO = {
  ...FISCHER_KRAUSS,
  features: [
    { name: "intraday_return", params: {} },
    { name: "returns", params: { period: 1 } },
    { name: "overnight_return", params: {} },
  ] as FeatureSpec[],
  decideAt: "open",
} as const;

/** Each study preset's design. */
const PRESETS: Record<Study, typeof FISCHER_KRAUSS | typeof GHOSH_NEUFELD_SAHOO> = {
  "fischer-krauss": FISCHER_KRAUSS,
  "ghosh-neufeld-sahoo": GHOSH_NEUFELD_SAHOO,
};

/**
 * The design of a study preset (its features, window, network, label,
 * decision point and periods).
 *
 * @example
 * ```ts
 * studyPreset("ghosh-neufeld-sahoo").decideAt; // "open"
 * ```
 */
export function studyPreset(study: Study): typeof FISCHER_KRAUSS | typeof GHOSH_NEUFELD_SAHOO {
  return PRESETS[study];
}

/**
 * How a universe model is fitted: the one-ticker settings plus the universe's
 * own (build with {@linkcode universeFitSettings}).
 *
 * @example
 * ```ts
 * const s: UniverseFitSettings = universeFitSettings(fitSettings(), { scaling: "per-symbol" });
 * ```
 */
export interface UniverseFitSettings {
  /** Architecture, hyperparameters, training and calibration, as for one ticker. */
  fit: FitSettings;
  /** Features (the context features included when there is a context). */
  features: FeatureSpec[];
  /** The label. */
  label: LabelKind;
  /** How features are standardised. */
  scaling: Scaling;
  /** The context symbol, if any. */
  context?: string;
  /** The study preset, if any. */
  study?: Study;
  /** Where the date split puts its cuts. */
  split: DateSplitOptions;
}

/**
 * Builds universe settings from one-ticker fit settings. A `--study` preset
 * sets its network, features, window, units, dropout, label, decision point,
 * scaling and split, except what `explicit` names (the flags the user gave:
 * `arch`, `batchSize`, `sequenceLength`, `lstmUnits`, `dropout`, `label`,
 * `scaling`).
 *
 * @example
 * ```ts
 * const s = universeFitSettings(fitSettings({ epochs: 3 }), { study: "fischer-krauss" });
 * s.fit.sequenceLength; // 240
 * ```
 */
export function universeFitSettings(
  fit: FitSettings,
  options: {
    label?: LabelKind;
    scaling?: Scaling;
    context?: string;
    study?: Study;
    explicit?: ReadonlySet<string>;
  } = {},
): UniverseFitSettings {
  const explicit = options.explicit ?? new Set<string>();
  const contextFeatures = options.context ? CONTEXT_FEATURES : [];
  if (options.study !== undefined) {
    const fk = PRESETS[options.study];
    const sequenceLength = explicit.has("sequenceLength") ? fit.sequenceLength : fk.sequenceLength;
    const hp = fit.hyperparameters;
    const decideAt = fk.decideAt === "open" ? { decideAt: "open" as const } : {};
    return {
      fit: {
        ...fit,
        arch: explicit.has("arch") ? fit.arch : fk.arch,
        batchSize: explicit.has("batchSize") ? fit.batchSize : fk.batchSize,
        sequenceLength,
        datasetOptions: { ...fit.datasetOptions, sequenceLength, ...decideAt },
        hyperparameters: {
          ...hp,
          lstmUnits: explicit.has("lstmUnits") ? hp.lstmUnits : fk.lstmUnits,
          dropout: explicit.has("dropout") ? hp.dropout : fk.dropout,
        },
      },
      features: resolveFeatureSpecs([...fk.features, ...contextFeatures]),
      label: options.label ?? fk.label,
      scaling: options.scaling ?? fk.scaling,
      context: options.context,
      study: options.study,
      split: {
        testDays: fk.testDays,
        trainDays: fk.trainDays,
        validationFraction: fk.validationFraction,
      },
    };
  }
  const d = fit.datasetOptions;
  return {
    fit,
    features: resolveFeatureSpecs([
      ...(d.features ?? (d.decideAt === "open" ? DEFAULT_OPEN_FEATURES : DEFAULT_FEATURES)),
      ...contextFeatures,
    ]),
    label: options.label ?? "up",
    scaling: options.scaling ?? "pooled",
    context: options.context,
    split: {
      trainFraction: d.trainFraction,
      validationFraction: d.validationFraction,
      testStart: d.testStart,
    },
  };
}

/**
 * A universe's bars and its context series.
 *
 * @example
 * ```ts
 * const data: UniverseData = await loadUniverseData(spec, { dataDir: "data", context: "SPY" });
 * ```
 */
export interface UniverseData {
  /** The universe as read (members, per-symbol reports, summary text). */
  universe: LoadedUniverse;
  /** Where it was read from. */
  spec: UniverseSpec;
  /** `cache`, `synthetic`, `csv-dir` or `long-csv`. */
  source: string;
  /** The context series, when asked for. */
  context?: Series;
}

/**
 * Options of {@linkcode loadUniverseData}.
 *
 * @example
 * ```ts
 * const options: UniverseDataOptions = { dataDir: "data", context: "SPY" };
 * ```
 */
export interface UniverseDataOptions {
  /** The data cache folder (default `data`). */
  dataDir?: string;
  /** `synthetic` generates a list universe; otherwise the cache is read. */
  source?: SourceName;
  /** Seed of synthetic bars (default 42). */
  seed?: number;
  /** First bar used. */
  start?: string;
  /** Last bar used. */
  end?: string;
  /** The context symbol: a member of the universe, or else read like one from the cache. */
  context?: string;
  /** Only these symbols. */
  only?: readonly string[];
  /** Bar interval (default `1d`): the members' and the context's. */
  interval?: Interval;
  /**
   * Whose calendar the bars of a folder or long CSV follow (default `nyse`); a cached symbol's
   * cache says its own (see `loadUniverse`).
   */
  venue?: Venue;
}

/**
 * Reads a universe (see `loadUniverse`) and its context series: the member of
 * that name when the universe has one, else the cached (or synthetic) series.
 *
 * @example
 * ```ts
 * const data = await loadUniverseData(await resolveUniverse("tickers.txt"), { context: "SPY" });
 * console.error(data.universe.text);
 * ```
 */
export async function loadUniverseData(
  spec: UniverseSpec,
  options: UniverseDataOptions = {},
): Promise<UniverseData> {
  const { dataDir, source, seed, start, end, interval, venue } = options;
  const universe = await loadUniverse(spec, {
    dataDir,
    source,
    seed,
    start,
    end,
    interval,
    venue,
    only: options.only,
  });
  let context: Series | undefined;
  if (options.context !== undefined) {
    context = universe.members.find((m) => m.symbol === options.context);
    if (!context && options.only && spec.kind !== "list") {
      context = (await loadUniverse(spec, {
        dataDir,
        start,
        end,
        interval,
        venue,
        only: [options.context],
      })).members[0];
    }
    context ??= await loadSeries({
      ticker: options.context,
      source: source === "synthetic" ? "synthetic" : undefined,
      dataDir,
      seed,
      start,
      end,
      interval,
      venue,
    });
  }
  const kind = spec.kind === "list" ? (source === "synthetic" ? "synthetic" : "cache") : spec.kind;
  return { universe, spec, source: kind, context };
}

/**
 * The feature tables of a universe for a model's features, window, horizon,
 * label and context. Throws a `UsageError` when context features have no
 * context series.
 *
 * @example
 * ```ts
 * const tables = tablesOf(data, { ...settings, sequenceLength: 60, horizon: 1 });
 * ```
 */
export function tablesOf(
  data: UniverseData,
  settings: Pick<UniverseFitSettings, "features" | "label" | "context"> & {
    sequenceLength: number;
    horizon: number;
    decideAt?: DecideAt;
  },
): UniverseTables {
  if (needsContext(settings.features) && !data.context) {
    throw new UsageError(
      `Expected the context series ${settings.context ?? ""} for the context features, found none`,
    );
  }
  return buildUniverseTables(data.universe.members, {
    sequenceLength: settings.sequenceLength,
    horizon: settings.horizon,
    decideAt: settings.decideAt,
    features: settings.features,
    label: settings.label,
    context: data.context && settings.context
      ? { symbol: settings.context, bars: data.context.bars }
      : undefined,
  });
}

/**
 * The training set of a universe as `settings` build it: the feature tables,
 * the date split and the scalers fitted on the training rows, recorded on the
 * card with where the bars came from. `fitModel` and `fitAndSave` take it as
 * they take a series.
 *
 * @example
 * ```ts
 * const set = universeSet(data, universeFitSettings(fitSettings(), { label: "beats-median" }));
 * const summary = await fitAndSave(set, settings.fit, { modelRoot: "models/universe" });
 * ```
 */
export function universeSet(data: UniverseData, settings: UniverseFitSettings): UniverseDataset {
  const { sequenceLength, horizon } = settings.fit;
  const tables = tablesOf(data, {
    ...settings,
    sequenceLength,
    horizon,
    decideAt: settings.fit.datasetOptions.decideAt,
  });
  const spec = data.spec;
  return universeDataset(tables, {
    ...settings.split,
    scaling: settings.scaling,
    about: {
      name: data.universe.name,
      source: data.source,
      interval: data.universe.interval,
      venue: data.universe.venue,
      ...(spec.kind !== "list" ? { path: spec.path } : {}),
      ...(settings.study ? { study: settings.study } : {}),
    },
  });
}

/**
 * The universe a model was trained on, as a spec and data options (for
 * `evaluate --universe` without a value): its bars' interval and venue are
 * the card's (`data.interval`; `data.venue`, absent on the NYSE).
 *
 * @example
 * ```ts
 * const own = modelUniverse(card); // { spec, source, interval: "1h", venue: "crypto" }
 * ```
 */
export function modelUniverse(
  card: Pick<ModelCard, "universe" | "data">,
): { spec: UniverseSpec; source?: SourceName; interval: Interval; venue?: Venue } | undefined {
  const u = card.universe;
  if (!u) return undefined;
  const venue = card.data.venue;
  const bars = { interval: parseInterval(card.data.interval), ...(venue ? { venue } : {}) };
  if ((u.source === "csv-dir" || u.source === "long-csv") && u.path !== undefined) {
    return { spec: { kind: u.source, name: u.name, path: u.path }, ...bars };
  }
  return {
    spec: { kind: "list", name: u.name, symbols: u.symbols },
    source: u.source === "synthetic" ? "synthetic" : undefined,
    ...bars,
  };
}

/**
 * A symbol's bars as a universe model sees them, and its labels by the
 * model's own label definition: what `deno task monitor` joins a universe
 * model's logged signals with. For `beats-median` the label of a bar needs
 * the whole universe's returns, so the model's universe is read and its
 * tables built (the same drop rules and calendar as training); `labelAt` is
 * then the label of bar `index` of `series.bars` (`undefined` when not known
 * or for another horizon). For `up` it is absent: the one `upLabel` rule
 * applies. `context` is the context series, for a model with context
 * features (`deno task predict` feeds it to the plugin first).
 *
 * @example
 * ```ts
 * const { series, labelAt } = await universeSeriesFor(card, "AAPL", { dataDir: "data" });
 * ```
 */
export async function universeSeriesFor(
  card: ModelCard,
  ticker: string,
  request: { dataDir?: string; source?: SourceName; seed?: number; end?: string },
): Promise<{
  series: Series;
  context?: Series;
  labelAt?: (index: number, horizon: number) => 0 | 1 | undefined;
}> {
  const own = modelUniverse(card);
  if (!own) throw new UsageError(`Expected a universe model, found one of ${card.data.ticker}`);
  const data = await loadUniverseData(own.spec, {
    dataDir: request.dataDir,
    source: request.source ?? own.source,
    seed: request.seed ?? card.seed,
    end: request.end,
    interval: own.interval,
    venue: own.venue,
    context: card.universe?.context,
  });
  const series = data.universe.members.find((m) => m.symbol === ticker);
  if (!series) {
    throw new DataError(
      `Expected ${ticker} in the model's universe ${own.spec.name}, found it missing`,
    );
  }
  const context = data.context;
  if ((card.label ?? "up") === "up") return { series, context };
  const tables = tablesOf(data, {
    features: resolveFeatureSpecs(card.features),
    label: card.label ?? "up",
    context: card.universe?.context,
    sequenceLength: card.sequenceLength,
    horizon: card.horizon,
    decideAt: card.decideAt,
  });
  const table = tables.tables.find((t) => t.symbol === ticker);
  const byTime = new Map<string, number>(
    table ? table.times.map((t, k) => [t, table.labels[k]]) : [],
  );
  return {
    series,
    context,
    labelAt: (index: number, horizon: number): 0 | 1 | undefined => {
      const y = horizon === card.horizon ? byTime.get(series.bars[index]?.time) : undefined;
      return y === 0 || y === 1 ? y : undefined;
    },
  };
}
