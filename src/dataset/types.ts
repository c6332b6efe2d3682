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

/**
 * Windows that are written on demand instead of held: what the training loop
 * and prediction pull batches from. A universe of hundreds of symbols has
 * hundreds of thousands of windows, each a copy of `seqLen` feature rows, so
 * a lazy source keeps the scaled feature tables once and copies a window only
 * when a batch asks for it. A materialised {@linkcode WindowSet} is a source
 * through {@linkcode windowSource}.
 *
 * @example
 * ```ts
 * const out = new Float32Array(indices.length * source.seqLen * source.nFeatures);
 * source.fill(indices, out); // window indices[k] at out[k * seqLen * nFeatures]
 * ```
 */
export interface WindowSource {
  /** Number of windows. */
  readonly n: number;
  /** Bars per window. */
  readonly seqLen: number;
  /** Features per bar. */
  readonly nFeatures: number;
  /** Labels, 0 or 1, one per window. */
  readonly y: Uint8Array;
  /**
   * Writes window `indices[k]` (row-major, `seqLen * nFeatures` values) at
   * `out[k * seqLen * nFeatures]`, for every `k`.
   */
  fill(indices: ArrayLike<number>, out: Float32Array): void;
}

/**
 * A materialised window set as a {@linkcode WindowSource}: `fill` copies the
 * windows out of `set.x`, exactly the bytes a batch of the set holds.
 *
 * @example
 * ```ts
 * const source = windowSource(dataset.train);
 * source.n === dataset.train.n; // true
 * ```
 */
export function windowSource(set: WindowSet): WindowSource {
  const span = set.seqLen * set.nFeatures;
  return {
    n: set.n,
    seqLen: set.seqLen,
    nFeatures: set.nFeatures,
    y: set.y,
    fill(indices: ArrayLike<number>, out: Float32Array): void {
      for (let k = 0; k < indices.length; k++) {
        const i = indices[k];
        out.set(set.x.subarray(i * span, (i + 1) * span), k * span);
      }
    },
  };
}

/**
 * Whether `windows` is a lazy {@linkcode WindowSource} rather than a
 * materialised {@linkcode WindowSet}.
 *
 * @example
 * ```ts
 * isWindowSource(dataset.train); // false
 * ```
 */
export function isWindowSource(windows: WindowSet | WindowSource): windows is WindowSource {
  return typeof (windows as Partial<WindowSource>).fill === "function";
}
