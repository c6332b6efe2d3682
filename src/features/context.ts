/**
 * The context series (a market index, say) as context features read it.
 *
 * @example
 * ```ts
 * import { ContextSeries } from "./context.ts";
 * const spy = new ContextSeries();
 * ```
 *
 * @module
 */

import type { Bar } from "../data/types.ts";
import { DataError, UsageError } from "../util/errors.ts";

/**
 * The context series as features read it: bars pushed oldest first, and for
 * any time the latest bar at or before it. The batch pipeline and the live
 * plugin pair a symbol's bar with its context bar through this one rule, so
 * a day the context did not trade uses its previous bar in both. Holds the
 * last `capacity` bars (default 256), so a host may feed the context a little
 * ahead of the other symbols.
 *
 * @example
 * ```ts
 * const spy = new ContextSeries();
 * for (const bar of spyBars) spy.push(bar);
 * spy.at("2024-01-03"); // SPY's bar of 2024-01-03, or the one before
 * ```
 */
export class ContextSeries {
  #bars: Bar[] = [];
  #capacity: number;

  /**
   * An empty context series keeping the last `capacity` bars.
   *
   * @example
   * ```ts
   * const context = new ContextSeries(64);
   * ```
   */
  constructor(capacity = 256) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new UsageError(`Expected capacity to be a positive integer, found ${capacity}`);
    }
    this.#capacity = capacity;
  }

  /**
   * Appends the context's next bar. Throws a `DataError` unless its time is
   * after the last one's; the same bar again is ignored.
   *
   * @example
   * ```ts
   * context.push(spyBar);
   * ```
   */
  push(bar: Bar): void {
    const last = this.#bars[this.#bars.length - 1];
    if (last !== undefined && bar.time === last.time) return;
    if (last !== undefined && !(bar.time > last.time)) {
      throw new DataError(
        `Expected context bars in increasing time order, found ${bar.time} after ${last.time}`,
      );
    }
    this.#bars.push(bar);
    if (this.#bars.length > 2 * this.#capacity) this.#bars = this.#bars.slice(-this.#capacity);
  }

  /**
   * The latest bar at or before `time`, or `undefined` when there is none
   * (or it has dropped out of the kept history).
   *
   * @example
   * ```ts
   * context.at(bar.time);
   * ```
   */
  at(time: string): Bar | undefined {
    const bars = this.#bars;
    let lo = 0;
    let hi = bars.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (bars[mid].time <= time) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? undefined : bars[lo - 1];
  }

  /**
   * Time of the last bar pushed, or `undefined`.
   *
   * @example
   * ```ts
   * context.lastTime; // "2024-01-03"
   * ```
   */
  get lastTime(): string | undefined {
    return this.#bars[this.#bars.length - 1]?.time;
  }
}
