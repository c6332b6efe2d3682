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
 * A module is user code that runs with the command's permissions. What is
 * bounded: its import (a top-level await that never resolves fails after
 * {@linkcode MODULE_IMPORT_TIMEOUT_MS}), `Deno.exit` while it is imported
 * or tried (reported as an error, not an exit), and each feature it registers
 * is tried on plain bars at training (a `warmup()` that is no whole number,
 * a `create()` or a step that throws: one line naming the feature and the
 * module). What is not: an endless synchronous loop (at import or per bar)
 * cannot be interrupted from the same thread and hangs the command.
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
import type { Bar } from "../data/types.ts";
import {
  createFeatureStream,
  DEFAULT_FEATURES,
  type FeatureSpec,
  registeredFeatureNames,
  resolveFeatureSpecs,
  warmupBars,
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

/** How long a features module may take to import (its top-level code and awaits). */
export const MODULE_IMPORT_TIMEOUT_MS = 30_000;

/** Thrown in place of `Deno.exit` while a features module's code runs. */
class ModuleExit extends Error {
  constructor(readonly code: number | undefined) {
    super(`Deno.exit(${code ?? ""})`);
  }
}

/**
 * Turns `Deno.exit` into a thrown {@linkcode ModuleExit} while a features
 * module's code runs, so a module that calls it is reported instead of
 * ending the command; returns the function that puts it back.
 */
function trapExit(): () => void {
  const exit = Deno.exit;
  try {
    (Deno as { exit: (code?: number) => never }).exit = (code?: number): never => {
      throw new ModuleExit(code);
    };
  } catch {
    return () => {}; // a runtime where Deno.exit cannot be replaced: the exit ends the process
  }
  return () => {
    (Deno as { exit: typeof exit }).exit = exit;
  };
}

function whyOf(error: unknown): string {
  if (error instanceof ModuleExit) return `it called ${error.message}`;
  return error instanceof Error ? error.message.split("\n")[0] : String(error);
}

async function importFile(
  file: string,
  what: string,
  timeoutMs = MODULE_IMPORT_TIMEOUT_MS,
): Promise<Record<string, unknown>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new DataError(
            `Expected the features module ${what} to finish importing within ${
              timeoutMs / 1000
            } s, found it still running (a top-level await that never resolves?)`,
          ),
        ),
      timeoutMs,
    );
  });
  const restore = trapExit();
  try {
    return await Promise.race([
      import(pathToFileURL(resolve(file)).href) as Promise<Record<string, unknown>>,
      timeout,
    ]);
  } catch (error) {
    if (error instanceof DataError || error instanceof UsageError) throw error;
    throw new DataError(
      `Expected the features module ${what} to import cleanly, found: ${whyOf(error)}`,
    );
  } finally {
    restore();
    clearTimeout(timer);
  }
}

/** A few plain bars to try a module's features on before any real data. */
function probeBars(n: number): Bar[] {
  return Array.from({ length: n }, (_, i) => {
    const close = 100 + 5 * Math.sin(i / 3) + i / 10;
    const time = new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
    return { time, open: close - 0.5, high: close + 1, low: close - 1, close, volume: 1000 + i };
  });
}

/**
 * Tries each feature the module registered on its own, with its default
 * parameters: its `warmup()` must be a whole number of bars, and `create()`
 * and the per-bar step must not throw on plain bars. A failure is one
 * `DataError` naming the feature and the module (a built-in is never blamed).
 */
function probeFeatures(names: readonly string[], file: string): void {
  for (const name of names) {
    const spec = [{ name, params: {} }];
    const blame = (what: string, found: string): never => {
      throw new DataError(
        `Expected feature ${name} of the features module ${file} to ${what}, found ${found}`,
      );
    };
    let warmup: number;
    try {
      warmup = warmupBars(spec);
    } catch (error) {
      return blame("give its warm-up bars from warmup()", `an error: ${whyOf(error)}`);
    }
    if (!Number.isInteger(warmup) || warmup < 0 || warmup > 100_000) {
      blame("give a whole number of warm-up bars from warmup()", String(warmup));
    }
    let stream;
    try {
      stream = guardedSync(() => createFeatureStream(spec));
    } catch (error) {
      return blame("create its per-bar step", `an error: ${whyOf(error)}`);
    }
    if (stream.needsContext) continue; // needs the context series: tried on real data only
    for (const bar of probeBars(Math.min(warmup, 1000) + 5)) {
      try {
        guardedSync(() => stream.push(bar));
      } catch (error) {
        if (error instanceof DataError && /Expected a finite/.test(error.message)) {
          blame("give a finite value after its warm-up", `${error.message.split(", found ")[1]}`);
        }
        blame("compute a bar", `an error at ${bar.time}: ${whyOf(error)}`);
      }
    }
  }
}

/** Runs synchronous module code with `Deno.exit` trapped. */
function guardedSync<T>(work: () => T): T {
  const restore = trapExit();
  try {
    return work();
  } finally {
    restore();
  }
}

/** The module's exported `features`, each entry checked: a bad one is named. */
function exportedFeatures(value: unknown, file: string): FeatureSpec[] {
  const shape = 'a list of feature specs like { name: "rsi", params: { period: 14 } }';
  if (!Array.isArray(value)) {
    throw new UsageError(
      `Expected the features module ${file} to export features as ${shape}, found ${typeof value}`,
    );
  }
  value.forEach((entry, i) => {
    const ok = entry !== null && typeof entry === "object" && typeof entry.name === "string" &&
      (entry.params === undefined ||
        (entry.params !== null && typeof entry.params === "object" &&
          Object.values(entry.params).every((v) => typeof v === "number")));
    if (!ok) {
      const shown = JSON.stringify(entry) ?? String(entry);
      throw new UsageError(
        `Expected the features module ${file} to export features as ${shape}, found ${
          shown.length > 60 ? `${shown.slice(0, 60)}…` : shown
        } at index ${i}`,
      );
    }
  });
  return value.map((entry) => ({ name: entry.name, params: entry.params ?? {} }));
}

/**
 * Imports the features module `file` for training a model that will live in
 * `versionDir`: registers its features and returns the feature list to train
 * on (the module's exported `features`, else the default features followed by
 * every feature the module registered) and the record for the card. Each
 * feature it registers is tried first (see the module note); `timeoutMs`
 * bounds the import (default {@linkcode MODULE_IMPORT_TIMEOUT_MS}).
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
  options: { timeoutMs?: number } = {},
): Promise<{ features: FeatureSpec[]; record: FeaturesModuleRecord }> {
  const bytes = await readModule(file, file);
  const before = new Set(registeredFeatureNames());
  const exports = await importFile(file, file, options.timeoutMs);
  const added = registeredFeatureNames().filter((n) => !before.has(n));
  probeFeatures(added, file);
  let features: FeatureSpec[];
  if (exports.features !== undefined) {
    features = resolveFeatureSpecs(exportedFeatures(exports.features, file));
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
