/**
 * A model's predictions log read back: its lines parsed (`shadows` entries included), the
 * live version's signals on one ticker kept (one per bar, the last logged), joined with the
 * prices that followed into labels ({@linkcode joinSignals}), and the drift of their inputs and
 * outputs against a version's `reference.json` (population stability index). Monitoring and
 * the shadow comparison both read the log through here.
 *
 * @example
 * ```ts
 * import { joinSignals } from "./predictions_log.ts";
 * const { probabilities, labels, pending } = joinSignals(signals, bars);
 * ```
 *
 * @module
 */

import type { Bar } from "../data/types.ts";
import { adjustedCloses, openLabel, upLabel } from "../dataset/window.ts";
import { populationStability, type ReferenceProfile } from "../eval/drift.ts";
import { type ModelCard, readCard } from "../model/card.ts";
import { resolveModelDir } from "../model/versions.ts";
import { DataError } from "../util/errors.ts";
import { join } from "node:path";
import { type LoggedShadow, type LoggedSignal, parseLogLine } from "../model/prediction_log.ts";
import { universeSeriesFor } from "./universe.ts";

export type { LoggedShadow, LoggedSignal };
import { loadModelSeries, type SeriesRequest } from "./series.ts";

/**
 * A monitoring alert: accuracy below the test accuracy, or a drifted input or output.
 *
 * @example
 * ```ts
 * for (const alert of result.alerts) console.error(alert.message);
 * ```
 */
export interface Alert {
  /** What went wrong: rolling accuracy, or drift of a feature or of the probabilities. */
  kind: "accuracy" | "drift";
  /** What the alert is about (`rolling accuracy`, a feature name, `probabilities`). */
  subject: string;
  /** The value measured (an accuracy, or a PSI). */
  value: number;
  /** The limit it crossed. */
  limit: number;
  /** The alert in plain words. */
  message: string;
}

/**
 * Population stability of each feature and of the probabilities against a
 * version's `reference.json`.
 *
 * @example
 * ```ts
 * const d: Drift = result.drift;
 * console.log(d.probabilities, d.flagged);
 * ```
 */
export interface Drift {
  /** PSI above which a feature or the probabilities are flagged. */
  threshold: number;
  /** Signals whose feature row was compared. */
  rows: number;
  /** PSI of each feature, by name (`null` where undefined). */
  features: Record<string, number | null>;
  /** PSI of the probabilities handed out (`null` where undefined). */
  probabilities: number | null;
  /** The features (and `probabilities`) whose PSI is above the threshold. */
  flagged: string[];
}

/**
 * Where a predictions log and the prices that followed it come from.
 *
 * @example
 * ```ts
 * const options: LiveLogOptions = { modelDir: "models/lstm", ticker: "SPY", request: {} };
 * ```
 */
export interface LiveLogOptions {
  /** A model folder or versioned root. */
  modelDir: string;
  /** The ticker monitored. */
  ticker: string;
  /** The predictions log (default `<modelDir>/predictions.jsonl`). */
  logPath?: string;
  /** Where the realised prices come from. */
  request: SeriesRequest;
  /** Warnings (skipped lines, other versions' signals). */
  warn?: (line: string) => void;
}

/** The log of the live version on one ticker, joined with the bars that followed. */
export interface LiveLog {
  /** The model folder or versioned root. */
  root: string;
  /** The live (current) version. */
  version: string;
  /** Its folder. */
  dir: string;
  /** Its card. */
  card: ModelCard;
  /** The predictions log read. */
  logPath: string;
  /** Its ok signals, one per bar (the last logged), in time order. */
  signals: LoggedSignal[];
  /** The ticker's bars, whose later closes label the signals. */
  bars: readonly Bar[];
  /** Where the bars came from, in words. */
  source: string;
  /** A universe model's label of bar `i` (its card's label), absent for the up label. */
  labelAt?: (i: number, horizon: number) => 0 | 1 | undefined;
}

