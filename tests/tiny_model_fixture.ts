/**
 * A tiny LSTM (4 units, 10-bar windows, 2 epochs) trained on seeded synthetic
 * bars and saved with the model store, for the evaluate and backtest command
 * tests (seed 42 for the model and, as \`deno task train\` does, for the data):
 * cheap enough for a shared 2-core machine, real enough that the
 * commands load, score and replay it end to end.
 */
import { loadSeries } from "../src/data/mod.ts";
import { buildDataset } from "../src/dataset/mod.ts";
import { buildModel, saveModel, selectBackend, trainModel } from "../src/model/mod.ts";

/** Repository root, the working directory of the command subprocesses. */
export const ROOT = new URL("..", import.meta.url).pathname;

/**
 * Trains and saves the tiny model of `ticker`'s synthetic bars in `dir`.
 *
 * @example
 * ```ts
 * await trainTinyModel(`${tmp}/model`, "SPY");
 * ```
 */
export async function trainTinyModel(dir: string, ticker: string): Promise<void> {
  await selectBackend("cpu");
  const { bars } = await loadSeries({ ticker, source: "synthetic" });
  const dataset = buildDataset(bars, { sequenceLength: 10, horizon: 1 });
  const hyperparameters = {
    lstmUnits: 4,
    dropout: 0,
    l2: 0,
    learningRate: 0.01,
    seed: 42,
    epochs: 2,
    batchSize: 64,
    patience: 2,
  };
  const model = buildModel("lstm", {
    ...hyperparameters,
    inputShape: [10, dataset.features.length],
  });
  const result = await trainModel(model, dataset, hyperparameters);
  const metrics = { loss: 0, accuracy: 0 };
  await saveModel(dir, model, {
    config: {
      arch: "lstm",
      hyperparameters,
      features: dataset.features,
      sequenceLength: dataset.sequenceLength,
      nFeatures: dataset.features.length,
      horizon: dataset.horizon,
      data: { source: "synthetic", ticker, interval: "1d", ranges: dataset.ranges },
      seed: 42,
      backend: "cpu",
      metrics: { train: metrics, validation: metrics, test: metrics },
      testBaseRate: 0.5,
      interrupted: false,
      bestEpoch: result.bestEpoch,
      epochsRun: result.epochsRun,
    },
    scaler: dataset.scaler,
    history: result.history,
  });
  model.dispose();
}

/** Output of a command run. */
export interface Run {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/**
 * Runs `cli.ts` with `args` in a subprocess that may write only under `writeDir`.
 *
 * @example
 * ```ts
 * const run = await cli(["evaluate", "--help"], tmp);
 * ```
 */
export async function cli(args: string[], writeDir: string): Promise<Run> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", `--allow-write=${writeDir}`, "cli.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}
