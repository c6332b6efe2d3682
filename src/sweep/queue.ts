/**
 * Sweeps beyond one machine: BullMQ on Redis. The sweep command enqueues its
 * jobs (job id = the configuration's hash, so a job is queued once however
 * often it is added) and collects their results from the queue; `deno task
 * worker` processes on any number of machines pull jobs and run each in its
 * own `cli.ts sweep-job` process, so the worker's event loop stays free to
 * renew its job locks. A worker killed mid-job stops renewing them: BullMQ's
 * stalled-job check hands the job to another worker. Results are written by
 * the sweep command alone, once per id.
 *
 * BullMQ under Deno is handed ready ioredis clients (it cannot load ioredis
 * from an ES module by itself). Connections fail fast: an unreachable server
 * is one error at once, and a lost connection is retried a bounded number of
 * times, then given up.
 *
 * @example
 * ```ts
 * import { queueExecutor, runWorker } from "./queue.ts";
 * const executor = await queueExecutor("redis://127.0.0.1:6379");
 * await runWorker("redis://127.0.0.1:6379", { concurrency: 2 }); // elsewhere
 * ```
 *
 * @module
 */

import { Job, Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { DataError, UsageError } from "../util/errors.ts";
import type { JobResult } from "./job.ts";
import { type Executor, type JobEvents, jobThreads, runJobProcess } from "./pool.ts";
import type { SweepJob } from "./spec.ts";

/** The BullMQ queue every sweep and worker uses. */
export const QUEUE_NAME = "lstm-signal-sweep";
/** Reconnection attempts after a connection that worked is lost, before giving up. */
const RECONNECT_TRIES = 10;
/** Finished jobs stay in Redis this long (a sweep that was stopped collects them later). */
const KEEP_SECONDS = 7 * 24 * 3600;

/**
 * Parses a `redis://[user:password@]HOST[:PORT][/DB]` URL.
 *
 * @example
 * ```ts
 * parseRedisUrl("redis://127.0.0.1:6390/2"); // { host: "127.0.0.1", port: 6390, db: 2 }
 * ```
 */
export function parseRedisUrl(
  url: string,
): { host: string; port: number; db: number; username?: string; password?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    parsed = new URL("invalid://");
  }
  const db = parsed.pathname.replace(/^\//, "");
  if (parsed.protocol !== "redis:" || parsed.hostname === "" || (db !== "" && !/^\d+$/.test(db))) {
    throw new UsageError(
      `Expected --queue to be a URL like redis://127.0.0.1:6379, found "${url}"`,
    );
  }
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ""),
    port: parsed.port ? Number(parsed.port) : 6379,
    db: db === "" ? 0 : Number(db),
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
  };
}

/** A URL without its password, for messages. */
function shown(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}

/**
 * A connected ioredis client for BullMQ: fails at once with one
 * {@linkcode DataError} when the server cannot be reached; once connected,
 * a lost connection is retried {@linkcode RECONNECT_TRIES} times (about 15 s)
 * and then the client ends (`onEnd` is called).
 *
 * @example
 * ```ts
 * const client = await connectRedis("redis://127.0.0.1:6379", { onEnd: () => Deno.exit(1) });
 * ```
 */
export async function connectRedis(
  url: string,
  options: { onEnd?: () => void } = {},
): Promise<Redis> {
  const { host, port, db, username, password } = parseRedisUrl(url);
  let connected = false;
  let lastError = "";
  const client = new Redis({
    host,
    port,
    db,
    username,
    password,
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: null, // BullMQ's workers need it; the bounded retryStrategy ends waits
    retryStrategy: (times: number) =>
      !connected || times > RECONNECT_TRIES ? null : Math.min(250 * times, 2000),
  });
  // Without a listener ioredis prints every failed attempt; the message is kept for one line.
  client.on("error", (error: Error) => {
    lastError = error.message;
  });
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    const why = lastError || (error instanceof Error ? error.message : String(error));
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      throw error;
    }
    throw new DataError(`Expected a Redis server at ${shown(url)}, found none (${why})`);
  }
  connected = true;
  client.on("end", () => options.onEnd?.());
  return client;
}

