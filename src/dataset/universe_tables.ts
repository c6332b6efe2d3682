/**
 * A universe's tables and labels ({@linkcode buildUniverseTables}): each symbol's features by
 * the one feature pipeline (`computeFeatures`, with the context series when the features read
 * one), its adjusted closes and opens, and its labels, all aligned on the universe's calendar
 * (the union of every symbol's dates). Kept as flat typed arrays: about 100 bytes per bar, not
 * per window.
 *
 * - `up` is the single-ticker label (`upLabel`: the symbol's close `horizon` bars later above
 *   this close; at the open, `openLabel`);
 * - `beats-median` is 1 when the symbol's return from this date's close to the close `horizon`
 *   calendar dates later is above the median of that return over every symbol that has both
 *   closes (Fischer & Krauss 2018).
 *
 * Each label remembers the calendar date it looks at, for purging. The splits, scalers and
 * windows on the tables are in `universe.ts`.
 *
 * @example
 * ```ts
 * const tables = buildUniverseTables(members, { sequenceLength: 60, horizon: 1, label: "beats-median" });
 * tables.tables.length; // usable symbols
 * ```
 *
 * @module
 */

import type { Bar, Series } from "../data/types.ts";
import {
  computeFeatures,
  type DecideAt,
  DEFAULT_FEATURES,
  DEFAULT_OPEN_FEATURES,
  type FeatureSpec,
  resolveFeatureSpecs,
  warmupBars,
} from "../features/mod.ts";
import { openLabel, upLabel } from "./window.ts";
import { DataError, UsageError } from "../util/errors.ts";
import { type LabelKind, LABELS } from "./training_set.ts";

/** `labelDates` of a row whose label is not known. */
export const UNKNOWN_LABEL_DATE = 0xffffffff;

/**
 * One symbol's feature table on the universe's calendar.
 *
 * @example
 * ```ts
 * const t: SymbolTable = tables.tables[0];
 * t.raw.subarray(i * t.width, (i + 1) * t.width); // the feature row of bar i
 * ```
 */
export interface SymbolTable {
  /** The symbol. */
  symbol: string;
  /** Bar times, oldest first. */
  times: string[];
  /** Calendar index of each bar. */
  dates: Uint32Array;
  /** Raw feature rows, `times.length * width` values (`NaN` during the warm-up). */
  raw: Float64Array;
  /** Adjusted closes (labels, returns). */
  closes: Float64Array;
  /** Adjusted opens (next-open fills). */
  opens: Float64Array;
  /** Label of the window ending on each bar: 0, 1, or -1 when not known. */
  labels: Int8Array;
  /** Calendar index of the close each label looks at (`0xffffffff` when not known). */
  labelDates: Uint32Array;
  /** First bar a window can end on (warm-up + sequence length - 1). */
  first: number;
}

/**
 * Every symbol's table and what they share.
 *
 * @example
 * ```ts
 * const { calendar, tables, names } = buildUniverseTables(members, options);
 * ```
 */
export interface UniverseTables {
  /** Every date any symbol has a bar on, sorted. */
  calendar: string[];
  /** One table per usable symbol, in symbol order. */
  tables: SymbolTable[];
  /** Feature column names. */
  names: string[];
  /** The features with every parameter filled in. */
  features: FeatureSpec[];
  /** Bars per window. */
  sequenceLength: number;
  /** Bars (or calendar dates, for `beats-median`) ahead the label looks. */
  horizon: number;
  /** The label. */
  label: LabelKind;
  /** When the decision is taken: `open` labels are the reference bar's own open-to-close move. */
  decideAt: DecideAt;
  /** The context symbol, when the features read one. */
  context?: string;
  /** Bars before the first complete feature row. */
  warmup: number;
  /** Symbols left out, and why. */
  dropped: { symbol: string; reason: string }[];
}

/**
 * Options of {@linkcode buildUniverseTables}.
 *
 * @example
 * ```ts
 * const options: UniverseTableOptions = { sequenceLength: 240, horizon: 1, label: "beats-median" };
 * ```
 */
