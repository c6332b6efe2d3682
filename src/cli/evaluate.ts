/**
 * `deno task evaluate`: score a saved model out of sample, beside the
 * baselines on exactly the same rows, with intervals, a test against
 * always-up, optionally walk-forward retraining, and an HTML report.
 *
 * @module
 */

import {
  choiceFlag,
  type Command,
  dateFlag,
  kernelFlag,
  kernelHelp,
  numberFlag,
  parseFlags,
  printResult,
  progress,
  stringFlag,
} from "./common.ts";
import { type SourceName, SOURCES } from "../data/types.ts";
import { loadSeries, validateTicker } from "../data/mod.ts";
import { BACKENDS, selectBackend } from "../model/backend.ts";
import {
  type EvaluationModel,
  loadEvaluationModel,
  type ModelEvaluation,
  scoreModel,
  walkForward,
  type WalkForwardEvaluation,
} from "../eval/run.ts";
import { evaluationReport, formatEvaluation, formatWalkForward } from "../eval/summary.ts";
import { renderReport } from "../eval/report.ts";
import { atomicWriteFile } from "../util/fs.ts";
import { DataError, UsageError } from "../util/errors.ts";
import { dirname } from "node:path";

const HELP = `Usage: deno task evaluate [--model DIR] [--ticker LIST | --csv FILE] [flags]

Score a saved model on every labelled window in range, beside baselines on
exactly the same rows: always-up, yesterday's direction, a logistic
regression on the last bar of each window (fitted on the model's own
training rows) and the base rate. Each headline metric carries a 95%
block-bootstrap interval, and a one-sided test says whether the model beats
always-up. Windows are rebuilt with the model's saved scaler and features,
which are never refitted. On the model's own ticker only rows after its
validation range are scored (out of sample) unless --start/--end are given.

Flags:
  --model DIR        a model folder or a versioned root (default models/lstm)
  --ticker LIST      one ticker or a comma-separated list (default: the
                     model's own ticker, or the --csv file's name)
  --csv FILE         score the bars of a CSV file (one ticker)
  --source NAME      ${SOURCES.join(" | ")} (default: the model's own source
                     on its own ticker, else the data cache)
  --data-dir DIR     data cache folder (default data)
  --start DATE       first reference date scored, YYYY-MM-DD
  --end DATE         last reference date scored
  --seed N           seed of the bootstrap and of synthetic data (default 42)
  --walk-forward     retrain on each fold with the model's own hyperparameters
                     and score the next segment: the evaluation to trust
  --folds N          walk-forward folds (default 5)
  --mode M           expanding | sliding training window (default expanding)
  --retrain-every N  windows per fold (default: the rows after the first
                     training range divided evenly)
  --epochs N         walk-forward epochs per fold (default: the model's own)
  --backend NAME     ${BACKENDS.join(" | ")} (default wasm)
${kernelHelp(21)}
  --report FILE      write a self-contained HTML report (FILE.TICKER.html
                     for each ticker when there are several); the deno
                     task may write inside the working directory only
  --json             print one JSON object (an array for several tickers)
  --verbose, -v      progress, and a stack trace on errors
  --help, -h         this text

Exit codes: 0 ok, 1 failed (missing or corrupted model, too little data),
2 usage.

Examples:
  deno task evaluate --model models/lstm --ticker SPY
  deno task evaluate --model models/lstm --ticker AAPL --csv ../shared/data/AAPL.csv --report reports/aapl.html
  deno task evaluate --ticker SPY --walk-forward --folds 5 --json`;

const FLAGS = {
  model: { type: "string" },
  ticker: { type: "string" },
  csv: { type: "string" },
  source: { type: "string" },
  "data-dir": { type: "string" },
  start: { type: "string" },
  end: { type: "string" },
  seed: { type: "string" },
  "walk-forward": { type: "boolean" },
  folds: { type: "string" },
  mode: { type: "string" },
  "retrain-every": { type: "string" },
  epochs: { type: "string" },
  backend: { type: "string" },
  kernel: { type: "string" },
  report: { type: "string" },
} as const;

/** The tickers asked for: the flag's list, else the CSV's name, else the model's own. */
function tickersOf(flag: string | undefined, csv: string | undefined, own?: string): string[] {
  if (flag !== undefined) return flag.split(",").map((t) => validateTicker(t.trim()));
  if (csv !== undefined) {
    const stem = csv.split("/").pop()!.replace(/\.[^.]*$/, "");
    return [validateTicker(stem.toUpperCase())];
  }
  if (own === undefined) {
    throw new UsageError(
      "Expected --ticker SYMBOL (the model's config names no ticker), found none",
    );
  }
  return [own];
}

function reportPath(path: string, ticker: string, several: boolean): string {
  if (!several) return path;
  return /\.html?$/i.test(path)
    ? path.replace(/(\.html?)$/i, `.${ticker}$1`)
    : `${path}.${ticker}.html`;
}

const pct = (v: number): string => v.toFixed(4);

/** One line per ticker: the comparison table of several tickers. */
function tickerTable(results: ModelEvaluation[]): string {
  const header = [
    "ticker",
    "rows",
    "first",
    "last",
    "accuracy",
    "always-up",
    "logistic",
    "auc",
    "p",
  ];
  const rows = results.map((e) => [
    e.ticker,
    String(e.rows),
    e.first,
    e.last,
    pct(e.metrics.accuracy),
    pct(e.baselines.alwaysUp.accuracy),
    e.baselines.logistic ? pct(e.baselines.logistic.accuracy) : "–",
    Number.isNaN(e.metrics.auc) ? "–" : pct(e.metrics.auc),
    e.pValueVsAlwaysUp.toFixed(3),
  ]);
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  return all.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd())
    .join("\n");
}