async function readLog(path: string): Promise<{ signals: LoggedSignal[]; malformed: number[] }> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DataError(
        `Expected a predictions log at ${path}, found none; give the log's path, or set logPath in createLstmSignal so the bot writes one`,
      );
    }
    throw error;
  }
  const signals: LoggedSignal[] = [];
  const malformed: number[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const signal = parseLogLine(line);
    if (signal) signals.push(signal);
    else malformed.push(i + 1);
  });
  return { signals, malformed };
}

/**
 * Index of every bar by its time, and of daily bars by their date for daily logs written with
 * full times (an intraday bar is found by its own time only: a day holds many of them).
 */
function barIndex(bars: readonly Bar[]): (time: string) => number | undefined {
  const byTime = new Map<string, number>();
  const byDate = new Map<string, number>();
  bars.forEach((bar, i) => {
    byTime.set(bar.time, i);
    if (bar.time.length <= 10) byDate.set(bar.time, i);
  });
  return (time) => byTime.get(time) ?? byDate.get(time.slice(0, 10));
}

/** The features (and `probabilities`) whose PSI is above the threshold, each as an alert. */
export function driftAlerts(
  drift: Drift,
  threshold: number,
): { flagged: string[]; alerts: Alert[] } {
  const entries: [string, number | null][] = [
    ...Object.entries(drift.features),
    ["probabilities", drift.probabilities],
  ];
  const flagged = entries.filter(([, psi]) => psi !== null && psi > threshold).map(([n]) => n);
  const alerts = flagged.map((name): Alert => {
    const value = name === "probabilities" ? drift.probabilities! : drift.features[name]!;
    return {
      kind: "drift",
      subject: name,
      value,
      limit: threshold,
      message: `${name} drifted from the training data: PSI ${value.toFixed(3)} > ${threshold}`,
    };
  });
  return { flagged, alerts };
}