export interface UniverseTableOptions {
  /** Bars per window (default 60). */
  sequenceLength?: number;
  /** Bars ahead the label looks (default 1). */
  horizon?: number;
  /** Features (default {@linkcode DEFAULT_FEATURES}). */
  features?: readonly FeatureSpec[];
  /** Label (default `up`). */
  label?: LabelKind;
  /** When the decision is taken (default `close`). */
  decideAt?: DecideAt;
  /** The context series, for context features. */
  context?: { symbol: string; bars: readonly Bar[] };
}

function positiveInt(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new UsageError(`Expected ${name} to be a positive integer, found ${value}`);
  }
}

function median(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Builds every symbol's feature table, labels and calendar. Bars before the
 * context's first bar are dropped (a context feature needs a context bar);
 * a symbol with too few bars for one labelled window, or whose features
 * cannot be computed, is left out and listed in `dropped`. Throws a
 * `DataError` when no symbol is left.
 *
 * @example
 * ```ts
 * const tables = buildUniverseTables(members, { label: "beats-median", sequenceLength: 20 });
 * tables.tables.length; // usable symbols
 * ```
 */
export function buildUniverseTables(
  members: readonly Series[],
  options: UniverseTableOptions = {},
): UniverseTables {
  const sequenceLength = options.sequenceLength ?? 60;
  const horizon = options.horizon ?? 1;
  const label = options.label ?? "up";
  positiveInt("sequenceLength", sequenceLength);
  positiveInt("horizon", horizon);
  if (!LABELS.includes(label)) {
    throw new UsageError(`Expected label ${LABELS.join(" or ")}, found "${label}"`);
  }
  const decideAt = options.decideAt ?? "close";
  const features = resolveFeatureSpecs(
    options.features ?? (decideAt === "open" ? DEFAULT_OPEN_FEATURES : DEFAULT_FEATURES),
  );
  const warmup = warmupBars(features, { decideAt });
  const context = options.context;
  if (context && context.bars.length === 0) {
    throw new DataError(`Expected bars of the context ${context.symbol}, found none`);
  }
  const contextFirst = context?.bars[0].time;
  const needed = warmup + sequenceLength + horizon;
  const dropped: { symbol: string; reason: string }[] = [];
  // Each symbol's features are flattened as soon as they are computed (a row per bar as its own
  // array costs more than the numbers), so the peak holds one symbol's rows at a time.
  const computed: Omit<SymbolTable, "dates" | "labels" | "labelDates" | "first">[] = [];
  let names: string[] = [];
  const seen = new Set<string>();
  for (const m of members) {
    if (seen.has(m.symbol)) {
      throw new DataError(`Expected each symbol once in the universe, found ${m.symbol} twice`);
    }
    seen.add(m.symbol);
    const bars = contextFirst === undefined ? m.bars : m.bars.filter((b) => b.time >= contextFirst);
    if (bars.length < needed) {
      const trimmed = bars.length < m.bars.length;
      dropped.push({
        symbol: m.symbol,
        reason: `${bars.length} bars${
          trimmed ? ` from the context's first bar ${contextFirst}` : ""
        }, fewer than the ${needed} one labelled window needs`,
      });
      continue;
    }
    let rows: Float64Array[];
    try {
      const table = computeFeatures(bars, features, { context: context?.bars, decideAt });
      names = table.names;
      rows = table.rows;
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      dropped.push({ symbol: m.symbol, reason: error.message });
      continue;
    }
    const n = bars.length;
    const width = names.length;
    const raw = new Float64Array(n * width);
    const closes = new Float64Array(n);
    const opens = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const b = bars[i];
      raw.set(rows[i], i * width);
      closes[i] = b.adjClose ?? b.close;
      opens[i] = b.adjClose !== undefined && b.close > 0 ? b.open * (b.adjClose / b.close) : b.open;
    }
    computed.push({ symbol: m.symbol, times: bars.map((b) => b.time), raw, closes, opens });
  }
  if (computed.length === 0) {
    throw new DataError(
      `Expected at least one symbol with ${needed} bars and computable features, found none${
        dropped[0] ? ` (${dropped[0].symbol}: ${dropped[0].reason})` : ""
      }`,
    );
  }
  computed.sort((a, b) => a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0);
  const calendar = [...new Set(computed.flatMap((c) => c.times))].sort();
  const dateIndex = new Map(calendar.map((t, i) => [t, i]));
  const first = warmup + sequenceLength - 1;
  const tables: SymbolTable[] = computed.map((c) => {
    const n = c.times.length;
    return {
      ...c,
      dates: Uint32Array.from(c.times, (t) => dateIndex.get(t)!),
      labels: new Int8Array(n).fill(-1),
      labelDates: new Uint32Array(n).fill(UNKNOWN_LABEL_DATE),
      first,
    };
  });
  // At the open a label looks at the close `horizon - 1` bars after the reference bar (its own
  // close for horizon 1); at the close, `horizon` bars after.
  const reach = decideAt === "open" ? horizon - 1 : horizon;
  if (label === "up") {
    for (const t of tables) {
      for (let i = 0; i < t.closes.length; i++) {
        const y = decideAt === "open"
          ? openLabel(t.opens, t.closes, i, horizon)
          : upLabel(t.closes, i, horizon);
        if (y === undefined) continue;
        t.labels[i] = y;
        t.labelDates[i] = t.dates[i + reach];
      }
    }
  } else {
    beatsMedianLabels(tables, calendar.length, horizon, decideAt);
  }
  return {
    calendar,
    tables,
    names,
    features,
    sequenceLength,
    horizon,
    label,
    decideAt,
    context: context?.symbol,
    warmup,
    dropped,
  };
}

/**
 * The forward return of bar `i` of a table over `horizon` calendar dates:
 * `close(date + horizon) / close(date) - 1`, and the bar it ends on, or
 * `undefined` when the symbol has no bar on that date.
 */
function forwardReturn(
  t: SymbolTable,
  i: number,
  horizon: number,
  decideAt: DecideAt,
): [number, number] | undefined {
  if (decideAt === "open") {
    if (horizon === 1) return [t.closes[i] / t.opens[i] - 1, t.dates[i]];
    const target = t.dates[i] + horizon - 1;
    for (let j = i + 1; j <= Math.min(i + horizon - 1, t.dates.length - 1); j++) {
      if (t.dates[j] === target) return [t.closes[j] / t.opens[i] - 1, target];
      if (t.dates[j] > target) return undefined;
    }
    return undefined;
  }
  const target = t.dates[i] + horizon;
  for (let j = i + 1; j <= Math.min(i + horizon, t.dates.length - 1); j++) {
    if (t.dates[j] === target) return [t.closes[j] / t.closes[i] - 1, target];
    if (t.dates[j] > target) return undefined;
  }
  return undefined;
}

/** Fills the `beats-median` labels of every table, in place. */
function beatsMedianLabels(
  tables: SymbolTable[],
  days: number,
  horizon: number,
  decideAt: DecideAt,
): void {
  const byDate: number[][] = Array.from({ length: days }, () => []);
  const returns = tables.map((t) => {
    const r = new Float64Array(t.closes.length).fill(NaN);
    for (let i = 0; i < r.length; i++) {
      const f = forwardReturn(t, i, horizon, decideAt);
      if (f === undefined) continue;
      r[i] = f[0];
      byDate[t.dates[i]].push(f[0]);
    }
    return r;
  });
  const medians = byDate.map((values) => values.length >= 2 ? median(values) : NaN);
  tables.forEach((t, s) => {
    const r = returns[s];
    for (let i = 0; i < r.length; i++) {
      const m = medians[t.dates[i]];
      if (Number.isNaN(r[i]) || Number.isNaN(m)) continue;
      t.labels[i] = r[i] > m ? 1 : 0;
      t.labelDates[i] = t.dates[i] + (decideAt === "open" ? horizon - 1 : horizon);
    }
  });
}
