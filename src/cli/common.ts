/**
 * What every command shares: flag parsing on top of `node:util` `parseArgs`
 * (JSR's `@std/cli` is not reachable from this build environment), typed
 * value checks that raise usage errors. What commands print is in
 * `output.ts`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { UsageError } from "../util/errors.ts";
import { type Kernel, KERNELS, resolveKernel } from "../model/fast/layers.ts";

/** One flag of a command, as `node:util` `parseArgs` describes it. */
export interface FlagSpec {
  /** `string` flags take a value, `boolean` flags do not. */
  type: "string" | "boolean";
  /** One-letter alias. */
  short?: string;
  /** Default value. */
  default?: string | boolean;
}

/** Parsed flags: strings, booleans or undefined, keyed by long name. */
export type Flags = Record<string, string | boolean | undefined>;

/** Flags every command accepts. */
export const COMMON_FLAGS: Record<string, FlagSpec> = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  verbose: { type: "boolean", short: "v" },
};

/**
 * Parses `args` strictly against `spec` (plus `--help`, `--json`, `--verbose`).
 * Unknown flags, missing values and stray positionals become {@linkcode UsageError}s.
 *
 * @example
 * ```ts
 * const flags = parseFlags(["--ticker", "SPY"], { ticker: { type: "string" } });
 * flags.ticker; // "SPY"
 * ```
 */
export function parseFlags(
  args: string[],
  spec: Record<string, FlagSpec>,
  options: { positionals?: boolean } = {},
): { flags: Flags; positionals: string[] } {
  const all = { ...COMMON_FLAGS, ...spec };
  const joined = joinNegativeValues(args, all);
  try {
    const { values, positionals } = parseArgs({
      args: joined,
      options: all,
      strict: true,
      allowPositionals: options.positionals ?? false,
    });
    return { flags: values as Flags, positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const ambiguous = /^Option '(--[^' ]+)' argument is ambiguous/.exec(message);
    if (ambiguous) {
      const at = joined.indexOf(ambiguous[1]);
      const value = at >= 0 ? joined[at + 1] : undefined;
      throw new UsageError(
        `Expected a value after ${ambiguous[1]}, found the flag-like "${value}" (write ${
          ambiguous[1]
        }=${value} if it is the value; see --help)`,
      );
    }
    const missing = /^Option '(--[^' ]+)(?: <value>)?' argument missing/.exec(message);
    if (missing) {
      throw new UsageError(`Expected a value after ${missing[1]}, found none (see --help)`);
    }
    const first = message.replace(/\. To specify a positional.*$/s, "").split("\n")[0];
    throw new UsageError(`${first} (see --help)`);
  }
}

/**
 * `--epochs -1` as `--epochs=-1`: node's `parseArgs` refuses a value that starts with a dash
 * ("argument is ambiguous"), so a negative number after a flag that takes a value is joined to
 * it, and the flag's own check then says what it expects.
 */
