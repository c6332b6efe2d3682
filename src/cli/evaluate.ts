/**
 * `deno task evaluate`: score a saved model out of sample, beside the
 * baselines on exactly the same rows, with intervals, a test against
 * always-up, optionally walk-forward retraining, and an HTML report.
 *
 * @module
 */

import {
  choiceFlag,
  kernelFlag,
  kernelHelp,
  numberFlag,
  parseFlags,
  stringFlag,
} from "./common.ts";
import { type Command, printResult, progress } from "./output.ts";
import {
  DATA_FLAGS,
  DATA_HELP,
  dataRequest,
  dateRange,
  reportFlag,
  reportPathFor,
} from "./flags.ts";
import { BACKENDS, quietly, selectBackend } from "../model/backend.ts";
import { evaluateTicker } from "../pipeline/evaluate.ts";
import { loadEvaluationModel, type ModelEvaluation } from "../pipeline/score.ts";
import { requestedTickers } from "../pipeline/series.ts";
import { evaluationPage, evaluationText, renderReport } from "../views/mod.ts";
import { atomicWriteFile } from "../util/fs.ts";
import { UsageError } from "../util/errors.ts";
import { CALIBRATION_METHODS } from "../model/calibration.ts";
import {
  bareUniverse,
  UNIVERSE_SCORE_FLAGS,
  UNIVERSE_SCORE_HELP,
  universeScoreRequest,
} from "./universe_flags.ts";
import { isUniverseModel, scoreUniverseRequest } from "../pipeline/study.ts";
import { universeEvaluationText, universePage } from "../views/universe.ts";

const HELP = `Usage: deno task evaluate [--model DIR] [--ticker LIST | --csv FILE] [flags]

Score a saved model on every labelled window in range, beside baselines on
exactly the same rows: always-up, yesterday's direction, a logistic
regression on the last bar of each window (fitted on the model's own
training rows), the base rate as a constant probability (climatology, with
the Brier and log-loss skill against it) and the raw network before the
calibration its card records (the probabilities scored are the calibrated
ones the plugin hands out). Each headline metric carries a 95%
block-bootstrap interval, and a one-sided test says whether the model beats
always-up. Windows are rebuilt with the model's saved scaler and features,
which are never refitted. On the model's own ticker only rows after its
validation range are scored (out of sample) unless --start/--end are given.

Flags:
  --model DIR        a model folder or a versioned root (default models/lstm)
${DATA_HELP}
  --start DATE       first reference date scored, YYYY-MM-DD
  --end DATE         last reference date scored
  --walk-forward     retrain on each fold with the model's own hyperparameters
                     and score the next segment: the evaluation to trust
  --folds N          walk-forward folds (default 5)
  --mode M           expanding | sliding training window (default expanding)
  --retrain-every N  windows per fold (default: the rows after the first
                     training range divided evenly)
  --epochs N         walk-forward epochs per fold (default: the model's own)
  --calibration M    walk-forward: ${CALIBRATION_METHODS.join(" | ")} fitted on each fold's own
                     validation rows (default: the model's own method; none
                     scores the raw network)
  --backend NAME     ${BACKENDS.join(" | ")} (default wasm)
${kernelHelp(21)}
  --report FILE      write a self-contained HTML report (FILE.TICKER.html
                     for each ticker when there are several); deno task
                     evaluate may write under reports/ only
  --json             print one JSON object (an array for several tickers)
  --verbose, -v      progress, and a stack trace on errors
  --help, -h         this text

${UNIVERSE_SCORE_HELP}

Exit codes: 0 ok, 1 failed (missing or corrupted model, too little data),
2 usage.

Examples:
  deno task evaluate --model models/lstm --ticker SPY
  deno task evaluate --model models/lstm --ticker AAPL --csv ../shared/data/AAPL.csv --report reports/aapl.html
  deno task evaluate --ticker SPY --walk-forward --folds 5 --json`;

const FLAGS = {
  ...DATA_FLAGS,
  model: { type: "string" },
  start: { type: "string" },
  end: { type: "string" },
  "walk-forward": { type: "boolean" },
  folds: { type: "string" },
  mode: { type: "string" },
  "retrain-every": { type: "string" },
  epochs: { type: "string" },
  calibration: { type: "string" },
  backend: { type: "string" },
  kernel: { type: "string" },
  report: { type: "string" },
  ...UNIVERSE_SCORE_FLAGS,
  "cost-bps": { type: "string" },
} as const;

