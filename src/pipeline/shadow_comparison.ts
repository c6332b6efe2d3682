/**
 * The live version of a model against its shadow versions, on the bars its predictions log
 * holds for one ticker where both gave an `ok` signal and whose outcome is known
 * ({@linkcode compareShadows}): accuracy, Brier score and log loss with their skill against the
 * base rate, the paired difference with a block-bootstrap interval, how often they agree, the
 * drift of each, and a verdict in words. The log is append-only; every result is recomputed
 * from it, so a bot restarted mid-comparison loses nothing.
 *
 * @example
 * ```ts
 * import { compareShadows } from "./shadow_comparison.ts";
 * const { comparisons } = await compareShadows({ modelDir: "models/lstm", ticker: "SPY", request: {} });
 * ```
 *
 * @module
 */

import { dirname, join } from "node:path";
import { accuracy, brierScore, logLoss, predictsUp } from "../eval/scores.ts";
import {
  type ConfidenceInterval,
  pairedDifferences,
  type PairedMetric,
  skillWithIntervals,
} from "../eval/metrics.ts";
import { PSI_SIGNIFICANT, readReference, type ReferenceProfile } from "../eval/drift.ts";
import { type ModelCard, readCard } from "../model/card.ts";
import { messageOf, UsageError } from "../util/errors.ts";
import { MIN_EVALUATION_ROWS } from "./score.ts";
import {
  type Drift,
  driftAlerts,
  driftOf,
  joinSignals,
  type LiveLog,
  type LiveLogOptions,
  type LoggedSignal,
  readLiveLog,
} from "./predictions_log.ts";

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

/**
 * Options of {@linkcode compareShadows}.
 *
 * @example
 * ```ts
 * const options: CompareShadowsOptions = { modelDir: "models/lstm", ticker: "SPY", request: {}, shadow: ["v7"] };
 * ```
 */
export interface CompareShadowsOptions extends LiveLogOptions {
  /** PSI above which a feature or the probabilities are flagged (default 0.25). */
  psiThreshold?: number;
  /** Shadow versions to compare with the live one (default: every one the log carries). */
  shadow?: readonly string[];
  /** The metric the comparison's verdict reads (default `brier`). */
  metric?: ShadowMetric;
}

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
    comparisons: await shadowComparisons(live, options.ticker, options, threshold),
  };
}

/** The shadow versions to compare: those asked for, else every one the log's lines carry. */
export async function shadowComparisons(
  live: LiveLog,
  ticker: string,
  options: Pick<CompareShadowsOptions, "shadow" | "metric">,
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
