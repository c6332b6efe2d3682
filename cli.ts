/**
 * The command line: `deno task <command>` (or `deno run cli.ts <command>`).
 * Parses nothing itself; dispatches to `src/cli/<command>.ts` and turns any
 * error into one line on stderr with exit code 2 (usage) or 1 (failure).
 * A stack trace is printed only with `--verbose`.
 *
 * @module
 */

import { exitCodeOf, messageOf } from "./src/util/errors.ts";
import type { Command } from "./src/cli/common.ts";

const COMMANDS: Record<
  string,
  { summary: string; load: () => Promise<Command>; hidden?: boolean }
> = {
  prepare: {
    summary: "fetch or import daily bars into the data cache",
    load: async () => (await import("./src/cli/prepare.ts")).prepare,
  },
  train: {
    summary: "train an LSTM direction model and save it",
    load: async () => (await import("./src/cli/train.ts")).train,
  },
  evaluate: {
    summary: "score a model out of sample against baselines",
    load: async () => (await import("./src/cli/evaluate.ts")).evaluate,
  },
  backtest: {
    summary: "replay bars through the signal and trade on it",
    load: async () => (await import("./src/cli/backtest.ts")).backtest,
  },
  predict: {
    summary: "print the latest signal for a ticker",
    load: async () => (await import("./src/cli/predict.ts")).predict,
  },
  models: {
    summary: "list, show, promote or roll back model versions",
    load: async () => (await import("./src/cli/models/mod.ts")).models,
  },
  monitor: {
    summary: "compare logged signals with realised prices and check drift",
    load: async () => (await import("./src/cli/monitor.ts")).monitor,
  },
  retrain: {
    summary: "train a candidate on new bars and promote it if it is not worse",
    load: async () => (await import("./src/cli/retrain.ts")).retrain,
  },
  bench: {
    summary: "measure training and prediction speed of each kernel and backend",
    load: async () => (await import("./src/cli/bench.ts")).bench,
  },
  compile: {
    summary: "build the command line and the example bot into single binaries",
    load: async () => (await import("./src/cli/compile.ts")).compile,
  },
  sweep: {
    summary: "walk-forward sweep over configurations, on a local pool or a Redis queue",
    load: async () => (await import("./src/cli/sweep.ts")).sweep,
  },
  worker: {
    summary: "run sweep jobs from a Redis queue (any number of machines)",
    load: async () => (await import("./src/cli/worker.ts")).worker,
  },
  "sweep-job": {
    summary: "run one sweep job read from stdin (started by sweep and worker)",
    load: async () => (await import("./src/cli/sweep_job.ts")).sweepJob,
    hidden: true,
  },
};

/** The top-level usage text. */
export function usage(): string {
  const listed = Object.entries(COMMANDS).filter(([, c]) => !c.hidden);
  const width = Math.max(...listed.map(([name]) => name.length));
  const lines = listed.map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    "Usage: deno task <command> [flags]   (or: deno run <permissions> cli.ts <command> [flags])",
    "",
    "Commands:",
    ...lines,
    "",
    "Run `deno task <command> --help` for a command's flags.",
  ].join("\n");
}

/**
 * An error's one line: the commands' printer (library options shown as their flags), loaded
 * like the commands; the bare message when even that cannot load.
 */
async function errorText(error: unknown): Promise<string> {
  try {
    return (await import("./src/cli/common.ts")).errorLine(error);
  } catch {
    return messageOf(error);
  }
}

/**
 * Runs the command line on `args` and returns the exit code.
 *
 * @example
 * ```ts
 * const code = await main(["prepare", "--ticker", "SPY", "--source", "synthetic"]);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(
      `error: Unknown command "${name}"; expected one of ${
        Object.keys(COMMANDS).filter((n) => !COMMANDS[n].hidden).join(", ")
      }`,
    );
    return 2;
  }
  const verbose = rest.includes("--verbose") || rest.includes("-v");
  try {
    const run = await command.load();
    return await run(rest);
  } catch (error) {
    console.error(`error: ${await errorText(error)}`);
    if (verbose && error instanceof Error && error.stack) console.error(error.stack);
    return exitCodeOf(error);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