/** Walk-forward's flags, or undefined without `--walk-forward` (they are refused there). */
function walkForwardFlags(flags: Record<string, string | boolean | undefined>) {
  const walk = Boolean(flags["walk-forward"]);
  for (const name of ["folds", "mode", "retrain-every", "epochs", "calibration"]) {
    if (!walk && flags[name] !== undefined) {
      throw new UsageError(`Expected --${name} only with --walk-forward, found it without`);
    }
  }
  if (!walk) return undefined;
  return {
    folds: numberFlag(flags, "folds", 5, { min: 1, max: 100, integer: true }),
    mode: choiceFlag(flags, "mode", ["expanding", "sliding"] as const, "expanding"),
    retrainEvery: flags["retrain-every"] === undefined
      ? undefined
      : numberFlag(flags, "retrain-every", 0, { min: 1, integer: true }),
    epochs: flags.epochs === undefined
      ? undefined
      : numberFlag(flags, "epochs", 0, { min: 1, max: 10000, integer: true }),
    calibration: flags.calibration === undefined
      ? undefined
      : choiceFlag(flags, "calibration", CALIBRATION_METHODS, "platt"),
    log: progress, // a line per fold with the time left: walk-forward takes minutes
  };
}

/**
 * The `evaluate` command.
 *
 * @example
 * ```ts
 * const code = await evaluate(["--model", "models/lstm", "--ticker", "SPY", "--json"]);
 * ```
 */
export const evaluate: Command = async (args: string[]): Promise<number> => {
  const { flags } = parseFlags(bareUniverse(args), FLAGS);
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  if (flags.study !== undefined) flags["walk-forward"] = true; // a study retrains by date folds
  const request = dataRequest(flags);
  const range = dateRange(flags);
  const walkForward = walkForwardFlags(flags);
  const backend = choiceFlag(flags, "backend", BACKENDS, "wasm");
  const report = reportFlag(flags);
  const verbose = Boolean(flags.verbose);

  const kernel = kernelFlag(flags, await selectBackend(backend, { verbose, log: progress }));
  const modelDir = stringFlag(flags, "model", "models/lstm");
  if (
    flags.universe !== undefined || flags.study !== undefined || await isUniverseModel(modelDir)
  ) {
    const scoring = universeScoreRequest(flags, {
      modelDir,
      kernel,
      data: request,
      range,
      log: progress,
    });
    const { result, title } = await scoreUniverseRequest(scoring.request, scoring.options);
    printResult(flags, result.evaluation, () => universeEvaluationText(result.evaluation));
    // The report after the results: a long study's figures are printed even if the page fails.
    if (report) {
      await atomicWriteFile(report, universePage(result, title));
      progress(`report written to ${report}`);
    }
    return 0;
  }
  for (const name of ["top-k", "long-only", "cost-bps", "context"]) {
    if (flags[name] !== undefined) {
      throw new UsageError(`Expected --${name} only with --universe, found it without`);
    }
  }
  const loaded = await loadEvaluationModel(modelDir, { kernel });
  try {
    const tickers = requestedTickers(loaded.info.card, request);
    const evaluations: ModelEvaluation[] = [];
    for (const ticker of tickers) {
      if (verbose) progress(`evaluate: ${ticker}`);
      // Walk-forward builds models: tfjs's warnings (Orthogonal initializer) only with --verbose.
      const { evaluation, rows } = await quietly(() =>
        evaluateTicker(loaded, ticker, {
          request,
          ...range,
          seed: request.seed ?? 42,
          walkForward: walkForward && { ...walkForward, kernel },
        }), verbose);
      evaluations.push(evaluation);
      if (report) {
        const path = reportPathFor(report, ticker, tickers.length > 1);
        const input = evaluationPage(evaluation, rows, {
          model: loaded.info.dir,
          history: loaded.history,
          label: loaded.info.card.label,
        });
        await atomicWriteFile(path, renderReport(input));
        progress(`report written to ${path}`);
      }
    }
    printResult(
      flags,
      evaluations.length > 1 ? evaluations : evaluations[0],
      () => evaluationText(evaluations),
    );
    return 0;
  } finally {
    loaded.dispose();
  }
};
