/**
 * `deno task models`: not built yet.
 *
 * @module
 */

import { DataError } from "../util/errors.ts";

/** Placeholder until the command's issue lands. */
export function models(_args: string[]): Promise<number> {
  return Promise.reject(new DataError("deno task models is not built yet"));
}
