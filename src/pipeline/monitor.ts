/**
 * Monitoring a model live: its predictions log joined with the prices that
 * followed (overall and rolling accuracy and Brier score, beside its test
 * scores), whether its inputs and outputs drifted away from the training
 * data (population stability index against the model's `reference.json`),
 * and, when the log carries shadow versions' signals (`createLstmSignal`'s
 * `shadow`), each shadow compared with the live version
 * (`src/pipeline/shadow_comparison.ts`). The log is read by
 * `src/pipeline/predictions_log.ts`.
 *
 * @module
 */

import type { ModelCard } from "../model/card.ts";
import { accuracy, brierScore } from "../eval/scores.ts";
import { PSI_SIGNIFICANT, readReference } from "../eval/drift.ts";
import { resolveModelDir } from "../model/versions.ts";
import {
  type Alert,
  type Drift,
  driftAlerts,
  driftOf,
  joinSignals,
  readLiveLog,
} from "./predictions_log.ts";
import {
  type CompareShadowsOptions,
  type ShadowComparison,
  shadowComparisons,
} from "./shadow_comparison.ts";

/** Standard errors of rolling accuracy below test accuracy that raise an alert. */
const ACCURACY_TOLERANCE_SE = 2;

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
 * Options of {@linkcode monitorModel}.
 *
 * @example
 * ```ts
 * const options: MonitorOptions = { modelDir: "models/lstm", ticker: "SPY", request: {} };
 * ```
 */
export interface MonitorOptions extends CompareShadowsOptions {
  /** Rolling window, in resolved signals (default 20). */
  window?: number;
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

function scores(
  probs: number[],
  labels: number[],
): { accuracy: number | null; brier: number | null } {
  if (probs.length === 0) return { accuracy: null, brier: null };
  return { accuracy: accuracy(probs, labels), brier: brierScore(probs, labels) };
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
  const shadows = await shadowComparisons(live, ticker, options, threshold);

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
