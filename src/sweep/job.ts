/**
 * One sweep job, run where it lands (a local pool process or a queue
 * worker's process): the configuration's train flags checked by the fit
 * settings' one schema (as `deno task train`'s are), its bars loaded by train's rule, the bars cut
 * so that every job of the sweep scores the same reference bars, then the
 * pipeline's walk-forward evaluation: on the selection period's folds, or
 * (a `confirm` job) retrained on everything before the holdout and scored on
 * the holdout alone. The result carries the scores and the scored rows, so
 * the leaderboard can compare configurations row by row.
 *
 * @example
 * ```ts
 * import { runJob } from "./job.ts";
 * const result = await runJob(job, { log: console.error });
 * console.log(result.status, result.evaluation?.metrics.brierSkill);
 * ```
 *
 * @module
 */

import type { Bar } from "../data/types.ts";
import {
  DEFAULT_FEATURES,
  DEFAULT_OPEN_FEATURES,
  featureNames,
  type FeatureSpec,
  resolveFeatureSpecs,
  warmupBars,
} from "../features/mod.ts";
import { selectBackend } from "../model/backend.ts";
import { withTrainingThreads } from "../model/train.ts";
import type { CardDraft } from "../model/card.ts";
import { resolveKernel } from "../model/fast/layers.ts";
import {
  DEFAULT_SEED,
  type EvaluationModel,
  type FitSettings,
  loadTrainingSeries,
  walkForward,
  type WalkForwardEvaluation,
} from "../pipeline/mod.ts";
import { fitOptionsOfFlags, fitSettings } from "../pipeline/settings.ts";
import { DataError, messageOf, UsageError } from "../util/errors.ts";
import { checkFolder } from "../util/paths.ts";
import { sha256Hex } from "../util/fs.ts";
import type { DataEntry, JobProtocol, SweepJob } from "./spec.ts";

/**
 * The scored rows of a job, for paired comparisons: one entry per row, in
 * time order; `key` identifies the rows (their times and labels), so two
 * jobs with the same key scored the same rows.
 *
 * @example
 * ```ts
 * const rows: JobRows = { key: "9f…", labels: "0110", probabilities: [0.52, 0.49, 0.51, 0.5], climatology: [0.53, 0.53, 0.53, 0.53] };
 * ```
 */
export interface JobRows {
  /** Hash of the rows' reference times and labels, 16 hex digits. */
  key: string;
  /** The labels as a string of 0 and 1. */
  labels: string;
  /** The model's up-probabilities, 6 decimals. */
  probabilities: number[];
  /** The climatology forecast of each row (its fold's training base rate), 6 decimals. */
  climatology: number[];
}

/**
 * What one job produced: one line of `results.jsonl`. A job that fails for
 * its own reasons (bad flag values, too little data: a usage or data error)
 * has `status: "failed"` and its one-line `error`.
 *
 * @example
 * ```ts
 * const r: JobResult = await runJob(job);
 * if (r.status === "ok") console.log(r.evaluation!.metrics.brierSkill, r.wallSeconds);
 * ```
 */
export interface JobResult {
  /** The job's id (hash of its canonical configuration and protocol). */
  id: string;
  /** The sweep it belongs to. */
  sweep: string;
  /** `select` or `confirm`. */
  kind: SweepJob["kind"];
  /** `ok`, or `failed` for a job's own error. */
  status: "ok" | "failed";
  /** The one-line error of a failed job. */
  error?: string;
  /** The configuration: data entry and train flags. */
  data: DataEntry;
  /** Train flags, the model seed included. */
  flags: Record<string, string>;
  /** The protocol it was scored under. */
  protocol: JobProtocol;
  /** Who ran it (`local-2`, `host:pid/1`). */
  worker: string;
  /** Seconds from start to result, data loading included. */
  wallSeconds: number;
  /** When it finished (ISO time). */
  finishedAt: string;
  /** The bars it used: symbol, source, range and a hash of their content. */
  series?: {
    symbol: string;
    source: string;
    bars: number;
    first: string;
    last: string;
    sha256: string;
  };
  /** The reference bars of the holdout (the same for every job of the data entry). */
  holdout?: { first: string; last: string; rows: number };
  /** The walk-forward evaluation: pooled scores at the top level, each fold's in `folds`. */
  evaluation?: Omit<WalkForwardEvaluation, "model">;
  /** The scored rows. */
  rows?: JobRows;
}

/**
 * Options of {@linkcode runJob}.
 *
 * @example
 * ```ts
 * const options: RunJobOptions = { worker: "local-1", log: console.error };
 * ```
 */
