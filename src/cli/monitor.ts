/**
 * `deno task monitor`: joins the signal plugin's predictions log with the
 * prices that followed, and reports how the model is doing live and whether
 * its inputs and outputs drifted (see `src/pipeline/monitor.ts`).
 *
 * @module
 */

import { numberFlag, parseFlags, stringFlag } from "./common.ts";
import { type Command, printResult, progress } from "./output.ts";
import { DATA_FLAGS, dataRequest } from "./flags.ts";
import { validateTicker } from "../data/mod.ts";
import { SOURCES } from "../data/types.ts";
import { PSI_SIGNIFICANT, REFERENCE_FILE } from "../eval/drift.ts";
import { monitorModel } from "../pipeline/monitor.ts";
import { SHADOW_METRICS } from "../pipeline/shadow_comparison.ts";
import { monitorText } from "../views/monitor.ts";
import { UsageError } from "../util/errors.ts";

const HELP = `Usage: deno task monitor --ticker SPY [flags]

Joins the predictions log of the signal plugin (createLstmSignal({ logPath }))
with realised prices and reports how the model does live, beside its test
scores, and whether its inputs drifted from the training data.

Only "ok" signals of the ticker made by the model version in use count.
A signal is resolved when the bar horizonBars after its bar is known: its
label is 1 when that bar's close (adjusted close when present) is above the
close of the signal's bar; otherwise it is pending. A signal is called up
when probabilityUp > 0.5.

Flags:
  --ticker SYMBOL      the ticker to monitor (required)
  --model DIR          model folder, or versioned root with current.json
                       (default models/lstm)
  --log FILE           the predictions log, JSON lines
                       (default <model>/predictions.jsonl)
  --csv FILE           realised prices from a CSV file
  --source NAME        ${SOURCES.join(" | ")}; without it (and without
                       --csv) the cache that prepare wrote is read
  --data-dir DIR       cache folder (default data)
  --seed N             seed of synthetic prices (default: the model's on its own
                       ticker, else 42)
  --interval I         bar interval of the prices (default: the model's own;
                       another interval is refused)
  --window N           rolling window, in resolved signals (default 20)
  --psi-threshold X    flag a feature or the probabilities when its PSI is
                       above X (default ${PSI_SIGNIFICANT}; < 0.1 stable, 0.1-0.25 moderate)
  --shadow LIST        compare these shadow versions (default: every one the
                       log carries)
  --metric NAME        brier | logloss | accuracy: what the shadow verdict
                       reads (default brier)
  --fail-on-alert      exit 1 when any alert is raised
  --json               print one JSON object
  --verbose, -v        more detail, and a stack trace on errors
  --help, -h           this text

Alerts: rolling accuracy below the model's test accuracy by more than two
standard errors (sqrt(a(1-a)/n) at the test accuracy a and the window's n);
a feature or the predicted probabilities with PSI above --psi-threshold
against ${REFERENCE_FILE} of the model folder. Alerts are reported, marked
with "!", and do not change the exit code unless --fail-on-alert is given.

Malformed log lines are skipped and counted (a warning on stderr).

Shadow versions (createLstmSignal({ shadow }), deno task models shadow vN):
when the log's lines carry them, each is compared with the live version on
the bars where both gave an ok signal and the outcome is known (the same bars
for both): accuracy, Brier score and log loss, their skill against the live
version's training base rate, the difference (shadow - live) with a 95%
block-bootstrap interval paired on those bars, how often both call the same
side of 0.5, the PSI of each one's probabilities, and a verdict on --metric:
better or worse when the interval of the difference excludes 0, else no
different (too few bars under 20). The comparison is recomputed from the
append-only log on every run: a bot restarted mid-comparison loses nothing.

Exit codes: 0 ok, 1 failed (missing log or model file, data; or an alert
with --fail-on-alert), 2 usage.

Examples:
  deno task monitor --ticker SPY
  deno task monitor --model models/lstm --ticker SPY --window 60 --json
  deno task monitor --ticker SPY --log bot/predictions.jsonl --source yahoo
  deno task monitor --ticker SPY --shadow v7 --metric logloss`;

const FLAGS = {
  ...DATA_FLAGS,
  model: { type: "string" },
  log: { type: "string" },
  window: { type: "string" },
  "psi-threshold": { type: "string" },
  "fail-on-alert": { type: "boolean" },
  shadow: { type: "string" },
  metric: { type: "string" },
} as const;

/**
 * The `monitor` command.
 *
 * @example
 * ```ts
 * const code = await monitor(["--model", "models/lstm", "--ticker", "SPY", "--json"]);
 * ```
 */
export const monitor: Command = async (args: string[]): Promise<number> => {
  const { flags } = parseFlags(args, FLAGS);
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const tickerFlag = stringFlag(flags, "ticker");
  if (tickerFlag === undefined) {
    throw new UsageError("Expected --ticker SYMBOL (for example --ticker SPY), found none");
  }
  const ticker = validateTicker(tickerFlag);
  const window = numberFlag(flags, "window", 20, { min: 1, integer: true });
  const psiThreshold = numberFlag(flags, "psi-threshold", PSI_SIGNIFICANT, { min: 0 });
  const metricFlag = stringFlag(flags, "metric", "brier");
  const metric = SHADOW_METRICS[metricFlag];
  if (!metric) {
    throw new UsageError(
      `Expected --metric to be one of brier, logloss, accuracy, found "${metricFlag}"`,
    );
  }
  const shadowFlag = stringFlag(flags, "shadow");
  const shadow = shadowFlag?.split(",").map((v) => v.trim()).filter((v) => v !== "");
  for (const v of shadow ?? []) {
    if (!/^v\d+$/.test(v)) {
      throw new UsageError(`Expected --shadow to list versions like v3, found "${v}"`);
    }
  }
  const result = await monitorModel({
    modelDir: stringFlag(flags, "model", "models/lstm"),
    ticker,
    logPath: stringFlag(flags, "log"),
    request: dataRequest(flags),
    window,
    psiThreshold,
    shadow,
    metric,
    warn: progress,
  });
  printResult(flags, result, () => monitorText(result));
  return flags["fail-on-alert"] && result.alerts.length ? 1 : 0;
};
