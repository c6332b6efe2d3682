/**
 * Model versions and the `current` pointer (the seed's "version your models"
 * and "implement model rollback"). A model name is a folder holding one
 * sub-folder per version and a pointer file:
 *
 * ```
 * models/lstm/
 *   v1/  v2/  v3/          each a complete model folder, never overwritten
 *   current.json           {"current":"v3","history":["v1","v2"]}
 * ```
 *
 * Plugins load whatever `current.json` names. The pointer is replaced
 * atomically (temporary file, then rename), so a reader sees the old or the
 * new version, never a mix; `rollback` pops the history.
 *
 * @module
 */

import { join } from "node:path";
import { atomicWriteFile, exists } from "../util/fs.ts";
import { DataError, UsageError } from "../util/errors.ts";

/** The pointer file's content. */
export interface VersionPointer {
  /** The version plugins load, e.g. `v3`. */
  current: string;
  /** Earlier current versions, oldest first; `rollback` returns to the last one. */
  history: string[];
}

const POINTER = "current.json";
const VERSION_RE = /^v(\d+)$/;

/**
 * The versions present under a model root, in numeric order (`v2` before `v10`).
 *
 * @example
 * ```ts
 * await listVersions("models/lstm"); // ["v1", "v2"]
 * ```
 */
export async function listVersions(root: string): Promise<string[]> {
  const found: number[] = [];
  try {
    for await (const entry of Deno.readDir(root)) {
      const match = entry.isDirectory ? VERSION_RE.exec(entry.name) : null;
      if (match) found.push(Number(match[1]));
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return found.sort((a, b) => a - b).map((n) => `v${n}`);
}

/**
 * The folder name of the next version under `root` (`v1` for a new root).
 *
 * @example
 * ```ts
 * await nextVersion("models/lstm"); // "v3" when v1 and v2 exist
 * ```
 */
export async function nextVersion(root: string): Promise<string> {
  const versions = await listVersions(root);
  const last = versions.length ? Number(versions[versions.length - 1].slice(1)) : 0;
  return `v${last + 1}`;
}

/**
 * Reads the pointer, or `null` when the root has none yet.
 *
 * @example
 * ```ts
 * (await readPointer("models/lstm"))?.current; // "v2"
 * ```
 */
export async function readPointer(root: string): Promise<VersionPointer | null> {
  const path = join(root, POINTER);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  try {
    const value = JSON.parse(text);
    if (typeof value?.current !== "string" || !Array.isArray(value.history)) throw new Error();
    return { current: value.current, history: value.history.map(String) };
  } catch {
    throw new DataError(
      `Expected ${path} to hold {"current": "vN", "history": [...]}, found ${
        JSON.stringify(text.slice(0, 60))
      }`,
    );
  }
}

async function writePointer(root: string, pointer: VersionPointer): Promise<void> {
  await atomicWriteFile(join(root, POINTER), JSON.stringify(pointer, null, 2) + "\n");
}

/**
 * Makes `version` the current one; the previous current goes onto the history.
 *
 * @example
 * ```ts
 * await promote("models/lstm", "v2");
 * ```
 */
export async function promote(root: string, version: string): Promise<VersionPointer> {
  if (!VERSION_RE.test(version)) {
    throw new UsageError(`Expected a version like v3, found "${version}"`);
  }
  if (!(await exists(join(root, version, "model.json")))) {
    const known = await listVersions(root);
    throw new DataError(
      `No model version ${version} in ${root}; found ${known.length ? known.join(", ") : "none"}`,
    );
  }
  const pointer = await readPointer(root);
  if (pointer?.current === version) return pointer;
  const next: VersionPointer = {
    current: version,
    history: pointer ? [...pointer.history, pointer.current] : [],
  };
  await writePointer(root, next);
  return next;
}

/**
 * Returns to the version that was current before the last promotion.
 *
 * @example
 * ```ts
 * await rollback("models/lstm"); // { current: "v1", history: [] }
 * ```
 */
export async function rollback(root: string): Promise<VersionPointer> {
  const pointer = await readPointer(root);
  if (!pointer) throw new DataError(`No ${POINTER} in ${root}: nothing to roll back`);
  const history = [...pointer.history];
  const previous = history.pop();
  if (!previous) {
    throw new DataError(
      `Cannot roll back ${root}: ${pointer.current} is the first version promoted`,
    );
  }
  const next = { current: previous, history };
  await writePointer(root, next);
  return next;
}

/**
 * Where the model files for `dir` are: `dir` itself when it holds a
 * `model.json`, else the version its `current.json` names. `null` when there
 * is no model (the signal plugin then reports `no-model`).
 *
 * @example
 * ```ts
 * await resolveModelDir("models/lstm"); // { dir: "models/lstm/v2", version: "v2" }
 * ```
 */
export async function resolveModelDir(
  dir: string,
): Promise<{ dir: string; version: string } | null> {
  if (await exists(join(dir, "model.json"))) {
    const name = dir.replace(/\/+$/, "").split("/").pop() ?? "";
    return { dir, version: VERSION_RE.test(name) ? name : "unversioned" };
  }
  const pointer = await readPointer(dir);
  if (!pointer) return null;
  const target = join(dir, pointer.current);
  if (!(await exists(join(target, "model.json")))) {
    throw new DataError(
      `${join(dir, POINTER)} names ${pointer.current}, but ${target}/model.json is missing`,
    );
  }
  return { dir: target, version: pointer.current };
}
