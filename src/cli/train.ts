/**
 * `deno task train`: not built yet.
 *
 * @module
 */

import { DataError } from "../util/errors.ts";

/** Placeholder until the command's issue lands. */
export function train(_args: string[]): Promise<number> {
  return Promise.reject(new DataError("deno task train is not built yet"));
}
