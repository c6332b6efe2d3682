/**
 * Sweeps: many configurations, each scored by walk-forward retraining on the
 * same folds, run on a local pool of processes or on Redis queue workers,
 * with results written once each to `sweeps/<name>/results.jsonl` and a
 * leaderboard that chooses the winner honestly (see `leaderboard.ts`) and
 * confirms it on a holdout no job saw.
 *
 * @example
 * ```ts
 * import { localPool, readSpec, runSweep } from "./mod.ts";
 * const spec = await readSpec("examples/sweep.json");
 * const { board } = await runSweep(spec, { executor: localPool({ workers: 2 }), log: console.error });
 * console.log(board.statements.join("\n"));
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { atomicWriteFile } from "../util/fs.ts";
import type { JobResult } from "./job.ts";
import { buildLeaderboard, type Leaderboard } from "./leaderboard.ts";
import type { Executor } from "./pool.ts";
import { openResults } from "./results.ts";
import { confirmationJob, expandJobs, type SweepJob, type SweepSpec } from "./spec.ts";

export {
  bestOfNTest,
  buildLeaderboard,
  dataLabel,
  type HoldoutConfirmation,
  type Leaderboard,
  type LeaderboardEntry,
  type LeaderboardOptions,
  trainCommand,
  type Winner,
} from "./leaderboard.ts";
export { type Executor, JobCrash, type JobEvents, localPool, runJobProcess } from "./pool.ts";
export { openResults, RESULTS_FILE, type ResultStore } from "./results.ts";
export {
  canonicalJson,
  confirmationJob,
  type DataEntry,
  type Distribution,
  type EvaluationProtocol,
  expandJobs,
  type FlagValue,
  gridPoints,
  jobId,
  type JobProtocol,
  jobProtocol,
  parseSpec,
  readSpec,
  sampleTrials,
  SWEEP_FLAGS,
  type SweepJob,
  type SweepSpec,
} from "./spec.ts";
export type { JobResult, JobRows } from "./job.ts";

/**
 * Options of {@linkcode runSweep}.
 *
 * @example
 * ```ts
 * const options: RunSweepOptions = { executor: localPool({ workers: 2 }), outDir: "sweeps" };
 * ```
 */
export interface RunSweepOptions {
  /** Where jobs run. */
  executor: Executor;
  /** Folder of sweeps (default `sweeps`); results go to `<outDir>/<name>/`. */
  outDir?: string;
  /** Progress lines, one per event (default none). */
  log?: (line: string) => void;
  /** Bootstrap resamples of the leaderboard (default 1000). */
  resamples?: number;
  /**
   * Pages of the leaderboard to write beside `leaderboard.json`, by file name
   * (the command passes its text and HTML views: `leaderboard.txt`,
   * `leaderboard.html`); default none.
   */
  pages?: (board: Leaderboard) => Record<string, string>;
}

/**
 * What {@linkcode runSweep} did.
 *
 * @example
 * ```ts
 * const { board, dir, ran, notRun } = await runSweep(spec, options);
 * ```
 */
export interface SweepRun {
  /** The leaderboard. */
  board: Leaderboard;
  /** The sweep's folder. */
  dir: string;
  /** Jobs run this time (the confirmation included). */
  ran: number;
  /** Jobs skipped because they had results already. */
  skipped: number;
  /** Jobs that produced no result this time (a re-run retries them). */
  notRun: number;
}

function seconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const r = Math.round(s);
  if (r >= 3600) {
    return `${Math.floor(r / 3600)}h${String(Math.floor((r % 3600) / 60)).padStart(2, "0")}m`;
  }
  return r >= 60 ? `${Math.floor(r / 60)}m${String(r % 60).padStart(2, "0")}s` : `${r}s`;
}

/** Progress lines: one per event, with done/running/failed counts and an ETA. */
function progressReporter(
  total: number,
  log: (line: string) => void,
  label: (j: SweepJob) => string,
) {
  const started = performance.now();
  let done = 0;
  let failed = 0;
  const active = new Set<string>();
  const width = String(total).length;
  const counts = (): string => {
    const finished = done + failed;
    const elapsed = (performance.now() - started) / 1000;
    const eta = finished > 0 ? (elapsed / finished) * (total - finished) : NaN;
    return `done ${done}, running ${active.size}, failed ${failed} of ${total}; elapsed ${
      seconds(elapsed)
    }, eta ${finished === total ? "0s" : seconds(eta)}`;
  };
  const n = (): string => `[${String(done + failed).padStart(width)}/${total}]`;
  return {
    start(job: SweepJob, worker: string): void {
      active.add(job.id);
      log(`${n()} start ${job.id.slice(0, 8)} on ${worker}: ${label(job)}`);
    },
    result(r: JobResult): void {
      active.delete(r.id);
      if (r.status === "ok") done++;
      else failed++;
      const what = r.status === "ok"
        ? `Brier skill ${r.evaluation?.metrics.brierSkill.toFixed(4)} in ${
          r.wallSeconds.toFixed(1)
        }s`
        : `failed: ${r.error}`;
      log(
        `${n()} ${r.status === "ok" ? "done " : "fail "} ${
          r.id.slice(0, 8)
        } on ${r.worker}: ${what} | ${counts()}`,
      );
    },
    crash(job: SweepJob, why: string): void {
      active.delete(job.id);
      failed++;
      log(`${n()} lost  ${job.id.slice(0, 8)}: ${why} | ${counts()}`);
    },
  };
}

