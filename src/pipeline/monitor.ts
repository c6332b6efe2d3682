/**
 * Monitoring a model live: its predictions log joined with the prices that
 * followed (overall and rolling accuracy and Brier score, beside its test
 * scores) and whether its inputs and outputs drifted away from the training
 * data (population stability index against the model's `reference.json`).
 * The log is append-only; every result is recomputed from it.
 *
 * @module
 */

import { join } from "node:path";
import type { Bar } from "../data/types.ts";
import { adjustedCloses, upLabel } from "../dataset/window.ts";
import { accuracy, brierScore } from "../eval/scores.ts";
import {
  populationStability,
  PSI_SIGNIFICANT,
  readReference,
  REFERENCE_FILE,
  type ReferenceProfile,
} from "../eval/drift.ts";
import { type ModelCard, readCard } from "../model/card.ts";
import { resolveModelDir } from "../model/versions.ts";
import { DataError } from "../util/errors.ts";
import { loadModelSeries, type SeriesRequest } from "./series.ts";

/** Standard errors of rolling accuracy below test accuracy that raise an alert. */
const ACCURACY_TOLERANCE_SE = 2;

/**
 * One usable line of the predictions log.
 *
 * @example
 * ```ts
 * const line: LoggedSignal = {
 *   symbol: "SPY", time: "2024-01-02", probabilityUp: 0.57, horizonBars: 1,
 *   status: "ok", version: "v2", features: null,
 * };
 * ```
 */
export interface LoggedSignal {
  /** The symbol the signal is for. */
  symbol: string;
  /** Time of the bar the signal was computed on. */
  time: string;
  /** Probability that the close `horizonBars` ahead is above this bar's close. */
  probabilityUp: number;
  /** How many bars ahead the prediction looks. */
  horizonBars: number;
  /** The signal's status (`ok`, `warming-up`, …). */
  status: string;
  /** The model version that made it, or `null` when the line does not say. */
  version: string | null;
  /** The raw feature row the model saw, or `null` when the line carries none. */
  features: number[] | null;
}

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
 * The model's own test split scores, from its card.
 *
 * @example
 * ```ts
 * const test: TestScores = result.test; // { accuracy: 0.53, loss: 0.69, baseRate: 0.54, rows: 380 }
 * ```
 */
export interface TestScores {
  /** Test accuracy, or `null` where undefined. */
  accuracy: number | null;
  /** Test log loss, or `null` where undefined. */
  loss: number | null;
  /** Share of up labels in the test split, or `null` where undefined. */
  baseRate: number | null;
  /** Number of test windows, or `null` when unknown. */
  rows: number | null;
}

/**
 * What `deno task monitor --json` prints.
 *
 * @example
 * ```ts
 * const result: MonitorResult = await monitorModel({ modelDir: "models/lstm", ticker: "SPY", request: {} });
 * if (result.alerts.length) console.error(result.alerts.map((a) => a.message).join("\n"));
 * ```
 */
export interface MonitorResult {
  /** The model folder or versioned root monitored. */
  model: string;
  /** The version monitored (the current one). */
  version: string;
  /** The ticker monitored. */
  ticker: string;
  /** The predictions log read. */
  log: string;
  /** Signals whose horizon has passed, joined with their labels. */
  resolved: number;
  /** Signals whose horizon reaches past the last bar. */
  pending: number;
  /** Signals on no bar of the price series. */
  unmatched: number;
  /** Accuracy over all resolved signals, or `null` when there are none. */
  accuracy: number | null;
  /** Brier score over all resolved signals, or `null` when there are none. */
  brier: number | null;
  /** Accuracy and Brier score of the last `window` resolved signals (`n` of them). */
  rolling: { window: number; n: number; accuracy: number | null; brier: number | null };
  /** The model's test scores, the yardstick of live accuracy. */
  test: TestScores;
  /** Accuracy and drift alerts. */
  alerts: Alert[];
  /** Population stability of each feature and of the probabilities against `reference.json`. */
  drift: {
    threshold: number;
    rows: number;
    features: Record<string, number | null>;
    probabilities: number | null;
    flagged: string[];
  };
}

function parseLine(line: string): LoggedSignal | null {
  let value;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (
    typeof value !== "object" || value === null || typeof value.symbol !== "string" ||
    typeof value.time !== "string" || typeof value.status !== "string" ||
    typeof value.probabilityUp !== "number" || !Number.isInteger(value.horizonBars) ||
    value.horizonBars < 1
  ) {
    return null;
  }
  const features = Array.isArray(value.features)
    ? value.features.map((x: unknown) => (typeof x === "number" ? x : NaN))
    : null;
  return {
    symbol: value.symbol,
    time: value.time,
    probabilityUp: value.probabilityUp,
    horizonBars: value.horizonBars,
    status: value.status,
    version: typeof value.model?.version === "string" ? value.model.version : null,
    features,
  };
}

