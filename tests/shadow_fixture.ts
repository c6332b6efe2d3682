/**
 * Real SPY bars and three tiny versions of one model trained on them by the
 * pipeline (`fitModel` + `saveVersion`: card, scaler, reference.json), for
 * the shadow-deployment tests: v1 (current) and v2 share features and window
 * length (another seed), v3 has other features and a longer window, so a
 * plugin running v2 and v3 as shadows shares v1's feature stream for v2 and
 * needs a stream of its own for v3. Uncalibrated (`calibration: "none"`), so
 * the probabilities move from bar to bar and the versions disagree.
 */

import { join } from "node:path";
import { loadSeries } from "../src/data/mod.ts";
import type { Bar, Series } from "../src/data/types.ts";
import { DEFAULT_FEATURES } from "../src/features/mod.ts";
import { fitModel, fitSettings, saveVersion } from "../src/pipeline/fit.ts";

/** The real SPY daily bars of the shared data folder. */
export const SPY_CSV = new URL("../../shared/data/SPY.csv", import.meta.url).pathname;

/** The last three years of real SPY bars, the whole series (the labels of the last need it). */
export async function spyBars(): Promise<{ series: Series; bars: Bar[] }> {
  const series = await loadSeries({ ticker: "SPY", source: "csv", csv: SPY_CSV });
  return { series, bars: series.bars.slice(-3 * 252) };
}

/** The versions {@linkcode trainShadowModels} saves, and how each differs. */
export const VERSIONS = {
  v1: { seed: 42, sequenceLength: 10, features: DEFAULT_FEATURES },
  v2: { seed: 7, sequenceLength: 10, features: DEFAULT_FEATURES },
  v3: { seed: 42, sequenceLength: 12, features: DEFAULT_FEATURES.slice(0, 6) },
} as const;

/**
 * Trains v1, v2 and v3 (4 units, one epoch, CPU) on the first two years of
 * `bars` into `<dir>/spy` and makes v1 current; returns the versioned folder.
 *
 * @example
 * ```ts
 * const root = await trainShadowModels(await Deno.makeTempDir(), series, bars);
 * ```
 */
export async function trainShadowModels(dir: string, series: Series, bars: Bar[]): Promise<string> {
  const root = join(dir, "spy");
  const training = { ...series, bars: bars.slice(0, 2 * 252) };
  for (const [version, v] of Object.entries(VERSIONS)) {
    const settings = fitSettings({
      epochs: 1,
      batchSize: 64,
      sequenceLength: v.sequenceLength,
      lstmUnits: 4,
      learningRate: 0.01,
      backendName: "cpu",
      seed: v.seed,
      calibration: "none",
    });
    settings.datasetOptions = { ...settings.datasetOptions, features: v.features };
    const fitted = await fitModel(training, settings);
    try {
      const saved = await saveVersion(fitted, root, { promote: version === "v1" });
      if (saved.version !== version) throw new Error(`saved ${saved.version}, not ${version}`);
    } finally {
      fitted.model.dispose();
    }
  }
  return root;
}