export interface RunJobOptions {
  /** Who runs it (default `local`). */
  worker?: string;
  /** Progress lines (one per fold). */
  log?: (line: string) => void;
  /** Threads its training may use (default: every core); not part of the job. */
  threads?: number;
}

const round6 = (v: number): number => Number(v.toFixed(6));

/**
 * Where a job's rows lie in its bars: the first reference bar every job of
 * the sweep can use, the last one before the holdout (leaving the longest
 * horizon between them, so no selection label reaches a holdout return), and
 * the holdout's reference bars.
 *
 * @example
 * ```ts
 * const cut = holdoutPlan(bars, protocol); // { first: 92, lastSelect: 800, holdoutStart: 802, last: 1000 }
 * ```
 */
export function holdoutPlan(
  bars: readonly Pick<Bar, "time">[],
  protocol: JobProtocol,
): { first: number; lastSelect: number; holdoutStart: number; last: number } {
  const first = protocol.firstReference;
  const last = bars.length - 1 - protocol.horizon;
  const usable = last - first + 1;
  if (usable < 2) {
    throw new DataError(
      `Expected more than ${
        first + protocol.horizon + 2
      } bars (warm-up, the longest window and horizon of the sweep), found ${bars.length}`,
    );
  }
  const h = protocol.holdout;
  const rows = "fraction" in h
    ? Math.round(usable * h.fraction)
    : "rows" in h
    ? h.rows
    : bars.slice(first, last + 1).filter((b) => b.time.slice(0, 10) >= h.start).length;
  const lastSelect = last - rows - protocol.horizon;
  if (rows < 1 || lastSelect - first + 1 < Math.max(rows, 2)) {
    throw new DataError(
      `Expected a holdout of at least one row and at most the rows before it (${usable} usable reference bars from ${
        bars[first].time
      } to ${bars[last].time}), found ${rows} holdout rows`,
    );
  }
  return { first, lastSelect, holdoutStart: last - rows + 1, last };
}

/**
 * An untrained configuration in the shape walk-forward reads a saved model
 * in: walk-forward retrains the architecture and hyperparameters of
 * `info.card` on every fold and reads nothing else of the model, so a
 * configuration needs no saved one. The card's ranges and metrics are empty
 * (nothing was trained yet).
 */
function configurationModel(
  fit: FitSettings,
  series: { symbol: string; source: string; interval: string },
  backend: string,
): Pick<EvaluationModel, "info"> {
  const none = { first: "", last: "", rows: 0 };
  const unscored = { loss: null, accuracy: null };
  const card: CardDraft = {
    arch: fit.arch,
    hyperparameters: {
      ...fit.hyperparameters,
      epochs: fit.epochs,
      batchSize: fit.batchSize,
      patience: fit.patience,
    },
    features: resolveFeatureSpecs(jobFeatures(fit)).map((f) => ({
      name: f.name,
      params: { ...f.params } as Record<string, number>,
    })),
    sequenceLength: fit.sequenceLength,
    nFeatures: featureNames(jobFeatures(fit)).length,
    ...(fit.datasetOptions.decideAt === "open" ? { decideAt: "open" as const } : {}),
    horizon: fit.horizon,
    data: {
      source: series.source,
      ticker: series.symbol,
      interval: series.interval,
      ranges: { train: none, validation: none, test: none },
    },
    seed: fit.seed,
    backend,
    metrics: { train: unscored, validation: unscored, test: unscored },
    testBaseRate: null,
    interrupted: false,
    bestEpoch: 0,
    epochsRun: 0,
  };
  return { info: { dir: "(sweep configuration)", version: "unsaved", card } };
}

async function seriesHash(bars: readonly Bar[]): Promise<string> {
  const text = bars.map((b) =>
    `${b.time},${b.open},${b.high},${b.low},${b.close},${b.volume},${b.adjClose ?? ""}`
  ).join("\n");
  return (await sha256Hex(text)).slice(0, 16);
}

/**
 * Runs one job and returns its result. The job's own errors (usage and
 * data errors: a bad flag value, too little data, a missing file) give
 * `status: "failed"` with the one-line error; anything else (a timeout, a
 * bug) is thrown, so that the job is retried rather than recorded.
 *
 * @example
 * ```ts
 * const result = await runJob(job, { worker: "local-1" });
 * ```
 */
