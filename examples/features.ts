/**
 * A features module (the seed's "edit prepare_data.py to add your own
 * features"): it registers custom features with the public `registerFeature`
 * and exports the feature list a model trains on. Train with it, and every
 * command loads it again from the path and SHA-256 the model card records:
 *
 * ```sh
 * deno task train --source synthetic --features-module examples/features.ts --name custom
 * deno task evaluate --model-dir models/custom --source synthetic
 * ```
 *
 * Editing this file after training changes its SHA-256: the model then
 * refuses to load until it is retrained (or the file restored).
 *
 * @module
 */

import { DEFAULT_FEATURES, type FeatureSpec, registerFeature } from "../mod.ts";

/** The overnight gap: today's open over yesterday's close, minus one. */
registerFeature("gap", {
  description: "open over the previous close, minus one",
  params: {},
  warmup: () => 1,
  create: () => {
    let prev: number | undefined;
    return (bar) => {
      const value = prev === undefined ? undefined : bar.open / prev - 1;
      prev = bar.close;
      return value;
    };
  },
});

/** Where the close sits in the bar's range: 0 at the low, 1 at the high (0.5 for a flat bar). */
registerFeature("close_location", {
  description: "the close's place in the bar's high-low range (0 low, 1 high)",
  params: {},
  warmup: () => 0,
  create: () => (bar) => bar.high > bar.low ? (bar.close - bar.low) / (bar.high - bar.low) : 0.5,
});

/** The features a model trained with this module reads: the defaults plus the two above. */
export const features: FeatureSpec[] = [
  ...DEFAULT_FEATURES,
  { name: "gap", params: {} },
  { name: "close_location", params: {} },
];
