/**
 * What a model root and its version folders look like on disk, and the one
 * check every pointer goes through: a version is called `v` and a number
 * without leading zeros, and a pointer (`current.json`, `shadow.json`, a
 * composite's members, `models show|promote|rollback`) may only name a
 * complete version folder inside its root. This module imports no other
 * model module, so the store, composites and versions can all use it.
 *
 * ```
 * models/lstm/
 *   v1/  v2/              model.json + weights.bin + … (or composite.json)
 *   current.json          {"current":"v2","history":["v1"]}
 *   shadow.json           {"shadow":["v3"]}
 * ```
 *
 * @example
 * ```ts
 * import { versionProblem } from "./layout.ts";
 * await versionProblem("models/lstm", "v2"); // null: a complete version folder
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { z } from "zod";
import { messageOf, UsageError } from "../util/errors.ts";

/** The file of a trained model's topology and weight manifest. */
export const MODEL_FILE = "model.json";

/** The file of a composite (ensemble or regime) version folder. */
export const COMPOSITE_FILE = "composite.json";

/**
 * What a version is called: `v` and a number without leading zeros (`v1`,
 * `v12`; `v0` is allowed). `v007`, `v 7`, `vX`, `../b/v1` and the temporary
 * folders of interrupted writes (`v4.tmp-…`) are not versions: a pointer
 * naming one is refused, so no pointer leaves its model root.
 *
 * @example
 * ```ts
 * VERSION_PATTERN.test("v12"); // true
 * VERSION_PATTERN.test("v007"); // false
 * ```
 */
export const VERSION_PATTERN: RegExp = /^v(0|[1-9]\d*)$/;

/**
 * Whether `name` is a version name ({@linkcode VERSION_PATTERN}).
 *
 * @example
 * ```ts
 * isVersionName("v3"); // true
 * isVersionName("../b/v1"); // false
 * ```
 */
export function isVersionName(name: string): boolean {
  return VERSION_PATTERN.test(name);
}

/**
 * Refuses a version name given by a person (a flag or an argument): a
 * `UsageError` unless it is a version name.
 *
 * @example
 * ```ts
 * checkVersionName("v3"); // fine
 * checkVersionName("../b/v1"); // throws: Expected a version like v3, found "../b/v1"
 * ```
 */
export function checkVersionName(version: string): void {
  if (!isVersionName(version)) {
    throw new UsageError(`Expected a version like v3, found ${JSON.stringify(version)}`);
  }
}

/**
 * A version name as a zod schema, for the file shapes that hold one.
 *
 * @example
 * ```ts
 * z.object({ current: versionName }).parse({ current: "v2" });
 * ```
 */
export const versionName: z.ZodString = z.string().regex(
  VERSION_PATTERN,
  "not a version name like v3",
);

/**
 * What is wrong with `version` as a folder of `root` that a pointer may name,
 * or `null` when it is a complete version folder (a folder holding
 * `model.json` or `composite.json`): `not a version name like v3`,
 * `missing`, `a file, not a version folder`, `a folder without model.json
 * or composite.json`. Whether the files load is the store's check.
 *
 * @example
 * ```ts
 * await versionProblem("models/lstm", "v2"); // null
 * await versionProblem("models/lstm", "v9"); // "missing"
 * ```
 */
export async function versionProblem(root: string, version: string): Promise<string | null> {
  if (!isVersionName(version)) return "not a version name like v3";
  const dir = join(root, version);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return "missing";
    }
    return messageOf(error);
  }
  if (!info.isDirectory) return "a file, not a version folder";
  if (await isFile(join(dir, MODEL_FILE)) || await isFile(join(dir, COMPOSITE_FILE))) return null;
  return "a folder without model.json or composite.json";
}

/**
 * Whether `path` is a file (a missing path, a folder, or a file on the way
 * is not).
 *
 * @example
 * ```ts
 * await isFile("models/lstm/v2/model.json"); // true
 * ```
 */
export async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}
