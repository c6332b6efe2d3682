/**
 * Monitoring a model live: its predictions log joined with the prices that
 * followed (overall and rolling accuracy and Brier score, beside its test
 * scores) and whether its inputs and outputs drifted away from the training
 * data (population stability index against the model's `reference.json`).
 * When the log carries shadow versions' signals (`createLstmSignal`'s
 * `shadow`), it compares each shadow with the live version on the bars both
 * scored and whose outcome is known ({@linkcode compareShadows}): accuracy,
 * Brier score and log loss with their skill against the base rate, the
 * paired difference with a block-bootstrap interval, how often they agree,
 * the drift of each, and a verdict in words. The log is append-only; every
 * result is recomputed from it, so a bot restarted mid-comparison loses
 * nothing.
 *
 * @module
 */

import { dirname, join } from "node:path";
import type { Bar } from "../data/types.ts";
import { adjustedCloses, upLabel } from "../dataset/window.ts";
import { accuracy, brierScore, logLoss, predictsUp } from "../eval/scores.ts";
import {
  type ConfidenceInterval,
  pairedDifferences,
  type PairedMetric,
  skillWithIntervals,
} from "../eval/metrics.ts";
import {
  populationStability,
  PSI_SIGNIFICANT,
  readReference,
  type ReferenceProfile,
} from "../eval/drift.ts";
import { type ModelCard, readCard } from "../model/card.ts";
import { universeSeriesFor } from "./universe.ts";
import { resolveModelDir } from "../model/versions.ts";
import { DataError, messageOf, UsageError } from "../util/errors.ts";
import { loadModelSeries, type SeriesRequest } from "./series.ts";
import { MIN_EVALUATION_ROWS } from "./score.ts";

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
  /** The shadow versions' signals on the same bar (absent or empty when none ran). */
  shadows?: LoggedShadow[];
}

/**
 * A shadow version's signal, as a log line carries it beside the live one.
 *
 * @example
 * ```ts
 * const s: LoggedShadow = { version: "v7", probabilityUp: 0.55, status: "ok", horizonBars: 1, features: null };
 * ```
 */
