/**
 * The flags of `deno task models`, by the subcommands that take them, and
 * the one check that a flag came with a subcommand that takes it.
 *
 * @module
 */

import { DATA_FLAGS } from "../flags.ts";
import { UsageError } from "../../util/errors.ts";

/** Flags of promote --from-shadow only. */
export const GATE_FLAGS = {
  ...DATA_FLAGS,
  "from-shadow": { type: "boolean" },
  metric: { type: "string" },
  tolerance: { type: "string" },
  "min-bars": { type: "string" },
  "dry-run": { type: "boolean" },
  log: { type: "string" },
} as const;

/** Flags of ensemble and regime only. */
export const COMPOSITE_FLAGS = {
  name: { type: "string" },
  "model-dir": { type: "string" },
  members: { type: "string" },
  weights: { type: "string" },
  rule: { type: "string" },
  models: { type: "string" },
  "no-promote": { type: "boolean" },
} as const;

/** Every flag of `deno task models`. */
export const FLAGS = {
  model: { type: "string" },
  clear: { type: "boolean" },
  ...GATE_FLAGS,
  ...COMPOSITE_FLAGS,
} as const;

/** The parsed flags every subcommand handler takes. */
export type Flags = Record<string, string | boolean | undefined>;

/**
 * Refuses a flag of `group` given with `found` (a subcommand that does not
 * take it): `Expected --NAME only with WHERE, found it with FOUND`.
 */
export function onlyWith(flags: Flags, group: object, where: string, found: string): void {
  for (const name of Object.keys(group)) {
    if (flags[name] !== undefined) {
      throw new UsageError(`Expected --${name} only with ${where}, found it with ${found}`);
    }
  }
}
