/**
 * `deno task worker`: pull sweep jobs from a Redis queue and run them, on
 * any number of machines; `deno task sweep --queue` enqueues them and writes
 * their results.
 *
 * @module
 */

import { numberFlag, parseFlags, stringFlag } from "./common.ts";
import { type Command, progress } from "./output.ts";
import { UsageError } from "../util/errors.ts";

const HELP = `Usage: deno task worker --queue redis://HOST:PORT [--concurrency N] [flags]

Pull sweep jobs from the Redis queue that \`deno task sweep --queue\` fills
and run them, each in its own process; results go back through the queue.
Start as many workers as you like, on any machines that reach Redis and see
the spec's data (a shared path, or a provider such as synthetic). A worker
killed mid-job loses nothing: once its job's lock expires, another worker
runs the job again, and the sweep records each job's result once.

Flags:
  --queue URL          redis://HOST:PORT[/DB] (the task may reach
                       127.0.0.1:6379 and localhost:6379 only; see README
                       "Sweeps" for other hosts)
  --concurrency N      jobs at a time (default 1; each takes about one core)
  --lock-seconds N     a job's lock without renewal, and how often stalled
                       jobs are looked for (default 30): a dead worker's job
                       moves on within about twice this
  --idle-exit N        exit 0 once the queue has been idle N seconds (for
                       batch jobs such as a Kubernetes Job); default: run
                       until Ctrl-C or SIGTERM, which finish the held jobs
  --name NAME          the worker's name in results (default HOST:PID)
  --verbose, -v        a stack trace on errors
  --help, -h           this text

Exit codes: 0 stopped, 1 Redis unreachable or lost, 2 usage.

Examples:
  deno task worker --queue redis://127.0.0.1:6379 --concurrency 2
  deno run --allow-read --allow-run --allow-env --allow-sys=hostname \\
    --allow-net=redis.lan:6379 cli.ts worker --queue redis://redis.lan:6379`;

const FLAGS = {
  queue: { type: "string" },
  concurrency: { type: "string" },
  "lock-seconds": { type: "string" },
  "idle-exit": { type: "string" },
  name: { type: "string" },
} as const;

function defaultName(): string {
  try {
    return `${Deno.hostname()}:${Deno.pid}`;
  } catch {
    return `worker:${Deno.pid}`;
  }
}

/**
 * The `worker` command.
 *
 * @example
 * ```ts
 * const code = await worker(["--queue", "redis://127.0.0.1:6379", "--concurrency", "2"]);
 * ```
 */
export const worker: Command = async (args: string[]): Promise<number> => {
  const { flags } = parseFlags(args, FLAGS);
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const queue = stringFlag(flags, "queue");
  if (queue === undefined) throw new UsageError("Expected --queue redis://HOST:PORT, found none");
  const concurrency = numberFlag(flags, "concurrency", 1, { min: 1, max: 64, integer: true });
  const lockSeconds = numberFlag(flags, "lock-seconds", 30, { min: 1, max: 3600 });
  const idleExitSeconds = flags["idle-exit"] === undefined
    ? undefined
    : numberFlag(flags, "idle-exit", 0, { min: 1, max: 86400 });
  const name = stringFlag(flags, "name", defaultName());
  const { runWorker, parseRedisUrl } = await import("../sweep/queue.ts");
  parseRedisUrl(queue);
  const ran = await runWorker(queue, {
    concurrency,
    lockSeconds,
    idleExitSeconds,
    name,
    log: progress,
  });
  progress(`${name}: stopped after ${ran} job${ran === 1 ? "" : "s"}`);
  return 0;
};
