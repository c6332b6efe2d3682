/**
 * `deno task retrain`: the seed's monthly retraining with an A/B test before
 * deployment. Brings the data up to date, trains a candidate version on every
 * bar before the most recent period (the holdout), scores the current version
 * and the candidate on exactly the same holdout windows with the evaluation
 * code of `deno task evaluate`, and promotes the candidate only if it is not
 * worse than the current one by more than a tolerance.
 *
 * @module
 */

import { join } from "node:path";
import {
  choiceFlag,
  type Command,
  type Flags,
  type FlagSpec,
  kernelFlag,
  numberFlag,
  parseFlags,
  printResult,
  progress,
  stringFlag,
} from "./common.ts";
import {
  fitModel,
  type FittedModel,
  FLAGS as TRAIN_FLAGS,
  saveVersion,
  type TrainSettings,
  trainSettings,
} from "./train.ts";
import { loadSeries, prepareTicker, readCache, validateTicker } from "../data/mod.ts";
import type { Series, SourceName } from "../data/types.ts";
import { minimumBars } from "../dataset/mod.ts";
import {
  type EvaluationModel,
  loadEvaluationModel,
  MIN_EVALUATION_ROWS,
  type ModelEvaluation,
  modelInfo,
  scoreModel,
} from "../eval/run.ts";
import { predictProbabilities, selectBackend } from "../model/mod.ts";
import {
  nextVersion,
  readPointer,
  resolveModelDir,
  type VersionPointer,
} from "../model/versions.ts";
import { DataError, UsageError } from "../util/errors.ts";

/** The metrics `--metric` compares, by flag value: the score's key and its direction. */
const METRICS = {
  "log-loss": { key: "logLoss", label: "log loss", lowerIsBetter: true },
  brier: { key: "brier", label: "Brier score", lowerIsBetter: true },
  auc: { key: "auc", label: "AUC", lowerIsBetter: false },
  accuracy: { key: "accuracy", label: "accuracy", lowerIsBetter: false },
} as const;
type MetricName = keyof typeof METRICS;
const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

/** The file written into a candidate's version folder with the A/B result. */
export const RETRAIN_FILE = "retrain.json";

/** Share of the series' bars held out by default. */
const DEFAULT_HOLDOUT_SHARE = 0.15;

const HELP = `Usage: deno task retrain [--name NAME] [--ticker T] [flags]

Monthly retraining with an A/B test before deployment:
  1. bring the data up to date: a cache from a live source (yahoo, alpaca,
     stooq) gets the bars after its last one; synthetic and CSV data are loaded
  2. find the current version of <model-dir>/<name> (current.json)
  3. hold out the most recent bars (--holdout) and train a candidate on the
     bars before them only, with train's flags, without promoting it
  4. score the current version and the candidate with evaluate's code on
     exactly the same holdout windows
  5. promote the candidate only if its --metric is not worse than the current
     version's by more than --tolerance; otherwise the pointer stays put and
     the candidate stays on disk marked rejected (${RETRAIN_FILE} in its folder)
With no current version the candidate is promoted as the first version.

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
  --json              print one JSON object with the comparison
  --verbose, -v       tfjs warnings and stack traces on stderr
  --help, -h          this text

Training flags, as \`deno task train --help\` describes them (same defaults):
  --start --end --test-start --validation-split --test-split --horizon
  --sequence-length --arch --epochs --batch-size --lstm-units --dropout
  --learning-rate --l2 --patience --seed --backend --kernel
  The candidate's splits are cut from the bars before the holdout; --horizon
  must match the current version's, or the labels would differ.

Exit codes: 0 ok (promoted and rejected alike), 1 failed (data, files), 2 usage.

Examples:
  deno task retrain --name lstm --ticker SPY
  deno task retrain --name lstm --ticker SPY --dry-run
  deno task retrain --name lstm --ticker SPY --metric auc --tolerance 0.005 --json`;

const FLAGS: Record<string, FlagSpec> = {
  ...Object.fromEntries(Object.entries(TRAIN_FLAGS).filter(([name]) => name !== "no-promote")),
  holdout: { type: "string" },
  metric: { type: "string" },
  tolerance: { type: "string" },
  "dry-run": { type: "boolean" },
};

