/**
 * Flag groups several commands share, parsed once: the data flags
 * (`--ticker --csv --source --data-dir --seed`), the scoring range
 * (`--start --end`), the model folder, the HTML report path, and the train
 * flags of `deno task train` and `deno task retrain`.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { validateTicker } from "../data/mod.ts";
import { INTERVALS, type SourceName, SOURCES } from "../data/types.ts";
import { resolveKernel } from "../model/fast/layers.ts";
import {
  FIT_OPTION_FLAGS,
  fitOptionsOfFlags,
  type FitSettings,
  fitSettings,
  type TrainingData,
} from "../pipeline/settings.ts";
import type { SeriesRequest } from "../pipeline/series.ts";
import { DataError, UsageError } from "../util/errors.ts";
import { checkFolder, checkWritableFile } from "../util/paths.ts";
import {
  choiceFlag,
  dateFlag,
  type Flags,
  type FlagSpec,
  numberFlag,
  stringFlag,
} from "./common.ts";

/** The data flags: where a command's bars come from. */
export const DATA_FLAGS: Record<string, FlagSpec> = {
  ticker: { type: "string" },
  csv: { type: "string" },
  source: { type: "string" },
  "data-dir": { type: "string" },
  seed: { type: "string" },
  interval: { type: "string" },
};

/** Help lines of the data flags, for commands that score, replay or predict a model. */
export const DATA_HELP = `  --ticker LIST      one ticker or a comma-separated list (default: the
                     model's own ticker, or the --csv file's name)
  --csv FILE         read the bars of a CSV file (one ticker)
  --source NAME      ${SOURCES.join(" | ")} (default: the model's own source
                     on its own ticker, else the data cache)
  --data-dir DIR     data cache folder (default data)
  --seed N           seed of synthetic data (default: the model's on its own
                     ticker, else 42)
  --interval I       ${INTERVALS.join(" | ")}: the bars' interval (default:
                     the model's own; another interval is refused)`;

/**
 * The series request the data flags make; a usage error for a malformed flag.
 *
 * @example
 * ```ts
 * dataRequest({ ticker: "SPY", "data-dir": "cache" }); // { ticker: "SPY", dataDir: "cache", ... }
 * ```
 */
export function dataRequest(flags: Flags): SeriesRequest {
  const source: SourceName | undefined = flags.source === undefined
    ? undefined
    : choiceFlag(flags, "source", SOURCES, "csv");
  const csv = stringFlag(flags, "csv");
  const dataDir = stringFlag(flags, "data-dir");
  if (dataDir !== undefined || (!csv && source !== "synthetic" && source !== "csv")) {
    checkFolder(dataDir ?? "data", "the data cache");
  }
  return {
    ticker: stringFlag(flags, "ticker"),
    csv,
    source,
    dataDir,
    seed: flags.seed === undefined
      ? undefined
      : numberFlag(flags, "seed", 42, { min: 0, max: 4294967295, integer: true }),
    interval: flags.interval === undefined
      ? undefined
      : choiceFlag(flags, "interval", INTERVALS, "1d"),
  };
}

/**
 * `--start` and `--end`, checked to be real dates in order.
 *
 * @example
 * ```ts
 * dateRange({ start: "2023-01-01" }); // { start: "2023-01-01", end: undefined }
 * ```
 */
export function dateRange(flags: Flags): { start?: string; end?: string } {
  const start = dateFlag(flags, "start");
  const end = dateFlag(flags, "end");
  if (start && end && start > end) {
    throw new UsageError(`Expected --start before --end, found ${start} and ${end}`);
  }
  return { start, end };
}

/**
 * The `--report` path, checked before any work: the evaluate and backtest
 * tasks may write under `reports/` only, so a path elsewhere fails at once.
 *
 * @example
 * ```ts
 * reportFlag({ report: "reports/spy.html" }); // "reports/spy.html"
 * ```
 */
export function reportFlag(flags: Flags): string | undefined {
  const path = stringFlag(flags, "report");
  if (path === undefined) return undefined;
  const dir = dirname(path) || ".";
  if (Deno.permissions.querySync({ name: "write", path: dir }).state !== "granted") {
    throw new DataError(
      `Expected write access to ${dir}/ for --report ${path}, found none (deno task evaluate and backtest may write under reports/ only: use a path inside it, or run deno run --allow-read --allow-write=${dir} cli.ts with the same command and flags)`,
    );
  }
  checkWritableFile(path, "--report");
  return path;
}

