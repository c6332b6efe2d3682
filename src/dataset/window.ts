/**
 * The window and its label: the one owner of "the window ending on reference
 * bar `t` holds feature rows `t - sequenceLength + 1 … t`, oldest first" and
 * of "its label is 1 when the adjusted close `horizon` bars after `t` is above
 * the close of `t`". The batch dataset (`buildDataset`, `buildWindows`) and
 * the live signal plugin build their windows here, and whoever scores a
 * signal against what happened (the monitor) takes its label from
 * {@linkcode upLabel}, so a model never meets at serving time a window or a
 * label made differently from those it was trained on.
 *
 * {@linkcode WindowBuffer} holds the last `sequenceLength` RAW feature rows of
 * one series in a ring and writes the current window, scaled, into a caller's
 * `Float32Array`. Rows are scaled when a window is written, with whatever
 * scaler the caller passes, so a live plugin can swap in a model version with
 * another scaler and keep its rows; each row is scaled once per scaler (the
 * scaled rows are cached), so writing consecutive windows costs one row's
 * scaling and one copy per window.
 *
 * @example
 * ```ts
 * import { upLabel, WindowBuffer } from "./window.ts";
 * const buffer = new WindowBuffer(60, table.names.length);
 * const x = new Float32Array(60 * table.names.length);
 * for (let t = table.warmup; t < table.rows.length; t++) {
 *   buffer.push(table.rows[t]);
 *   if (!buffer.full) continue;
 *   buffer.writeScaled(scaler, x); // the window ending on bar t
 *   const label = upLabel(table.closes, t, 1); // undefined on the last bar
 * }
 * ```
 *
 * @module
 */

import type { Bar } from "../data/types.ts";
import { applyScaler, type Scaler } from "../features/scaler.ts";
import { DataError, UsageError } from "../util/errors.ts";

/**
 * The label of the window ending on bar `ref`: 1 when `closes[ref + horizon]`
 * is above `closes[ref]`, 0 when it is not (an unchanged close counts as
 * down), and `undefined` when bar `ref + horizon` is past the end of `closes`
 * (the label is not known yet). `closes` are adjusted closes (see
 * {@linkcode adjustedCloses}; `FeatureTable.closes` holds the same values).
 * Throws a `UsageError` for a horizon that is not a positive integer or a
 * reference index outside `closes`.
 *
 * @example
 * ```ts
 * upLabel([10, 11, 9], 0, 1); // 1
 * upLabel([10, 11, 9], 0, 2); // 0
 * upLabel([10, 11, 9], 2, 1); // undefined: bar 3 has not happened yet
 * ```
 */
export function upLabel(
  closes: ArrayLike<number>,
  ref: number,
  horizon: number,
): 0 | 1 | undefined {
  checkHorizon(horizon);
  if (!Number.isInteger(ref) || ref < 0 || ref >= closes.length) {
    throw new UsageError(
      `Expected a reference bar index in [0, ${closes.length - 1}], found ${ref}`,
    );
  }
  const later = ref + horizon;
  if (later >= closes.length) return undefined;
  return closes[later] > closes[ref] ? 1 : 0;
}

function checkHorizon(horizon: number): void {
  if (!Number.isInteger(horizon) || horizon < 1) {
    throw new UsageError(`Expected the horizon to be a positive integer, found ${horizon}`);
  }
}

/**
 * The label of a decision at the open of bar `ref`: 1 when the close
 * `horizon - 1` bars later (the same bar's close for `horizon` 1) is above
 * that open, 0 otherwise, `undefined` when that close is not known yet.
 * Adjusted opens and closes: for one bar the adjustment cancels.
 *
 * @example
 * ```ts
 * openLabel([10, 10], [11, 9], 0, 1); // 1: bar 0 closed above its open
 * ```
 */
