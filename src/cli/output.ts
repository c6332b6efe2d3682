/**
 * What every command prints: results on stdout (text, or one JSON value with
 * `--json`), progress on stderr, one error line with the library's option
 * names turned into the command line's flags, and Ctrl-C stopping a long run
 * after its current step.
 *
 * @module
 */

import { messageOf, UsageError } from "../util/errors.ts";
import { FIT_OPTION_FLAGS } from "../pipeline/settings.ts";
import type { Flags } from "./common.ts";

/**
 * Writes a result to stdout: pretty JSON with `--json`, else the human text.
 *
 * @example
 * ```ts
 * printResult({ json: true }, { rows: 10 }, () => "10 rows");
 * ```
 */
export function printResult(flags: Flags, value: unknown, human: () => string): void {
  if (flags.json) console.log(JSON.stringify(value, null, 2));
  else console.log(human());
}

/**
 * Writes a progress or log line to stderr (never stdout, which carries results).
 *
 * @example
 * ```ts
 * progress("epoch 1/50 loss 0.693");
 * ```
 */
export function progress(line: string): void {
  console.error(line);
}

/**
 * Runs `work` with Ctrl-C turned into a polite stop: the first SIGINT sets the
 * flag `shouldStop` returns (training stops after the current batch and keeps
 * its best weights) and says `message` on stderr, instead of killing the process.
 *
 * @example
 * ```ts
 * const summary = await untilInterrupted((shouldStop) => fitAndSave(series, fit, { modelRoot, shouldStop }));
 * ```
 */
export async function untilInterrupted<T>(
  work: (shouldStop: () => boolean) => Promise<T>,
  message = "train: interrupted, stopping after the current batch (keeping the best weights)",
): Promise<T> {
  let stop = false;
  const onInterrupt = (): void => {
    stop = true;
    progress(message);
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  try {
    return await work(() => stop);
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
  }
}

/**
 * The flag that sets a library option: the train flag of a fit option
 * (`backendName` → `--backend`), else the option in kebab case
 * (`dataDir` → `--data-dir`).
 *
 * @example
 * ```ts
 * flagOf("validationFraction"); // "--validation-split"
 * ```
 */
export function flagOf(option: string): string {
  const flag = (FIT_OPTION_FLAGS as Record<string, string>)[option] ??
    option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return `--${flag}`;
}

/**
 * The one line the command line prints for an error (without `error: `):
 * its one-line message, where a usage error's options (library names) are
 * shown as the flags that set them: "Expected epochs to be …" becomes
 * "Expected --epochs to be …". Only the words before ", found" are
 * rewritten, so a found value is quoted as given.
 *
 * @example
 * ```ts
 * errorLine(new UsageError("Expected batchSize to be an integer of at least 1, found 0", {
 *   options: ["batchSize"],
 * })); // "Expected --batch-size to be an integer of at least 1, found 0"
 * ```
 */
export function errorLine(error: unknown): string {
  const message = messageOf(error);
  if (!(error instanceof UsageError) || error.options.length === 0) return message;
  const at = message.indexOf(", found ");
  let head = at < 0 ? message : message.slice(0, at);
  for (const option of error.options) {
    head = head.replace(new RegExp(`(?<![\\w-])${option}(?![\\w-])`, "g"), flagOf(option));
  }
  return head + (at < 0 ? "" : message.slice(at));
}

/** A command's entry point: receives its arguments, returns an exit code. */
export type Command = (args: string[]) => Promise<number>;
