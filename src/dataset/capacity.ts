/**
 * Whether a series is long enough for the windows a model asks for, checked
 * before any work: a sequence length that exceeds the data, or leaves fewer
 * training windows than a sane minimum, is refused at once instead of
 * starting a training that runs for minutes on a handful of overlapping
 * windows.
 *
 * @module
 */

import { DEFAULT_FEATURES, DEFAULT_OPEN_FEATURES, warmupBars } from "../features/mod.ts";
import { DataError } from "../util/errors.ts";
import type { DatasetOptions } from "./series.ts";
import { fractionCounts } from "./splits.ts";

/** Fewest training windows a model is fitted on. */
export const MIN_TRAINING_WINDOWS = 30;

/**
 * About how many training windows `nBars` bars give under `options` (before
 * `start`/`end` select bars; after purging), and how many are needed: at
 * least {@linkcode MIN_TRAINING_WINDOWS}, and at least as many as a window has
 * bars (fewer would be a few overlapping stretches of the same bars).
 *
 * @example
 * ```ts
 * trainingWindows(1260, { sequenceLength: 60 }); // { available: 814, needed: 60 }
 * ```
 */
export function trainingWindows(
  nBars: number,
  options: DatasetOptions = {},
): { available: number; needed: number } {
  const sequenceLength = options.sequenceLength ?? 60;
  const horizon = options.horizon ?? 1;
  const trainFraction = options.trainFraction ?? 0.7;
  const validationFraction = options.validationFraction ?? 0.15;
  const labelled = nBars - warmupBars(
    options.features ??
      (options.decideAt === "open" ? DEFAULT_OPEN_FEATURES : DEFAULT_FEATURES),
    options,
  ) -
    sequenceLength -
    horizon + 1;
  // With --test-start the windows before it are shared in the fractions' ratio: an upper bound.
  const share = options.testStart === undefined ? { trainFraction, validationFraction } : {
    trainFraction: trainFraction / (trainFraction + validationFraction),
    validationFraction: 0,
  };
  const available = labelled <= 0
    ? 0
    : Math.max(0, fractionCounts(labelled, share).trainCount - horizon);
  return { available, needed: Math.max(MIN_TRAINING_WINDOWS, sequenceLength) };
}

/**
 * Refuses, with one `DataError` naming `--sequence-length`, a sequence length
 * that exceeds `nBars` or leaves too few training windows
 * ({@linkcode trainingWindows}).
 *
 * @example
 * ```ts
 * checkTrainingWindows(6067, { sequenceLength: 5000 }); // throws: about 720 training windows
 * ```
 */
export function checkTrainingWindows(nBars: number, options: DatasetOptions = {}): void {
  const sequenceLength = options.sequenceLength ?? 60;
  if (sequenceLength >= nBars) {
    throw new DataError(
      `Expected --sequence-length below the ${nBars} bars of the data, found ${sequenceLength}`,
    );
  }
  const { available, needed } = trainingWindows(nBars, options);
  if (available < needed) {
    throw new DataError(
      `Expected --sequence-length ${sequenceLength} to leave at least ${needed} training windows in ${nBars} bars, found about ${available}; use a shorter --sequence-length or more bars`,
    );
  }
}
