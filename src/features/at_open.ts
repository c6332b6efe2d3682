/**
 * The decision point and the features known at a bar's open: at the open a
 * model may read the bar's open and every earlier bar, nothing else of the
 * bar. `overnight_return` and `gap_z` read the open; every other feature is
 * known at the close, so a model deciding at the open reads the previous
 * bar's (the stream in `./mod.ts` shifts them).
 *
 * @example
 * ```ts
 * import { DECISION_POINTS } from "./at_open.ts";
 * DECISION_POINTS; // ["close", "open"]
 * ```
 *
 * @module
 */

import type { Bar } from "../data/types.ts";
import { intParam } from "./params.ts";

/**
 * When a decision is taken: at a bar's `close` (features may read the whole
 * bar; the label looks at later closes) or at its `open` (features may read
 * the bar's open and nothing else of it; the label is the bar's own
 * open-to-close move).
 *
 * @example
 * ```ts
 * DECISION_POINTS.includes("open"); // true
 * ```
 */
export const DECISION_POINTS = ["close", "open"] as const;
/** A decision point (see {@linkcode DECISION_POINTS}). */
export type DecideAt = typeof DECISION_POINTS[number];

/**
 * A feature known at the open: `peek` gives its value for a bar whose open is
 * known and nothing else (raw prices), `close` takes the finished bar.
 *
 * @example
 * ```ts
 * const step: OpenStep = OPEN_STEPS.get("overnight_return")!({});
 * ```
 */
export interface OpenStep {
  peek(open: number): number | undefined;
  close(bar: Readonly<Bar>): void;
}

/**
 * The features known at a bar's open, by name: their steps read the open and
 * earlier bars only.
 *
 * @example
 * ```ts
 * OPEN_STEPS.has("gap_z"); // true
 * ```
 */
export const OPEN_STEPS: ReadonlyMap<
  string,
  (params: Readonly<Record<string, number>>) => OpenStep
> = new Map([
  ["overnight_return", () => {
    let prev: number | undefined;
    return {
      peek: (open: number): number | undefined => prev === undefined ? undefined : open / prev - 1,
      close: (bar: Readonly<Bar>): void => {
        prev = bar.close;
      },
    };
  }],
  ["gap_z", (p: Readonly<Record<string, number>>) => {
    const period = intParam(p, "period", 2);
    const ring = new Float64Array(period);
    let seen = 0;
    let prev: number | undefined;
    return {
      peek: (open: number): number | undefined => {
        if (prev === undefined || seen < period) return undefined;
        let mean = 0;
        for (let i = 0; i < period; i++) mean += ring[i];
        mean /= period;
        let sum = 0;
        for (let i = 0; i < period; i++) sum += (ring[i] - mean) ** 2;
        const sd = Math.sqrt(sum / (period - 1));
        return sd > 0 ? (open / prev - 1) / sd : 0;
      },
      close: (bar: Readonly<Bar>): void => {
        if (prev !== undefined) ring[seen++ % period] = bar.close / prev - 1;
        prev = bar.close;
      },
    };
  }],
]);

/**
 * A close-time step of an open-known feature: its value at the open, then the
 * bar taken in.
 *
 * @example
 * ```ts
 * const step = openAsStep(OPEN_STEPS.get("overnight_return")!)({});
 * ```
 */
export function openAsStep(
  make: (p: Readonly<Record<string, number>>) => OpenStep,
): (p: Readonly<Record<string, number>>) => (bar: Readonly<Bar>) => number | undefined {
  return (p: Readonly<Record<string, number>>): (bar: Readonly<Bar>) => number | undefined => {
    const step = make(p);
    return (bar) => {
      const v = step.peek(bar.open);
      step.close(bar);
      return v;
    };
  };
}
