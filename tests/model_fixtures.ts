/**
 * Small seeded window sets for the model tests: label 1 when the last bar's
 * first feature is positive, so a model can learn something in a few epochs.
 *
 * @module
 */

import type { WindowSet } from "../src/dataset/types.ts";
import { createRng } from "../src/util/random.ts";

/**
 * `n` windows of `seqLen` × `nFeatures` standard-normal values.
 *
 * @example
 * ```ts
 * const train = randomWindows(100, { seed: 1 });
 * ```
 */
export function randomWindows(
  n: number,
  options: { seed?: number; seqLen?: number; nFeatures?: number } = {},
): WindowSet {
  const seqLen = options.seqLen ?? 8;
  const nFeatures = options.nFeatures ?? 3;
  const rng = createRng(options.seed ?? 1);
  const x = new Float32Array(n * seqLen * nFeatures);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) y[i] = x[(i * seqLen + seqLen - 1) * nFeatures] > 0 ? 1 : 0;
  const refTimes = Array.from(
    { length: n },
    (_, i) => new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10),
  );
  return { x, y, refTimes, n, seqLen, nFeatures };
}
