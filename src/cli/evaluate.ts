/**
 * `deno task evaluate`: not built yet.
 *
 * @module
 */

import { DataError } from "../util/errors.ts";

/** Placeholder until the command's issue lands. */
export function evaluate(_args: string[]): Promise<number> {
  return Promise.reject(new DataError("deno task evaluate is not built yet"));
}
