/**
 * `deno task train`: build the dataset from cached, imported or synthetic
 * bars, train one of the architectures with early stopping, and save the
 * model folder. The work is {@linkcode fitAndSave} in src/pipeline/fit.ts.
 *
 * @module
 */

import { type FlagSpec, kernelHelp, parseFlags } from "./common.ts";
import { type Command, printResult, progress, untilInterrupted } from "./output.ts";
import { join } from "node:path";
import { TRAIN_FLAGS, trainSettings } from "./flags.ts";
import { importFeaturesModule } from "../features/module.ts";
import { UsageError } from "../util/errors.ts";
import { readyModelRoot } from "../model/versions.ts";
import {
  refuseWithoutUniverse,
  UNIVERSE_TRAIN_FLAGS,
  UNIVERSE_TRAIN_HELP,
  universeTrainSettings,
} from "./universe_flags.ts";
import { resolveUniverse } from "../data/universe.ts";
import { loadUniverseData, universeSet } from "../pipeline/universe.ts";
import type { TrainingSet } from "../dataset/training_set.ts";
import { fitText } from "../views/train.ts";
import { INTERVALS, SOURCES } from "../data/types.ts";
import { ARCHITECTURES, BACKENDS } from "../model/mod.ts";
import { fitAndSave, loadTrainingSeries, seriesSet } from "../pipeline/fit.ts";
import { CALIBRATION_METHODS, DEFAULT_CALIBRATION } from "../model/calibration.ts";

const HELP = `Usage: deno task train [--ticker SPY | --csv FILE | --source synthetic] [flags]

Build 60-bar feature windows (scaler fitted on training rows only), train a
direction model with Adam and early stopping on validation loss, and save
a new version <model-dir>/<name>/vN/: model.json + weights.bin (standard tfjs
layers format), scaler.json, training_history.json, model_config.json and
reference.json (training distributions for drift monitoring).

Data:
  --ticker T          read the bars \`deno task prepare\` cached for T
  --data-dir DIR      cache folder (default data)
  --csv FILE          import bars from a CSV file instead
  --source NAME       ${SOURCES.join(" | ")} (default: the cache with --ticker,
                      csv with --csv, else synthetic: seeded offline data, no prior step)
  --interval I        ${INTERVALS.join(" | ")} (default 1d): the bars' interval,
                      saved in the model card; indicator periods stay in bars
  --start DATE        first bar used (YYYY-MM-DD), e.g. a regime model
  --end DATE          last bar used
  --test-start DATE   first reference date of the test split (else the fractions)
  --validation-split F  share of windows for validation (default 0.15)
  --test-split F      share of windows for test (default 0.15)
  --horizon N         label: close N bars ahead above this close (default 1)
  --decide-at P       close | open (default close). open: decide at each bar's
                      open, reading its open and nothing else of it (the
                      previous bar's features plus overnight_return and
                      gap_z); the label is the bar's own open-to-close move.
                      Daily bars only. The plugin's onOpen(symbol, time, open)
                      serves it before the bar is finished
  --sequence-length N bars per window (default 60)
  --features-module FILE.ts  a module that registers custom features with
                      registerFeature (and may export the features list to train on;
                      else the defaults plus what it registers). The model remembers
                      it (path and SHA-256) and every command loads it again; see
                      examples/features.ts

Model and training:
  --arch A            ${ARCHITECTURES.join(" | ")} (default lstm, the seed's)
  --epochs N          most epochs (default 50)
  --batch-size N      windows per batch (default 32)
  --lstm-units N      recurrent units (default 50)
  --dropout F         dropout rate (default 0.2)
  --learning-rate F   Adam learning rate (default 0.001)
  --l2 F              L2 penalty on kernels and recurrent kernels (default 0: off)
  --patience N        epochs without validation improvement before stopping (default 10)
  --seed N            seed of initialisation, shuffling, dropout and synthetic data (default 42)
  --backend B         ${BACKENDS.join(" | ")} (default wasm; auto picks wasm, see README)
${kernelHelp(22)}
  --threads N         threads the fused kernels train on (default: the cores,
                      ${
  navigator.hardwareConcurrency ?? 1
} here); the weights are the same bits on any number
  --calibration M     ${
  CALIBRATION_METHODS.join(" | ")
} (default ${DEFAULT_CALIBRATION}): fitted on the
                      validation windows, then shrunk toward the training base rate by
                      a weight chosen there (cross-fitted); weight 1 (the base rate
                      itself) unless the validation rows show skill. none: the raw
                      network probability. Saved in model_config.json and applied by
                      evaluate, backtest, predict, monitor and the plugin

${UNIVERSE_TRAIN_HELP}

Output:
  --model-dir DIR     parent folder of models (default models)
  --name NAME         model name (default lstm): each run writes a new version
                      <model-dir>/<name>/vN and never overwrites one
  --no-promote        keep the new version a candidate; by default it becomes
                      current (current.json), the one plugins load
  --json              print one JSON object with the results
  --verbose, -v       tfjs warnings and stack traces on stderr
  --help, -h          this text

Ctrl-C stops after the current batch and saves the best weights so far,
marked interrupted. The same data, flags and seed on cpu or wasm give
byte-identical weights (weightsSha256).

Exit codes: 0 ok, 1 failed (data, file), 2 usage.

Examples:
  deno task train --source synthetic --epochs 5
  deno task train --ticker SPY --epochs 50
  deno task train --ticker SPY --start 2019-01-01 --end 2021-12-31 --name lstm_bull_market`;

