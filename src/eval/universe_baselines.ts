/**
 * Baselines of a universe model, on exactly the rows the model is scored on:
 *
 * - **short-term reversal**: rank each day's symbols by the return of the
 *   window's last bar, lowest first (the paper found this is much of what the
 *   LSTM learns); its "probability" is the cross-sectional percentile of
 *   that rank on the day (1 for the day's biggest loser, 0 for its biggest
 *   winner), so it ranks like the rule and says nothing calibrated;
 * - **logistic regression on the same standardized returns**: the model's
 *   standardized 1-bar return at lags 1-20 and every 20th lag up to the
 *   sequence length (Fischer & Krauss's logistic baseline), plus the last
 *   bar's other features when the model has more than returns, fitted on the
 *   training windows (`fitLogistic`, the evaluation's own);
 * - yesterday's direction and the base rate, as for one ticker.
 *
 * @module
 */

import { fitLogistic, type LogisticModel, predictLogistic } from "./baselines.ts";
import { createRng } from "../util/random.ts";
import type { UniverseWindows } from "../dataset/universe.ts";

/**
 * The last known close-to-close return of each window (adjusted closes of the
 * window's own symbol): `close[t] / close[t - 1] - 1` at the close, and at the
 * open, where bar `t`'s close is not known yet, `close[t - 1] / close[t - 2] - 1`.
 *
 * @example
 * ```ts
 * const r = lastReturns(windows); // r[i] for window i
 * ```
 */
export function lastReturns(windows: UniverseWindows): Float64Array {
  const out = new Float64Array(windows.n);
  const back = windows.tables.decideAt === "open" ? 1 : 0;
  for (let i = 0; i < windows.n; i++) {
    const t = windows.tables.tables[windows.symbols[i]];
    const r = windows.rows[i] - back;
    out[i] = r > 0 ? t.closes[r] / t.closes[r - 1] - 1 : 0;
  }
  return out;
}

/**
 * The overnight-gap reversal rule, known at the open: minus the gap
 * `open[t] / close[t - 1] - 1` (a gap down ranks first), and its
 * cross-sectional percentile "probabilities".
 *
 * @example
 * ```ts
 * const { scores, probabilities } = gapReversal(windows);
 * ```
 */
export function gapReversal(
  windows: UniverseWindows,
): { scores: Float64Array; probabilities: Float64Array } {
  const scores = new Float64Array(windows.n);
  for (let i = 0; i < windows.n; i++) {
    const t = windows.tables.tables[windows.symbols[i]];
    const r = windows.rows[i];
    scores[i] = r > 0 ? -(t.opens[r] / t.closes[r - 1] - 1) : 0;
  }
  return { scores, probabilities: crossSectionalPercentile(scores, windows.dates) };
}

/**
 * The return each window's label is about: the reference bar's open to its
 * close at the open, or its close to the close `horizon` bars later at the
 * close (`NaN` where that bar is missing): what the information coefficient
 * and the score deciles are measured on.
 *
 * @example
 * ```ts
 * const realised = labelReturns(windows);
 * ```
 */
export function labelReturns(windows: UniverseWindows): Float64Array {
  const out = new Float64Array(windows.n).fill(NaN);
  const { decideAt, horizon } = windows.tables;
  for (let i = 0; i < windows.n; i++) {
    const t = windows.tables.tables[windows.symbols[i]];
    const r = windows.rows[i];
    const end = decideAt === "open" ? r + horizon - 1 : r + horizon;
    if (end >= t.closes.length) continue;
    out[i] = t.closes[end] / (decideAt === "open" ? t.opens[r] : t.closes[r]) - 1;
  }
  return out;
}

/**
 * Yesterday's direction at each window's reference bar: 1 when its last bar
 * closed up (`close[t] > close[t - 1]`).
 *
 * @example
 * ```ts
 * const previousUp = previousDirections(windows);
 * ```
 */
export function previousDirections(windows: UniverseWindows): Uint8Array {
  return Uint8Array.from(lastReturns(windows), (r) => (r > 0 ? 1 : 0));
}

/**
 * Each row's cross-sectional percentile of `scores` among the rows of the same
 * date: 1 for the day's highest score, 0 for its lowest, ties sharing their
 * average; 0.5 on a date with one row.
 *
 * @example
 * ```ts
 * crossSectionalPercentile([3, 1, 2], [0, 0, 0]); // Float64Array [1, 0, 0.5]
 * ```
 */
export function crossSectionalPercentile(
  scores: ArrayLike<number>,
  dates: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(scores.length);
  const byDate = new Map<number, number[]>();
  for (let i = 0; i < scores.length; i++) {
    let list = byDate.get(dates[i]);
    if (!list) byDate.set(dates[i], list = []);
    list.push(i);
  }
  for (const list of byDate.values()) {
    if (list.length === 1) {
      out[list[0]] = 0.5;
      continue;
    }
    list.sort((a, b) => scores[a] - scores[b]);
    for (let k = 0; k < list.length;) {
      let j = k;
      while (j + 1 < list.length && scores[list[j + 1]] === scores[list[k]]) j++;
      const rank = (k + j) / 2;
      for (let m = k; m <= j; m++) out[list[m]] = rank / (list.length - 1);
      k = j + 1;
    }
  }
  return out;
}