export interface LoggedShadow {
  /** The shadow's version. */
  version: string;
  /** Its probability that the price goes up. */
  probabilityUp: number;
  /** Its status (`ok`, `warming-up`, `no-model`, …). */
  status: string;
  /** How many bars ahead it looks. */
  horizonBars: number;
  /** Its own raw feature row when its features differ from the live model's, else `null`. */
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
  drift: Drift;
  /** The live version against each shadow version the log carries (empty when none). */
  shadows: ShadowComparison[];
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
 * The metric a shadow comparison's verdict, and the promotion gate, read:
 * the names of `deno task retrain --metric` that apply to live bars.
 *
 * @example
 * ```ts
 * const metric: ShadowMetric = "brier";
 * ```
 */
export type ShadowMetric = "brier" | "log-loss" | "accuracy";

/**
 * The metric names `--metric` takes for a shadow comparison (`logloss` is
 * `log-loss`'s alias).
 *
 * @example
 * ```ts
 * SHADOW_METRICS.logloss; // "log-loss"
 * ```
 */
export const SHADOW_METRICS: Readonly<Record<string, ShadowMetric>> = Object.freeze({
  brier: "brier",
  "log-loss": "log-loss",
  logloss: "log-loss",
  accuracy: "accuracy",
});

const PAIRED_KEY: Record<ShadowMetric, PairedMetric> = {
  brier: "brier",
  "log-loss": "logLoss",
  accuracy: "accuracy",
};
const METRIC_LABEL: Record<ShadowMetric, string> = {
  brier: "Brier score",
  "log-loss": "log loss",
  accuracy: "accuracy",
};

/**
 * One version's scores on the bars of a shadow comparison.
 *
 * @example
 * ```ts
 * const live: ShadowSide = comparison.live;
 * console.log(live.brier, live.brierSkill.estimate);
 * ```
 */
export interface ShadowSide {
  /** The version. */
  version: string;
  /** Accuracy (up called when the probability is above 0.5). */
  accuracy: number;
  /** Brier score. */
  brier: number;
  /** Log loss. */
  logLoss: number;
  /** Brier skill against the base rate, with its 95% block-bootstrap interval. */
  brierSkill: ConfidenceInterval;
  /** Log-loss skill against the base rate, with its 95% block-bootstrap interval. */
  logLossSkill: ConfidenceInterval;
  /** Drift of its probabilities and inputs on the compared bars; `null` without its `reference.json`. */
  drift: Drift | null;
}

/**
 * The live version against one shadow version, on the bars where both gave
 * an `ok` signal and whose outcome is known: the same rows for both.
 *
 * @example
 * ```ts
 * const c: ShadowComparison = result.shadows[0];
 * console.log(c.verdictText); // "the candidate v2 is no different from v1 on 240 live bars (…)"
 * ```
 */
export interface ShadowComparison {
  /** The ticker compared. */
  ticker: string;
  /** The shadow version (the candidate). */
  candidate: string;
  /** The live version. */
  current: string;
  /** Why the two cannot be compared (another horizon or label), or `null`. */
  problem: string | null;
  /** Bars both scored `ok` whose outcome is known: the compared rows. */
  rows: number;
  /** First and last compared bar, or `null` with no rows. */
  first: string | null;
  /** Last compared bar, or `null`. */
  last: string | null;
  /** Bars both scored `ok` whose outcome is not known yet. */
  pending: number;
  /** Bars the live version scored `ok` and the shadow did not (warming up, not loaded, absent). */
  liveOnly: number;
  /** The base rate the skills are against (the live version's training base rate) and its source. */
  baseRate: { value: number; fittedOn: string } | null;
  /** The live version's scores. */
  live: ShadowSide | null;
  /** The shadow's scores. */
  shadow: ShadowSide | null;
  /** Shadow minus live, each with a paired 95% block-bootstrap interval (the same days for both). */
  difference: Record<PairedMetric, ConfidenceInterval> | null;
  /** Share of compared bars where both call the same side of 0.5. */
  agreement: number | null;
  /** The metric the verdict reads. */
  metric: ShadowMetric;
  /** `better`, `no different` or `worse` (the interval of the difference on `metric`), or `too few bars`. */
  verdict: "better" | "no different" | "worse" | "too few bars";
  /** The verdict in plain words, with its figure. */
  verdictText: string;
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
  const shadows: LoggedShadow[] = Array.isArray(value.shadows)
    ? value.shadows.flatMap((x: unknown) => parseShadow(x) ?? [])
    : [];
  return {
    symbol: value.symbol,
    time: value.time,
    probabilityUp: value.probabilityUp,
    horizonBars: value.horizonBars,
    status: value.status,
    version: typeof value.model?.version === "string" ? value.model.version : null,
    features: featureRow(value.features),
    ...(shadows.length ? { shadows } : {}),
  };
}

function featureRow(value: unknown): number[] | null {
  return Array.isArray(value) ? value.map((x: unknown) => (typeof x === "number" ? x : NaN)) : null;
}

/** One entry of a line's `shadows`, or `null` when it is malformed (the line still counts). */
function parseShadow(value: unknown): LoggedShadow | null {
  const v = value as Record<string, unknown> | null;
  if (
    typeof v !== "object" || v === null || typeof v.version !== "string" ||
    typeof v.status !== "string" || typeof v.probabilityUp !== "number" ||
    !Number.isInteger(v.horizonBars) || (v.horizonBars as number) < 1
  ) {
    return null;
  }
  return {
    version: v.version,
    probabilityUp: v.probabilityUp,
    status: v.status,
    horizonBars: v.horizonBars as number,
    features: featureRow(v.features),
  };
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
  /** Shadow versions to compare with the live one (default: every one the log carries). */
  shadow?: readonly string[];
  /** The metric the comparison's verdict reads (default `brier`). */
  metric?: ShadowMetric;
  /** Warnings (skipped lines, other versions' signals). */
  warn?: (line: string) => void;
}

/** The log of the live version on one ticker, joined with the bars that followed. */
interface LiveLog {
  root: string;
  version: string;
  dir: string;
  card: ModelCard;
  logPath: string;
  /** Its ok signals, one per bar (the last logged), in time order. */
  signals: LoggedSignal[];
  bars: readonly Bar[];
  source: string;
  labelAt?: (i: number, horizon: number) => 0 | 1 | undefined;
}

async function readLiveLog(
  options: Pick<MonitorOptions, "modelDir" | "ticker" | "logPath" | "request" | "warn">,
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
  return {
    root,
    version: where.version,
    dir: where.dir,
    card,
    logPath,
    signals,
    bars: series.bars,
    source: series.source,
    labelAt: universe?.labelAt,
  };
}

/**
 * Monitors the current version of a model on one ticker: its logged signals
 * joined with the realised prices, overall and rolling scores beside its test
 * scores, drift of its inputs and outputs against `reference.json`, and each
 * shadow version the log carries compared with it ({@linkcode compareShadows}).
 *
 * @example
 * ```ts
 * const result = await monitorModel({ modelDir: "models/lstm", ticker: "SPY", request: {} });
 * console.log(result.alerts.length);
 * ```
 */
export async function monitorModel(options: MonitorOptions): Promise<MonitorResult> {
  const { ticker } = options;
  const warn = options.warn ?? (() => {});
  const window = options.window ?? 20;
  const threshold = options.psiThreshold ?? PSI_SIGNIFICANT;
  // The drift reference first: a model without one fails before any warning about the log.
  const where = await resolveModelDir(options.modelDir);
  const reference = where ? await readReference(where.dir) : null;
  const live = await readLiveLog(options);
  const { card, signals } = live;
  const test = testScores(card);
  const joined = joinSignals(signals, live.bars, live.labelAt);
  const { probabilities: probs, labels, pending, unmatched } = joined;
  if (unmatched) {
    warn(
      `warning: ${unmatched} signals of ${ticker} fall on no bar of the price series (${live.source}); left out`,
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
  const drift = driftOf(reference!, signals, threshold, warn);
  const flaggedDrift = driftAlerts(drift, threshold);
  drift.flagged = flaggedDrift.flagged;
  alerts.push(...flaggedDrift.alerts);
  const shadows = await comparisons(live, ticker, options, threshold);

  const result: MonitorResult = {
    model: live.root,
    version: live.version,
    ticker,
    log: live.logPath,
    resolved: probs.length,
    pending,
    unmatched,
    accuracy: overall.accuracy,
    brier: overall.brier,
    rolling,
    test,
    alerts,
    drift,
    shadows,
  };
  return result;
}

/**
 * Options of {@linkcode compareShadows}.
 *
 * @example
 * ```ts
 * const options: CompareShadowsOptions = { modelDir: "models/lstm", ticker: "SPY", request: {}, shadow: ["v7"] };
 * ```
 */
export type CompareShadowsOptions = Omit<MonitorOptions, "window">;

/**
 * What {@linkcode compareShadows} returns.
 *
 * @example
 * ```ts
 * const { version, comparisons }: ShadowComparisons = await compareShadows(options);
 * ```
 */
export interface ShadowComparisons {
  /** The versioned model folder. */
  model: string;
  /** The live (current) version. */
  version: string;
  /** The ticker. */
  ticker: string;
  /** The predictions log read. */
  log: string;
  /** One comparison per shadow version. */
  comparisons: ShadowComparison[];
}

/**
 * Compares the live (current) version of a model with shadow versions on the
 * bars its predictions log holds for one ticker: only bars where both gave
 * an `ok` signal and whose outcome the price series knows, so both are
 * scored on the same rows (a bot that restarts and logs a bar again: the
 * last line counts). Recomputed from the log every time.
 *
 * @example
 * ```ts
 * const { comparisons } = await compareShadows({
 *   modelDir: "models/lstm", ticker: "SPY", request: {}, shadow: ["v7"],
 * });
 * console.log(comparisons[0].verdictText);
 * ```
 */
export async function compareShadows(options: CompareShadowsOptions): Promise<ShadowComparisons> {
  const live = await readLiveLog(options);
  const threshold = options.psiThreshold ?? PSI_SIGNIFICANT;
  return {
    model: live.root,
    version: live.version,
    ticker: options.ticker,
    log: live.logPath,
    comparisons: await comparisons(live, options.ticker, options, threshold),
  };
}

/** The shadow versions to compare: those asked for, else every one the log's lines carry. */
async function comparisons(
  live: LiveLog,
  ticker: string,
  options: Pick<MonitorOptions, "shadow" | "metric">,
  threshold: number,
): Promise<ShadowComparison[]> {
  const versions = options.shadow ??
    [...new Set(live.signals.flatMap((s) => (s.shadows ?? []).map((x) => x.version)))];
  const out: ShadowComparison[] = [];
  for (const version of versions) {
    if (version === live.version) {
      throw new UsageError(
        `Expected a shadow version other than the live one, found ${version}, which is live`,
      );
    }
    out.push(await compareOne(live, ticker, version, options.metric ?? "brier", threshold));
  }
  return out;
}

/** Reads a version's card and reference profile beside the live one, `null` for what is missing. */
async function versionFiles(
  live: LiveLog,
  version: string,
): Promise<{ card: ModelCard | null; reference: ReferenceProfile | null; problem: string | null }> {
  // The live version's folder is <root>/<version> for a versioned root; a shadow is its sibling.
  const dir = join(dirname(live.dir), version);
  let card: ModelCard | null = null;
  let problem: string | null = null;
  try {
    card = await readCard(dir);
  } catch (error) {
    problem = `the model card of ${version} cannot be read: ${messageOf(error)}`;
  }
  const reference = await readReference(dir).catch(() => null);
  return { card, reference, problem };
}

async function compareOne(
  live: LiveLog,
  ticker: string,
  version: string,
  metric: ShadowMetric,
  threshold: number,
): Promise<ShadowComparison> {
  const { card, reference: shadowReference, problem: unreadable } = await versionFiles(
    live,
    version,
  );
  let problem = unreadable;
  const liveReference = await readReference(live.dir).catch(() => null);
  const horizon = live.card.horizon;
  const label = live.card.label ?? "up";
  if (!problem && card && card.horizon !== horizon) {
    problem =
      `Expected ${version} to look ${horizon} bars ahead like ${live.version}, found ${card.horizon}: their labels differ`;
  } else if (!problem && card && (card.label ?? "up") !== label) {
    problem = `Expected ${version} to predict the label "${label}" like ${live.version}, found "${
      card.label ?? "up"
    }"`;
  }
  // The bars both scored ok: the live line's probability and the shadow entry's, side by side.
  const paired: { live: LoggedSignal; shadow: LoggedSignal }[] = [];
  let liveOnly = 0;
  for (const s of live.signals) {
    const entry = s.shadows?.find((x) => x.version === version);
    if (!entry || entry.status !== "ok" || entry.horizonBars !== s.horizonBars) {
      liveOnly++;
      continue;
    }
    paired.push({
      live: s,
      shadow: {
        ...s,
        probabilityUp: entry.probabilityUp,
        version,
        features: entry.features ?? s.features,
      },
    });
  }
  const a = joinSignals(paired.map((p) => p.live), live.bars, live.labelAt);
  const b = joinSignals(paired.map((p) => p.shadow), live.bars, live.labelAt);
  const rows = problem ? 0 : a.labels.length;
  const base: ShadowComparison = {
    ticker,
    candidate: version,
    current: live.version,
    problem,
    rows,
    first: rows ? a.times[0] : null,
    last: rows ? a.times[rows - 1] : null,
    pending: a.pending,
    liveOnly,
    baseRate: null,
    live: null,
    shadow: null,
    difference: null,
    agreement: null,
    metric,
    verdict: "too few bars",
    verdictText: "",
  };
  if (problem) {
    base.verdictText = `${version} cannot be compared with ${live.version}: ${problem}`;
    return base;
  }
  if (rows === 0) {
    base.verdictText =
      `no live bar yet on which both ${live.version} and ${version} gave an ok signal and the outcome is known`;
    return base;
  }
  const baseRate = liveBaseRate(live.card, a.labels, a.times);
  const climatology = new Float64Array(rows).fill(baseRate.value);
  const side = (
    v: string,
    probs: number[],
    ref: ReferenceProfile | null,
    signals: LoggedSignal[],
  ): ShadowSide => {
    const skill = skillWithIntervals(probs, a.labels, climatology);
    return {
      version: v,
      accuracy: accuracy(probs, a.labels),
      brier: brierScore(probs, a.labels),
      logLoss: logLoss(probs, a.labels),
      brierSkill: skill.brierSkill,
      logLossSkill: skill.logLossSkill,
      drift: ref ? pairedDrift(ref, signals, threshold) : null,
    };
  };
  let agree = 0;
  for (let k = 0; k < rows; k++) {
    if (predictsUp(a.probabilities[k]) === predictsUp(b.probabilities[k])) agree++;
  }
  const difference = pairedDifferences(b.probabilities, a.probabilities, a.labels);
  const comparison: ShadowComparison = {
    ...base,
    baseRate,
    live: side(live.version, a.probabilities, liveReference, paired.map((p) => p.live)),
    shadow: side(version, b.probabilities, shadowReference, paired.map((p) => p.shadow)),
    difference,
    agreement: agree / rows,
  };
  return { ...comparison, ...verdictOf(comparison) };
}

/** The live version's training base rate (from its calibration), else the earliest half's. */
function liveBaseRate(
  card: ModelCard,
  labels: readonly number[],
  times: readonly string[],
): { value: number; fittedOn: string } {
  if (card.calibration) {
    return {
      value: card.calibration.baseRate,
      fittedOn:
        `the live version's training rows (${card.data.ranges.train.first} to ${card.data.ranges.train.last})`,
    };
  }
  const half = Math.max(1, Math.floor(labels.length / 2));
  const value = labels.slice(0, half).reduce((x, y) => x + y, 0) / half;
  return {
    value,
    fittedOn: `the earliest ${half} compared bars (to ${
      times[half - 1]
    }), in sample there: the live version's card records no training base rate`,
  };
}

/** Drift of a version's probabilities and inputs on the compared bars (no warnings). */
function pairedDrift(
  reference: ReferenceProfile,
  signals: LoggedSignal[],
  threshold: number,
): Drift {
  const drift = driftOf(reference, signals, threshold, () => {});
  drift.flagged = driftAlerts(drift, threshold).flagged;
  return drift;
}

/** The verdict of a comparison: the interval of the difference on its metric, in words. */
function verdictOf(c: ShadowComparison): Pick<ShadowComparison, "verdict" | "verdictText"> {
  const d = c.difference![PAIRED_KEY[c.metric]];
  const label = METRIC_LABEL[c.metric];
  const f = (v: number): string => (Number.isNaN(v) ? "–" : (v >= 0 ? "+" : "") + v.toFixed(4));
  const figure = `${label} ${c.candidate} − ${c.current}: ${f(d.estimate)} [${f(d.lower)}, ${
    f(d.upper)
  }]`;
  const bars = `${c.rows} live bars`;
  if (c.rows < MIN_EVALUATION_ROWS) {
    return {
      verdict: "too few bars",
      verdictText:
        `too few live bars to tell: ${c.rows} (at least ${MIN_EVALUATION_ROWS}) on which both gave an ok signal with a known outcome (${figure})`,
    };
  }
  const lowerIsBetter = c.metric !== "accuracy";
  const better = lowerIsBetter ? d.upper < 0 : d.lower > 0;
  const worse = lowerIsBetter ? d.lower > 0 : d.upper < 0;
  const verdict = better ? "better" : worse ? "worse" : "no different";
  const words = better ? "better than" : worse ? "worse than" : "no different from";
  return {
    verdict,
    verdictText: `the candidate ${c.candidate} is ${words} ${c.current} on ${bars} (${figure})`,
  };
}
