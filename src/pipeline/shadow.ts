/**
 * Promotion from the shadow record: a candidate that ran as a shadow beside
 * the live version (`createLstmSignal`'s `shadow`, `deno task models shadow`)
 * replaces it only when its live comparison ({@linkcode compareShadows},
 * recomputed from the append-only predictions log) passes the same kind of
 * gate `retrain` uses ({@linkcode promotionDecision}: a metric, a tolerance)
 * on at least a minimum number of live bars. Every gate decision is appended,
 * with its numbers, to {@linkcode SHADOW_PROMOTION_FILE} in the candidate's
 * version folder (beside `retrain.json`, which records the holdout decision
 * of a retrain); the model files themselves are never touched.
 *
 * @example
 * ```ts
 * import { promoteFromShadow } from "./shadow.ts";
 * const result = await promoteFromShadow({ modelRoot: "models/lstm", request: {}, dryRun: true });
 * console.log(result.decision, result.reason);
 * ```
 *
 * @module
 */

import { join } from "node:path";
import type { ConfidenceInterval, PairedMetric } from "../eval/metrics.ts";
import { readCard } from "../model/card.ts";
import { checkModelFolder } from "../model/store.ts";
import {
  promote,
  readPointer,
  readShadow,
  resolveModelDir,
  type VersionPointer,
  writeShadow,
} from "../model/versions.ts";
import { atomicWriteFile } from "../util/fs.ts";
import { DataError, messageOf, UsageError } from "../util/errors.ts";
import {
  compareShadows,
  type ShadowComparison,
  type ShadowMetric,
  type ShadowSide,
} from "./shadow_comparison.ts";
import { promotionDecision, RETRAIN_METRICS, type RetrainDecision } from "./retrain.ts";
import { requestedTickers, type SeriesRequest } from "./series.ts";

/**
 * The file in a version folder that records the shadow-promotion decisions
 * made about it, oldest first: `{"decisions": [ShadowDecisionRecord, ...]}`.
 *
 * @example
 * ```ts
 * const { decisions } = JSON.parse(await Deno.readTextFile(`models/lstm/v7/${SHADOW_PROMOTION_FILE}`));
 * ```
 */
export const SHADOW_PROMOTION_FILE = "shadow_promotion.json";

/**
 * Live bars (compared, with known outcomes) a shadow needs before the gate
 * decides: about three months of daily bars.
 *
 * @example
 * ```ts
 * DEFAULT_MIN_LIVE_BARS; // 60
 * ```
 */
export const DEFAULT_MIN_LIVE_BARS = 60;

/**
 * Options of {@linkcode promoteFromShadow}.
 *
 * @example
 * ```ts
 * const options: ShadowPromotionOptions = {
 *   modelRoot: "models/lstm", request: { csv: "SPY.csv" }, metric: "brier", tolerance: 0, minBars: 60,
 * };
 * ```
 */
export interface ShadowPromotionOptions {
  /** The versioned model folder. */
  modelRoot: string;
  /** The shadow version to judge (default: the only one `shadow.json` names, else the log carries). */
  shadow?: string;
  /** The ticker of the live bars (default: the CSV file's name, else the live version's own). */
  ticker?: string;
  /** The predictions log (default `<modelRoot>/predictions.jsonl`). */
  logPath?: string;
  /** Where the realised prices come from. */
  request: SeriesRequest;
  /** The metric compared (default `brier`). */
  metric?: ShadowMetric;
  /** How much worse the candidate may be, in the metric's units (default 0). */
  tolerance?: number;
  /** Compared live bars needed before deciding (default {@linkcode DEFAULT_MIN_LIVE_BARS}). */
  minBars?: number;
  /** Decide and write nothing (default false). */
  dryRun?: boolean;
  /** Warnings (skipped log lines, other versions' signals). */
  warn?: (line: string) => void;
}

/**
 * One version's scores in a decision record.
 *
 * @example
 * ```ts
 * const s: RecordedScores = record.candidate;
 * ```
 */
export interface RecordedScores {
  /** The version. */
  version: string;
  /** Its scores on the compared bars (skills against the live version's training base rate). */
  metrics: {
    accuracy: number;
    brier: number;
    logLoss: number;
    brierSkill: number;
    logLossSkill: number;
  };
}

/**
 * One gate decision, as {@linkcode SHADOW_PROMOTION_FILE} records it.
 *
 * @example
 * ```ts
 * const last: ShadowDecisionRecord = (await readShadowDecisions("models/lstm/v7")).at(-1)!;
 * console.log(last.decision, last.live.rows);
 * ```
 */
