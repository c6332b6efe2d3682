/**
 * Features modules: a TypeScript file that registers custom features with
 * the public `registerFeature` (and may export the `features` list a model
 * trains on). `deno task train --features-module FILE.ts` imports it; the
 * model card records it (a path relative to the model's version folder, or
 * absolute, and the SHA-256 of its content), and loading the model imports
 * it again (a dynamic import of its file URL: read access is enough) before
 * the card's features are resolved, so evaluate, backtest, predict, retrain,
 * monitor and the plugin know them. A module that is missing or whose
 * content changed is refused with one line.
 *
 * @example
 * ```ts
 * import { importFeaturesModule } from "./module.ts";
 * const { features, record } = await importFeaturesModule("examples/features.ts", "models/lstm/v1");
 * ```
 *
 * @module
 */

import { isAbsolute, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { DataError, UsageError } from "../util/errors.ts";
import { sha256Hex } from "../util/fs.ts";
import {
  DEFAULT_FEATURES,
  type FeatureSpec,
  registeredFeatureNames,
  resolveFeatureSpecs,
} from "./mod.ts";

/** What a model card records of the features module its features came from. */
export interface FeaturesModuleRecord {
  /** The module's path: relative to the model's version folder, or absolute. */
  path: string;
  /** SHA-256 of the module's content, in hex. */
  sha256: string;
}

async function readModule(file: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DataError(`Expected the features module ${what} to exist, found no such file`);
    }
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new DataError(`Expected to read the features module ${what}, found: ${why}`);
  }
}

async function importFile(file: string, what: string): Promise<Record<string, unknown>> {
  try {
    return await import(pathToFileURL(resolve(file)).href) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof DataError || error instanceof UsageError) throw error;
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new DataError(`Expected the features module ${what} to import cleanly, found: ${why}`);
  }
}

/**
 * Imports the features module `file` for training a model that will live in
 * `versionDir`: registers its features and returns the feature list to train
 * on (the module's exported `features`, else the default features followed by
 * every feature the module registered) and the record for the card.
 *
 * @example
 * ```ts
 * const { features, record } = await importFeaturesModule("examples/features.ts", "models/lstm/v3");
 * record.path; // "../../../examples/features.ts"
 * ```
 */
export async function importFeaturesModule(
  file: string,
  versionDir: string,
): Promise<{ features: FeatureSpec[]; record: FeaturesModuleRecord }> {
  const bytes = await readModule(file, file);
  const before = new Set(registeredFeatureNames());
  const exports = await importFile(file, file);
  const added = registeredFeatureNames().filter((n) => !before.has(n));
  let features: FeatureSpec[];
  if (exports.features !== undefined) {
    if (!Array.isArray(exports.features)) {
      throw new UsageError(
        `Expected the features module ${file} to export features as a list of feature specs, found ${typeof exports
          .features}`,
      );
    }
    features = resolveFeatureSpecs(exports.features as FeatureSpec[]);
  } else {
    features = resolveFeatureSpecs([
      ...DEFAULT_FEATURES,
      ...added.map((name) => ({ name, params: {} })),
    ]);
  }
  const path = isAbsolute(file) ? file : relative(resolve(versionDir), resolve(file));
  return { features, record: { path, sha256: await sha256Hex(bytes) } };
}

/**
 * Imports the features module a model card records, before its features are
 * resolved: `dir` is the model's version folder, `card` names the card file
 * in error lines. A missing module, or one whose SHA-256 differs from the
 * recorded one, is one `DataError`.
 *
 * @example
 * ```ts
 * await loadFeaturesModule("models/lstm/v1", card.featuresModule!, "models/lstm/v1/model_config.json");
 * ```
 */
export async function loadFeaturesModule(
  dir: string,
  record: FeaturesModuleRecord,
  card: string,
): Promise<void> {
  const file = isAbsolute(record.path) ? record.path : join(dir, record.path);
  const bytes = await readModule(
    file,
    `${file} that ${card} records (restore it, or retrain the model)`,
  );
  const sha = await sha256Hex(bytes);
  if (sha !== record.sha256) {
    throw new DataError(
      `Expected the features module ${file} to have the SHA-256 that ${card} records (${
        record.sha256.slice(0, 12)
      }…), found ${
        sha.slice(0, 12)
      }…: the module was edited since training (restore it, or retrain the model)`,
    );
  }
  await importFile(file, file);
}
