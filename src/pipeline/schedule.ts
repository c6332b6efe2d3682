/**
 * Scheduled retraining: `deno task retrain --schedule "0 6 * * 1"` keeps
 * running and, at each time the cron expression names, runs one retrain with
 * the existing promotion gate ({@linkcode retrainModel}), appends the decision
 * to `<model>/retrain_log.jsonl` (one JSON object a line, append-only) and
 * says it in one human line.
 *
 * Overlapping runs are refused: a scheduler (and a one-shot `retrain`) holds
 * an exclusive advisory lock on `<model>/retrain.lock` for as long as it runs
 * (`Deno.FsFile.lock`, the writer locks of `src/util/fs.ts`). The operating
 * system drops the lock when the process dies, however it dies, so a crash
 * never leaves a stale lock behind; the file itself stays, naming the last
 * holder's pid.
 *
 * The clock is injectable: a test runs cycles with a fake clock that jumps
 * to each due time at once.
 *
 * @example
 * ```ts
 * import { scheduleRetrain } from "./schedule.ts";
 * const summary = await scheduleRetrain("0 6 * * 1", {
 *   modelRoot: "models/lstm",
 *   fit: fitSettings({ epochs: 20 }),
 *   data: { ticker: "SPY" },
 * });
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { Cron } from "croner";
import { DataError, messageOf, UsageError } from "../util/errors.ts";
import { retrainModel, type RetrainOptions, type RetrainResult } from "./retrain.ts";

/** The append-only JSON-lines log of retrain decisions, in the versioned model folder. */
export const RETRAIN_LOG_FILE = "retrain_log.jsonl";
/** The lock file a running retrain (scheduled or one-shot) holds, in the versioned model folder. */
export const RETRAIN_LOCK_FILE = "retrain.lock";

/**
 * Time as the scheduler sees it; tests inject a fake one.
 *
 * @example
 * ```ts
 * let t = Date.parse("2024-01-01T00:00:00Z");
 * const fake: Clock = { now: () => t, sleep: (ms) => { t += ms; return Promise.resolve(); } };
 * ```
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Waits `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

/**
 * The wall clock: `Date.now` and `setTimeout`.
 *
 * @example
 * ```ts
 * await SYSTEM_CLOCK.sleep(1000);
 * ```
 */
