/**
 * `deno task backtest`: not built yet.
 *
 * @module
 */

import { DataError } from "../util/errors.ts";

/** Placeholder until the command's issue lands. */
export function backtest(_args: string[]): Promise<number> {
  return Promise.reject(new DataError("deno task backtest is not built yet"));
}