/** What `--json` prints. */
export interface RetrainResult {
  /** The versioned model folder. */
  model: string;
  /** Ticker and source of the bars. */
  ticker: string;
  /** Where the bars came from. */
  source: string;
  /** The series after the update: range, size and bars added by this run. */
  data: { first: string; last: string; bars: number; added: number };
  /** The windows both versions were scored on. */
  holdout: { first: string; last: string; rows: number; baseRate: number };
  /** The comparison metric and tolerance. */
  metric: { name: MetricName; key: string; lowerIsBetter: boolean; tolerance: number };
  /** The current version's scores, or `null` when there was none. */
  current: VersionScores | null;
  /** The candidate's scores and what it was trained on. */
  candidate: VersionScores & {
    saved: boolean;
    trained: FittedModel["dataset"]["ranges"];
    bestEpoch: number;
    epochsRun: number;
    interrupted: boolean;
  };
  /** What was (or would be) done. */
  decision: "promoted" | "rejected" | "first-version" | "would-promote" | "would-reject";
  /** Why, in words. */
  reason: string;
  /** Whether the pointer now names the candidate. */
  promoted: boolean;
  /** `--dry-run`. */
  dryRun: boolean;
  /** The pointer after the run (`null` when there is none). */
  pointer: VersionPointer | null;
  /** Plain-words caveats (the current version trained on holdout rows, another ticker). */
  notes: string[];
}

/** One version's scores on the holdout. */
interface VersionScores {
  version: string;
  dir: string | null;
  metrics: { accuracy: number; auc: number; logLoss: number; brier: number; mcc: number };
  scope: string;
}

function scoresOf(e: ModelEvaluation, version: string, dir: string | null): VersionScores {
  const { accuracy, auc, logLoss, brier, mcc } = e.metrics;
  return { version, dir, metrics: { accuracy, auc, logLoss, brier, mcc }, scope: e.scope };
}

/** The one ticker asked for (a list is a usage error), else the CSV file's name. */
function tickerOf(flags: Flags): string | undefined {
  const flag = stringFlag(flags, "ticker");
  if (flag !== undefined) {
    const list = flag.split(",").map((t) => t.trim()).filter((t) => t !== "");
    if (list.length !== 1) {
      throw new UsageError(
        `Expected one --ticker (a model is retrained on one series), found ${list.length}`,
      );
    }
    return validateTicker(list[0]);
  }
  const csv = stringFlag(flags, "csv");
  if (csv !== undefined) {
    return validateTicker(csv.split("/").pop()!.replace(/\.[^.]*$/, "").toUpperCase());
  }
  return undefined;
}

/**
 * Step 1: the bars, brought up to date. A cache from a live source is
 * extended with the bars after its last one; everything else is loaded.
 */
async function updatedSeries(
  settings: TrainSettings,
  current: EvaluationModel | null,
): Promise<{ series: Series; added: number }> {
  const { ticker, csv, start, end, seed } = settings;
  const dataDir = settings.dataDir ?? "data";
  let source: SourceName | undefined = settings.source;
  let added = 0;
  if (source === undefined) {
    const cached = await readCache(ticker, { dataDir, interval: "1d" });
    source = cached ? cached.meta.source as SourceName : undefined;
    if (!cached && current?.info.source === "synthetic") source = "synthetic";
  }
  const live = source !== undefined && source !== "synthetic" && source !== "csv";
  if (live) {
    const cached = await readCache(ticker, { dataDir, interval: "1d" });
    const from = cached && cached.meta.source === source
      ? cached.meta.first.slice(0, 10)
      : undefined;
    progress(`retrain: fetching new ${ticker} bars from ${source}`);
    const prepared = await prepareTicker(ticker, { source, dataDir, start: from });
    added = prepared.added;
    progress(
      `retrain: ${ticker} cache ${prepared.first} to ${prepared.last} (${prepared.rows} bars, ${added} new)`,
    );
  }
  const series = await loadSeries({
    ticker,
    // A CSV import cached by prepare is read back from the cache.
    source: source === "csv" && !csv ? undefined : source,
    csv,
    dataDir,
    start,
    end,
    seed,
  });
  return { series, added };
}

/** A candidate trained in memory, scored like a saved model. */
function inMemoryModel(
  fitted: FittedModel,
  where: { dir: string; version: string },
): EvaluationModel {
  const { dataset } = fitted;
  return {
    info: modelInfo(where.dir, where.version, fitted.card),
    scaler: dataset.scaler,
    predict: (windows) =>
      Promise.resolve(predictProbabilities(fitted.model, windows, { batchSize: 512 })),
    history: fitted.result.history,
    dispose: () => fitted.model.dispose(),
  };
}

const fixed = (v: number): string => (Number.isNaN(v) ? "–" : v.toFixed(4));

function table(result: RetrainResult): string {
  const header = ["", "version", "accuracy", "auc", "log loss", "brier", "rows"];
  const row = (label: string, s: VersionScores | null): string[] =>
    s === null ? [label, "none", "–", "–", "–", "–", "–"] : [
      label,
      s.version,
      fixed(s.metrics.accuracy),
      fixed(s.metrics.auc),
      fixed(s.metrics.logLoss),
      fixed(s.metrics.brier),
      String(result.holdout.rows),
    ];
  const candidateLabel = result.candidate.saved
    ? result.candidate.version
    : `(${result.candidate.version})`;
  const rows = [
    header,
    row("current", result.current),
    row("candidate", { ...result.candidate, version: candidateLabel }),
  ];
  const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => "  " + r.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd())
    .join("\n");
}