/** A label of what varies between jobs, for progress lines. */
function labeller(jobs: readonly SweepJob[]): (job: SweepJob) => string {
  const names = [...new Set(jobs.flatMap((j) => Object.keys(j.flags)))].filter((name) =>
    new Set(jobs.map((j) => j.flags[name])).size > 1
  ).sort();
  const dataVaries = new Set(jobs.map((j) => JSON.stringify(j.data))).size > 1;
  return (job) =>
    [
      ...(dataVaries ? [job.data.ticker ?? job.data.csv ?? job.data.source ?? "synthetic"] : []),
      ...names.map((n) => `${n}=${job.flags[n]}`),
    ].join(" ") || "(the only configuration)";
}

/**
 * Runs a sweep: expands the spec into jobs, skips those with results in
 * `results.jsonl`, runs the rest on `options.executor` (progress: one line
 * per event), writes each result once, ranks the configurations, runs the
 * winner's confirmation on the holdout (unless it has run), and writes the
 * leaderboard as `leaderboard.json` (and the `pages` the caller renders,
 * `leaderboard.txt` and `leaderboard.html` from the command) beside the
 * results. A job's own failure is recorded and
 * the sweep goes on; a job that produced no result is reported and retried
 * by the next run.
 *
 * @example
 * ```ts
 * const { board } = await runSweep(spec, { executor: localPool({ workers: 2 }) });
 * ```
 */
export async function runSweep(spec: SweepSpec, options: RunSweepOptions): Promise<SweepRun> {
  const log = options.log ?? ((): void => {});
  const { executor } = options;
  const dir = join(options.outDir ?? "sweeps", spec.name);
  const { jobs, duplicates } = await expandJobs(spec);
  const store = await openResults(dir);
  await atomicWriteFile(join(dir, "spec.json"), `${JSON.stringify(spec, null, 2)}\n`);
  const todo = jobs.filter((j) => !store.has(j.id));
  log(
    `sweep ${spec.name}: ${jobs.length} configuration${jobs.length === 1 ? "" : "s"}${
      duplicates ? ` (${duplicates} repeated random draws dropped)` : ""
    }, ${
      jobs.length - todo.length
    } with results already, ${todo.length} to run on ${executor.describe}${
      store.skipped ? `; ${store.skipped} unreadable lines of ${store.path} skipped` : ""
    }`,
  );
  const label = labeller(jobs);
  const notRun = new Map<string, { job: SweepJob; why: string }>();
  let ran = 0;
  const runJobs = async (batch: SweepJob[]): Promise<void> => {
    if (batch.length === 0) return;
    const progress = progressReporter(batch.length, log, label);
    await executor.run(batch, {
      onStart: (job, worker) => progress.start(job, worker),
      onResult: async (result) => {
        if (!batch.some((j) => j.id === result.id)) return;
        if (await store.add(result)) {
          ran++;
          notRun.delete(result.id);
          progress.result(result);
        }
      },
      onCrash: (job, why) => {
        if (store.has(job.id)) return;
        notRun.set(job.id, { job, why });
        progress.crash(job, why);
      },
    });
  };
  await runJobs(todo);

  const selection = jobs.flatMap((j) => store.get(j.id) ?? []);
  const lost = () =>
    [...notRun.values()].filter((n) => n.job.kind === "select").map((n) => ({
      id: n.job.id,
      flags: n.job.flags,
      data: n.job.data,
      why: n.why,
    }));
  const boardOptions = { tried: jobs.length, notRun: lost(), resamples: options.resamples };
  let board = buildLeaderboard(spec.name, selection, boardOptions);
  let confirmation: JobResult | undefined;
  if (board.winner) {
    const winnerJob = jobs.find((j) => j.id === board.winner!.id)!;
    const confirm = await confirmationJob(winnerJob);
    if (!store.has(confirm.id)) {
      log(
        `confirming the winner ${winnerJob.id.slice(0, 8)} on the holdout (job ${
          confirm.id.slice(0, 8)
        })`,
      );
      await runJobs([confirm]);
    }
    confirmation = store.get(confirm.id);
    board = buildLeaderboard(spec.name, selection, { ...boardOptions, confirmation });
  }
  for (const [file, text] of Object.entries(options.pages?.(board) ?? {})) {
    await atomicWriteFile(join(dir, file), text);
  }
  await atomicWriteFile(join(dir, "leaderboard.json"), `${JSON.stringify(board, null, 2)}\n`);
  return {
    board,
    dir,
    ran,
    skipped: jobs.length - todo.length,
    notRun: notRun.size,
  };
}
