/**
 * The universe side of the commands: `prepare --csv-dir | --tickers-file |
 * --csv LONG.csv`, `train --universe`, `evaluate --universe` and
 * `backtest --universe`. Each command file adds these flags to its own and
 * hands over here; the work is in `src/pipeline/universe.ts`.
 *
 * @module
 */

import { basename, extname, join } from "node:path";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import {
  choiceFlag,
  dateFlag,
  type Flags,
  type FlagSpec,
  numberFlag,
  printResult,
  progress,
  stringFlag,
  untilInterrupted,
} from "./common.ts";
import type { TrainFlagSettings } from "./flags.ts";
import { type PrepareResult, prepareTicker, summarizeReport, validateTicker } from "../data/mod.ts";
import { INTERVALS, SOURCES } from "../data/types.ts";
import type { SeriesRequest } from "../pipeline/series.ts";
import { fitSettings } from "../pipeline/fit.ts";
import {
  evaluateUniverse,
  fitAndSaveUniverse,
  loadUniverseData,
  loadUniverseModel,
  modelUniverse,
  portfolioText,
  runUniverseStudy,
  STUDIES,
  type Study,
  type UniverseEvaluateOptions,
  universeEvaluationText,
  universeFitSettings,
  universeReport,
  type UniverseResult,
  type UniverseWalkForward,
} from "../pipeline/universe.ts";
import {
  isLongCsv,
  listCsvFiles,
  readTickersFile,
  resolveUniverse,
  symbolColumnOf,
} from "../universe/data.ts";
import { LABELS, SCALINGS } from "../dataset/universe.ts";
import { renderReport } from "../views/html.ts";
import type { Kernel } from "../model/fast/layers.ts";
import { atomicWriteFile, sweepStaleTemps } from "../util/fs.ts";
import { checkFolder } from "../util/paths.ts";
import { readCard } from "../model/card.ts";
import { resolveModelDir } from "../model/versions.ts";
import { DataError, UsageError } from "../util/errors.ts";

/** The value of a bare `--universe`: the model's own universe. */
export const OWN_UNIVERSE = "own";

/**
 * Rewrites a bare `--universe` (followed by another flag or nothing) to
 * `--universe=own`, so `backtest --universe --top-k 10` reads as the model's
 * own universe.
 *
 * @example
 * ```ts
 * bareUniverse(["--universe", "--top-k", "10"]); // ["--universe=own", "--top-k", "10"]
 * ```
 */
export function bareUniverse(args: string[]): string[] {
  return args.map((arg, i) =>
    arg === "--universe" && (i + 1 >= args.length || args[i + 1].startsWith("-"))
      ? `--universe=${OWN_UNIVERSE}`
      : arg
  );
}

/** The flags `train` takes for a universe model. */
export const UNIVERSE_TRAIN_FLAGS: Record<string, FlagSpec> = {
  universe: { type: "string" },
  context: { type: "string" },
  label: { type: "string" },
  scaling: { type: "string" },
  study: { type: "string" },
};

/** Help lines of the universe flags of `train`. */
export const UNIVERSE_TRAIN_HELP =
  `Universe (one model across many symbols; see README "Universe models"):
  --universe U        a tickers file (one per line; bars from the cache, or
                      --source synthetic), a comma-separated list, a folder of
                      <SYMBOL>.csv files or a long CSV with a symbol column:
                      one model on the pooled windows of every symbol, split
                      by calendar date (the same cut dates for every symbol)
  --context SYMBOL    add the context series' return and volatility and each
                      symbol's return relative to it (e.g. SPY)
  --label L           ${LABELS.join(" | ")}: next-bar up, or beating the
                      universe's median return over the horizon (default up)
  --scaling S         ${SCALINGS.join(" | ")}: one scaler fitted on every
                      symbol's training rows, or one per symbol (default pooled)
  --study NAME        ${STUDIES.join(" | ")}: 240 standardized daily returns,
                      a 25-unit LSTM (dropout 0.1), beats-median, pooled; the
                      last 250 reference dates for test, the 510 before for
                      training (20% of them validation)`;

/** The flags `evaluate` and `backtest` take for a universe. */
export const UNIVERSE_SCORE_FLAGS: Record<string, FlagSpec> = {
  universe: { type: "string" },
  study: { type: "string" },
  context: { type: "string" },
  "top-k": { type: "string" },
  "long-only": { type: "boolean" },
};