/**
 * The short-term reversal rule's scores (minus the last bar's return: the
 * day's biggest loser ranks first) and its percentile "probabilities".
 *
 * @example
 * ```ts
 * const { scores, probabilities } = reversal(windows);
 * ```
 */
export function reversal(
  windows: UniverseWindows,
): { scores: Float64Array; probabilities: Float64Array } {
  const scores = lastReturns(windows).map((r) => -r);
  return { scores, probabilities: crossSectionalPercentile(scores, windows.dates) };
}

/**
 * The lags of the standardized 1-bar return the logistic baseline reads:
 * 1…20 and every 20th up to `sequenceLength` (Fischer & Krauss's choice).
 *
 * @example
 * ```ts
 * logisticLags(60); // [1, 2, …, 20, 40, 60]
 * ```
 */
export function logisticLags(sequenceLength: number): number[] {
  const lags: number[] = [];
  for (let l = 1; l <= Math.min(20, sequenceLength); l++) lags.push(l);
  for (let l = 40; l <= sequenceLength; l += 20) lags.push(l);
  return lags;
}

/**
 * The logistic baseline's inputs of the windows `indices` (default all): the
 * scaled `returns(period=1)` column at {@linkcode logisticLags}, then the last
 * bar's other scaled features; the last bar's features alone when the model
 * has no 1-bar return column.
 *
 * @example
 * ```ts
 * const x = logisticInputs(windows); // x[i].length === lags + other features
 * ```
 */
export function logisticInputs(
  windows: UniverseWindows,
  indices?: ArrayLike<number>,
): Float64Array[] {
  const names = windows.tables.names;
  const width = windows.nFeatures;
  // A few return series (the studies' inputs): every one at the lags; else the 1-bar return at
  // the lags and the last bar's other features.
  const lagged = width <= 3
    ? names.map((_, f) => f)
    : names.indexOf("returns(period=1)") >= 0
    ? [names.indexOf("returns(period=1)")]
    : [];
  const lags = lagged.length ? logisticLags(windows.seqLen) : [];
  const others = names.map((_, f) => f).filter((f) => !lagged.includes(f));
  const buffer = new Float32Array(windows.seqLen * width);
  const count = indices?.length ?? windows.n;
  const rows: Float64Array[] = new Array(count);
  const one = new Uint32Array(1);
  for (let k = 0; k < count; k++) {
    one[0] = indices ? indices[k] : k;
    windows.fill(one, buffer);
    const row = new Float64Array(lagged.length * lags.length + others.length);
    const last = (windows.seqLen - 1) * width;
    let j = 0;
    for (const column of lagged) {
      for (const l of lags) row[j++] = buffer[(windows.seqLen - l) * width + column];
    }
    for (const f of others) row[j++] = buffer[last + f];
    rows[k] = row;
  }
  return rows;
}

/** Most training windows the logistic baseline is fitted on (a seeded sample beyond that). */
export const LOGISTIC_MAX_ROWS = 100_000;

/**
 * Fits the logistic baseline on training windows: all of them, or a seeded
 * sample of {@linkcode LOGISTIC_MAX_ROWS} when there are more (a few dozen
 * weights do not need more rows, and Newton's method costs rows × weights²).
 *
 * @example
 * ```ts
 * const model = fitUniverseLogistic(dataset.train, { seed: 42 });
 * const p = predictUniverseLogistic(model, dataset.test);
 * ```
 */
export function fitUniverseLogistic(
  train: UniverseWindows,
  options: { seed?: number } = {},
): LogisticModel & { rows: number } {
  let indices: Uint32Array | undefined;
  if (train.n > LOGISTIC_MAX_ROWS) {
    const rng = createRng(options.seed ?? 42);
    const all = new Uint32Array(train.n);
    for (let i = 0; i < train.n; i++) all[i] = i;
    for (let i = 0; i < LOGISTIC_MAX_ROWS; i++) {
      const j = i + rng.int(train.n - i);
      [all[i], all[j]] = [all[j], all[i]];
    }
    indices = all.slice(0, LOGISTIC_MAX_ROWS).sort();
  }
  const x = logisticInputs(train, indices);
  const y = indices ? Uint8Array.from(indices, (i) => train.y[i]) : train.y;
  return { ...fitLogistic(x, y), rows: x.length };
}

/**
 * The logistic baseline's probabilities of `windows`.
 *
 * @example
 * ```ts
 * const p = predictUniverseLogistic(model, dataset.test);
 * ```
 */
export function predictUniverseLogistic(
  model: LogisticModel,
  windows: UniverseWindows,
): Float64Array {
  return predictLogistic(model, logisticInputs(windows));
}
