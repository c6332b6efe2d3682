/**
 * The primitive scores of up-probabilities against 0/1 labels, shared by
 * training (the loss and accuracy it reports and saves) and evaluation (the
 * scores, intervals and drift edges it prints), so the same rows get the same
 * figure everywhere: log loss, Brier score, accuracy and one quantile.
 *
 * Conventions: label 1 means "up"; a row is predicted up when its probability
 * is strictly above the threshold (default 0.5), see {@linkcode predictsUp}.
 * Scores of zero rows are `NaN`.
 *
 * This module imports nothing, so the model code can use it without cycles.
 *
 * @module
 */

/**
 * The clip of log loss: the probability given to the true class is clipped
 * into `[LOG_LOSS_EPSILON, 1 − LOG_LOSS_EPSILON]`, the `epsilon` of Keras's
 * (and tfjs's) binary cross-entropy, so one certain wrong call costs
 * `−ln(1e-7) ≈ 16.12` instead of infinity.
 *
 * @example
 * ```ts
 * logLoss([0], [1]) === -Math.log(LOG_LOSS_EPSILON); // true
 * ```
 */
export const LOG_LOSS_EPSILON = 1e-7;

function checkRows(probabilities: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (probabilities.length !== labels.length) {
    throw new RangeError(
      `Expected as many probabilities as labels, found ${probabilities.length} probabilities and ${labels.length} labels`,
    );
  }
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) {
      throw new RangeError(`Expected labels 0 or 1, found ${labels[i]} at row ${i}`);
    }
  }
}

/**
 * Whether a probability calls "up": strictly above `threshold` (default 0.5),
 * so exactly 0.5 calls down. The rule of {@linkcode accuracy} and of the
 * evaluation's confusion matrix, and the rule the backtest uses to go long.
 *
 * @example
 * ```ts
 * predictsUp(0.51); // true
 * predictsUp(0.5); // false
 * ```
 */
export function predictsUp(probability: number, threshold = 0.5): boolean {
  return probability > threshold;
}

/**
 * Mean binary cross-entropy (log loss) of up-probabilities against 0/1
 * labels, in float64. The probability given to the true class (`p` for label
 * 1, `1 − p` for label 0) is clipped into `[1e-7, 1 − 1e-7]`
 * ({@linkcode LOG_LOSS_EPSILON}) like Keras's binary cross-entropy, so a
 * certain wrong call gives `−ln(1e-7)` and a certain right one about `1e-7`.
 * `NaN` for zero rows or when a probability is `NaN`; throws a `RangeError`
 * on mismatched lengths or a label other than 0 or 1.
 *
 * @example
 * ```ts
 * logLoss([0.8, 0.4], [1, 0]); // −(ln 0.8 + ln 0.6) / 2 ≈ 0.367
 * logLoss([0], [1]); // −ln(1e-7) ≈ 16.118
 * ```
 */
export function logLoss(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkRows(probabilities, labels);
  const n = labels.length;
  if (n === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const p = probabilities[i];
    const q = labels[i] === 1 ? p : 1 - p;
    sum -= Math.log(Math.min(1 - LOG_LOSS_EPSILON, Math.max(LOG_LOSS_EPSILON, q)));
  }
  return sum / n;
}

/**
 * The Brier score: mean squared difference between the up-probability and the
 * 0/1 label (0 perfect, 0.25 for a constant 0.5). `NaN` for zero rows; throws
 * a `RangeError` on mismatched lengths or a label other than 0 or 1.
 *
 * @example
 * ```ts
 * brierScore([0.8, 0.4], [1, 0]); // (0.04 + 0.16) / 2 = 0.1
 * ```
 */
export function brierScore(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkRows(probabilities, labels);
  const n = labels.length;
  if (n === 0) return NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (probabilities[i] - labels[i]) ** 2;
  return sum / n;
}

/**
 * Share of rows called correctly, a row being called up when its probability
 * is strictly above `threshold` (default 0.5; see {@linkcode predictsUp}), so
 * exactly 0.5 calls down (and so does `NaN`). `NaN` for zero rows; throws a
 * `RangeError` on mismatched lengths or a label other than 0 or 1.
 *
 * @example
 * ```ts
 * accuracy([0.9, 0.5, 0.2], [1, 1, 0]); // 2 / 3: 0.5 calls down
 * accuracy([0.9, 0.5, 0.2], [1, 1, 0], 0.4); // 1
 * ```
 */
export function accuracy(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold = 0.5,
): number {
  checkRows(probabilities, labels);
  const n = labels.length;
  if (n === 0) return NaN;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    if ((predictsUp(probabilities[i], threshold) ? 1 : 0) === labels[i]) correct++;
  }
  return correct / n;
}

/**
 * The `q` quantile (0 to 1) of `values` by linear interpolation between order
 * statistics (Hyndman & Fan type 7, the default of R, NumPy and
 * spreadsheets): with the values sorted ascending as `v[0..n−1]` and
 * `h = (n − 1) · q`, it is `v[⌊h⌋] + (h − ⌊h⌋) · (v[⌊h⌋ + 1] − v[⌊h⌋])`. So
 * `q = 0.5` is the median (the mean of the middle two for an even count),
 * 0 the minimum and 1 the maximum. The values are sorted on a copy, unless
 * `sorted: true` says they already are ascending. `NaN` for no values; throws
 * a `RangeError` when `q` is outside [0, 1].
 *
 * @example
 * ```ts
 * quantile([4, 1, 3, 2], 0.5); // 2.5
 * quantile([1, 2, 3, 4], 0.99); // 3.97
 * quantile([10, 20, 30], 0.25, { sorted: true }); // 15
 * ```
 */
export function quantile(
  values: ArrayLike<number>,
  q: number,
  options: { sorted?: boolean } = {},
): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`Expected a quantile in [0, 1], found ${q}`);
  const n = values.length;
  if (n === 0) return NaN;
  const v = options.sorted ? values : Float64Array.from(values).sort();
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  if (h === lo) return v[lo];
  return v[lo] + (h - lo) * (v[lo + 1] - v[lo]);
}
