/**
 * `deno task monitor`: not built yet.
 *
 * @module
 */

import { DataError } from "../util/errors.ts";

/** Placeholder until the command's issue lands. */
export function monitor(_args: string[]): Promise<number> {
  return Promise.reject(new DataError("deno task monitor is not built yet"));
}