/** Help lines of the universe flags of `evaluate` and `backtest`. */
export const UNIVERSE_SCORE_HELP =
  `Universe (a model trained with train --universe is scored this way by default):
  --universe [U]     score across a universe (as train --universe takes it);
                     bare, the model's own. Pooled and per-symbol scores
                     beside the reversal rule and a logistic model on the
                     same standardized returns, and the daily portfolio
  --ticker LIST      with a universe: score only these symbols
  --top-k N          portfolio: long the top N, short the bottom N (default 10)
  --long-only        portfolio: long the top N only
  --cost-bps N       portfolio: cost per half-turn, basis points (default 5)
  --study NAME       ${STUDIES.join(" | ")}: run the paper's rolling study
                     (750/250-day periods, each retrained from scratch with
                     the preset; no saved model is read); with --epochs N
  --context SYMBOL   with --study: add context features (e.g. SPY)`;

/**
 * Refuses universe flags without `--universe` (or `--study`) where they
 * mean nothing.
 *
 * @example
 * ```ts
 * refuseWithoutUniverse({ label: "up" }, ["label"]); // UsageError
 * ```
 */
export function refuseWithoutUniverse(flags: Flags, names: readonly string[]): void {
  if (flags.universe !== undefined || flags.study !== undefined) return;
  for (const name of names) {
    if (flags[name] !== undefined) {
      throw new UsageError(`Expected --${name} only with --universe, found it without`);
    }
  }
}

function studyFlag(flags: Flags): Study | undefined {
  return flags.study === undefined ? undefined : choiceFlag(flags, "study", STUDIES, STUDIES[0]);
}

function contextFlag(flags: Flags): string | undefined {
  const value = stringFlag(flags, "context");
  return value === undefined ? undefined : validateTicker(value);
}

/**
 * `train --universe`: trains and saves one model on a universe. `settings`
 * are the train flags as `trainSettings` read them.
 *
 * @example
 * ```ts
 * const code = await trainUniverse(flags, trainSettings(flags), { promote: true });
 * ```
 */
export async function trainUniverse(
  flags: Flags,
  settings: TrainFlagSettings,
  options: { promote: boolean },
): Promise<number> {
  const value = stringFlag(flags, "universe");
  if (value === undefined) throw new UsageError("Expected --universe U, found none");
  for (const name of ["ticker", "csv"]) {
    if (flags[name] !== undefined) {
      throw new UsageError(`Expected --universe or --${name}, found both`);
    }
  }
  const { fit, data, modelRoot } = settings;
  if (data.source !== undefined && data.source !== "synthetic") {
    throw new UsageError(
      `Expected --source synthetic or no --source with --universe (other sources: prepare first), found "${data.source}"`,
    );
  }
  const explicit = new Set<string>();
  if (flags["sequence-length"] !== undefined) explicit.add("sequenceLength");
  if (flags["lstm-units"] !== undefined) explicit.add("lstmUnits");
  if (flags.dropout !== undefined) explicit.add("dropout");
  const context = contextFlag(flags);
  const universe = universeFitSettings(fit, {
    label: flags.label === undefined ? undefined : choiceFlag(flags, "label", LABELS, "up"),
    scaling: flags.scaling === undefined
      ? undefined
      : choiceFlag(flags, "scaling", SCALINGS, "pooled"),
    context,
    study: studyFlag(flags),
    explicit,
  });
  const spec = await resolveUniverse(value);
  const loaded = await loadUniverseData(spec, {
    dataDir: data.dataDir,
    source: data.source,
    seed: fit.seed,
    start: data.start,
    end: data.end,
    context,
  });
  progress(loaded.universe.text);
  const summary = await untilInterrupted((shouldStop) =>
    fitAndSaveUniverse(loaded, universe, {
      modelRoot,
      promote: options.promote,
      log: progress,
      shouldStop,
    })
  );
  const m = summary.metrics;
  const line = (label: string, x: { loss: number; accuracy: number }): string =>
    `  ${label.padEnd(11)} loss ${x.loss.toFixed(4)}  accuracy ${x.accuracy.toFixed(4)}`;
  const u = summary.universe;
  printResult(flags, summary, () =>
    [
      `Saved ${summary.modelDir} (${fit.arch}, ${summary.backend}${
        summary.interrupted ? ", interrupted" : ""
      })${summary.current ? `, now the current version of ${modelRoot}` : ", not promoted"}`,
      `  universe ${u.name}: ${u.symbolCount} symbols, label ${u.label}, ${u.scaling} scaling${
        u.context ? `, context ${u.context}` : ""
      }${u.study ? `, study ${u.study}` : ""}`,
      `  split: train ${u.split.trainStart} .. ${u.split.trainEnd}, validation to ${u.split.validationEnd}, test to ${u.split.testEnd}`,
      `  epochs run ${summary.epochsRun}, best epoch ${summary.bestEpoch}`,
      `${line("train", m.train)}  (a seeded sample of up to 50000 windows)`,
      line("validation", m.validation),
      `${line("test", m.test)}  (share of 1 labels: ${summary.testBaseRate.toFixed(4)})`,
      `  calibration ${summary.calibration.method}: ${summary.calibration.reason}`,
      `  weights sha256 ${summary.weightsSha256}`,
    ].join("\n"));
  return 0;
}