export interface ShadowDecisionRecord {
  /** `promoted` or `rejected`. */
  decision: RetrainDecision;
  /** Why, in words. */
  reason: string;
  /** When, ISO time. */
  decidedAt: string;
  /** The live record the decision read: ticker, log, compared bars and their range. */
  live: { ticker: string; log: string; rows: number; first: string; last: string };
  /** The metric, tolerance and minimum of live bars. */
  metric: {
    name: ShadowMetric;
    key: PairedMetric;
    lowerIsBetter: boolean;
    tolerance: number;
    minBars: number;
  };
  /** The live version's scores. */
  current: RecordedScores;
  /** The candidate's scores. */
  candidate: RecordedScores;
  /** Candidate minus live, with paired 95% block-bootstrap intervals. */
  difference: Record<PairedMetric, ConfidenceInterval>;
  /** Share of compared bars where both called the same side of 0.5. */
  agreement: number;
  /** The comparison's verdict in words. */
  verdict: string;
}

/**
 * What {@linkcode promoteFromShadow} did: the object `deno task models
 * promote --from-shadow --json` prints.
 *
 * @example
 * ```ts
 * const result: ShadowPromotionResult = await promoteFromShadow(options);
 * console.log(result.promoted, result.pointer?.current);
 * ```
 */
export interface ShadowPromotionResult {
  /** The versioned model folder. */
  model: string;
  /** The live version judged against. */
  current: string;
  /** The shadow version judged. */
  candidate: string;
  /** The comparison the gate read. */
  comparison: ShadowComparison;
  /** The metric, tolerance and minimum of live bars. */
  metric: ShadowDecisionRecord["metric"];
  /** What was (or would be) done. */
  decision: RetrainDecision;
  /** Why, in words. */
  reason: string;
  /** Whether the candidate passed the gate. */
  accept: boolean;
  /** Whether the pointer now names the candidate. */
  promoted: boolean;
  /** Whether this was a dry run. */
  dryRun: boolean;
  /** Where the decision was recorded, or `null` in a dry run. */
  record: string | null;
  /** The pointer after the run. */
  pointer: VersionPointer | null;
  /** The shadow versions after the run. */
  shadow: string[];
}

/**
 * The shadow-promotion decisions recorded in a version folder, oldest first
 * (`[]` when there are none or the file is unreadable).
 *
 * @example
 * ```ts
 * (await readShadowDecisions("models/lstm/v7")).at(-1)?.decision; // "promoted"
 * ```
 */
export async function readShadowDecisions(dir: string): Promise<ShadowDecisionRecord[]> {
  try {
    const value = JSON.parse(await Deno.readTextFile(join(dir, SHADOW_PROMOTION_FILE)));
    return Array.isArray(value?.decisions) ? value.decisions : [];
  } catch {
    return [];
  }
}

/** The shadow version a promotion judges: the one named, else the only one recorded. */
async function whichShadow(root: string, named: string | undefined): Promise<string> {
  if (named !== undefined) return named;
  const listed = await readShadow(root);
  if (listed.length === 1) return listed[0];
  if (listed.length > 1) {
    throw new UsageError(
      `Expected one shadow version to promote, found ${
        listed.join(", ")
      } in shadow.json; name the one to promote`,
    );
  }
  throw new DataError(
    `Expected a shadow version in ${root}/shadow.json, found none; name one, or run a shadow version first`,
  );
}

function recorded(side: ShadowSide): RecordedScores {
  return {
    version: side.version,
    metrics: {
      accuracy: side.accuracy,
      brier: side.brier,
      logLoss: side.logLoss,
      brierSkill: side.brierSkill.estimate,
      logLossSkill: side.logLossSkill.estimate,
    },
  };
}

/**
 * Judges a shadow version on the live record and promotes it when it passes:
 * recomputes the comparison with the live version from the predictions log
 * ({@linkcode compareShadows}); refuses (a `DataError`, nothing written) when
 * the two cannot be compared or fewer than `minBars` compared bars have a
 * known outcome; otherwise decides with {@linkcode promotionDecision} (the
 * candidate may be worse by at most `tolerance` on `metric`), appends the
 * decision with its numbers to the candidate's
 * {@linkcode SHADOW_PROMOTION_FILE}, and, when it passes, makes the candidate
 * current and drops it from `shadow.json`. A dry run decides and writes
 * nothing.
 *
 * @example
 * ```ts
 * const result = await promoteFromShadow({
 *   modelRoot: "models/lstm", request: {}, metric: "brier", tolerance: 0.001, minBars: 120,
 * });
 * console.log(result.decision, result.reason);
 * ```
 */
