/**
 * `deno task sweep`: run a sweep spec's configurations, each scored by
 * walk-forward retraining on the same folds, on a local pool of processes
 * (default) or on Redis queue workers (`--queue`), and print the leaderboard
 * with an honest choice of the winner and its holdout confirmation.
 *
 * @module
 */

import { numberFlag, parseFlags, stringFlag } from "./common.ts";
import { type Command, printResult, progress } from "./output.ts";
import { UsageError } from "../util/errors.ts";

const HELP = `Usage: deno task sweep --spec FILE [--workers N | --queue redis://HOST:PORT] [flags]

Run every configuration of a sweep spec (JSON, or YAML for .yaml/.yml):
a grid and/or seeded random search over train flags, data and model seeds.
Each job is a walk-forward evaluation of one configuration on the same
folds; a final holdout period is kept out of every job. Results go to
sweeps/<name>/results.jsonl (one line per job, written once); jobs with
results are skipped when the sweep runs again, and a job that fails for its
own reasons is recorded as failed without stopping the sweep.

The leaderboard (sweeps/<name>/leaderboard.txt, .json, .html) ranks on the
pooled Brier skill against climatology with bootstrap intervals, says how
many configurations were tried, compares the winner with the runner-up and
with zero, corrects for the number tried (a best-of-N bootstrap, the
studentized reality check) and confirms the winner on the holdout. It
prints the winner's deno task train command. Its p column is each
configuration's own one-sided p-value of its accuracy against always-up,
not corrected for the number tried; the winner's corrected p-values (best
of N, Bonferroni) and the verdict in words are under "multiple testing".
leaderboard.html charts every configuration's skill with its interval.

Flags:
  --spec FILE        the sweep spec (see README "Sweeps" and examples/sweep.json)
  --workers N        local job processes at a time (default: the number of
                     cores, ${navigator.hardwareConcurrency ?? 1} here); each trains on its share of
                     the cores (cores / jobs at a time, at least 1 thread)
  --queue URL        redis://HOST:PORT[/DB]: enqueue the jobs for \`deno task
                     worker\` processes on any machines and collect their
                     results (the task may reach 127.0.0.1:6379 and
                     localhost:6379 only; see README "Sweeps")
  --out DIR          folder of sweeps (default sweeps)
  --dry-run          check the spec and list its jobs; run nothing
  --json             print the leaderboard as one JSON object
  --verbose, -v      a stack trace on errors
  --help, -h         this text

Progress goes to stderr, one line per event: job started, done (with its
Brier skill), failed or lost, with done/running/failed counts and an ETA.

Exit codes: 0 ok (failed jobs included), 1 some jobs could not run (a
crashed process, an unreachable Redis: run again to retry them), 2 usage
(a bad spec: unknown flag, empty grid, malformed JSON).

Examples:
  deno task sweep --spec examples/sweep.json
  deno task sweep --spec sweep.json --workers 1 --json
  deno task sweep --spec sweep.json --queue redis://127.0.0.1:6379`;

const FLAGS = {
  spec: { type: "string" },
  workers: { type: "string" },
  queue: { type: "string" },
  out: { type: "string" },
  "dry-run": { type: "boolean" },
} as const;

/**
 * The `sweep` command.
 *
 * @example
 * ```ts
 * const code = await sweep(["--spec", "examples/sweep.json", "--workers", "2"]);
 * ```
 */
export const sweep: Command = async (args: string[]): Promise<number> => {
  const { flags } = parseFlags(args, FLAGS);
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const specFile = stringFlag(flags, "spec");
  if (specFile === undefined) throw new UsageError("Expected --spec FILE, found none (see --help)");
  const queue = stringFlag(flags, "queue");
  if (queue !== undefined && flags.workers !== undefined) {
    throw new UsageError(
      "Expected --workers or --queue, found both (with --queue, start `deno task worker` processes instead)",
    );
  }
  const workers = numberFlag(flags, "workers", navigator.hardwareConcurrency ?? 1, {
    min: 1,
    max: 256,
    integer: true,
  });
  const outDir = stringFlag(flags, "out", "sweeps");
  const { readSpec, expandJobs, runSweep, localPool } = await import("../sweep/mod.ts");
  const { leaderboardHtml, leaderboardText } = await import("../views/leaderboard.ts");
  const spec = await readSpec(specFile);
  if (flags["dry-run"]) {
    const { jobs, duplicates } = await expandJobs(spec);
    printResult(flags, { sweep: spec.name, jobs, duplicates }, () =>
      [
        `sweep ${spec.name}: ${jobs.length} jobs${
          duplicates ? ` (${duplicates} duplicates dropped)` : ""
        }`,
        ...jobs.map((j) => `${j.id}  ${JSON.stringify(j.data)}  ${JSON.stringify(j.flags)}`),
      ].join("\n"));
    return 0;
  }
  const executor = queue === undefined
    ? localPool({ workers })
    : await (await import("../sweep/queue.ts")).queueExecutor(queue, { log: progress });
  try {
    const run = await runSweep(spec, {
      executor,
      outDir,
      log: progress,
      pages: (board) => ({
        "leaderboard.txt": `${leaderboardText(board)}\n`,
        "leaderboard.html": leaderboardHtml(board),
      }),
    });
    printResult(flags, run.board, () => leaderboardText(run.board));
    progress(
      `sweep ${spec.name}: ${run.ran} jobs run, ${run.skipped} skipped (results already in ${run.dir}/results.jsonl)${
        run.notRun ? `, ${run.notRun} could not run: run the sweep again to retry them` : ""
      }; leaderboard in ${run.dir}/leaderboard.{txt,json,html}`,
    );
    return run.notRun > 0 ? 1 : 0;
  } finally {
    await executor.close();
  }
};