function isResult(value: unknown, id: string): value is JobResult {
  return value !== null && typeof value === "object" && (value as JobResult).id === id &&
    ((value as JobResult).status === "ok" || (value as JobResult).status === "failed");
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The queue as an {@linkcode Executor}: `run` enqueues the jobs (a job
 * already queued, running or finished under the same id is not queued again;
 * one the queue gave up on is queued afresh), then polls their states and
 * reports each start, result and loss until every job is settled. Fails with
 * one line when Redis cannot be reached, or is lost for good.
 *
 * @example
 * ```ts
 * const executor = await queueExecutor("redis://127.0.0.1:6379", { log: console.error });
 * await executor.run(jobs, { onResult: (r) => store.add(r) });
 * await executor.close();
 * ```
 */
export async function queueExecutor(
  url: string,
  options: { log?: (line: string) => void; pollMs?: number } = {},
): Promise<Executor> {
  const log = options.log ?? ((): void => {});
  let lost = false;
  const connection = await connectRedis(url, { onEnd: () => (lost = true) });
  const queue = new Queue(QUEUE_NAME, { connection });
  queue.on("error", () => {}); // the connection's own handler keeps the message
  const fail = (error: unknown): never => {
    throw new DataError(
      `Lost the Redis connection to ${shown(url)} (${
        error instanceof Error ? error.message : String(error)
      }); results so far are kept: run the sweep again once Redis is back`,
    );
  };
  const enqueue = async (job: SweepJob): Promise<void> => {
    await queue.add("sweep-job", job, {
      jobId: job.id,
      attempts: 3,
      removeOnComplete: { age: KEEP_SECONDS },
      removeOnFail: { age: KEEP_SECONDS },
    });
  };
  return {
    describe: `the Redis queue "${QUEUE_NAME}" at ${
      shown(url)
    } (start workers with: deno task worker --queue ${shown(url)})`,
    async run(jobs: readonly SweepJob[], events: JobEvents): Promise<void> {
      const pending = new Map(jobs.map((j) => [j.id, j]));
      // Who runs each active job, and which attempt: a change means it was requeued.
      const running = new Map<string, string>();
      try {
        for (const job of jobs) {
          const existing = await Job.fromId(queue, job.id);
          if (existing) {
            const state = await existing.getState();
            const stale = state === "failed" ||
              (state === "completed" && !isResult(existing.returnvalue, job.id));
            if (!stale) continue;
            await existing.remove();
          }
          await enqueue(job);
        }
        log(`queued ${jobs.length} job${jobs.length === 1 ? "" : "s"} on ${shown(url)}`);
        while (pending.size > 0) {
          if (lost) fail(new Error("gave up reconnecting"));
          const ids = [...pending.keys()];
          const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
          for (const [i, id] of ids.entries()) {
            const job = pending.get(id)!;
            const state = states[i];
            if (state === "active") {
              const found = await Job.fromId(queue, id);
              const who = found?.processedBy ?? "a worker";
              const signature = `${who}|${found?.attemptsStarted ?? 0}|${
                found?.stalledCounter ?? 0
              }`;
              const before = running.get(id);
              if (before !== signature) {
                if (before !== undefined) {
                  log(
                    `requeued ${id.slice(0, 8)}: its worker ${
                      before.split("|")[0]
                    } stopped renewing the job's lock (stalled)`,
                  );
                }
                running.set(id, signature);
                events.onStart?.(job, who);
              }
            } else if (state === "completed" || state === "failed") {
              const found = await Job.fromId(queue, id);
              pending.delete(id);
              running.delete(id);
              if (state === "completed" && isResult(found?.returnvalue, id)) {
                await events.onResult(found!.returnvalue as JobResult);
              } else {
                events.onCrash?.(
                  job,
                  `the queue gave up on it after ${found?.attemptsMade ?? "?"} attempts: ${
                    found?.failedReason ?? "no result"
                  }`,
                );
              }
            } else if (state === "unknown") {
              await enqueue(job); // removed from Redis meanwhile: queue it again
            }
          }
          if (pending.size > 0) await sleep(options.pollMs ?? 500);
        }
      } catch (error) {
        if (error instanceof DataError) throw error;
        fail(error);
      }
    },
    async close(): Promise<void> {
      await queue.close().catch(() => {});
      connection.disconnect();
    },
  };
}

/**
 * Options of {@linkcode runWorker}.
 *
 * @example
 * ```ts
 * const options: WorkerOptions = { concurrency: 2, lockSeconds: 30, log: console.error };
 * ```
 */
export interface WorkerOptions {
  /** Jobs at a time (default 1). */
  concurrency?: number;
  /**
   * How long a job's lock lasts without renewal, and how often stalled jobs
   * are looked for (default 30 s): a killed worker's job goes to another
   * worker within about twice this.
   */
  lockSeconds?: number;
  /** Exit once the queue has had nothing to do for this many seconds (default: never). */
  idleExitSeconds?: number;
  /** The worker's name in results (default `HOST:PID`). */
  name?: string;
  /** Progress lines (default none). */
  log?: (line: string) => void;
}

/**
 * Runs a queue worker until SIGINT or SIGTERM (finishing the jobs it holds),
 * until the queue has been idle for `idleExitSeconds`, or until the Redis
 * connection is lost for good (a {@linkcode DataError}). Each job runs in its
 * own `cli.ts sweep-job` process; its fold lines become the job's progress.
 * Returns the number of jobs it ran.
 *
 * @example
 * ```ts
 * const ran = await runWorker("redis://127.0.0.1:6379", { concurrency: 2, log: console.error });
 * ```
 */
export async function runWorker(url: string, options: WorkerOptions = {}): Promise<number> {
  const log = options.log ?? ((): void => {});
  const concurrency = options.concurrency ?? 1;
  const cores = navigator.hardwareConcurrency ?? 1;
  const lockMs = Math.round((options.lockSeconds ?? 30) * 1000);
  const name = options.name ?? `worker-${Deno.pid}`;
  let rejectLost: (error: Error) => void = () => {};
  const lost = new Promise<never>((_, reject) => (rejectLost = reject));
  lost.catch(() => {});
  const connection = await connectRedis(url, {
    onEnd: () =>
      rejectLost(
        new DataError(
          `Lost the Redis connection to ${
            shown(url)
          } after ${RECONNECT_TRIES} reconnection attempts; the jobs this worker held go to other workers`,
        ),
      ),
  });
  const slots = new Set<number>();
  let ran = 0;
  const worker = new Worker<SweepJob, JobResult>(
    QUEUE_NAME,
    async (job) => {
      let slot = 1;
      while (slots.has(slot)) slot++;
      slots.add(slot);
      const who = concurrency > 1 ? `${name}/${slot}` : name;
      try {
        log(`${who}: start ${job.data.id.slice(0, 8)} (${job.data.sweep}, ${job.data.kind})`);
        const result = await runJobProcess(job.data, {
          worker: who,
          // The cores shared among this worker's slots, as the local pool shares them.
          threads: jobThreads({ cores, workers: concurrency, running: 0, remaining: concurrency }),
          onLine: (line) => {
            job.updateProgress(line.slice(0, 200)).catch(() => {});
          },
        });
        ran++;
        log(
          `${who}: ${result.status === "ok" ? "done" : "fail"} ${job.data.id.slice(0, 8)} in ${
            result.wallSeconds.toFixed(1)
          }s${result.error ? `: ${result.error}` : ""}`,
        );
        return result;
      } finally {
        slots.delete(slot);
      }
    },
    {
      connection,
      concurrency,
      name,
      autorun: false,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      maxStalledCount: 2,
    },
  );
  let lastError = "";
  worker.on("error", (error) => {
    if (error.message !== lastError) log(`${name}: ${error.message}`); // once per message
    lastError = error.message;
  });
  worker.on("failed", (job, error) => {
    if (job) log(`${name}: job ${job.id?.slice(0, 8)} produced no result: ${error.message}`);
  });
  let stopping: Promise<void> | null = null;
  const stop = (why: string): void => {
    if (stopping) return;
    log(`${name}: ${why}; finishing the jobs it holds`);
    stopping = worker.close();
  };
  const onSignal = (): void => stop("stopping");
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  let idleTimer: ReturnType<typeof setInterval> | undefined;
  if (options.idleExitSeconds !== undefined) {
    const queue = new Queue(QUEUE_NAME, { connection });
    let idleSince = Date.now();
    idleTimer = setInterval(async () => {
      try {
        const counts = await queue.getJobCounts("waiting", "active", "delayed", "prioritized");
        const busy = Object.values(counts).some((n) => n > 0) || slots.size > 0;
        if (busy) idleSince = Date.now();
        else if (Date.now() - idleSince >= options.idleExitSeconds! * 1000) {
          clearInterval(idleTimer);
          stop(`the queue has been idle for ${options.idleExitSeconds}s`);
        }
      } catch {
        // the connection's end handler reports a lost connection
      }
    }, 1000);
  }
  log(
    `${name}: waiting for jobs on ${
      shown(url)
    } (queue "${QUEUE_NAME}", concurrency ${concurrency}, lock ${lockMs / 1000}s)`,
  );
  try {
    await Promise.race([worker.run(), lost]);
    if (stopping) await stopping;
    return ran;
  } finally {
    clearInterval(idleTimer);
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    await worker.close(true).catch(() => {});
    connection.disconnect();
  }
}
