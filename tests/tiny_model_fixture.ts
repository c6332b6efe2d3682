/**
 * A tiny LSTM (4 units, 10-bar windows, 2 epochs) trained by `deno task train`
 * on seeded synthetic bars, for the evaluate and backtest command tests:
 * cheap enough for a shared 2-core machine, real enough that the commands
 * load, score and replay what the train command saves, end to end.
 */

/** Repository root, the working directory of the command subprocesses. */
export const ROOT = new URL("..", import.meta.url).pathname;

/**
 * Trains the tiny model of `ticker`'s synthetic bars (seed 42) into `dir`
 * with the train command (`extra` flags after the tiny ones, e.g.
 * `--calibration none`); throws with its stderr when it fails.
 *
 * @example
 * ```ts
 * await trainTinyModel(`${tmp}/model`, "SPY");
 * ```
 */
export async function trainTinyModel(
  dir: string,
  ticker: string,
  extra: string[] = [],
): Promise<void> {
  const slash = dir.lastIndexOf("/");
  const run = await cli([
    "train",
    ...tinyTrainArgs(ticker),
    ...extra,
    "--model-dir",
    dir.slice(0, slash),
    "--name",
    dir.slice(slash + 1),
  ], dir.slice(0, slash));
  if (run.code !== 0) throw new Error(`Expected the tiny model to train, found: ${run.stderr}`);
}

/**
 * The train flags of the tiny model (data, shape and seed; no output folder).
 *
 * @example
 * ```ts
 * await cli(["retrain", ...tinyTrainArgs("SPY"), "--model-dir", tmp], tmp);
 * ```
 */
export function tinyTrainArgs(ticker: string): string[] {
  return [
    "--source",
    "synthetic",
    "--ticker",
    ticker,
    "--epochs",
    "2",
    "--sequence-length",
    "10",
    "--lstm-units",
    "4",
    "--batch-size",
    "64",
    "--learning-rate",
    "0.01",
    "--seed",
    "42",
    "--backend",
    "cpu",
  ];
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

/**
 * Records the SHA-256 of a model folder's `weights.bin` in its card, for tests that rig the
 * weights on purpose (loading checks the hash and refuses weights changed behind the card).
 *
 * @example
 * ```ts
 * await Deno.writeFile(`${dir}/weights.bin`, rigged);
 * await resealWeights(dir);
 * ```
 */
export async function resealWeights(dir: string): Promise<void> {
  const path = `${dir}/model_config.json`;
  const card = JSON.parse(await Deno.readTextFile(path));
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(`${dir}/weights.bin`));
  card.weightsSha256 = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0"))
    .join("");
  await Deno.writeTextFile(path, JSON.stringify(card, null, 2));
}
