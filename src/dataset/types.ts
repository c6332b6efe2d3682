/**
 * The contract between the feature pipeline and the models: windows of scaled
 * features with their labels. Produced by `src/dataset/`, consumed by
 * `src/model/`, `src/eval/` and the signal plugins.
 *
 * @module
 */

/**
 * A set of fixed-length windows, row-major: window `i`, step `t`, feature `f`
 * is `x[(i * seqLen + t) * nFeatures + f]`. Window `i` ends on the bar at
 * `refTimes[i]` (its reference bar) and `y[i]` is 1 when the close `horizon`
 * bars after the reference bar is above the reference bar's close. Both are
 * made by `src/dataset/window.ts` (`WindowBuffer` and `upLabel`), which the
 * live plugin shares.
 *
 * @example
 * ```ts
 * const w: WindowSet = { x: new Float32Array(0), y: new Uint8Array(0), refTimes: [], n: 0, seqLen: 60, nFeatures: 10 };
 * ```
 */
export interface WindowSet {
  /** Scaled features, `n * seqLen * nFeatures` values. */
  x: Float32Array;
  /** Labels, 0 or 1, one per window (for unlabelled windows at the live edge, 0 and excluded from scoring). */
  y: Uint8Array;
  /** ISO time of each window's reference bar (the last bar in the window). */
  refTimes: string[];
  /** Number of windows. */
  n: number;
  /** Bars per window. */
  seqLen: number;
  /** Features per bar. */
  nFeatures: number;
}
