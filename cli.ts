/**
 * The command line: `deno task <command>` (or `deno run cli.ts <command>`).
 * Parses nothing itself; dispatches to `src/cli/<command>.ts` and turns any
 * error into one line on stderr with exit code 2 (usage) or 1 (failure).
 * A stack trace is printed only with `--verbose`.
 *
 * @module
 */

import { exitCodeOf, messageOf } from "./src/util/errors.ts";
import type { Command } from "./src/cli/output.ts";
import denoJson from "./deno.json" with { type: "json" };

/**
 * Each command: its summary, its loader, whether `--help` lists it, and whether the compiled
 * binary (`deno task compile`) can run it: `bench`, `compile`, `sweep` and `worker` start
 * `deno run` processes, which a single binary has no `deno` to run.
 */
const COMMANDS: Record<
  string,
  { summary: string; load: () => Promise<Command>; hidden?: boolean; needsDeno?: boolean }
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
    needsDeno: true,
  },
  compile: {
    summary: "build the command line and the example bot into single binaries",
    load: async () => (await import("./src/cli/compile.ts")).compile,
    needsDeno: true,
  },
  sweep: {
    summary: "walk-forward sweep over configurations, on a local pool or a Redis queue",
    load: async () => (await import("./src/cli/sweep.ts")).sweep,
    needsDeno: true,
  },
  worker: {
    summary: "run sweep jobs from a Redis queue (any number of machines)",
    load: async () => (await import("./src/cli/worker.ts")).worker,
    needsDeno: true,
  },
  "sweep-job": {
    summary: "run one sweep job read from stdin (started by sweep and worker)",
    load: async () => (await import("./src/cli/sweep_job.ts")).sweepJob,
    needsDeno: true,
    hidden: true,
  },
};

/** The module's name and version (deno.json), and the Deno that runs it. */
export const VERSION_LINE =
  `lstm-signal ${denoJson.version} (${denoJson.name}, deno ${Deno.version.deno})`;

/** Whether this is the single binary `deno task compile` built (no `deno` to start children). */
const COMPILED = Deno.build.standalone;

/**
 * The top-level usage text; in the compiled binary it names the commands that need Deno.
 *
 * @example
 * ```ts
 * usage().startsWith("Usage:"); // true
 * ```
 */
export function usage(): string {
  const listed = Object.entries(COMMANDS).filter(([, c]) => !c.hidden);
  const width = Math.max(...listed.map(([name]) => name.length));
  const lines = listed.map(([name, c]) =>
    `  ${name.padEnd(width)}  ${c.summary}${
      COMPILED && c.needsDeno ? " (not in this binary: deno task)" : ""
    }`
  );
  return [
    COMPILED
      ? "Usage: lstm-signal <command> [flags]"
      : "Usage: deno task <command> [flags]   (or: deno run <permissions> cli.ts <command> [flags])",
    "",
    "Commands:",
    ...lines,
    "",
    COMPILED
      ? "bench, compile, sweep and worker start deno processes: run them from the module with deno task.\nRun `lstm-signal <command> --help` for a command's flags; --version for the version."
      : "Run `deno task <command> --help` for a command's flags; --version for the version.",
  ].join("\n");
}

/**
 * An error's one line: the commands' printer (library options shown as their flags), loaded
 * like the commands; the bare message when even that cannot load.
 */
async function errorText(error: unknown): Promise<string> {
  try {
    return (await import("./src/cli/output.ts")).errorLine(error);
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
  if (name === "--version" || rest.includes("--version")) {
    console.log(VERSION_LINE);
    return 0;
  }
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
  if (COMPILED && command.needsDeno) {
    console.error(
      `error: Expected a command the compiled binary can run, found "${name}": it starts deno processes; run it from the module with deno task ${name}`,
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
