/**
 * Feature parameters, checked one way for every feature.
 *
 * @example
 * ```ts
 * import { intParam } from "./params.ts";
 * intParam({ period: 14 }, "period", 1); // 14
 * ```
 *
 * @module
 */

import { UsageError } from "../util/errors.ts";

/**
 * The integer parameter `key` of `params`, at least `min`; a `UsageError`
 * naming it otherwise.
 *
 * @example
 * ```ts
 * intParam({ period: 0 }, "period", 1); // throws: Expected feature parameter period to be an integer >= 1, found 0
 * ```
 */
export function intParam(
  params: Readonly<Record<string, number>>,
  key: string,
  min: number,
): number {
  const v = params[key];
  if (!Number.isInteger(v) || v < min) {
    throw new UsageError(
      `Expected feature parameter ${key} to be an integer >= ${min}, found ${v}`,
    );
  }
  return v;
}