/**
 * Where the report of one ticker goes: `path` itself, or `NAME.TICKER.html`
 * when a command reports on several tickers.
 *
 * @example
 * ```ts
 * reportPathFor("reports/e.html", "QQQ", true); // "reports/e.QQQ.html"
 * ```
 */
export function reportPathFor(path: string, ticker: string, several: boolean): string {
  if (!several) return path;
  return /\.html?$/i.test(path)
    ? path.replace(/(\.html?)$/i, `.${ticker}$1`)
    : `${path}.${ticker}.html`;
}

/** The fit options' flags (`--verbose` is one of every command's flags). */
const FIT_FLAGS: Record<string, FlagSpec> = Object.fromEntries(
  Object.values(FIT_OPTION_FLAGS).filter((flag) => flag !== "verbose")
    .map((flag) => [flag, { type: "string" }]),
);

/** The flags of `deno task train` that `deno task retrain` takes too (all but `--no-promote`). */
export const TRAIN_FLAGS: Record<string, FlagSpec> = {
  ticker: { type: "string" },
  "data-dir": { type: "string" },
  csv: { type: "string" },
  source: { type: "string" },
  start: { type: "string" },
  end: { type: "string" },
  ...FIT_FLAGS,
  "model-dir": { type: "string" },
  name: { type: "string" },
  interval: { type: "string" },
};

/**
 * What the train flags ask for, checked (see {@linkcode trainSettings}).
 *
 * @example
 * ```ts
 * const { fit, data, modelRoot }: TrainFlagSettings = trainSettings({ epochs: "2" });
 * ```
 */
export interface TrainFlagSettings {
  /** How the model is fitted. */
  fit: FitSettings;
  /** Where its bars come from, as given (`--ticker` checked to be one valid ticker). */
  data: TrainingData;
  /** The model name. */
  name: string;
  /** `<model-dir>/<name>`. */
  modelRoot: string;
}

/**
 * Reads and checks the train flags ({@linkcode TRAIN_FLAGS} and `--verbose`):
 * the fit options by the one schema of src/pipeline/settings.ts, the data
 * and output flags here; a usage error for anything malformed, before any
 * file is read (an option's error names the option; the CLI's error printer,
 * `errorLine` in src/cli/common.ts, shows it as the flag).
 *
 * @example
 * ```ts
 * const { fit, modelRoot } = trainSettings({ source: "synthetic", epochs: "2" });
 * fit.epochs; // 2
 * modelRoot; // "models/lstm"
 * ```
 */
export function trainSettings(flags: Flags): TrainFlagSettings {
  const csv = stringFlag(flags, "csv");
  const tickerFlag = stringFlag(flags, "ticker");
  let ticker: string | undefined;
  if (tickerFlag !== undefined) {
    const list = tickerFlag.split(",").map((t) => t.trim()).filter((t) => t !== "");
    if (list.length !== 1) {
      throw new UsageError(
        `Expected one --ticker (a model is trained on one series), found ${list.length}`,
      );
    }
    ticker = validateTicker(list[0]);
  }
  const source = flags.source === undefined
    ? undefined
    : choiceFlag(flags, "source", SOURCES, "csv");
  if (source === "csv" && !csv) {
    throw new UsageError("Expected --csv FILE with --source csv, found none");
  }
  if (!ticker && source !== undefined && source !== "synthetic" && !csv) {
    throw new UsageError(`Expected --ticker for --source ${source}, found none`);
  }
  // One schema checks the fit options (src/pipeline/settings.ts); the error printer names the flags.
  const fit = fitSettings(fitOptionsOfFlags(flags));
  // The kernel rule (resolveKernel) is checked here, before any data is read.
  if (fit.backendName !== "auto") resolveKernel(fit.kernel, fit.backendName);
  const { start, end } = dateRange(flags);
  const name = stringFlag(flags, "name", "lstm");
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    throw new UsageError(
      `Expected --name to be a folder name like lstm_bull_market, found "${name}"`,
    );
  }
  const modelRoot = join(stringFlag(flags, "model-dir", "models"), name);
  const dataDir = stringFlag(flags, "data-dir");
  if (dataDir !== undefined || (!csv && ticker !== undefined && source !== "synthetic")) {
    checkFolder(dataDir ?? "data", "the data cache");
  }
  checkFolder(modelRoot, "the model folder");
  const interval = flags.interval === undefined
    ? undefined
    : choiceFlag(flags, "interval", INTERVALS, "1d");
  const data = { ticker, source, csv, dataDir, start, end, interval };
  return { fit, data, name, modelRoot };
}