/**
 * Whether `modelDir` (a model folder or a versioned root) holds a universe
 * model; `false` when there is no readable model (the single-ticker path
 * then says what is wrong).
 *
 * @example
 * ```ts
 * if (await isUniverseModel("models/universe")) console.log("universe model");
 * ```
 */
export async function isUniverseModel(modelDir: string): Promise<boolean> {
  try {
    const where = await resolveModelDir(modelDir);
    return where !== null && (await readCard(where.dir)).universe !== undefined;
  } catch {
    return false;
  }
}

/**
 * The walk-forward settings of a universe from the walk-forward flags
 * (`--walk-forward`, implied by `--study`; `--folds`, `--mode`,
 * `--retrain-every` in reference dates, `--epochs`), or `undefined`. Flags
 * not given are left to the study's or the defaults.
 *
 * @example
 * ```ts
 * universeWalkForward({ "walk-forward": true, folds: "3" }); // { folds: 3 }
 * ```
 */
export function universeWalkForward(flags: Flags): UniverseWalkForward | undefined {
  if (!flags["walk-forward"]) return undefined;
  const wf: UniverseWalkForward = {};
  if (flags.folds !== undefined) {
    wf.folds = numberFlag(flags, "folds", 5, { min: 1, max: 100, integer: true });
  }
  if (flags.mode !== undefined) {
    wf.mode = choiceFlag(flags, "mode", ["expanding", "sliding"] as const, "expanding");
  }
  if (flags["retrain-every"] !== undefined) {
    wf.retrainEvery = numberFlag(flags, "retrain-every", 1, { min: 1, integer: true });
  }
  if (flags.epochs !== undefined) {
    wf.epochs = numberFlag(flags, "epochs", 1, { min: 1, max: 10000, integer: true });
  }
  return wf;
}

/** Everything `evaluate` and `backtest` have already read when they hand over. */
export interface UniverseScoreContext {
  /** `--model`. */
  modelDir: string;
  /** The kernel for the selected backend. */
  kernel: Kernel;
  /** The data flags. */
  request: SeriesRequest;
  /** `--start`/`--end`. */
  range: { start?: string; end?: string };
  /** Walk-forward settings, when asked for. */
  walkForward?: UniverseWalkForward;
  /** `--report`. */
  report?: string;
  /** Progress lines. */
  log?: (line: string) => void;
}

/**
 * Scores a universe for `evaluate` or `backtest` (`--universe`, a universe
 * model, or `--study`) and prints the evaluation (`evaluate`) or the
 * portfolio first (`backtest`).
 *
 * @example
 * ```ts
 * const code = await scoreUniverse(flags, context, "evaluate");
 * ```
 */
