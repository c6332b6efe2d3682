/**
 * The universe flags of the commands: `--universe` (and a bare `--universe`
 * for the model's own), `--context`, `--label`, `--scaling` and `--study` for
 * `train`; `--top-k`, `--long-only` and the walk-forward flags for `evaluate`
 * and `backtest`. A universe is one more place the bars come from: the
 * commands build a training set (`universeSet`) or a scoring request
 * (`scoreUniverseRequest`) from these and run the one pipeline.
 *
 * @module
 */

import { choiceFlag, type Flags, type FlagSpec, numberFlag, stringFlag } from "./common.ts";
import { validateTicker } from "../data/mod.ts";
import type { SourceName } from "../data/types.ts";
import { LABELS, SCALINGS } from "../dataset/universe.ts";
import type { Kernel } from "../model/fast/layers.ts";
import type { FitSettings } from "../pipeline/settings.ts";
import type { SeriesRequest } from "../pipeline/series.ts";
import {
  STOCK_UNIVERSE_COST_BPS,
  type UniverseEvaluateOptions,
  type UniverseRequest,
  type UniverseWalkForward,
} from "../pipeline/study.ts";
import { CRYPTO_TAKER_FEE_BPS } from "../eval/backtest.ts";
import {
  STUDIES,
  type Study,
  type UniverseFitSettings,
  universeFitSettings,
} from "../pipeline/universe.ts";
import { UsageError } from "../util/errors.ts";

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
  --universe U        a tickers file (one per line; bars from the cache at
                      --interval, or --source synthetic), a comma-separated
                      list (pairs too: BTC/USDT,ETH/USDT), a folder of
                      <SYMBOL>.csv files or a long CSV with a symbol column:
                      one model on the pooled windows of every symbol, split
                      by calendar date (the same cut dates for every symbol)
  --context SYMBOL    add the context series' return and volatility and each
                      symbol's return relative to it (e.g. SPY)
  --label L           ${LABELS.join(" | ")}: next-bar up, or beating the
                      universe's median return over the horizon (default up)
  --scaling S         ${SCALINGS.join(" | ")}: one scaler fitted on every
                      symbol's training rows, or one per symbol (default pooled)
  --study NAME        ${STUDIES.join(" | ")}: 240 days of standardized
                      returns (fischer-krauss: close-to-close, deciding at the
                      close; ghosh-neufeld-sahoo: intraday, close-to-close and
                      overnight, deciding at the open), a 25-unit LSTM
                      (dropout 0.1), beats-median, pooled; the last 250
                      reference dates for test, the 510 before for training
                      (20% of them validation)`;

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
                     bare, the model's own (its bars' interval, from the
                     card). Pooled and per-symbol scores beside the
                     reversal rule and a logistic model on the same
                     standardized returns, and the portfolio, rebalanced
                     every bar (daily bars: every day)
  --ticker LIST      with a universe: score only these symbols
  --top-k N          portfolio: long the top N, short the bottom N (default 10)
  --long-only        portfolio: long the top N only
  --cost-bps N       portfolio: cost per half-turn, basis points (default
                     ${STOCK_UNIVERSE_COST_BPS}; ${CRYPTO_TAKER_FEE_BPS} on a crypto venue, a typical taker fee)
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
 * The universe settings of `train --universe` or `--study`: label, scaling,
 * context and study from the flags over the train flags' fit settings (a
 * study's window, units and dropout unless those flags were given). Refuses
 * `--ticker`/`--csv` beside `--universe` and sources other than synthetic.
 *
 * @example
 * ```ts
 * const universe = universeTrainSettings(flags, fit, { source: undefined });
 * ```
 */
export function universeTrainSettings(
  flags: Flags,
  fit: FitSettings,
  data: { source?: SourceName },
): UniverseFitSettings {
  if (flags.universe === undefined) throw new UsageError("Expected --universe U, found none");
  for (const name of ["ticker", "csv"]) {
    if (flags[name] !== undefined) {
      throw new UsageError(`Expected --universe or --${name}, found both`);
    }
  }
  if (data.source !== undefined && data.source !== "synthetic") {
    throw new UsageError(
      `Expected --source synthetic or no --source with --universe (other sources: prepare first), found "${data.source}"`,
    );
  }
  const explicit = new Set<string>();
  if (flags["sequence-length"] !== undefined) explicit.add("sequenceLength");
  if (flags["lstm-units"] !== undefined) explicit.add("lstmUnits");
  if (flags.dropout !== undefined) explicit.add("dropout");
  if (flags.arch !== undefined) explicit.add("arch");
  if (flags["batch-size"] !== undefined) explicit.add("batchSize");
  return universeFitSettings(fit, {
    label: flags.label === undefined ? undefined : choiceFlag(flags, "label", LABELS, "up"),
    scaling: flags.scaling === undefined
      ? undefined
      : choiceFlag(flags, "scaling", SCALINGS, "pooled"),
    context: contextFlag(flags),
    study: studyFlag(flags),
    explicit,
  });
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

/**
 * What `evaluate --universe` and `backtest --universe` (or `--study`) score,
 * and how, from their flags and the data flags they have already read.
 *
 * @example
 * ```ts
 * const { request, options } = universeScoreRequest(flags, { modelDir, kernel, data, range });
 * ```
 */
export function universeScoreRequest(
  flags: Flags,
  read: {
    modelDir: string;
    kernel: Kernel;
    data: SeriesRequest;
    range: { start?: string; end?: string };
    log?: (line: string) => void;
  },
): { request: UniverseRequest; options: UniverseEvaluateOptions } {
  const { data } = read;
  if (data.csv !== undefined) {
    throw new UsageError(
      "Expected --universe or --csv, found both (a universe reads its own files)",
    );
  }
  const value = stringFlag(flags, "universe");
  const universe = value === OWN_UNIVERSE ? undefined : value;
  const study = studyFlag(flags);
  if (study !== undefined && universe === undefined) {
    throw new UsageError(`Expected --universe U with --study ${study}, found none`);
  }
  if (study === undefined && flags.context !== undefined) {
    throw new UsageError(
      "Expected --context only with --study (a saved model has its own), found it",
    );
  }
  return {
    request: {
      universe,
      study,
      context: contextFlag(flags),
      modelDir: read.modelDir,
      dataDir: data.dataDir,
      source: data.source,
      seed: data.seed,
      interval: data.interval,
    },
    options: {
      ...read.range,
      seed: data.seed ?? 42,
      topK: numberFlag(flags, "top-k", 10, { min: 1, max: 10_000, integer: true }),
      longOnly: Boolean(flags["long-only"]),
      // Absent: the venue's default (5 on the NYSE, an exchange's taker fee on a crypto venue).
      costBps: flags["cost-bps"] === undefined
        ? undefined
        : numberFlag(flags, "cost-bps", 0, { min: 0, max: 10_000 }),
      walkForward: universeWalkForward(flags),
      kernel: read.kernel,
      only: data.ticker === undefined
        ? undefined
        : data.ticker.split(",").map((t) => t.trim()).filter((t) => t !== "").map(validateTicker),
      log: read.log,
    },
  };
}
