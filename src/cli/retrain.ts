/**
 * `deno task retrain`: the seed's monthly retraining with an A/B test before
 * deployment. Brings the data up to date, trains a candidate version on every
 * bar before the most recent period (the holdout), scores the current version
 * and the candidate on exactly the same holdout windows with the evaluation
 * code of `deno task evaluate`, and promotes the candidate only if it is not
 * worse than the current one by more than a tolerance. The work is
 * {@linkcode retrainModel} in src/pipeline/retrain.ts.
 *
 * @module
 */

import { choiceFlag, type FlagSpec, numberFlag, parseFlags, stringFlag } from "./common.ts";
import { type Command, printResult, progress, untilInterrupted } from "./output.ts";
import { TRAIN_FLAGS, trainSettings } from "./flags.ts";
import { readyModelRoot } from "../model/versions.ts";
import { MIN_EVALUATION_ROWS } from "../pipeline/score.ts";
import {
  RETRAIN_FILE,
  RETRAIN_METRICS,
  type RetrainMetric,
  retrainModel,
  type RetrainResult,
} from "../pipeline/retrain.ts";
import {
  acquireRetrainLock,
  appendRetrainLog,
  parseSchedule,
  RETRAIN_LOCK_FILE,
  RETRAIN_LOG_FILE,
  retrainLogEntry,
  scheduleRetrain,
} from "../pipeline/schedule.ts";
import { retrainLogLine, retrainText } from "../views/retrain.ts";
import { INTERVALS } from "../data/types.ts";
import { UsageError } from "../util/errors.ts";

const METRIC_NAMES = Object.keys(RETRAIN_METRICS) as RetrainMetric[];

const HELP = `Usage: deno task retrain [--name NAME] [--ticker T] [flags]

Monthly retraining with an A/B test before deployment:
  1. bring the data up to date: a cache from a live source (yahoo, alpaca,
     stooq) gets the bars after its last one; synthetic and CSV data are loaded
  2. find the current version of <model-dir>/<name> (current.json)
  3. hold out the most recent bars (--holdout) and train a candidate on the
     bars before them only, with train's flags, without promoting it
  4. score the current version and the candidate with evaluate's code on
     exactly the same holdout windows (each with its own calibration, the
     probabilities the plugin would hand out)
  5. promote the candidate only if its --metric is not worse than the current
     version's by more than --tolerance; otherwise the pointer stays put and
     the candidate stays on disk marked rejected (${RETRAIN_FILE} in its folder)
With no current version the candidate is promoted as the first version.
Every decision (and every failed run) is appended to <model>/${RETRAIN_LOG_FILE},
one JSON object a line; a dry run writes nothing.

Scheduled: --schedule "0 6 * * 1" (a cron expression: minute hour day month
weekday; here Mondays at 06:00) keeps running and retrains at each time it
names, printing one line per decision (--json: the log's JSON line). A
failed run is logged and the next one still happens. Ctrl-C stops it between
runs (a run in progress stops after the current batch and is not promoted).
One-shot from cron or a systemd timer: run it without --schedule.

A retrain (scheduled or one-shot) holds a lock on <model>/${RETRAIN_LOCK_FILE}
while it runs; a second one on the same model is refused (exit 1). The
operating system releases the lock when the process dies, even by kill -9.

The current version may have been trained (or early-stopped) on part of the
holdout; the output says how many holdout rows that is, since it flatters
the current version there.

Flags:
  --name NAME         model name (default lstm): <model-dir>/<name>
  --model-dir DIR     parent folder of models (default models)
  --ticker T          one ticker (default: the current version's, else SYNTH)
  --source NAME       as in prepare (default: the cache's own source when
                      --ticker is cached, else synthetic: seeded, offline,
                      no new bars; as in train, --seed also seeds its bars)
  --csv FILE          load the bars of a CSV file
  --data-dir DIR      data cache folder (default data)
  --holdout N         most recent labelled windows held out and scored
                      (default 15% of the bars, at least ${MIN_EVALUATION_ROWS})
  --metric M          ${METRIC_NAMES.join(" | ")} (default log-loss: a proper
                      score of the probabilities the bots threshold, lower is
                      better; it moves with every row, where accuracy on a few
                      hundred rows is mostly noise and AUC ignores calibration)
  --tolerance X       how much worse the candidate may be, in the metric's
                      units (default 0; a negative value, written
                      --tolerance=-0.01, demands an improvement)
  --dry-run           train and score, print the decision, write nothing
                      under <model-dir> (the candidate is scored in memory)
  --interval I        ${INTERVALS.join(" | ")}: the bars' interval (default: the
                      current version's, else 1d; another one is refused)
  --schedule CRON     keep running and retrain at each time CRON names
  --timezone ZONE     IANA zone CRON is read in (default: the machine's)
  --runs N            with --schedule: stop after N runs (default: never)
  --json              print one JSON object with the comparison
  --verbose, -v       tfjs warnings and stack traces on stderr
  --help, -h          this text

Training flags, as \`deno task train --help\` describes them (same defaults):
  --start --end --test-start --validation-split --test-split --horizon
  --sequence-length --arch --epochs --batch-size --lstm-units --dropout
  --learning-rate --l2 --patience --seed --backend --kernel --calibration
  --threads
  The candidate's splits are cut from the bars before the holdout; --horizon
  must match the current version's, or the labels would differ.

Exit codes: 0 ok (promoted and rejected alike), 1 failed (data, files), 2 usage.

Examples:
  deno task retrain --name lstm --ticker SPY
  deno task retrain --name lstm --ticker SPY --dry-run
  deno task retrain --name lstm --ticker SPY --metric auc --tolerance 0.005 --json
  deno task retrain --name lstm --ticker SPY --schedule "0 6 * * 1" --timezone America/New_York`;