export async function runJob(job: SweepJob, options: RunJobOptions = {}): Promise<JobResult> {
  const started = performance.now();
  const base = {
    id: job.id,
    sweep: job.sweep,
    kind: job.kind,
    data: job.data,
    flags: job.flags,
    protocol: job.protocol,
    worker: options.worker ?? "local",
  };
  const done = (): { wallSeconds: number; finishedAt: string } => ({
    wallSeconds: Number(((performance.now() - started) / 1000).toFixed(2)),
    finishedAt: new Date().toISOString(),
  });
  try {
    return { ...base, status: "ok", ...(await evaluateJob(job, options)), ...done() };
  } catch (error) {
    // Usage and data errors, and a path of the wrong kind, are the configuration's own: the
    // same job fails the same way again. Anything else (a timeout, a bug, a permission) is
    // thrown: the job is retried, not recorded.
    if (!ownError(error)) throw error;
    return { ...base, status: "failed", error: messageOf(error), ...done() };
  }
}

function ownError(error: unknown): boolean {
  return error instanceof UsageError || error instanceof DataError ||
    error instanceof Deno.errors.NotADirectory || error instanceof Deno.errors.IsADirectory;
}

/** A job's features: its own, else the defaults of its decision point. */
function jobFeatures(fit: FitSettings): readonly FeatureSpec[] {
  return fit.datasetOptions.features ??
    (fit.datasetOptions.decideAt === "open" ? DEFAULT_OPEN_FEATURES : DEFAULT_FEATURES);
}

async function evaluateJob(
  job: SweepJob,
  { log, threads }: RunJobOptions,
): Promise<Pick<JobResult, "series" | "holdout" | "evaluation" | "rows">> {
  const fit = fitSettings(fitOptionsOfFlags(job.flags));
  const firstOwn = warmupBars(jobFeatures(fit), fit.datasetOptions) + fit.sequenceLength - 1;
  const { protocol } = job;
  if (firstOwn > protocol.firstReference || fit.horizon > protocol.horizon) {
    throw new DataError(
      `Expected --sequence-length and --horizon within the sweep's alignment (reference bars from ${protocol.firstReference}, horizon ${protocol.horizon}), found ${fit.sequenceLength} and ${fit.horizon}`,
    );
  }
  if (job.data.dataDir !== undefined) checkFolder(job.data.dataDir, "the data cache");
  const series = await loadTrainingSeries(job.data, job.data.seed ?? DEFAULT_SEED);
  const bars = series.bars;
  const plan = holdoutPlan(bars, protocol);
  const backend = await selectBackend(fit.backendName, { verbose: false });
  const kernel = resolveKernel(fit.kernel, backend);
  const confirm = job.kind === "confirm";
  const lastRef = confirm ? plan.last : plan.lastSelect;
  // Window k's reference bar is bars[plan.first + k], for every window length.
  const slice = bars.slice(plan.first - firstOwn, lastRef + fit.horizon + 1);
  const holdoutRows = plan.last - plan.holdoutStart + 1;
  // The fused kernels' workers start once for every fold's model, on the job's share of cores.
  const { evaluation, rows } = await withTrainingThreads(
    kernel === "fast" ? threads : 1,
    () =>
      walkForward(
        configurationModel(fit, series, backend),
        slice,
        {
          ticker: series.symbol,
          folds: confirm ? 1 : protocol.folds,
          mode: confirm ? "expanding" : protocol.mode,
          retrainEvery: confirm ? holdoutRows : undefined,
          seed: protocol.seed,
          kernel,
          log,
        },
      ),
  );
  const { model: _model, ...scores } = evaluation;
  const labels = Array.from(rows.labels, (y) => (y ? "1" : "0")).join("");
  const climatology = rows.climatology?.probabilities ?? [];
  return {
    series: {
      symbol: series.symbol,
      source: series.source,
      bars: bars.length,
      first: bars[0].time,
      last: bars[bars.length - 1].time,
      sha256: await seriesHash(bars),
    },
    holdout: {
      first: bars[plan.holdoutStart].time,
      last: bars[plan.last].time,
      rows: holdoutRows,
    },
    evaluation: {
      ...scores,
      scope: confirm
        ? `holdout confirmation on ${series.symbol}: retrained on every row before ${
          bars[plan.holdoutStart].time
        }, scored on the ${holdoutRows} holdout rows no selection job saw`
        : `walk-forward selection on ${series.symbol}: ${protocol.folds} ${protocol.mode} folds before the holdout`,
    },
    rows: {
      key: (await sha256Hex(`${rows.refTimes.join(",")}|${labels}`)).slice(0, 16),
      labels,
      probabilities: Array.from(rows.probabilities, round6),
      climatology: Array.from(climatology, round6),
    },
  };
}