/** The live version's usable signals of one ticker, one per bar (the last logged), in time order. */
function keepSignals(
  all: LoggedSignal[],
  ticker: string,
  version: string,
  logPath: string,
  warn: (line: string) => void,
): LoggedSignal[] {
  const mine = all.filter((s) => s.symbol.toUpperCase() === ticker);
  // A no-skill model's signals carry its real probability (the base rate): monitored like ok ones.
  const ok = mine.filter((s) => s.status === "ok" || s.status === "no-skill");
  const kept = ok.filter((s) => s.version === version);
  if (kept.length < ok.length) {
    const others = [...new Set(ok.filter((s) => s.version !== version).map((s) => s.version))];
    warn(
      `note: left out ${
        ok.length - kept.length
      } ok signals of ${ticker} made by other model versions (${
        others.join(", ")
      }); monitoring ${version}`,
    );
  }
  if (kept.length === 0) {
    const statuses = new Map<string, number>();
    for (const s of mine) statuses.set(s.status, (statuses.get(s.status) ?? 0) + 1);
    const found = mine.length
      ? `${mine.length} signals of ${ticker} (${
        [...statuses].map(([k, n]) => `${k} ${n}`).join(", ")
      }${ok.length ? `; ${ok.length} ok from other versions` : ""})`
      : `no signals of ${ticker} among ${all.length} lines`;
    throw new DataError(
      `Expected ok signals of ${ticker} by ${version} in ${logPath}, found ${found}`,
    );
  }
  // One signal per bar: a bot that restarts and replays bars logs them again; the last one counts.
  const byTime = new Map<string, LoggedSignal>();
  for (const s of kept) byTime.set(s.time, s);
  return [...byTime.values()].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

/** Population stability of the signals' feature rows and probabilities against a reference. */
export function driftOf(
  reference: ReferenceProfile,
  signals: LoggedSignal[],
  threshold: number,
  warn: (line: string) => void,
): Drift {
  const width = reference.features.length;
  const rows = signals.filter((s) => s.features?.length === width).map((s) => s.features!);
  if (rows.length < signals.length) {
    warn(
      `warning: ${
        signals.length - rows.length
      } ok signals carry no row of the reference's ${width} features; left out of feature drift`,
    );
  }
  const psi = populationStability(reference, rows, signals.map((s) => s.probabilityUp));
  return {
    threshold,
    rows: rows.length,
    features: psi.features,
    probabilities: psi.probabilities,
    flagged: [],
  };
}

/**
 * Joins logged signals with the bars that followed them: a signal whose
 * horizon has passed gets its label (the one label rule of the dataset), one
 * after the last bar or whose horizon reaches past it is pending, and one on
 * no bar of the series is unmatched (`times`: the labelled signals' times). A model with another label definition
 * (a universe model's `beats-median`) passes `labelAt`, its label of bar `i`.
 *
 * @example
 * ```ts
 * const { probabilities, labels, pending } = joinSignals(signals, bars);
 * ```
 */
export function joinSignals(
  signals: readonly Pick<LoggedSignal, "time" | "probabilityUp" | "horizonBars">[],
  bars: readonly Bar[],
  labelAt?: (i: number, horizon: number) => 0 | 1 | undefined,
): {
  probabilities: number[];
  labels: number[];
  times: string[];
  pending: number;
  unmatched: number;
} {
  const closes = adjustedCloses(bars);
  const indexOf = barIndex(bars);
  const last = bars.length ? bars[bars.length - 1].time : "";
  // Daily bars are dated, intraday bars timed: a signal after the last one is pending.
  const after = (time: string): boolean =>
    last.length <= 10 ? time.slice(0, 10) > last : time > last;
  const probabilities: number[] = [];
  const labels: number[] = [];
  const times: string[] = [];
  let pending = 0;
  let unmatched = 0;
  for (const s of signals) {
    const i = indexOf(s.time);
    if (i === undefined) {
      if (after(s.time)) pending++;
      else unmatched++;
      continue;
    }
    const label = labelAt ? labelAt(i, s.horizonBars) : upLabel(closes, i, s.horizonBars);
    if (label === undefined) {
      pending++;
      continue;
    }
    probabilities.push(s.probabilityUp);
    labels.push(label);
    times.push(s.time);
  }
  return { probabilities, labels, times, pending, unmatched };
}

/** Reads the live version's log on one ticker and the bars that followed it. */
export async function readLiveLog(
  options: LiveLogOptions,
): Promise<LiveLog> {
  const { modelDir: root, ticker } = options;
  const warn = options.warn ?? (() => {});
  const logPath = options.logPath ?? join(root, "predictions.jsonl");
  const where = await resolveModelDir(root);
  if (!where) throw new DataError(`No model in ${root}; run deno task train first`);
  const card = await readCard(where.dir);
  const { signals: all, malformed } = await readLog(logPath);
  if (malformed.length) {
    warn(
      `warning: skipped ${malformed.length} malformed lines of ${logPath} (first at line ${
        malformed[0]
      })`,
    );
  }
  const signals = keepSignals(all, ticker, where.version, logPath, warn);
  // A universe model: the symbol's bars from its universe, labelled by the card's label.
  const universe = card.universe ? await universeSeriesFor(card, ticker, options.request) : null;
  const { series } = universe ?? await loadModelSeries(card, ticker, options.request);
  // A model deciding at the open is judged on each bar's own open-to-close move.
  const opens = card.decideAt === "open" && !universe?.labelAt
    ? series.bars.map((
      b,
    ) => (b.adjClose !== undefined && b.close > 0 ? b.open * (b.adjClose / b.close) : b.open))
    : undefined;
  const closes = opens ? adjustedCloses(series.bars) : undefined;
  return {
    root,
    version: where.version,
    dir: where.dir,
    card,
    logPath,
    signals,
    bars: series.bars,
    source: series.source,
    labelAt: universe?.labelAt ??
      (opens && closes
        ? (i: number, horizon: number): 0 | 1 | undefined => openLabel(opens, closes, i, horizon)
        : undefined),
  };
}