export function openLabel(
  opens: ArrayLike<number>,
  closes: ArrayLike<number>,
  ref: number,
  horizon: number,
): 0 | 1 | undefined {
  checkHorizon(horizon);
  const last = ref + horizon - 1;
  if (last >= closes.length) return undefined;
  return closes[last] > opens[ref] ? 1 : 0;
}

/**
 * The closes labels are computed on: the adjusted close where a bar has one,
 * else the close (the same values as `computeFeatures(bars).closes`).
 *
 * @example
 * ```ts
 * const closes = adjustedCloses(bars);
 * const label = upLabel(closes, i, signal.horizonBars); // as the monitor scores a signal
 * ```
 */
export function adjustedCloses(bars: readonly Bar[]): Float64Array {
  const closes = new Float64Array(bars.length);
  for (let i = 0; i < bars.length; i++) closes[i] = bars[i].adjClose ?? bars[i].close;
  return closes;
}

/**
 * The last `sequenceLength` raw feature rows of one series, in a ring (no
 * per-bar allocation or shifting). Push rows oldest first; once
 * {@linkcode WindowBuffer.full}, {@linkcode WindowBuffer.writeScaled} writes
 * the window ending on the newest row, scaled with a saved scaler exactly as
 * `applyScaler` scales a row (clipping included), into a caller's array.
 *
 * Scaled rows are cached per scaler object (a scaler is plain data that is
 * never modified in place; pass a new object for new values), so consecutive
 * windows cost one scaled row and one copy each, and a different scaler
 * (a reloaded model) rescales the raw rows it holds.
 *
 * @example
 * ```ts
 * const buffer = new WindowBuffer(3, 1);
 * for (const v of [1, 2, 3, 4]) buffer.push([v]);
 * const x = new Float32Array(3);
 * buffer.writeScaled({ names: ["v"], mean: [0], std: [1] }, x); // x = [2, 3, 4]
 * ```
 */
export class WindowBuffer {
  /** Rows per window. */
  readonly sequenceLength: number;
  /** Values per row (features). */
  readonly width: number;
  /** Raw rows, views of one ring; row `i` (counting every push) sits at slot `i % sequenceLength`. */
  #raw: Float64Array[];
  /**
   * Scaled rows, each written twice (slots `s` and `s + sequenceLength`), so
   * that the current window is one contiguous run to copy.
   */
  #scaled: Float32Array;
  /** `#windows[s]`: the window whose oldest row sits at slot `s`, a view of `#scaled`. */
  #windows: Float32Array[];
  #pushed = 0;
  /** The scaler `#scaled` was computed with. */
  #scaler: Scaler | null = null;
  /** Rows before this one (counting every push) are in `#scaled`, as far as they are still held. */
  #scaledUpTo = 0;