export async function scoreUniverse(
  flags: Flags,
  context: UniverseScoreContext,
  command: "evaluate" | "backtest",
): Promise<number> {
  const { request, range } = context;
  const options: UniverseEvaluateOptions = {
    ...range,
    seed: request.seed ?? 42,
    topK: numberFlag(flags, "top-k", 10, { min: 1, max: 10_000, integer: true }),
    longOnly: Boolean(flags["long-only"]),
    costBps: numberFlag(flags, "cost-bps", 5, { min: 0, max: 10_000 }),
    walkForward: context.walkForward,
    kernel: context.kernel,
    only: request.ticker === undefined
      ? undefined
      : request.ticker.split(",").map((t) => t.trim()).filter((t) => t !== "").map(validateTicker),
    log: context.log,
  };
  if (request.csv !== undefined) {
    throw new UsageError(
      "Expected --universe or --csv, found both (a universe reads its own files)",
    );
  }
  const value = stringFlag(flags, "universe");
  const study = studyFlag(flags);
  let result: UniverseResult;
  let title: string;
  if (study !== undefined) {
    if (value === undefined || value === OWN_UNIVERSE) {
      throw new UsageError(`Expected --universe U with --study ${study}, found none`);
    }
    const ctx = contextFlag(flags);
    const fit = fitSettings({
      epochs: context.walkForward?.epochs,
      seed: request.seed,
      kernel: context.kernel,
    });
    const settings = universeFitSettings(fit, { study, context: ctx });
    const data = await loadUniverseData(await resolveUniverse(value), {
      dataDir: request.dataDir,
      source: request.source,
      seed: request.seed,
      context: ctx,
    });
    context.log?.(data.universe.text);
    result = await runUniverseStudy(data, settings, {
      ...options,
      walkForward: { ...context.walkForward, epochs: context.walkForward?.epochs ?? fit.epochs },
    });
    title = `The ${study} study on universe ${data.universe.name}`;
  } else {
    if (flags.context !== undefined) {
      throw new UsageError(
        "Expected --context only with --study (a saved model has its own), found it",
      );
    }
    const loaded = await loadUniverseModel(context.modelDir, { kernel: context.kernel });
    try {
      const own = modelUniverse(loaded.card);
      if ((value === undefined || value === OWN_UNIVERSE) && !own) {
        throw new UsageError(
          `Expected --universe U for ${loaded.dir}, a single-ticker model of ${loaded.card.data.ticker}, found none`,
        );
      }
      const spec = value === undefined || value === OWN_UNIVERSE
        ? own!.spec
        : await resolveUniverse(value);
      const data = await loadUniverseData(spec, {
        dataDir: request.dataDir,
        source: request.source ?? (spec === own?.spec ? own.source : undefined),
        seed: request.seed ?? loaded.card.seed,
        context: loaded.card.universe?.context,
      });
      context.log?.(data.universe.text);
      result = await evaluateUniverse(loaded, data, options);
      title = `${
        context.walkForward ? "Walk-forward evaluation" : "Evaluation"
      } of ${loaded.dir} on universe ${data.universe.name}`;
    } finally {
      loaded.dispose();
    }
  }
  const e = result.evaluation;
  printResult(flags, e, () =>
    command === "evaluate" ? universeEvaluationText(e) : [
      `universe ${e.universe.name}: ${e.universe.scored} symbols scored; label ${e.label}`,
      `scope: ${e.scope}`,
      `pooled AUC of the network ${
        (e.pooled.baselines.rawNetwork?.auc ?? e.pooled.metrics.auc).toFixed(4)
      } (reversal rule ${e.reversal.auc.toFixed(4)}), Brier skill ${
        e.pooled.metrics.brierSkill.toFixed(4)
      }, ${e.pooled.rows} windows ${e.pooled.first} to ${e.pooled.last}`,
      "",
      portfolioText(e),
    ].join("\n"));
  // The report after the results: a long study's figures are printed even if the page fails.
  if (context.report) {
    await atomicWriteFile(context.report, renderReport(universeReport(result, title)));
    context.log?.(`report written to ${context.report}`);
  }
  return 0;
}

/** The flags `prepare` takes for a universe. */
export const UNIVERSE_PREPARE_FLAGS: Record<string, FlagSpec> = {
  "csv-dir": { type: "string" },
  "tickers-file": { type: "string" },
};

/** Help lines of the universe flags of `prepare`. */
export const UNIVERSE_PREPARE_HELP =
  `Universe (many symbols at once; one line per symbol with problems, then a total):
  --csv-dir DIR       import every <SYMBOL>.csv of a folder (--ticker or
                      --tickers-file: only those)
  --tickers-file F    the tickers to prepare, one per line (any --source)
  --csv LONG.csv      without --ticker: a long-format CSV with a symbol
                      column (symbol, ticker or name), one cache per symbol
  The imported symbols are listed in <data-dir>/<name>.tickers.txt, for
  train --universe.`;