const FLAGS: Record<string, FlagSpec> = {
  ...TRAIN_FLAGS,
  ...UNIVERSE_TRAIN_FLAGS,
  "no-promote": { type: "boolean" },
  "features-module": { type: "string" },
};

/**
 * Runs `deno task train` with `args`; returns the exit code.
 *
 * @example
 * ```ts
 * const code = await train(["--source", "synthetic", "--epochs", "2", "--json"]);
 * ```
 */
export const train: Command = async (args: string[]): Promise<number> => {
  const { flags } = parseFlags(args, FLAGS);
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  refuseWithoutUniverse(flags, ["context", "label", "scaling"]);
  if (flags["features-module"] !== undefined && flags.universe !== undefined) {
    throw new UsageError("Expected --features-module without --universe, found both");
  }
  const settings = trainSettings(flags);
  const { fit, data, modelRoot } = settings;
  // Before any long work: the new version can be written; killed runs' temporary files go.
  await readyModelRoot(modelRoot, progress);
  let set: TrainingSet;
  let used = fit;
  if (flags.universe !== undefined || flags.study !== undefined) {
    const universe = universeTrainSettings(flags, fit, data);
    const loaded = await loadUniverseData(await resolveUniverse(String(flags.universe)), {
      dataDir: data.dataDir,
      source: data.source,
      seed: fit.seed,
      start: data.start,
      end: data.end,
      interval: data.interval,
      context: universe.context,
    });
    progress(loaded.universe.text);
    set = universeSet(loaded, universe);
    used = universe.fit;
  } else {
    const moduleFile = flags["features-module"];
    if (typeof moduleFile === "string") {
      // The version folder's depth is the same for every version: the relative path holds for all.
      const { features, record } = await importFeaturesModule(moduleFile, join(modelRoot, "v1"));
      fit.datasetOptions = { ...fit.datasetOptions, features };
      fit.featuresModule = record;
      progress(`features module ${moduleFile}: ${features.map((f) => f.name).join(", ")}`);
    }
    set = seriesSet(await loadTrainingSeries(data, fit.seed), fit);
  }
  // Ctrl-C stops training after the current batch; the best weights so far are saved.
  const summary = await untilInterrupted((shouldStop) =>
    fitAndSave(set, used, {
      modelRoot,
      promote: flags["no-promote"] !== true,
      log: progress,
      shouldStop,
    })
  );
  printResult(flags, summary, () => fitText(summary, { arch: used.arch, modelRoot }));
  return 0;
};