async function readLog(path: string): Promise<{ signals: LoggedSignal[]; malformed: number[] }> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DataError(
        `Expected a predictions log at ${path}, found none; pass --log FILE or set logPath in createLstmSignal`,
      );
    }
    throw error;
  }
  const signals: LoggedSignal[] = [];
  const malformed: number[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const signal = parseLine(line);
    if (signal) signals.push(signal);
    else malformed.push(i + 1);
  });
  return { signals, malformed };
}

/** The model's own test split scores, from its card: the yardstick of live accuracy. */
function testScores(card: ModelCard): TestScores {
  return {
    accuracy: card.metrics.test.accuracy,
    loss: card.metrics.test.loss,
    baseRate: card.testBaseRate,
    rows: card.data.ranges.test.rows,
  };
}

/** Index of every bar by its time, and by its date for daily logs written with full times. */
function barIndex(bars: readonly Bar[]): (time: string) => number | undefined {
  const byTime = new Map<string, number>();
  const byDate = new Map<string, number>();
  bars.forEach((bar, i) => {
    byTime.set(bar.time, i);
    byDate.set(bar.time.slice(0, 10), i);
  });
  return (time) => byTime.get(time) ?? byDate.get(time.slice(0, 10));
}

function scores(
  probs: number[],
  labels: number[],
): { accuracy: number | null; brier: number | null } {
  if (probs.length === 0) return { accuracy: null, brier: null };
  return { accuracy: accuracy(probs, labels), brier: brierScore(probs, labels) };
}

