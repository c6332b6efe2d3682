/**
 * `cli.ts sweep-job` (hidden): the process one sweep job runs in, started by
 * the local pool and by `deno task worker`. Reads the job as one JSON line on
 * stdin, writes its result as one JSON line on stdout (a job's own usage or
 * data error is a result with `status: "failed"`, exit 0; any other error is
 * one `error:` line and exit 1, and the job is retried), progress on stderr.
 * Exits 3 when the process that started it has died (checked after each
 * fold), so a killed worker leaves no job running behind it.
 *
 * @module
 */

import type { Command } from "./output.ts";
import { UsageError } from "../util/errors.ts";
import type { SweepJob } from "../sweep/spec.ts";

async function readFirstLine(): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of Deno.stdin.readable) {
    text += decoder.decode(chunk, { stream: true });
    const end = text.indexOf("\n");
    if (end >= 0) return text.slice(0, end);
  }
  return text;
}

/**
 * The `sweep-job` command.
 *
 * @example
 * ```ts
 * // echo '{"id":…}' | deno run --allow-read cli.ts sweep-job --worker local-1
 * const code = await sweepJob(["--worker", "local-1"]);
 * ```
 */
export const sweepJob: Command = async (args: string[]): Promise<number> => {
  const flag = (name: string): string | undefined => {
    const at = args.indexOf(`--${name}`);
    return at >= 0 && args[at + 1] ? args[at + 1] : undefined;
  };
  const worker = flag("worker") ?? "local";
  const threads = flag("threads") === undefined ? undefined : Number(flag("threads"));
  const parent = Deno.ppid;
  const line = await readFirstLine();
  let job: SweepJob;
  try {
    job = JSON.parse(line) as SweepJob;
  } catch {
    throw new UsageError(
      `Expected a sweep job as one JSON line on stdin, found ${line.slice(0, 40)}`,
    );
  }
  const { runJob } = await import("../sweep/job.ts");
  const result = await runJob(job, {
    worker,
    threads,
    log: (text) => {
      if (Deno.ppid !== parent) Deno.exit(3); // orphaned: whoever wanted the result is gone
      console.error(text);
    },
  });
  console.log(JSON.stringify(result));
  return 0;
};