const FLAGS: Record<string, FlagSpec> = {
  ...TRAIN_FLAGS,
  holdout: { type: "string" },
  metric: { type: "string" },
  tolerance: { type: "string" },
  "dry-run": { type: "boolean" },
  schedule: { type: "string" },
  timezone: { type: "string" },
  runs: { type: "string" },
};

/**
 * The `retrain` command.
 *
 * @example
 * ```ts
 * const code = await retrain(["--name", "lstm", "--ticker", "SPY", "--dry-run"]);
 * ```
 */
export const retrain: Command = async (args: string[]): Promise<number> => {
  const { flags } = parseFlags(args, FLAGS);
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const metric = choiceFlag(flags, "metric", METRIC_NAMES, "log-loss");
  const tolerance = numberFlag(flags, "tolerance", 0);
  const holdout = flags.holdout === undefined
    ? undefined
    : numberFlag(flags, "holdout", 0, { integer: true, min: MIN_EVALUATION_ROWS });
  const schedule = stringFlag(flags, "schedule");
  const timezone = stringFlag(flags, "timezone");
  for (const name of ["timezone", "runs"]) {
    if (schedule === undefined && flags[name] !== undefined) {
      throw new UsageError(`Expected --${name} only with --schedule, found it without`);
    }
  }
  if (schedule !== undefined) parseSchedule(schedule, timezone);
  const maxRuns = flags.runs === undefined
    ? undefined
    : numberFlag(flags, "runs", 1, { integer: true, min: 1 });
  const dryRun = flags["dry-run"] === true;
  // Every training flag is checked before any file is read.
  const { fit, data, modelRoot } = trainSettings(flags);
  const retrainOptions = {
    modelRoot,
    fit,
    data,
    holdout,
    metric,
    tolerance,
    dryRun,
    log: progress,
  };
  if (schedule !== undefined) {
    if (!dryRun) await readyModelRoot(modelRoot, progress);
    const summary = await untilInterrupted(
      (shouldStop) =>
        scheduleRetrain(schedule, {
          ...retrainOptions,
          timezone,
          maxRuns,
          shouldStop,
          retrain: async (options) => {
            if (!dryRun) await readyModelRoot(modelRoot, progress);
            return await retrainModel(options);
          },
          onWait: (next) => progress(`retrain: next run of ${modelRoot} at ${next}`),
          onRun: (entry) => {
            console.log(flags.json ? JSON.stringify(entry) : retrainLogLine(entry));
          },
        }),
      "retrain: interrupted; stopping (a run in progress stops after the current batch and is not promoted)",
    );
    progress(
      `retrain: scheduler stopped (${summary.stoppedBy}) after ${summary.runs.length} run${
        summary.runs.length === 1 ? "" : "s"
      }`,
    );
    return 0;
  }
  // Before any long work: the candidate can be written; killed runs' temporary files go.
  if (!dryRun) await readyModelRoot(modelRoot, progress);
  // One shot: the lock refuses an overlapping run (a scheduler, or cron starting this twice).
  const lock = dryRun ? null : await acquireRetrainLock(modelRoot);
  const startedAt = new Date().toISOString();
  let result: RetrainResult;
  try {
    // Ctrl-C stops the candidate's training after the current batch; it is then not promoted.
    result = await untilInterrupted((shouldStop) =>
      retrainModel({ ...retrainOptions, shouldStop })
    );
    // The decision is logged; a failed one-shot run says so in its exit code and one line.
    if (!dryRun) {
      const context = { startedAt, endedAt: new Date().toISOString(), schedule: null };
      await appendRetrainLog(modelRoot, retrainLogEntry(result, { ...context, model: modelRoot }));
    }
  } finally {
    await lock?.release();
  }
  printResult(flags, result, () => retrainText(result));
  return 0;
};
