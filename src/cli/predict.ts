/**
 * `deno task predict`: not built yet.
 *
 * @module
 */

import { DataError } from "../util/errors.ts";

/** Placeholder until the command's issue lands. */
export function predict(_args: string[]): Promise<number> {
  return Promise.reject(new DataError("deno task predict is not built yet"));
}
