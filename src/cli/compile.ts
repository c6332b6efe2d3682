/**
 * `deno task compile`: builds the command line and the example bot into
 * single binaries with `deno compile`, carrying the WASM binaries they load
 * and, with `--model DIR`, a trained model, so a bot ships as one file.
 *
 * `deno compile` downloads its runtime (`denort`) from Deno's servers unless
 * `DENORT_BIN` points at one; where neither is possible the command stops at
 * that step with one clear line. `--dry-run` prints the exact commands.
 *
 * @module
 */

import { join } from "node:path";
import { parseFlags, stringFlag } from "./common.ts";
import { type Command, printResult, progress } from "./output.ts";
import { assetPath } from "../util/assets.ts";
import { DataError } from "../util/errors.ts";
import { exists } from "../util/fs.ts";
import denoJson from "../../deno.json" with { type: "json" };

const HELP =
  `Usage: deno task compile [--model DIR] [--out-dir dist] [--target TRIPLE] [--dry-run] [--json]

Builds two binaries with deno compile:
  <out-dir>/lstm-signal   the command line (cli.ts)
  <out-dir>/bot           the example bot (examples/bot.ts)
Both carry the TensorFlow.js WASM binaries (the fused kernels are in the code); with --model DIR
the model folder is embedded too and found at the same relative path at run time.

Flags:
  --model DIR      a model folder (or versioned root) to embed, e.g. models/lstm
  --out-dir DIR    where the binaries go (default dist)
  --target TRIPLE  cross-compile, e.g. x86_64-unknown-linux-gnu, aarch64-apple-darwin
  --dry-run        print the deno compile commands without running them
  --json           print the commands and outputs as JSON
  -h, --help       this text

deno compile needs its runtime (denort): it downloads it from Deno's servers, or uses
the file named by DENORT_BIN. Without either, the build stops at that step.`;

/** Files every binary carries, relative to the module root. */
export const RUNTIME_ASSETS: readonly string[] = [
  "node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm",
  "node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm",
];

/**
 * The `--allow-<name>=…` flag of the `prepare` task in deno.json: the one list of the hosts (data
 * providers and exchanges) and environment variables the command line may reach.
 */
function prepareTaskFlag(name: "net" | "env"): string {
  const flag = new RegExp(`(?:^|\\s)(--allow-${name}=\\S+)`).exec(denoJson.tasks.prepare)?.[1];
  if (flag === undefined) {
    throw new DataError(`Expected --allow-${name}=… in deno.json's prepare task, found none`);
  }
  return flag;
}

/** The permissions each binary is built with (the same as the deno tasks). */
function permissions(): Record<string, string[]> {
  return {
    "lstm-signal": [
      "--allow-read",
      "--allow-write=data,models,reports",
      prepareTaskFlag("net"),
      prepareTaskFlag("env"),
    ],
    bot: ["--allow-read"],
  };
}

/**
 * The `deno compile` argument lists for the two binaries.
 *
 * @example
 * ```ts
 * const plans = await compilePlans({ outDir: "dist", model: "models/lstm" });
 * plans[0].args; // ["compile", "--output", "dist/lstm-signal", ...]
 * ```
 */
export async function compilePlans(
  options: { outDir: string; model?: string; target?: string },
): Promise<Array<{ name: string; output: string; args: string[] }>> {
  const includes: string[] = [];
  for (const asset of RUNTIME_ASSETS) {
    if (await exists(assetPath(asset))) includes.push(asset);
  }
  if (options.model) {
    if (!(await exists(options.model))) {
      throw new DataError(`Expected a model folder at ${options.model}, found nothing`);
    }
    includes.push(options.model);
  }
  const entries: Array<[string, string]> = [["lstm-signal", "cli.ts"], ["bot", "examples/bot.ts"]];
  const allowed = permissions();
  return entries.map(([name, entry]) => {
    const output = join(options.outDir, name);
    const args = [
      "compile",
      "--no-check",
      "--output",
      output,
      ...(options.target ? ["--target", options.target] : []),
      ...includes.flatMap((path) => ["--include", path]),
      ...allowed[name],
      entry,
    ];
    return { name, output, args };
  });
}

/** Runs `deno task compile`. */
export const compile: Command = async (args: string[]): Promise<number> => {
  const { flags } = parseFlags(args, {
    model: { type: "string" },
    "out-dir": { type: "string" },
    target: { type: "string" },
    "dry-run": { type: "boolean" },
  });
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const plans = await compilePlans({
    outDir: stringFlag(flags, "out-dir", "dist"),
    model: stringFlag(flags, "model"),
    target: stringFlag(flags, "target"),
  });
  if (!flags["dry-run"]) {
    for (const plan of plans) {
      progress(`compile: deno ${plan.args.join(" ")}`);
      const result = await new Deno.Command(Deno.execPath(), {
        args: plan.args,
        cwd: assetPath("."),
        env: { NO_COLOR: "1" },
        stdout: "inherit",
        stderr: "piped",
      }).output();
      if (!result.success) {
        const text = new TextDecoder().decode(result.stderr);
        const download = /denort|download|dl\.deno\.land|error sending request/i.test(text);
        const lines = text.split("\n").filter((l) => l.trim() !== "");
        const first = lines.findLast((l) => /error/i.test(l)) ?? lines[0] ?? "";
        throw new DataError(
          download
            ? `deno compile could not get its runtime (denort); set DENORT_BIN to a denort binary or build where Deno's servers are reachable (${first.trim()})`
            : `deno compile failed for ${plan.name}: ${first.trim()}`,
        );
      }
    }
  }
  printResult(
    flags,
    {
      dryRun: Boolean(flags["dry-run"]),
      binaries: plans.map(({ name, output, args }) => ({
        name,
        output,
        command: ["deno", ...args],
      })),
    },
    () =>
      plans.map((p) =>
        `${flags["dry-run"] ? "would run" : "built " + p.output + ":"} deno ${p.args.join(" ")}`
      ).join("\n"),
  );
  return 0;
};
