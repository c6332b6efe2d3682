/**
 * Chronological splits over windows: the train / validation / test split of
 * a dataset and the walk-forward folds of an evaluation. Ranges are half-open
 * index ranges `[start, end)` over windows ordered by reference bar; they are
 * contiguous, in time order, and never shuffled.
 *
 * @module
 */

import { DataError, UsageError } from "../util/errors.ts";

/** Fewest windows each of train, validation and test must keep after purging. */
export const MIN_SPLIT_WINDOWS = 5;

/**
 * Window index ranges of a chronological split, after purging (see
 * {@linkcode chronologicalSplit}).
 *
 * @example
 * ```ts
 * const split: SplitRanges = { train: [0, 69], validation: [70, 84], test: [85, 100] };
 * ```
 */
export interface SplitRanges {
  /** `[start, end)` of the training windows. */
  train: [number, number];
  /** `[start, end)` of the validation windows. */
  validation: [number, number];
  /** `[start, end)` of the test windows. */
  test: [number, number];
}

/**
 * Splits `n` labelled windows in time order. `trainCount` and
 * `validationCount` are the sizes before purging; the test split takes the
 * rest. Purging: the last `horizon` windows of train and of validation are
 * dropped, because their labels look at closes inside the next split; after
 * that, no label of a split reaches a bar of the split after it.
 *
 * @example
 * ```ts
 * chronologicalSplit(100, { trainCount: 70, validationCount: 15, horizon: 1 });
 * // { train: [0, 69], validation: [70, 84], test: [85, 100] }
 * ```
 */
export function chronologicalSplit(
  n: number,
  options: { trainCount: number; validationCount: number; horizon: number },
): SplitRanges {
  const { trainCount, validationCount, horizon } = options;
  const testStart = trainCount + validationCount;
  return {
    train: [0, Math.max(0, trainCount - horizon)],
    validation: [trainCount, Math.max(trainCount, testStart - horizon)],
    test: [Math.min(testStart, n), n],
  };
}

/**
 * The smallest number of labelled windows for which a fractional split leaves
 * at least {@linkcode MIN_SPLIT_WINDOWS} windows in each split after purging.
 *
 * @example
 * ```ts
 * minimumWindows({ trainFraction: 0.7, validationFraction: 0.15, horizon: 1 }); // 40
 * ```
 */
export function minimumWindows(
  options: { trainFraction: number; validationFraction: number; horizon: number },
): number {
  for (let n = 3 * MIN_SPLIT_WINDOWS; n < 100_000_000; n++) {
    const split = chronologicalSplit(n, {
      ...fractionCounts(n, options),
      horizon: options.horizon,
    });
    if (
      [split.train, split.validation, split.test].every(([a, b]) => b - a >= MIN_SPLIT_WINDOWS)
    ) {
      return n;
    }
  }
  throw new UsageError("Expected split fractions that leave room for every split");
}

/**
 * Train and validation sizes (before purging) of a fractional split of `n`
 * windows.
 *
 * @example
 * ```ts
 * fractionCounts(100, { trainFraction: 0.7, validationFraction: 0.15 }); // { trainCount: 70, validationCount: 15 }
 * ```
 */
export function fractionCounts(
  n: number,
  options: { trainFraction: number; validationFraction: number },
): { trainCount: number; validationCount: number } {
  return {
    trainCount: Math.floor(n * options.trainFraction + 1e-9),
    validationCount: Math.floor(n * options.validationFraction + 1e-9),
  };
}

/** One walk-forward fold: half-open window index ranges, train before test. */
export interface Fold {
  /** First training window. */
  trainStart: number;
  /** One past the last training window. */
  trainEnd: number;
  /** First test window. */
  testStart: number;
  /** One past the last test window. */
  testEnd: number;
}

/**
 * Walk-forward folds over `n` windows in time order, for evaluating a model
 * the way it would have been retrained and used. Test ranges are contiguous,
 * disjoint and increasing; each fold trains only on windows before its test
 * range.
 *
 * - `folds`: number of folds.
 * - `mode`: `"expanding"` (default) trains on everything before the test
 *   range; `"sliding"` trains on the latest `minTrain` windows only.
 * - `minTrain`: windows in the first fold's training range (default
 *   `n / (folds + 1)`, rounded down).
 * - `retrainEvery`: windows per test range; the folds then cover the last
 *   `folds * retrainEvery` windows. Without it the windows after `minTrain`
 *   are divided evenly.
 * - `gap`: windows left out between train and test (set it to the label
 *   horizon so no training label looks into the test range; default 0).
 *
 * @example
 * ```ts
 * walkForwardFolds(100, { folds: 4 });
 * // [{ trainStart: 0, trainEnd: 20, testStart: 20, testEnd: 40 }, …, { …, testStart: 80, testEnd: 100 }]
 * ```
 */
export function walkForwardFolds(
  n: number,
  options: {
    folds: number;
    mode?: "expanding" | "sliding";
    minTrain?: number;
    retrainEvery?: number;
    gap?: number;
  },
): Fold[] {
  const { folds, mode = "expanding", retrainEvery, gap = 0 } = options;
  positiveInt("folds", folds);
  if (!Number.isInteger(n) || n < 0) {
    throw new UsageError(`Expected a window count >= 0, found ${n}`);
  }
  if (!Number.isInteger(gap) || gap < 0) {
    throw new UsageError(`Expected gap to be an integer >= 0, found ${gap}`);
  }
  if (mode !== "expanding" && mode !== "sliding") {
    throw new UsageError(`Expected mode "expanding" or "sliding", found "${mode}"`);
  }
  const minTrain = options.minTrain ?? Math.floor(n / (folds + 1));
  positiveInt("minTrain", minTrain);
  let starts: number[];
  if (retrainEvery !== undefined) {
    positiveInt("retrainEvery", retrainEvery);
    const first = n - folds * retrainEvery;
    starts = Array.from({ length: folds + 1 }, (_, j) => first + j * retrainEvery);
  } else {
    const first = minTrain + gap;
    starts = Array.from(
      { length: folds + 1 },
      (_, j) => first + Math.floor((j * (n - first)) / folds),
    );
  }
  const needed = minTrain + gap + folds * (retrainEvery ?? 1);
  if (starts[0] < minTrain + gap || starts[1] <= starts[0]) {
    throw new DataError(
      `Expected at least ${needed} windows for ${folds} folds (${minTrain} training + ${gap} gap + ${
        folds * (retrainEvery ?? 1)
      } test), found ${n}`,
    );
  }
  return starts.slice(0, -1).map((testStart, j) => {
    const trainEnd = testStart - gap;
    return {
      trainStart: mode === "sliding" ? trainEnd - minTrain : 0,
      trainEnd,
      testStart,
      testEnd: starts[j + 1],
    };
  });
}

function positiveInt(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new UsageError(`Expected ${name} to be a positive integer, found ${value}`);
  }
}
