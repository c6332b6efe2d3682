/**
 * The universe side of the commands: `train --universe`, `evaluate --universe`
 * and `backtest --universe` (`prepare`'s universe imports are in
 * `src/pipeline/prepare.ts`). Each command file adds these flags to its own and
 * hands over here; the work is in `src/pipeline/universe.ts`.
 *
 * @module
 */

import {
  choiceFlag,
  type Flags,
  type FlagSpec,
  numberFlag,
  printResult,
  progress,
  stringFlag,
  untilInterrupted,
} from "./common.ts";
import type { TrainFlagSettings } from "./flags.ts";
import { validateTicker } from "../data/mod.ts";
import type { SeriesRequest } from "../pipeline/series.ts";
import { fitSettings } from "../pipeline/fit.ts";
import { fitAndSave } from "../pipeline/fit.ts";
import {
  loadUniverseData,
  modelUniverse,
  STUDIES,
  type Study,
  universeFitSettings,
  universeSet,
} from "../pipeline/universe.ts";
import {
  evaluateUniverse,
  runUniverseStudy,
  type UniverseEvaluateOptions,
  type UniverseResult,
  type UniverseWalkForward,
} from "../pipeline/study.ts";
import { loadEvaluationModel } from "../pipeline/score.ts";
import { portfolioText, universeEvaluationText, universeReport } from "../views/universe.ts";
import { resolveUniverse } from "../universe/data.ts";
import { LABELS, SCALINGS } from "../dataset/universe.ts";
import { renderReport } from "../views/html.ts";
import type { Kernel } from "../model/fast/layers.ts";
import { atomicWriteFile } from "../util/fs.ts";
import { readCard } from "../model/card.ts";
import { resolveModelDir } from "../model/versions.ts";
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
    fitAndSave(universeSet(loaded, universe), universe.fit, {
      modelRoot,
      promote: options.promote,
      log: progress,
      shouldStop,
    })
  );
  const m = summary.metrics;
  const line = (label: string, x: { loss: number; accuracy: number }): string =>
    `  ${label.padEnd(11)} loss ${x.loss.toFixed(4)}  accuracy ${x.accuracy.toFixed(4)}`;
  const u = summary.universe!;
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
    const loaded = await loadEvaluationModel(context.modelDir, { kernel: context.kernel });
    try {
      const { card, dir } = loaded.info;
      const own = modelUniverse(card);
      if ((value === undefined || value === OWN_UNIVERSE) && !own) {
        throw new UsageError(
          `Expected --universe U for ${dir}, a single-ticker model of ${card.data.ticker}, found none`,
        );
      }
      const spec = value === undefined || value === OWN_UNIVERSE
        ? own!.spec
        : await resolveUniverse(value);
      const data = await loadUniverseData(spec, {
        dataDir: request.dataDir,
        source: request.source ?? (spec === own?.spec ? own.source : undefined),
        seed: request.seed ?? card.seed,
        context: card.universe?.context,
      });
      context.log?.(data.universe.text);
      result = await evaluateUniverse(loaded, data, options);
      title = `${
        context.walkForward ? "Walk-forward evaluation" : "Evaluation"
      } of ${dir} on universe ${data.universe.name}`;
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
