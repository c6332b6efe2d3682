/**
 * Error types that carry an exit code for the command line.
 *
 * Library code throws these (or plain `Error`s); `cli.ts` turns any error into
 * one line on stderr and the matching exit code: 2 for usage errors, 1 for
 * everything else.
 *
 * @module
 */

import { osErrorMessage } from "./os_errors.ts";

/**
 * A mistake in how a command or function was called: an unknown flag, a
 * malformed value, a ticker that is not a valid symbol. Exit code 2.
 *
 * @example
 * ```ts
 * throw new UsageError("Expected epochs to be an integer of at least 1, found 0", {
 *   options: ["epochs"],
 * });
 * ```
 */
export class UsageError extends Error {
  /** The process exit code for this error. */
  readonly exitCode = 2;
  /**
   * The options (library names, like `batchSize`) the message speaks of, in
   * its words: the command line shows them as its flags (`--batch-size`).
   */
  readonly options: readonly string[];
  /** Creates a usage error with a sentence-case message, naming the `options` it is about. */
  constructor(message: string, details: { options?: readonly string[] } = {}) {
    super(message);
    this.name = "UsageError";
    this.options = details.options ?? [];
  }
}

/**
 * A failure caused by the data or the environment (malformed file, missing
 * column, network failure, corrupted model). Exit code 1.
 *
 * @example
 * ```ts
 * throw new DataError("Expected a Close column in prices.csv, found Date, Open, High");
 * ```
 */
export class DataError extends Error {
  /** The process exit code for this error. */
  readonly exitCode = 1;
  /** Creates a data error; `cause` keeps the underlying error for `--verbose`. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DataError";
  }
}

/**
 * The exit code an error should produce: 2 for {@linkcode UsageError}, 1 otherwise.
 *
 * @example
 * ```ts
 * exitCodeOf(new UsageError("bad flag")); // 2
 * ```
 */
export function exitCodeOf(error: unknown): number {
  return error instanceof UsageError ? 2 : 1;
}

/**
 * A one-line, human-readable message for any thrown value. Deno permission
 * errors get a hint naming the flag that would grant the access.
 *
 * @example
 * ```ts
 * messageOf(new Error("boom")); // "boom"
 * ```
 */
export function messageOf(error: unknown): string {
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    const text = String((error as Error).message).split("\n")[0];
    return `${text} (the deno task grants only the folders in deno.json; run cli.ts with the extra --allow-* flag, see README "Permissions")`;
  }
  const os = osErrorMessage(error);
  if (os !== undefined) return os;
  if (error instanceof Error) return error.message.split("\n")[0];
  return String(error);
}