function joinNegativeValues(args: string[], spec: Record<string, FlagSpec>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    const name = arg.startsWith("--") && !arg.includes("=") ? arg.slice(2) : undefined;
    const next = args[i + 1];
    if (
      name !== undefined && spec[name]?.type === "string" && next !== undefined &&
      /^-(\d|\.\d|Infinity\b|inf\b|nan\b|NaN\b)/i.test(next)
    ) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/**
 * Reads a string flag, or `fallback` when absent.
 *
 * @example
 * ```ts
 * stringFlag({ source: "csv" }, "source", "synthetic"); // "csv"
 * ```
 */
export function stringFlag(flags: Flags, name: string, fallback: string): string;
export function stringFlag(flags: Flags, name: string): string | undefined;
export function stringFlag(flags: Flags, name: string, fallback?: string): string | undefined {
  const value = flags[name];
  if (value === undefined) return fallback;
  if (typeof value !== "string" || value === "") {
    throw new UsageError(`Expected --${name} to have a value, found none`);
  }
  return value;
}

/** Bounds for {@linkcode numberFlag}. */
export interface NumberBounds {
  /** Smallest allowed value (inclusive). */
  min?: number;
  /** Largest allowed value (inclusive). */
  max?: number;
  /** Whether the value must be a whole number. */
  integer?: boolean;
}

/**
 * Reads a numeric flag strictly: `"10"` is 10, `"ten"`, `"10x"` and `""` are
 * usage errors that name the flag and what was found.
 *
 * @example
 * ```ts
 * numberFlag({ epochs: "50" }, "epochs", 50, { min: 1, integer: true }); // 50
 * ```
 */
export function numberFlag(
  flags: Flags,
  name: string,
  fallback: number,
  bounds: NumberBounds = {},
): number {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const text = String(raw).trim();
  const value = Number(text);
  const kind = bounds.integer ? "an integer" : "a number";
  const range = bounds.min !== undefined && bounds.max !== undefined
    ? ` from ${bounds.min} to ${bounds.max}`
    : bounds.min !== undefined
    ? ` of at least ${bounds.min}`
    : bounds.max !== undefined
    ? ` of at most ${bounds.max}`
    : "";
  if (
    text === "" || !Number.isFinite(value) || (bounds.integer && !Number.isInteger(value)) ||
    (bounds.min !== undefined && value < bounds.min) ||
    (bounds.max !== undefined && value > bounds.max)
  ) {
    throw new UsageError(`Expected --${name} to be ${kind}${range}, found "${raw}"`);
  }
  return value;
}

/**
 * Reads an enumerated flag, rejecting anything not in `choices`.
 *
 * @example
 * ```ts
 * choiceFlag({ arch: "gru" }, "arch", ["lstm", "gru"], "lstm"); // "gru"
 * ```
 */
export function choiceFlag<T extends string>(
  flags: Flags,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const value = stringFlag(flags, name, fallback);
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`Expected --${name} to be one of ${choices.join(", ")}, found "${value}"`);
  }
  return value as T;
}

/**
 * Reads an ISO date flag (`YYYY-MM-DD`), validating that it is a real date.
 *
 * @example
 * ```ts
 * dateFlag({ start: "2020-01-01" }, "start"); // "2020-01-01"
 * ```
 */
export function dateFlag(flags: Flags, name: string): string | undefined {
  const value = stringFlag(flags, name);
  if (value === undefined) return undefined;
  const time = Date.parse(`${value}T00:00:00Z`); // NaN for 2024-13-01
  const ok = /^\d{4}-\d{2}-\d{2}$/.test(value) && Number.isFinite(time) &&
    new Date(time).toISOString().slice(0, 10) === value;
  if (!ok) {
    throw new UsageError(`Expected --${name} to be a date like 2020-01-31, found "${value}"`);
  }
  return value;
}

/**
 * Help lines of `--kernel`, shared by the commands that train or score; `column` is where the
 * command's flag descriptions start.
 *
 * @example
 * ```ts
 * kernelHelp(22).startsWith("  --kernel K"); // true
 * ```
 */
export function kernelHelp(column: number): string {
  return [
    `  ${"--kernel K".padEnd(column - 2)}fast | stock: the fused kernels (WASM, or WGSL on`,
    `${" ".repeat(column)}webgpu) or stock tfjs layers run the LSTM/GRU (default fast)`,
  ].join("\n");
}

/**
 * The `--kernel` flag for a run on `backend` (the backend actually selected), by the rule of
 * {@linkcode resolveKernel} (the fused kernels run on every backend).
 *
 * @example
 * ```ts
 * kernelFlag({ kernel: "stock" }, "wasm"); // "stock"
 * kernelFlag({}, "webgpu"); // "fast"
 * ```
 */
export function kernelFlag(flags: Flags, backend: string): Kernel {
  const requested = flags.kernel === undefined
    ? undefined
    : choiceFlag(flags, "kernel", KERNELS, "fast");
  return resolveKernel(requested, backend);
}
