/**
 * `deno task bench`: not built yet.
 *
 * @module
 */

import { DataError } from "../util/errors.ts";

/** Placeholder until the command's issue lands. */
export function bench(_args: string[]): Promise<number> {
  return Promise.reject(new DataError("deno task bench is not built yet"));
}
