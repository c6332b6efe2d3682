/**
 * The number formats every text view shares: a figure to fixed digits with a
 * dash where it is missing, and an interval in brackets.
 *
 * @module
 */

/**
 * `value` to `digits` decimals, or `–` when it is missing or not a number.
 *
 * @example
 * ```ts
 * fixed(0.123456); // "0.1235"
 * fixed(NaN); // "–"
 * fixed(0.5, 2); // "0.50"
 * ```
 */
export function fixed(value: number | null | undefined, digits = 4): string {
  return value === undefined || value === null || Number.isNaN(value) ? "–" : value.toFixed(digits);
}

/**
 * An interval's bounds in brackets, each to `digits` decimals.
 *
 * @example
 * ```ts
 * bracketed({ lower: 0.01, upper: 0.04 }); // "[0.0100, 0.0400]"
 * ```
 */
export function bracketed(interval: { lower: number; upper: number }, digits = 4): string {
  return `[${fixed(interval.lower, digits)}, ${fixed(interval.upper, digits)}]`;
}
