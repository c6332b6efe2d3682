/**
 * Running sweep jobs in separate processes: one `cli.ts sweep-job` process
 * per job (so a job's memory, WASM state and crashes stay its own), and the
 * local pool that keeps N of them busy. The queue worker runs its jobs in the
 * same processes.
 *
 * @example
 * ```ts
 * import { localPool } from "./pool.ts";
 * const pool = localPool({ workers: 2 });
 * await pool.run(jobs, { onResult: (r) => console.log(r.id, r.status) });
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { MODULE_ROOT } from "../util/assets.ts";
import type { JobResult } from "./job.ts";
import type { SweepJob } from "./spec.ts";

/**
 * What an executor reports while it runs jobs. `onResult` gets every result
 * (a job's own failure included); `onCrash` a job that could not produce one
 * (its process crashed, or the queue gave up on it).
 *
 * @example
 * ```ts
 * const events: JobEvents = { onResult: (r) => store.add(r), onCrash: (job, why) => console.error(why) };
 * ```
 */
export interface JobEvents {
  /** A job started on `worker`. */
  onStart?: (job: SweepJob, worker: string) => void;
  /** A job's result arrived. */
  onResult: (result: JobResult) => void | Promise<void>;
  /** A job produced no result (one line why). */
  onCrash?: (job: SweepJob, why: string) => void;
}

/**
 * Where jobs run: the local pool or the Redis queue.
 *
 * @example
 * ```ts
 * const executor: Executor = localPool({ workers: 2 });
 * await executor.run(jobs, events);
 * await executor.close();
 * ```
 */
export interface Executor {
  /** One line: where jobs run. */
  describe: string;
  /** Runs `jobs`, reporting through `events`; resolves when every job has a result or crashed. */
  run(jobs: readonly SweepJob[], events: JobEvents): Promise<void>;
  /** Releases connections (nothing for the local pool). */
  close(): Promise<void>;
}

/**
 * A job whose process produced no result.
 *
 * @example
 * ```ts
 * try { await runJobProcess(job); } catch (e) { if (e instanceof JobCrash) console.error(e.message); }
 * ```
 */
export class JobCrash extends Error {
  /** Creates the error with a one-line reason. */
  constructor(message: string) {
    super(message);
    this.name = "JobCrash";
  }
}

/**
 * The `deno run` arguments of a `sweep-job` process; `threads`, when given, is how many threads
 * its training may use.
 *
 * @example
 * ```ts
 * jobProcessArgs("local-1", 2).slice(-4); // ["--worker", "local-1", "--threads", "2"]
 * ```
 */
export function jobProcessArgs(worker: string, threads?: number): string[] {
  const config = join(MODULE_ROOT, "deno.json");
  let hasConfig = false;
  try {
    hasConfig = Deno.statSync(config).isFile;
  } catch {
    hasConfig = false;
  }
  return [
    "run",
    "--allow-read",
    ...(hasConfig ? ["--config", config] : []),
    join(MODULE_ROOT, "cli.ts"),
    "sweep-job",
    "--worker",
    worker,
    ...(threads === undefined ? [] : ["--threads", String(threads)]),
  ];
}

async function eachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = pending.indexOf("\n")) >= 0) {
      onLine(pending.slice(0, end));
      pending = pending.slice(end + 1);
    }
  }
  if (pending !== "") onLine(pending);
}

/**
 * Runs one job in its own `cli.ts sweep-job` process (working directory:
 * this process's, so relative data paths mean the same) and returns its
 * result; throws {@linkcode JobCrash} when the process ends without one.
 * `onLine` gets its progress lines (one per fold); `threads` is how many
 * threads its training may use (default: every core).
 *
 * @example
 * ```ts
 * const result = await runJobProcess(job, { worker: "local-1", onLine: console.error });
 * ```
 */
export async function runJobProcess(
  job: SweepJob,
  options: { worker: string; threads?: number; onLine?: (line: string) => void },
): Promise<JobResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: jobProcessArgs(options.worker, options.threads),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(`${JSON.stringify(job)}\n`));
  await writer.close().catch(() => {});
  const tail: string[] = [];
  const err = eachLine(child.stderr, (line) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
    options.onLine?.(line);
  });
  let output = "";
  await eachLine(child.stdout, (line) => {
    if (line.trim() !== "") output = line;
  });
  const { code, signal } = await child.status;
  await err;
  if (code === 0 && output !== "") {
    try {
      const result = JSON.parse(output) as JobResult;
      if (result.id === job.id) return result;
    } catch {
      // fall through: no result
    }
  }
  const lines = tail.filter((l) => l.trim() !== "");
  const last = lines.findLast((l) => l.startsWith("error: ")) ?? lines.at(-1) ?? "no output";
  throw new JobCrash(
    `job process ${signal ? `killed by ${signal}` : `exited ${code}`} without a result: ${
      last.replace(/^error: /, "")
    }`,
  );
}

/**
 * Threads for a job that starts while `running` others run, out of `cores`,
 * with `remaining` jobs (this one included) still to start and at most
 * `workers` at a time: the cores shared evenly among the jobs that will run
 * beside it, at least 1. A job started later, when fewer run, may get more;
 * the sum over running jobs never exceeds the cores (when each gets at least
 * one, i.e. up to as many jobs as cores).
 *
 * @example
 * ```ts
 * jobThreads({ cores: 8, workers: 2, running: 0, remaining: 10 }); // 4
 * jobThreads({ cores: 8, workers: 4, running: 0, remaining: 1 }); // 8
 * ```
 */
export function jobThreads(
  options: { cores: number; workers: number; running: number; remaining: number },
): number {
  const beside = Math.min(options.workers, options.running + options.remaining);
  return Math.max(1, Math.floor(options.cores / Math.max(1, beside)));
}

/**
 * The local pool: up to `workers` job processes at a time on this machine,
 * named `local-1` … `local-N`, each training on its share of the `cores`
 * (default: this machine's; see {@linkcode jobThreads}), so that the jobs'
 * threads together do not oversubscribe the machine.
 *
 * @example
 * ```ts
 * await localPool({ workers: navigator.hardwareConcurrency }).run(jobs, events);
 * ```
 */
export function localPool(options: { workers: number; cores?: number }): Executor {
  const workers = Math.max(1, Math.floor(options.workers));
  const cores = Math.max(1, Math.floor(options.cores ?? navigator.hardwareConcurrency ?? 1));
  return {
    describe: `a local pool of ${workers} process${workers === 1 ? "" : "es"}`,
    async run(jobs: readonly SweepJob[], events: JobEvents): Promise<void> {
      let next = 0, running = 0;
      const slot = async (name: string): Promise<void> => {
        while (next < jobs.length) {
          const threads = jobThreads({ cores, workers, running, remaining: jobs.length - next });
          const job = jobs[next++];
          events.onStart?.(job, name);
          let result: JobResult;
          running++;
          try {
            result = await runJobProcess(job, { worker: name, threads });
          } catch (error) {
            if (!(error instanceof JobCrash)) throw error; // no process at all: stop the sweep
            events.onCrash?.(job, error.message);
            continue;
          } finally {
            running--;
          }
          await events.onResult(result);
        }
      };
      await Promise.all(
        Array.from({ length: Math.min(workers, jobs.length) }, (_, i) => slot(`local-${i + 1}`)),
      );
    },
    close: () => Promise.resolve(),
  };
}
