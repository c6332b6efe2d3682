/**
 * `deno task compile`: not built yet.
 *
 * @module
 */

import { DataError } from "../util/errors.ts";

/** Placeholder until the command's issue lands. */
export function compile(_args: string[]): Promise<number> {
  return Promise.reject(new DataError("deno task compile is not built yet"));
}