/**
 * Whether a `prepare` invocation is a universe import: `--csv-dir`,
 * `--tickers-file`, or `--csv` of a long-format file.
 *
 * @example
 * ```ts
 * if (await isUniversePrepare(flags)) return await prepareUniverse(flags);
 * ```
 */
export async function isUniversePrepare(flags: Flags): Promise<boolean> {
  if (flags["csv-dir"] !== undefined || flags["tickers-file"] !== undefined) return true;
  const csv = stringFlag(flags, "csv");
  if (csv === undefined) return false;
  try {
    return await isLongCsv(csv);
  } catch {
    return false;
  }
}

interface Job {
  symbol: string;
  csv?: string;
  label?: string;
}

/** Splits a long-format CSV into one temporary CSV per symbol; returns the jobs. */
async function splitLongCsvToFiles(path: string, dir: string): Promise<Job[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DataError(`Expected a CSV file at ${path}, found nothing there`);
    }
    throw error;
  }
  const records = parse(text, {
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
  }) as string[][];
  const header = records[0] ?? [];
  const column = symbolColumnOf(header);
  if (column < 0) {
    throw new DataError(`Expected a symbol column in ${path}, found ${header.join(", ")}`);
  }
  const groups = new Map<string, string[][]>();
  for (const record of records.slice(1)) {
    const symbol = (record[column] ?? "").trim();
    let group = groups.get(symbol);
    if (!group) groups.set(symbol, group = []);
    group.push(record);
  }
  const jobs: Job[] = [];
  for (const [name, rows] of [...groups].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)) {
    let symbol: string;
    try {
      symbol = validateTicker(name);
    } catch {
      jobs.push({ symbol: name || "(empty)", label: `${path} (symbol "${name}")` });
      continue;
    }
    const file = join(dir, `${symbol}.csv`);
    await Deno.writeTextFile(file, stringify([header, ...rows]));
    jobs.push({ symbol, csv: file, label: `${path} (${symbol})` });
  }
  return jobs;
}

/**
 * `prepare --csv-dir DIR | --tickers-file FILE | --csv LONG.csv`: prepares
 * every symbol through `prepareTicker` (the one validator and cache), prints
 * one line per symbol with problems or a failure and a total, and writes the
 * imported tickers to `<data-dir>/<name>.tickers.txt`. Exit code 1 when any
 * symbol failed (the others are cached).
 *
 * @example
 * ```ts
 * const code = await prepareUniverse({ "csv-dir": "../shared/data/universe", "data-dir": "/tmp/d" });
 * ```
 */