export async function promoteFromShadow(
  options: ShadowPromotionOptions,
): Promise<ShadowPromotionResult> {
  const root = options.modelRoot;
  const metricName = options.metric ?? "brier";
  const metric = RETRAIN_METRICS[metricName];
  const tolerance = options.tolerance ?? 0;
  const minBars = options.minBars ?? DEFAULT_MIN_LIVE_BARS;
  const dryRun = options.dryRun ?? false;
  if (!Number.isFinite(tolerance)) {
    throw new UsageError(`Expected a finite tolerance, found ${tolerance}`);
  }
  if (!Number.isInteger(minBars) || minBars < 1) {
    throw new UsageError(`Expected at least 1 as the minimum of live bars, found ${minBars}`);
  }
  const where = await resolveModelDir(root);
  if (!where || where.dir === root) {
    throw new DataError(
      `Expected a versioned model folder with current.json at ${root}, found ${
        where ? "a single model folder" : "no model"
      }`,
    );
  }
  const candidate = await whichShadow(root, options.shadow);
  const card = await readCard(where.dir);
  const tickers = requestedTickers(card, { ticker: options.ticker, csv: options.request.csv });
  if (tickers.length !== 1) {
    throw new UsageError(`Expected one ticker, found ${tickers.join(",")}`, {
      options: ["ticker"],
    });
  }
  const { comparisons, log } = await compareShadows({
    modelDir: root,
    ticker: tickers[0],
    logPath: options.logPath,
    request: options.request,
    shadow: [candidate],
    metric: metricName,
    warn: options.warn,
  });
  const comparison = comparisons[0];
  const current = where.version;
  if (comparison.problem) {
    throw new DataError(
      `Cannot promote ${candidate} from the shadow record: ${comparison.problem}`,
    );
  }
  if (comparison.rows < minBars || !comparison.live || !comparison.shadow) {
    throw new DataError(
      `Expected at least ${minBars} live bars of ${
        tickers[0]
      } on which both ${current} and ${candidate} gave an ok signal and the outcome is known, found ${comparison.rows} in ${log}${
        comparison.pending ? ` (${comparison.pending} more pending)` : ""
      }; keep the shadow running, or lower the minimum of live bars`,
    );
  }
  const key = metric.key as PairedMetric;
  const gate = promotionDecision({
    metric: metricName,
    tolerance,
    candidate: comparison.shadow[key],
    current: comparison.live[key],
    interrupted: false,
    dryRun,
    modelRoot: root,
  });
  const reason = `on ${comparison.rows} live bars of ${
    tickers[0]
  } (${comparison.first} to ${comparison.last}): ${gate.reason}`;
  const metricRecord = {
    name: metricName,
    key,
    lowerIsBetter: metric.lowerIsBetter,
    tolerance,
    minBars,
  };
  const result: ShadowPromotionResult = {
    model: root,
    current,
    candidate,
    comparison,
    metric: metricRecord,
    decision: gate.decision,
    reason,
    accept: gate.accept,
    promoted: false,
    dryRun,
    record: null,
    pointer: await readPointer(root),
    shadow: await readShadow(root),
  };
  if (dryRun) return result;

  const dir = join(root, candidate);
  if (gate.accept) {
    try {
      await checkModelFolder(dir);
    } catch (error) {
      throw new DataError(
        `Expected ${candidate} in ${root} to be a complete model, found: ${messageOf(error)}`,
      );
    }
  }
  const record: ShadowDecisionRecord = {
    decision: gate.decision,
    reason,
    decidedAt: new Date().toISOString(),
    live: {
      ticker: tickers[0],
      log,
      rows: comparison.rows,
      first: comparison.first!,
      last: comparison.last!,
    },
    metric: metricRecord,
    current: recorded(comparison.live),
    candidate: recorded(comparison.shadow),
    difference: comparison.difference!,
    agreement: comparison.agreement!,
    verdict: comparison.verdictText,
  };
  const decisions = [...await readShadowDecisions(dir), record];
  result.record = join(dir, SHADOW_PROMOTION_FILE);
  await atomicWriteFile(result.record, JSON.stringify({ decisions }, null, 2) + "\n");
  if (gate.accept) {
    result.pointer = await promote(root, candidate);
    result.promoted = true;
    const remaining = result.shadow.filter((v) => v !== candidate);
    if (remaining.length !== result.shadow.length) {
      result.shadow = await writeShadow(root, remaining);
    }
  }
  return result;
}