  /**
   * An empty buffer for windows of `sequenceLength` rows of `width` values.
   * Throws a `UsageError` unless both are positive integers.
   *
   * @example
   * ```ts
   * const buffer = new WindowBuffer(60, 10);
   * ```
   */
  constructor(sequenceLength: number, width: number) {
    for (const [name, value] of [["sequenceLength", sequenceLength], ["width", width]] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new UsageError(`Expected ${name} to be a positive integer, found ${value}`);
      }
    }
    this.sequenceLength = sequenceLength;
    this.width = width;
    const raw = new Float64Array(sequenceLength * width);
    const scaled = new Float32Array(2 * sequenceLength * width);
    const span = sequenceLength * width;
    this.#raw = Array.from(
      { length: sequenceLength },
      (_, s) => raw.subarray(s * width, (s + 1) * width),
    );
    this.#scaled = scaled;
    this.#windows = Array.from(
      { length: sequenceLength },
      (_, s) => scaled.subarray(s * width, s * width + span),
    );
  }

  /**
   * Rows held: the rows pushed, at most `sequenceLength`.
   *
   * @example
   * ```ts
   * new WindowBuffer(60, 10).size; // 0
   * ```
   */
  get size(): number {
    return Math.min(this.#pushed, this.sequenceLength);
  }

  /**
   * Whether a whole window is held (`size === sequenceLength`).
   *
   * @example
   * ```ts
   * if (buffer.full) buffer.writeScaled(scaler, x);
   * ```
   */
  get full(): boolean {
    return this.#pushed >= this.sequenceLength;
  }

  /**
   * Rows pushed since the buffer was made, including those already dropped.
   *
   * @example
   * ```ts
   * buffer.count; // bars after the feature warm-up
   * ```
   */
  get count(): number {
    return this.#pushed;
  }

  /**
   * Appends a raw feature row (copied), dropping the oldest when full.
   * Throws a `DataError` when the row does not have `width` values.
   *
   * @example
   * ```ts
   * const row = stream.push(bar);
   * if (row) buffer.push(row);
   * ```
   */
  push(row: ArrayLike<number>): void {
    if (row.length !== this.width) {
      throw new DataError(
        `Expected a feature row of ${this.width} values, found ${row.length}`,
      );
    }
    this.#raw[this.#pushed % this.sequenceLength].set(row);
    this.#pushed++;
  }

  /**
   * The newest raw row, a view that the next push overwrites. Throws a
   * `DataError` when the buffer is empty.
   *
   * @example
   * ```ts
   * if (model.maxAbsZ(buffer.last()) > 8) console.log("out of distribution");
   * ```
   */
  last(): Float64Array {
    if (this.#pushed === 0) {
      throw new DataError("Expected at least one feature row in the window, found none");
    }
    return this.#raw[(this.#pushed - 1) % this.sequenceLength];
  }

  /**
   * Writes the window ending on the newest row (the last `sequenceLength`
   * rows, oldest first), each row scaled as `applyScaler(scaler, row)`, into
   * `out[0 … sequenceLength * width)`; pass `x.subarray(offset)` to write
   * further in. Throws a `DataError` when the buffer is not full, the scaler
   * has another width, or `out` is too short.
   *
   * @example
   * ```ts
   * const x = new Float32Array(n * span);
   * buffer.writeScaled(scaler, x.subarray(k * span, (k + 1) * span));
   * ```
   */
  writeScaled(scaler: Scaler, out: Float32Array): void {
    const { sequenceLength: length, width } = this;
    const span = length * width;
    if (!this.full) {
      throw new DataError(
        `Expected a full window of ${length} feature rows, found ${this.#pushed}`,
      );
    }
    if (scaler.names.length !== width) {
      throw new DataError(
        `Expected a scaler of ${width} features, found one of ${scaler.names.length} (${
          scaler.names.join(", ")
        })`,
      );
    }
    if (out.length < span) {
      throw new DataError(`Expected room for ${span} window values, found ${out.length}`);
    }
    const first = this.#pushed - length;
    if (scaler !== this.#scaler) {
      this.#scaler = scaler;
      this.#scaledUpTo = first;
    }
    const scaled = this.#scaled;
    for (let i = Math.max(this.#scaledUpTo, first); i < this.#pushed; i++) {
      const slot = i % length;
      const z = applyScaler(scaler, this.#raw[slot]);
      const a = slot * width;
      const b = a + span;
      for (let f = 0; f < width; f++) scaled[a + f] = scaled[b + f] = z[f];
    }
    this.#scaledUpTo = this.#pushed;
    out.set(this.#windows[first % length]);
  }

  /**
   * A copy of this buffer with `row` pushed, leaving this one as it is: the
   * window a model decides from at a bar's open before the bar is finished
   * (the plugin's `onOpen`).
   *
   * @example
   * ```ts
   * const atOpen = buffer.withRow(row); // buffer unchanged
   * ```
   */
  withRow(row: ArrayLike<number>): WindowBuffer {
    const copy = new WindowBuffer(this.sequenceLength, this.width);
    for (let i = Math.max(0, this.#pushed - this.sequenceLength + 1); i < this.#pushed; i++) {
      copy.push(this.#raw[i % this.sequenceLength]);
    }
    copy.push(row);
    return copy;
  }
}