export const SYSTEM_CLOCK: Clock = {
  now: (): number => Date.now(),
  sleep: (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * A parsed cron expression (five fields, or six with seconds), read by
 * croner; a usage error, in one line, for one it cannot read.
 *
 * @example
 * ```ts
 * const cron = parseSchedule("0 6 * * 1", "UTC");
 * nextRunAfter(cron, Date.parse("2024-01-01T07:00:00Z")); // 2024-01-08T06:00:00Z, a Monday
 * ```
 */
export function parseSchedule(expression: string, timezone?: string): Cron {
  try {
    const cron = new Cron(expression, { paused: true, timezone });
    if (cron.nextRun(new Date(0)) === null && cron.nextRun() === null) {
      throw new Error("it never fires");
    }
    return cron;
  } catch (error) {
    throw new UsageError(
      `Expected schedule to be a cron expression like "0 6 * * 1" (minute hour day month weekday)${
        timezone ? ` and timezone an IANA zone like Europe/Berlin` : ""
      }, found "${expression}"${timezone ? ` in ${timezone}` : ""} (${messageOf(error)})`,
      { options: ["schedule", "timezone"] },
    );
  }
}

/**
 * The first time the schedule fires strictly after `afterMs`, in
 * milliseconds, or `null` when it never fires again.
 *
 * @example
 * ```ts
 * nextRunAfter(parseSchedule("0 6 * * *", "UTC"), Date.parse("2024-01-01T06:00:00Z"));
 * // Date.parse("2024-01-02T06:00:00Z")
 * ```
 */
export function nextRunAfter(cron: Cron, afterMs: number): number | null {
  const next = cron.nextRun(new Date(afterMs));
  return next === null ? null : next.getTime();
}

/**
 * A held retrain lock: release it (or let the process die) to let the next run in.
 *
 * @example
 * ```ts
 * const lock: RetrainLock = await acquireRetrainLock("models/lstm");
 * await lock.release();
 * ```
 */
export interface RetrainLock {
  /** The lock file. */
  path: string;
  /** Releases the lock and removes its file. */
  release(): Promise<void>;
}

/**
 * Takes the exclusive lock of a model folder's retrains
 * (`<modelRoot>/retrain.lock`), creating the file (and the folder) when
 * missing, and writes this process's pid into it. A data error, in one line
 * naming the holder's pid, when another process holds it: overlapping
 * retrains of one model are refused. The lock dies with the process, however
 * it dies (the file then stays, naming a dead pid, and the next run takes it
 * over); a release removes the file (and a folder it had to create, when
 * still empty), so a run that fails leaves nothing behind.
 *
 * @example
 * ```ts
 * const lock = await acquireRetrainLock("models/lstm");
 * try {
 *   // retrain
 * } finally {
 *   await lock.release();
 * }
 * ```
 */
export async function acquireRetrainLock(modelRoot: string): Promise<RetrainLock> {
  const path = join(modelRoot, RETRAIN_LOCK_FILE);
  const createdRoot = !(await Deno.stat(modelRoot).then(() => true, () => false));
  if (createdRoot) await Deno.mkdir(modelRoot, { recursive: true });
  for (let attempt = 0;; attempt++) {
    const file = await Deno.open(path, { read: true, write: true, create: true });
    let held: boolean;
    try {
      held = await file.tryLock(true);
    } catch (error) {
      file.close();
      throw new DataError(`Expected to lock ${path}, found ${messageOf(error)}`);
    }
    if (!held) {
      file.close();
      const holder = (await Deno.readTextFile(path).catch(() => "")).trim();
      throw new DataError(
        `Expected no other retrain of ${modelRoot} running, found one holding ${path}${
          /^\d+$/.test(holder) ? ` (pid ${holder})` : ""
        }; overlapping runs are refused`,
      );
    }
    // A holder that released (and removed) the file between our open and our lock leaves us
    // holding a file no longer at the path: open the path again.
    const onDisk = await Deno.stat(path).catch(() => null);
    if (onDisk === null || onDisk.ino !== (await file.stat()).ino) {
      file.close();
      if (attempt < 5) continue;
      throw new DataError(
        `Expected ${path} to stay in place while it is locked, found it replaced`,
      );
    }
    await file.truncate(0);
    await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
    let released = false;
    return {
      path,
      async release(): Promise<void> {
        if (released) return;
        released = true;
        // Removed while still held, so nobody can lock the file on its way out.
        await Deno.remove(path).catch(() => {});
        file.close(); // closing the file releases the lock
        if (createdRoot) await Deno.remove(modelRoot).catch(() => {}); // only when empty
      },
    };
  }
}

/**
 * One line of `retrain_log.jsonl`: a decision, or a run that failed.
 *
 * @example
 * ```ts
 * const entry: RetrainLogEntry = JSON.parse(line);
 * entry.decision; // "promoted", "rejected", … or "failed"
 * ```
 */
export interface RetrainLogEntry {
  /** When the run started (ISO 8601, by the scheduler's clock). */
  startedAt: string;
  /** When it ended. */
  endedAt: string;
  /** The cron expression, or `null` for a one-shot run. */
  schedule: string | null;
  /** The model folder. */
  model: string;
  /** The decision of the promotion gate, or `failed`. */
  decision: RetrainResult["decision"] | "failed";
  /** Whether the pointer now names the candidate. */
  promoted: boolean;
  /** Why, in words (the error's message for a failed run). */
  reason: string;
  /** The ticker, when the run got that far. */
  ticker?: string;
  /** The bars' interval, when the run got that far. */
  interval?: string;
  /** The metric compared and both versions' values on it. */
  metric?: { name: string; current: number | null; candidate: number | null };
  /** The current version before the run (`null`: none). */
  current?: string | null;
  /** The candidate's version (saved, or planned for a dry run). */
  candidate?: string;
  /** The holdout scored. */
  holdout?: RetrainResult["holdout"];
  /** New bars fetched for the run. */
  added?: number;
  /** Caveats from the run. */
  notes?: string[];
}

/**
 * The log entry of one run: the result's decision, or the error that stopped it.
 *
 * @example
 * ```ts
 * const entry = retrainLogEntry(result, { startedAt, endedAt, schedule: "0 6 * * 1", model: "models/lstm" });
 * ```
 */
export function retrainLogEntry(
  outcome: RetrainResult | Error,
  context: { startedAt: string; endedAt: string; schedule: string | null; model: string },
): RetrainLogEntry {
  if (outcome instanceof Error) {
    return { ...context, decision: "failed", promoted: false, reason: outcome.message };
  }
  const key = outcome.metric.key as keyof RetrainResult["candidate"]["metrics"];
  return {
    ...context,
    decision: outcome.decision,
    promoted: outcome.promoted,
    reason: outcome.reason,
    ticker: outcome.ticker,
    interval: outcome.interval,
    metric: {
      name: outcome.metric.name,
      current: outcome.current?.metrics[key] ?? null,
      candidate: outcome.candidate.metrics[key] ?? null,
    },
    current: outcome.current?.version ?? null,
    candidate: outcome.candidate.version,
    holdout: outcome.holdout,
    added: outcome.data.added,
    notes: outcome.notes,
  };
}

/**
 * Appends one entry to `<modelRoot>/retrain_log.jsonl` (one write of one
 * line, in append mode: earlier lines are never touched).
 *
 * @example
 * ```ts
 * await appendRetrainLog("models/lstm", entry);
 * ```
 */
export async function appendRetrainLog(modelRoot: string, entry: RetrainLogEntry): Promise<void> {
  await Deno.mkdir(modelRoot, { recursive: true });
  const file = await Deno.open(join(modelRoot, RETRAIN_LOG_FILE), { create: true, append: true });
  try {
    await file.write(new TextEncoder().encode(JSON.stringify(entry) + "\n"));
  } finally {
    file.close();
  }
}

/**
 * Reads `<modelRoot>/retrain_log.jsonl` back (an empty list when there is none).
 *
 * @example
 * ```ts
 * const decisions = (await readRetrainLog("models/lstm")).map((e) => e.decision);
 * ```
 */
export async function readRetrainLog(modelRoot: string): Promise<RetrainLogEntry[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(modelRoot, RETRAIN_LOG_FILE));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
}

/**
 * Options of {@linkcode scheduleRetrain}: a retrain's, plus the scheduler's.
 *
 * @example
 * ```ts
 * const options: ScheduleOptions = { modelRoot: "models/lstm", fit: fitSettings(), data: {}, timezone: "UTC" };
 * ```
 */
export interface ScheduleOptions extends RetrainOptions {
  /** IANA time zone the expression is read in (default: the machine's). */
  timezone?: string;
  /** The clock (default {@linkcode SYSTEM_CLOCK}). */
  clock?: Clock;
  /** Stop after this many runs (default: run until stopped). */
  maxRuns?: number;
  /** Longest single sleep, so a stop request is noticed (default 1000 ms). */
  pollMs?: number;
  /** Called with each run's log entry after it is appended (the human line is the caller's). */
  onRun?: (entry: RetrainLogEntry, result: RetrainResult | null) => void | Promise<void>;
  /** Called when the next run is due at a time (ISO 8601). */
  onWait?: (nextRun: string) => void | Promise<void>;
  /** The run itself (default {@linkcode retrainModel}); tests may wrap it. */
  retrain?: (options: RetrainOptions) => Promise<RetrainResult>;
}

/**
 * What {@linkcode scheduleRetrain} did.
 *
 * @example
 * ```ts
 * const { runs, stoppedBy }: ScheduleSummary = await scheduleRetrain("0 6 * * 1", options);
 * ```
 */
export interface ScheduleSummary {
  /** Each run's log entry, in order. */
  runs: RetrainLogEntry[];
  /** Why the scheduler stopped. */
  stoppedBy: "interrupt" | "max-runs" | "schedule-ended";
}

/**
 * Runs {@linkcode retrainModel} at every time the cron `expression` names,
 * until `shouldStop` says so (checked between runs and while waiting; a run
 * in progress stops after its current batch and is not promoted) or
 * `maxRuns` runs are done. Holds the model's retrain lock the whole time (a
 * second scheduler or a one-shot retrain of the same model is refused), logs
 * every decision to `retrain_log.jsonl`, and keeps going after a failed run
 * (logged as `failed`), so a network outage skips one run, not the rest.
 *
 * @example
 * ```ts
 * const summary = await scheduleRetrain("0 6 * * 1", {
 *   modelRoot: "models/lstm",
 *   fit: fitSettings({ epochs: 20 }),
 *   data: { ticker: "SPY" },
 *   onRun: (entry) => console.log(entry.decision, entry.reason),
 * });
 * ```
 */
export async function scheduleRetrain(
  expression: string,
  options: ScheduleOptions,
): Promise<ScheduleSummary> {
  const cron = parseSchedule(expression, options.timezone);
  const clock = options.clock ?? SYSTEM_CLOCK;
  const pollMs = options.pollMs ?? 1000;
  const shouldStop = options.shouldStop ?? ((): boolean => false);
  const retrain = options.retrain ?? retrainModel;
  // A dry run writes nothing under the model folder, not even the lock file.
  const lock = options.dryRun ? null : await acquireRetrainLock(options.modelRoot);
  const runs: RetrainLogEntry[] = [];
  try {
    while (true) {
      if (options.maxRuns !== undefined && runs.length >= options.maxRuns) {
        return { runs, stoppedBy: "max-runs" };
      }
      const due = nextRunAfter(cron, clock.now());
      if (due === null) return { runs, stoppedBy: "schedule-ended" };
      await options.onWait?.(new Date(due).toISOString());
      while (clock.now() < due && !shouldStop()) {
        await clock.sleep(Math.min(due - clock.now(), pollMs));
      }
      if (shouldStop()) return { runs, stoppedBy: "interrupt" };
      const startedAt = new Date(clock.now()).toISOString();
      let outcome: RetrainResult | Error;
      try {
        outcome = await retrain(options);
      } catch (error) {
        outcome = error instanceof Error ? error : new Error(String(error));
      }
      const entry = retrainLogEntry(outcome, {
        startedAt,
        endedAt: new Date(clock.now()).toISOString(),
        schedule: expression,
        model: options.modelRoot,
      });
      if (!options.dryRun) await appendRetrainLog(options.modelRoot, entry);
      runs.push(entry);
      await options.onRun?.(entry, outcome instanceof Error ? null : outcome);
    }
  } finally {
    await lock?.release();
  }
}
