/**
 * The z-score scaler: fitted on training rows only, saved with the model
 * (`scaler.json`), and applied unchanged by evaluation, backtests and the live
 * plugin.
 *
 * @module
 */

import { z } from "zod";
import { DataError } from "../util/errors.ts";

/**
 * Largest absolute z-score {@linkcode applyScaler} returns; values further out
 * are clipped to ±10 so that one absurd bar cannot dominate a window. Callers
 * that need to detect out-of-distribution inputs compare the unclipped
 * `(x - mean) / std` themselves.
 */
export const SCALER_CLIP = 10;

/**
 * Per-feature mean and standard deviation, plain data (saved as
 * `scaler.json`). `names` are the feature column names, in row order.
 *
 * @example
 * ```ts
 * const scaler: Scaler = { names: ["returns"], mean: [0.0004], std: [0.012] };
 * ```
 */
export interface Scaler {
  /** Feature column names, in row order. */
  names: string[];
  /** Mean of each column over the training rows. */
  mean: number[];
  /** Population standard deviation of each column (1 for a constant column). */
  std: number[];
}

/**
 * The schema of `scaler.json`: the type's parser. Names, means and
 * deviations of equal length; finite means, positive finite deviations.
 *
 * @example
 * ```ts
 * const scaler: Scaler = scalerSchema.parse(JSON.parse(text));
 * ```
 */
export const scalerSchema: z.ZodType<Scaler> = z.object({
  names: z.array(z.string()),
  mean: z.array(z.number().finite()),
  std: z.array(z.number().finite().positive()),
}).refine((s) => s.mean.length === s.names.length && s.std.length === s.names.length, {
  message: "names, mean and std of unequal length",
});

/**
 * Fits a z-score scaler on `rows` (give it training rows only). Uses the
 * population standard deviation, like scikit-learn's `StandardScaler`; a
 * constant column gets `std` 1 so that it scales to 0 instead of dividing by
 * zero.
 *
 * @example
 * ```ts
 * const scaler = fitScaler([Float64Array.of(1), Float64Array.of(3)], ["x"]);
 * // scaler.mean = [2], scaler.std = [1]
 * ```
 */
export function fitScaler(rows: readonly Float64Array[], names: readonly string[]): Scaler {
  const width = names.length;
  if (rows.length === 0) {
    throw new DataError("Expected at least one row to fit the scaler on, found none");
  }
  const mean = new Array<number>(width).fill(0);
  for (const row of rows) {
    checkRow(row, width);
    for (let f = 0; f < width; f++) mean[f] += row[f];
  }
  for (let f = 0; f < width; f++) mean[f] /= rows.length;
  const variance = new Array<number>(width).fill(0);
  for (const row of rows) {
    for (let f = 0; f < width; f++) variance[f] += (row[f] - mean[f]) ** 2;
  }
  const std = variance.map((v, f) => {
    const s = Math.sqrt(v / rows.length);
    return s <= 1e-12 * Math.max(1, Math.abs(mean[f])) ? 1 : s;
  });
  return { names: [...names], mean, std };
}

/**
 * Scales one feature row: `(x - mean) / std`, clipped to ±{@linkcode SCALER_CLIP}.
 *
 * @example
 * ```ts
 * const z = applyScaler({ names: ["x"], mean: [2], std: [1] }, Float64Array.of(3));
 * // z = Float32Array [1]
 * ```
 */
export function applyScaler(scaler: Scaler, row: Float64Array): Float32Array {
  const width = scaler.names.length;
  if (row.length !== width) {
    throw new DataError(
      `Expected a feature row of ${width} values (${scaler.names.join(", ")}), found ${row.length}`,
    );
  }
  const out = new Float32Array(width);
  for (let f = 0; f < width; f++) {
    const z = (row[f] - scaler.mean[f]) / scaler.std[f];
    out[f] = z > SCALER_CLIP ? SCALER_CLIP : z < -SCALER_CLIP ? -SCALER_CLIP : z;
  }
  return out;
}

function checkRow(row: Float64Array, width: number): void {
  if (row.length !== width) {
    throw new DataError(`Expected feature rows of ${width} values, found one of ${row.length}`);
  }
  for (let f = 0; f < width; f++) {
    if (!Number.isFinite(row[f])) {
      throw new DataError(`Expected finite feature values to fit the scaler, found ${row[f]}`);
    }
  }
}
