/**
 * The page of `deno task retrain`: the data, the holdout, the metric, both
 * versions' scores side by side and the decision with its reason; and one
 * line per scheduled run.
 *
 * @example
 * ```ts
 * import { retrainModel } from "../pipeline/retrain.ts";
 * import { retrainText } from "./retrain.ts";
 * console.log(retrainText(await retrainModel(options)));
 * ```
 *
 * @module
 */

import { RETRAIN_METRICS, type RetrainResult, type VersionScores } from "../pipeline/retrain.ts";
import type { RetrainLogEntry } from "../pipeline/schedule.ts";
import { formatTable } from "../util/table.ts";
import { fixed } from "./format.ts";

function table(result: RetrainResult): string {
  const row = (label: string, s: VersionScores | null): string[] =>
    s === null ? [label, "none", "–", "–", "–", "–", "–"] : [
      label,
      s.version,
      fixed(s.metrics.accuracy),
      fixed(s.metrics.auc),
      fixed(s.metrics.logLoss),
      fixed(s.metrics.brier),
      String(result.holdout.rows),
    ];
  const { candidate } = result;
  return formatTable([
    ["", "version", "accuracy", "auc", "log loss", "brier", "rows"],
    row("current", result.current),
    row("candidate", {
      ...candidate,
      version: candidate.saved ? candidate.version : `(${candidate.version})`,
    }),
  ], { indent: "  " });
}

/**
 * The human text of a retrain: the data, the holdout, the metric, both
 * versions' scores side by side and the decision with its reason.
 *
 * @example
 * ```ts
 * console.log(retrainText(await retrainModel(options)));
 * ```
 */
export function retrainText(r: RetrainResult): string {
  const m = RETRAIN_METRICS[r.metric.name];
  const trained = r.candidate.trained;
  return [
    `retrain ${r.model} on ${r.ticker} (${r.source}, ${r.data.bars} bars to ${r.data.last}${
      r.data.added ? `, ${r.data.added} new` : ""
    })`,
    `holdout: ${r.holdout.first} to ${r.holdout.last} (${r.holdout.rows} rows, ${
      fixed(r.holdout.baseRate)
    } up); the candidate learned from ${trained.train.first} to ${trained.validation.last} (its own test split to ${trained.test.last})`,
    `metric: ${m.label} (${
      m.lowerIsBetter ? "lower" : "higher"
    } is better), tolerance ${r.metric.tolerance}`,
    table(r),
    `decision: ${r.decision}: ${r.reason}`,
    ...r.notes.map((n) => `note: ${n}`),
  ].join("\n");
}

/**
 * One run's decision in one human line.
 *
 * @example
 * ```ts
 * retrainLogLine(entry);
 * // "2024-01-08T06:00:00.000Z models/lstm: promoted v3 (log-loss 0.6921 vs 0.6930 for v2)"
 * ```
 */
export function retrainLogLine(entry: RetrainLogEntry): string {
  const head = `${entry.startedAt} ${entry.model}:`;
  if (entry.decision === "failed") return `${head} failed: ${entry.reason}`;
  const m = entry.metric;
  const num = (x: number | null | undefined): string =>
    x === null || x === undefined ? "n/a" : x.toFixed(4);
  const against = entry.current
    ? ` vs ${num(m?.current)} for ${entry.current}`
    : ", no current version";
  return `${head} ${entry.decision} ${entry.candidate} (${m?.name} ${
    num(m?.candidate)
  }${against}; holdout ${entry.holdout?.first} to ${entry.holdout?.last})`;
}