function humanText(r: RetrainResult): string {
  const m = METRICS[r.metric.name];
  return [
    `retrain ${r.model} on ${r.ticker} (${r.source}, ${r.data.bars} bars to ${r.data.last}${
      r.data.added ? `, ${r.data.added} new` : ""
    })`,
    `holdout: ${r.holdout.first} to ${r.holdout.last} (${r.holdout.rows} rows, ${
      fixed(r.holdout.baseRate)
    } up); the candidate learned from ${r.candidate.trained.train.first} to ${r.candidate.trained.validation.last} (its own test split to ${r.candidate.trained.test.last})`,
    `metric: ${m.label} (${
      m.lowerIsBetter ? "lower" : "higher"
    } is better), tolerance ${r.metric.tolerance}`,
    table(r),
    `decision: ${r.decision}: ${r.reason}`,
    ...r.notes.map((n) => `note: ${n}`),
  ].join("\n");
}

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
  const metricName = choiceFlag(flags, "metric", METRIC_NAMES, "log-loss");
  const metric = METRICS[metricName];
  const tolerance = numberFlag(flags, "tolerance", 0);
  const holdoutFlag = flags.holdout === undefined
    ? undefined
    : numberFlag(flags, "holdout", 0, { integer: true, min: MIN_EVALUATION_ROWS });
  const dryRun = flags["dry-run"] === true;
  const ticker = tickerOf(flags);
  // Every training flag is checked before any file is read.
  let settings = trainSettings(ticker === undefined ? flags : { ...flags, ticker });
  const root = settings.modelRoot;

  // Step 2: the current version (read before training, so a broken one fails fast).
  const where = await resolveModelDir(root);
  const backend = await selectBackend(settings.backendName, { verbose: settings.verbose });
  // The current version runs on the kernel the candidate is trained with.
  const kernel = kernelFlag(flags, backend);
  const current = where ? await loadEvaluationModel(root, { kernel }) : null;
  let candidate: EvaluationModel | undefined;
  try {
    if (current && ticker === undefined && current.info.ticker) {
      settings = trainSettings({ ...flags, ticker: current.info.ticker });
    }
    if (current && current.info.horizon !== settings.horizon) {
      throw new UsageError(
        `Expected --horizon ${current.info.horizon} like the current version ${current.info.version} (labels of another horizon cannot be compared), found ${settings.horizon}`,
      );
    }

    // Step 1: the bars.
    const { series, added } = await updatedSeries(settings, current);
    const bars = series.bars;

    // Step 3: hold out the most recent labelled windows; the candidate sees only the bars before.
    const horizon = settings.horizon;
    const rows = holdoutFlag ??
      Math.max(MIN_EVALUATION_ROWS, Math.round(bars.length * DEFAULT_HOLDOUT_SHARE));
    const lastRef = bars.length - 1 - horizon;
    const firstRef = lastRef - rows + 1;
    const needed = minimumBars(settings.datasetOptions);
    if (firstRef < needed) {
      throw new DataError(
        `Expected at least ${needed} bars before a ${rows}-row holdout of ${series.symbol} to train the candidate, found ${
          Math.max(0, firstRef)
        } of ${bars.length} bars (use a smaller --holdout or more data)`,
      );
    }
    const holdoutFirst = bars[firstRef].time;
    const holdoutLast = bars[lastRef].time;
    const trainSeries: Series = { ...series, bars: bars.slice(0, firstRef) };
    progress(
      `retrain: ${series.symbol}: holdout ${holdoutFirst} to ${holdoutLast} (${rows} rows); candidate trained on ${trainSeries.bars.length} bars to ${
        trainSeries.bars[firstRef - 1].time
      }${current ? `, against current ${current.info.version}` : ", no current version"}`,
    );
    const fitted = await fitModel(settings, trainSeries);
    const planned = await nextVersion(root);
    candidate = inMemoryModel(fitted, {
      dir: join(root, planned),
      version: planned,
    });

    // Step 4: both scored by the same code on the same windows.
    const options = {
      ticker: series.symbol,
      start: holdoutFirst,
      end: holdoutLast,
      seed: settings.seed,
      dataDir: settings.dataDir,
    };
    const candidateScored = await scoreModel(candidate, bars, options);
    const currentScored = current ? await scoreModel(current, bars, options) : null;
    const times = candidateScored.rows.refTimes;
    if (
      times.length !== rows ||
      (currentScored && currentScored.rows.refTimes.join() !== times.join())
    ) {
      throw new DataError(
        `Expected both versions to score the same ${rows} holdout windows, found ${times.length} for the candidate${
          currentScored
            ? ` and ${currentScored.rows.refTimes.length} for ${current!.info.version}`
            : ""
        } (the current version needs ${
          current ? current.info.sequenceLength : 0
        }-bar windows plus warm-up before ${holdoutFirst})`,
      );
    }

    const notes: string[] = [];
    if (current) {
      const seenUpTo = current.info.ranges.validation.last;
      const own = current.info.ticker?.toUpperCase() === series.symbol.toUpperCase();
      const seen = times.filter((t) => t <= seenUpTo).length;
      if (!own) {
        notes.push(
          `current ${current.info.version} was trained on ${
            current.info.ticker ?? "another series"
          }, not ${series.symbol}`,
        );
      }
      if (seen > 0) {
        notes.push(
          `current ${current.info.version} was trained or early-stopped on ${seen} of the ${rows} holdout rows${
            own ? "" : "' dates"
          } (to ${seenUpTo}), so its scores there are partly in sample and flatter it`,
        );
      }
    }

    // Step 5: the decision.
    const candidateValue = candidateScored.evaluation.metrics[metric.key];
    const currentValue = currentScored?.evaluation.metrics[metric.key];
    let accept: boolean;
    let reason: string;
    if (fitted.result.interrupted) {
      accept = false;
      reason = "training was interrupted, so the candidate is not promoted";
    } else if (!current || currentValue === undefined) {
      accept = true;
      reason = `no current version in ${root}: the candidate ${
        dryRun ? "would become" : "becomes"
      } the first (holdout ${metric.label} ${fixed(candidateValue)})`;
    } else if (Number.isNaN(candidateValue) || Number.isNaN(currentValue)) {
      accept = false;
      reason =
        `${metric.label} is undefined on the holdout (one class only?): the versions cannot be compared on it`;
    } else {
      const worseBy = metric.lowerIsBetter
        ? candidateValue - currentValue
        : currentValue - candidateValue;
      accept = worseBy <= tolerance;
      const by = (d: number): string => d >= 1e-4 ? d.toFixed(4) : d.toExponential(1);
      const how = worseBy > 0
        ? `worse by ${by(worseBy)}`
        : worseBy < 0
        ? `better by ${by(-worseBy)}`
        : "equal";
      reason = `candidate ${metric.label} ${fixed(candidateValue)} vs current ${
        fixed(currentValue)
      }: ${how}, ${accept ? "within" : "beyond"} the tolerance ${tolerance}`;
    }
    const decision: RetrainResult["decision"] = dryRun
      ? (accept ? "would-promote" : "would-reject")
      : !accept
      ? "rejected"
      : current
      ? "promoted"
      : "first-version";

    const holdout = {
      first: holdoutFirst,
      last: holdoutLast,
      rows,
      baseRate: candidateScored.evaluation.baselines.baseRate,
    };
    const result: RetrainResult = {
      model: root,
      ticker: series.symbol,
      source: series.source,
      data: { first: bars[0].time, last: bars[bars.length - 1].time, bars: bars.length, added },
      holdout,
      metric: {
        name: metricName,
        key: metric.key,
        lowerIsBetter: metric.lowerIsBetter,
        tolerance,
      },
      current: currentScored && current
        ? scoresOf(currentScored.evaluation, current.info.version, current.info.dir)
        : null,
      candidate: {
        ...scoresOf(candidateScored.evaluation, planned, dryRun ? null : join(root, planned)),
        saved: !dryRun,
        trained: fitted.dataset.ranges,
        bestEpoch: fitted.result.bestEpoch,
        epochsRun: fitted.result.epochsRun,
        interrupted: fitted.result.interrupted,
      },
      decision,
      reason,
      promoted: !dryRun && accept,
      dryRun,
      pointer: null,
      notes,
    };
    if (dryRun) {
      result.reason += `; --dry-run: nothing written under ${root}`;
    } else {
      // The candidate's folder is written once, with the A/B record inside it.
      const saved = await saveVersion(fitted, root, {
        promote: accept,
        extraFiles: {
          [RETRAIN_FILE]: {
            decision,
            reason,
            decidedAt: new Date().toISOString(),
            holdout,
            metric: result.metric,
            current: result.current,
            candidate: { metrics: result.candidate.metrics },
          },
        },
      });
      result.candidate.version = saved.version;
      result.candidate.dir = saved.modelDir;
      if (!accept) result.reason += `; ${saved.version} stays on disk, marked rejected`;
    }
    result.pointer = await readPointer(root);
    printResult(flags, result, () => humanText(result));
    return 0;
  } finally {
    current?.dispose();
    candidate?.dispose();
  }
};