export async function prepareUniverse(flags: Flags): Promise<number> {
  const csvDir = stringFlag(flags, "csv-dir");
  const tickersFile = stringFlag(flags, "tickers-file");
  const csv = stringFlag(flags, "csv");
  if (csvDir !== undefined && csv !== undefined) {
    throw new UsageError("Expected --csv-dir or --csv, found both");
  }
  const listed = tickersFile !== undefined
    ? await readTickersFile(tickersFile)
    : flags.ticker !== undefined
    ? stringFlag(flags, "ticker")!.split(",").map((t) => t.trim()).filter(Boolean).map(
      validateTicker,
    )
    : undefined;
  const fromFiles = csvDir !== undefined || csv !== undefined;
  const source = choiceFlag(flags, "source", SOURCES, fromFiles ? "csv" : "synthetic");
  if (fromFiles && source !== "csv") {
    throw new UsageError(
      `Expected --source csv (or no --source) with --csv-dir or --csv, found "${source}"`,
    );
  }
  if (!fromFiles && source === "csv") {
    throw new UsageError("Expected --csv-dir or --csv with --source csv, found neither");
  }
  const dataDir = stringFlag(flags, "data-dir", "data");
  const options = {
    source,
    years: flags.years === undefined
      ? undefined
      : numberFlag(flags, "years", 5, { min: 1, max: 100, integer: true }),
    seed: numberFlag(flags, "seed", 42, { min: 0, max: 4294967295, integer: true }),
    start: dateFlag(flags, "start"),
    end: dateFlag(flags, "end"),
    interval: choiceFlag(flags, "interval", INTERVALS, "1d"),
    dataDir,
    strict: Boolean(flags.strict),
    replace: Boolean(flags.replace),
    fetch: globalThis.fetch,
  };
  checkFolder(dataDir, "the data cache");
  const swept = await sweepStaleTemps(dataDir);
  if (swept.length > 0) {
    progress(`prepare: removed ${swept.length} temporary files left in ${dataDir} by killed runs`);
  }
  let jobs: Job[];
  let name: string;
  let tmp: string | undefined;
  try {
    if (csvDir !== undefined) {
      name = basename(csvDir.replace(/\/+$/, "")) || "universe";
      const files = await listCsvFiles(csvDir);
      const bySymbol = new Map<string, string>();
      jobs = [];
      for (const file of files) {
        const stem = basename(file, extname(file));
        try {
          bySymbol.set(validateTicker(stem), join(csvDir, file));
        } catch {
          jobs.push({ symbol: stem, label: join(csvDir, file) });
        }
      }
      const wanted = listed ?? [...bySymbol.keys()];
      for (const symbol of wanted) jobs.push({ symbol, csv: bySymbol.get(symbol) });
    } else if (csv !== undefined) {
      name = basename(csv, extname(csv)) || "universe";
      tmp = await Deno.makeTempDir({ prefix: "lstm-signal-universe-" });
      jobs = await splitLongCsvToFiles(csv, tmp);
      if (listed) {
        const keep = new Set(listed);
        jobs = jobs.filter((j) => keep.has(j.symbol));
      }
    } else {
      name = basename(tickersFile!, extname(tickersFile!)) || "universe";
      jobs = listed!.map((symbol) => ({ symbol }));
    }
    const results: PrepareResult[] = [];
    const failures: { ticker: string; error: string }[] = [];
    const lines: string[] = [];
    for (const [k, job] of jobs.entries()) {
      if (flags.verbose) progress(`prepare: ${job.symbol} (${k + 1}/${jobs.length})`);
      if (fromFiles && job.csv === undefined) {
        const why = job.label
          ? `not a ticker: ${job.label}`
          : `no ${job.symbol}.csv in ${csvDir ?? csv}`;
        failures.push({ ticker: job.symbol, error: why });
        lines.push(`${job.symbol}: failed: ${why}`);
        continue;
      }
      try {
        const result = await prepareTicker(job.symbol, { ...options, csv: job.csv });
        results.push(result);
        if (result.report.problems.length > 0) {
          lines.push(`${job.symbol}: ${summarizeReport(result.report)}`);
        }
      } catch (error) {
        let why = error instanceof Error ? error.message.split("\n")[0] : String(error);
        if (tmp && job.csv && job.label) why = why.replaceAll(job.csv, job.label);
        if (error instanceof UsageError) throw error;
        failures.push({ ticker: job.symbol, error: why });
        lines.push(`${job.symbol}: failed: ${why}`);
      }
    }
    const rows = results.reduce((sum, r) => sum + r.rows, 0);
    const first = results.map((r) => r.first).sort()[0] ?? "–";
    const last = results.map((r) => r.last).sort().at(-1) ?? "–";
    let listFile: string | undefined;
    if (results.length > 0) {
      listFile = join(dataDir, `${name}.tickers.txt`);
      await atomicWriteFile(listFile, results.map((r) => r.ticker).join("\n") + "\n");
    }
    const withProblems = results.filter((r) => r.report.problems.length > 0).length;
    const total =
      `${name}: prepared ${results.length} of ${jobs.length} symbols into ${dataDir}/: ${rows} rows, ${first} .. ${last}; ${withProblems} with data problems, ${failures.length} failed${
        listFile ? `; tickers in ${listFile}` : ""
      }`;
    printResult(flags, {
      universe: name,
      dataDir,
      tickersFile: listFile ?? null,
      symbols: results.length,
      failed: failures,
      rows,
      first,
      last,
      withProblems,
      results: results.map((r) => ({
        ticker: r.ticker,
        rows: r.rows,
        first: r.first,
        last: r.last,
        problems: r.report.problems.length,
        summary: summarizeReport(r.report),
      })),
    }, () => [...lines, total].join("\n"));
    return failures.length > 0 ? 1 : 0;
  } finally {
    if (tmp) await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}
