/**
 * `deno task retrain`: not built yet.
 *
 * @module
 */

import { DataError } from "../util/errors.ts";

/** Placeholder until the command's issue lands. */
export function retrain(_args: string[]): Promise<number> {
  return Promise.reject(new DataError("deno task retrain is not built yet"));
}