function driftAlerts(
  drift: MonitorResult["drift"],
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

function keepSignals(
  all: LoggedSignal[],
  ticker: string,
  version: string,
  logPath: string,
  warn: (line: string) => void,
): LoggedSignal[] {
  const mine = all.filter((s) => s.symbol.toUpperCase() === ticker);
  const ok = mine.filter((s) => s.status === "ok");
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

function driftOf(
  reference: ReferenceProfile,
  signals: LoggedSignal[],
  threshold: number,
  warn: (line: string) => void,
): MonitorResult["drift"] {
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

function fmt(value: number | null, digits: number): string {
  return value === null ? "-" : value.toFixed(digits);
}

/**
 * The human text of a monitoring result.
 *
 * @example
 * ```ts
 * console.log(monitorText(await monitorModel(options)));
 * ```
 */
export function monitorText(r: MonitorResult): string {
  const mark = (flag: boolean): string => (flag ? "! " : "  ");
  const rollingAlert = r.alerts.find((a) => a.kind === "accuracy");
  const row = (label: string, n: number | null, acc: number | null, rest: string): string =>
    `${label.padEnd(18)}${String(n ?? "-").padStart(6)}  ${fmt(acc, 3).padStart(8)}  ${rest}`;
  const lines = [
    `${r.model} ${r.version} · ${r.ticker} · log ${r.log}`,
    `  ${r.resolved} resolved, ${r.pending} pending${
      r.unmatched ? `, ${r.unmatched} without a price bar` : ""
    }`,
    `  ${"".padEnd(18)}${"n".padStart(6)}  ${"accuracy".padStart(8)}  brier`,
    `  ${row("overall", r.resolved, r.accuracy, fmt(r.brier, 4))}`,
    `${mark(rollingAlert !== undefined)}${
      row(
        `rolling (last ${r.rolling.window})`,
        r.rolling.n,
        r.rolling.accuracy,
        fmt(r.rolling.brier, 4),
      )
    }${rollingAlert ? `  ${rollingAlert.message}` : ""}`,
    `  ${row("test (model)", r.test.rows, r.test.accuracy, `loss ${fmt(r.test.loss, 4)}`)}${
      r.test.baseRate === null ? "" : `  base rate ${fmt(r.test.baseRate, 3)}`
    }`,
    `  drift: PSI vs ${REFERENCE_FILE} on ${r.drift.rows} rows (flag > ${r.drift.threshold})`,
  ];
  const names = [...Object.keys(r.drift.features), "probabilities"];
  const width = Math.max(...names.map((n) => n.length)) + 2;
  for (const name of names) {
    const psi = name === "probabilities" ? r.drift.probabilities : r.drift.features[name];
    lines.push(`${mark(r.drift.flagged.includes(name))}  ${name.padEnd(width)}${fmt(psi, 3)}`);
  }
  lines.push(r.alerts.length ? `${r.alerts.length} alert(s)` : "no alerts");
  return lines.join("\n");
}

/**
 * Joins logged signals with the bars that followed them: a signal whose
 * horizon has passed gets its label (the one label rule of the dataset), one
 * after the last bar or whose horizon reaches past it is pending, and one on
 * no bar of the series is unmatched.
 *
 * @example
 * ```ts
 * const { probabilities, labels, pending } = joinSignals(signals, bars);
 * ```
 */
export function joinSignals(
  signals: readonly Pick<LoggedSignal, "time" | "probabilityUp" | "horizonBars">[],
  bars: readonly Bar[],
): { probabilities: number[]; labels: number[]; pending: number; unmatched: number } {
  const closes = adjustedCloses(bars);
  const indexOf = barIndex(bars);
  const lastDate = bars.length ? bars[bars.length - 1].time.slice(0, 10) : "";
  const probabilities: number[] = [];
  const labels: number[] = [];
  let pending = 0;
  let unmatched = 0;
  for (const s of signals) {
    const i = indexOf(s.time);
    if (i === undefined) {
      if (s.time.slice(0, 10) > lastDate) pending++;
      else unmatched++;
      continue;
    }
    const label = upLabel(closes, i, s.horizonBars);
    if (label === undefined) {
      pending++;
      continue;
    }
    probabilities.push(s.probabilityUp);
    labels.push(label);
  }
  return { probabilities, labels, pending, unmatched };
}

/**
 * Options of {@linkcode monitorModel}.
 *
 * @example
 * ```ts
 * const options: MonitorOptions = { modelDir: "models/lstm", ticker: "SPY", request: {} };
 * ```
 */
export interface MonitorOptions {
  /** A model folder or versioned root. */
  modelDir: string;
  /** The ticker monitored. */
  ticker: string;
  /** The predictions log (default `<modelDir>/predictions.jsonl`). */
  logPath?: string;
  /** Where the realised prices come from. */
  request: SeriesRequest;
  /** Rolling window, in resolved signals (default 20). */
  window?: number;
  /** PSI above which a feature or the probabilities are flagged (default 0.25). */
  psiThreshold?: number;
  /** Warnings (skipped lines, other versions' signals). */
  warn?: (line: string) => void;
}

/**
 * Monitors the current version of a model on one ticker: its logged signals
 * joined with the realised prices, overall and rolling scores beside its test
 * scores, and drift of its inputs and outputs against `reference.json`.
 *
 * @example
 * ```ts
 * const result = await monitorModel({ modelDir: "models/lstm", ticker: "SPY", request: {} });
 * console.log(result.alerts.length);
 * ```
 */
export async function monitorModel(options: MonitorOptions): Promise<MonitorResult> {
  const { modelDir: root, ticker } = options;
  const warn = options.warn ?? (() => {});
  const logPath = options.logPath ?? join(root, "predictions.jsonl");
  const window = options.window ?? 20;
  const threshold = options.psiThreshold ?? PSI_SIGNIFICANT;
  const where = await resolveModelDir(root);
  if (!where) throw new DataError(`No model in ${root}; run deno task train first`);
  const card = await readCard(where.dir);
  const test = testScores(card);
  const reference = await readReference(where.dir);
  const { signals: all, malformed } = await readLog(logPath);
  if (malformed.length) {
    warn(
      `warning: skipped ${malformed.length} malformed lines of ${logPath} (first at line ${
        malformed[0]
      })`,
    );
  }
  const signals = keepSignals(all, ticker, where.version, logPath, warn);
  const { series } = await loadModelSeries(card, ticker, options.request);
  const joined = joinSignals(signals, series.bars);
  const { probabilities: probs, labels, pending, unmatched } = joined;
  if (unmatched) {
    warn(
      `warning: ${unmatched} signals of ${ticker} fall on no bar of the price series (${series.source}); left out`,
    );
  }
  const overall = scores(probs, labels);
  const from = Math.max(0, probs.length - window);
  const rolling = {
    window,
    n: probs.length - from,
    ...scores(probs.slice(from), labels.slice(from)),
  };
  const alerts: Alert[] = [];
  if (test.accuracy !== null && rolling.accuracy !== null) {
    const tolerance = ACCURACY_TOLERANCE_SE *
      Math.sqrt(test.accuracy * (1 - test.accuracy) / rolling.n);
    const limit = test.accuracy - tolerance;
    if (rolling.accuracy < limit) {
      alerts.push({
        kind: "accuracy",
        subject: "rolling accuracy",
        value: rolling.accuracy,
        limit,
        message: `rolling accuracy ${rolling.accuracy.toFixed(3)} is below test ${
          test.accuracy.toFixed(3)
        } by more than ${ACCURACY_TOLERANCE_SE} standard errors (${tolerance.toFixed(3)})`,
      });
    }
  }
  const drift = driftOf(reference, signals, threshold, warn);
  const flaggedDrift = driftAlerts(drift, threshold);
  drift.flagged = flaggedDrift.flagged;
  alerts.push(...flaggedDrift.alerts);

  const result: MonitorResult = {
    model: root,
    version: where.version,
    ticker,
    log: logPath,
    resolved: probs.length,
    pending,
    unmatched,
    accuracy: overall.accuracy,
    brier: overall.brier,
    rolling,
    test,
    alerts,
    drift,
  };
  return result;
}