function evaluationText(e: ModelEvaluation): string {
  const folds = "folds" in e
    ? [
      formatWalkForward({ folds: (e as WalkForwardEvaluation).folds, pooled: e }),
      "pooled scores of every fold's test rows:",
    ]
    : [];
  return [
    `${e.ticker}: model ${e.model.dir} (${e.model.version})`,
    `scope: ${e.scope}`,
    ...folds,
    formatEvaluation(e),
    `logistic baseline fitted on ${e.baselines.logistic?.fittedOn ?? "nothing"}`,
  ].join("\n");
}

/**
 * Fails before any work when the report could not be written: Deno grants the
 * tasks write access to the working directory only.
 *
 * @example
 * ```ts
 * assertReportWritable("reports/spy.html"); // throws unless writes to reports/ are allowed
 * ```
 */
export function assertReportWritable(path: string): void {
  const dir = dirname(path) || ".";
  if (Deno.permissions.querySync({ name: "write", path: dir }).state !== "granted") {
    throw new DataError(
      `Expected write access to ${dir}/ for --report ${path}, found none (the deno task may write under the working directory only: use a path inside it, or run cli.ts with --allow-write=${dir})`,
    );
  }
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
  const { flags } = parseFlags(args, FLAGS);
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const csv = stringFlag(flags, "csv");
  const sourceFlag = flags.source === undefined
    ? undefined
    : choiceFlag(flags, "source", SOURCES, "synthetic");
  if (csv && sourceFlag !== undefined && sourceFlag !== "csv") {
    throw new UsageError(
      `Expected --source csv (or no --source) with --csv, found "${sourceFlag}"`,
    );
  }
  if (sourceFlag === "csv" && !csv) {
    throw new UsageError("Expected --csv FILE with --source csv, found none");
  }
  const seed = numberFlag(flags, "seed", 42, { min: 0, max: 4294967295, integer: true });
  const start = dateFlag(flags, "start");
  const end = dateFlag(flags, "end");
  if (start && end && start > end) {
    throw new UsageError(`Expected --start before --end, found ${start} and ${end}`);
  }
  const walk = Boolean(flags["walk-forward"]);
  for (const name of ["folds", "mode", "retrain-every", "epochs"]) {
    if (!walk && flags[name] !== undefined) {
      throw new UsageError(`Expected --${name} only with --walk-forward, found it without`);
    }
  }
  const folds = numberFlag(flags, "folds", 5, { min: 1, max: 100, integer: true });
  const mode = choiceFlag(flags, "mode", ["expanding", "sliding"] as const, "expanding");
  const retrainEvery = flags["retrain-every"] === undefined
    ? undefined
    : numberFlag(flags, "retrain-every", 0, { min: 1, integer: true });
  const epochs = flags.epochs === undefined
    ? undefined
    : numberFlag(flags, "epochs", 0, { min: 1, max: 10000, integer: true });
  const backend = choiceFlag(flags, "backend", BACKENDS, "wasm");
  const report = stringFlag(flags, "report");
  if (report) assertReportWritable(report);
  const dataDir = stringFlag(flags, "data-dir", "data");
  const modelDir = stringFlag(flags, "model", "models/lstm");
  const verbose = Boolean(flags.verbose);

  const kernel = kernelFlag(flags, await selectBackend(backend, { verbose, log: progress }));
  const loaded: EvaluationModel = await loadEvaluationModel(modelDir, { kernel });
  try {
    const { info } = loaded;
    const tickers = tickersOf(stringFlag(flags, "ticker"), csv, info.ticker);
    if (csv && tickers.length > 1) {
      throw new UsageError(`Expected one --ticker with --csv, found ${tickers.length}`);
    }
    const several = tickers.length > 1;
    const evaluations: ModelEvaluation[] = [];
    for (const ticker of tickers) {
      const own = info.ticker !== undefined && ticker === info.ticker.toUpperCase();
      const source: SourceName | undefined = csv
        ? "csv"
        : sourceFlag ?? (own ? info.source as SourceName | undefined : undefined);
      if (verbose) progress(`evaluate: ${ticker} from ${source ?? "the data cache"}`);
      const { bars } = await loadSeries({
        ticker,
        source: source === "csv" && !csv ? undefined : source,
        csv,
        dataDir,
        seed: flags.seed === undefined && own ? info.dataSeed ?? seed : seed,
      });
      const options = { ticker, start, end, seed, dataDir, kernel };
      const { evaluation, rows } = walk
        ? await walkForward(loaded, bars, {
          ...options,
          folds,
          mode,
          retrainEvery,
          epochs,
          log: verbose ? progress : undefined,
        })
        : await scoreModel(loaded, bars, options);
      evaluations.push(evaluation);
      if (report) {
        const path = reportPath(report, ticker, several);
        const input = evaluationReport(rows, evaluation, {
          title: `${walk ? "Walk-forward evaluation" : "Evaluation"} of ${info.dir} on ${ticker}`,
          history: loaded.history,
        });
        input.summary = [
          ...(input.summary ?? []),
          `Scope: ${evaluation.scope}.`,
          `Logistic baseline fitted on ${evaluation.baselines.logistic?.fittedOn ?? "nothing"}.`,
        ];
        await atomicWriteFile(path, renderReport(input));
        if (verbose) progress(`report written to ${path}`);
      }
    }
    printResult(flags, several ? evaluations : evaluations[0], () =>
      [
        ...(several ? [tickerTable(evaluations), ""] : []),
        ...evaluations.map(evaluationText),
      ].join("\n\n"));
    return 0;
  } finally {
    loaded.dispose();
  }
};
