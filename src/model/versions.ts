/**
 * Model versions and the `current` pointer (the seed's "version your models"
 * and "implement model rollback"). A model name is a folder holding one
 * sub-folder per version and a pointer file:
 *
 * ```
 * models/lstm/
 *   v1/  v2/  v3/          each a complete model folder, never overwritten
 *   current.json           {"current":"v3","history":["v1","v2"]}
 *   shadow.json            {"shadow":["v4"]}  (optional: candidates run beside current, never acted on)
 * ```
 *
 * Plugins load whatever `current.json` names. The pointer is replaced
 * atomically (temporary file, then rename), so a reader sees the old or the
 * new version, never a mix; `rollback` pops the history.
 *
 * @module
 */

import { basename, dirname, join, relative } from "node:path";
import { z } from "zod";
import { atomicWriteFile, sweepStaleTemps, testPause } from "../util/fs.ts";
import { DataError, messageOf } from "../util/errors.ts";
import { readJsonFile } from "../util/json.ts";
import { type ModelCard, readCard } from "./card.ts";
import { checkModelFolder } from "./store.ts";
import { isComposite } from "./composite.ts";
import {
  checkVersionName,
  isFile,
  isVersionName,
  MODEL_FILE,
  VERSION_PATTERN,
  versionName,
  versionProblem,
} from "./layout.ts";

/**
 * The schema of `current.json`: the type and the parser (every name a
 * version name, so a pointer never leaves its root).
 *
 * @example
 * ```ts
 * pointerSchema.parse({ current: "v2", history: ["v1"] });
 * ```
 */
export const pointerSchema = z.object({
  /** The version plugins load, e.g. `v3`. */
  current: versionName,
  /** Earlier current versions, oldest first; `rollback` returns to the last one. */
  history: z.array(versionName),
  /** Versions that were current and were rolled back from (present once a rollback happened). */
  retired: z.array(versionName).optional(),
});

/**
 * The pointer file's content (`current.json`).
 *
 * @example
 * ```ts
 * const pointer: VersionPointer = { current: "v3", history: ["v1", "v2"] };
 * ```
 */
export interface VersionPointer {
  /** The version plugins load, e.g. `v3`. */
  current: string;
  /** Earlier current versions, oldest first; `rollback` returns to the last one. */
  history: string[];
  /** Versions that were current and were rolled back from (present once a rollback happened). */
  retired?: string[];
}

// The schema and the interface stay one shape: a compile error here when they part.
const _pointerShape: z.ZodType<VersionPointer> = pointerSchema;

/**
 * The schema of {@linkcode SHADOW_FILE}: the shadow versions and when they
 * were recorded.
 *
 * @example
 * ```ts
 * shadowSchema.parse({ shadow: ["v7"], updatedAt: "2024-01-02T00:00:00.000Z" });
 * ```
 */
export const shadowSchema = z.object({
  shadow: z.array(versionName),
  updatedAt: z.string().optional(),
});

const POINTER = "current.json";
const POINTER_SHAPE = '{"current": "vN", "history": ["vN", ...]}';

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
      const match = entry.isDirectory ? VERSION_PATTERN.exec(entry.name) : null;
      if (match) found.push(Number(match[1]));
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw new DataError(messageOf(error), { cause: error });
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
 * Reads the pointer, or `null` when the root has none yet. Every name in it
 * must be a version name ({@linkcode pointerSchema}); anything else is one
 * `DataError` naming the file. Whether the versions exist is
 * {@linkcode resolveModelDir}'s and {@linkcode rollback}'s check.
 *
 * @example
 * ```ts
 * (await readPointer("models/lstm"))?.current; // "v2"
 * ```
 */
export function readPointer(root: string): Promise<VersionPointer | null> {
  return readJsonFile(join(root, POINTER), pointerSchema, { shape: POINTER_SHAPE });
}

async function writePointer(root: string, pointer: VersionPointer): Promise<void> {
  // LSTM_SIGNAL_TEST_PAUSE=pointer-rename pauses between writing and renaming (crash tests).
  await atomicWriteFile(join(root, POINTER), JSON.stringify(pointer, null, 2) + "\n", {
    beforeRename: () => testPause("pointer-rename"),
  });
}

/** The versions of `root`, for "found …" parts of error lines. */
async function knownVersions(root: string): Promise<string> {
  const known = await listVersions(root).catch(() => []);
  return known.length ? known.join(", ") : "none";
}

/**
 * Makes `version` the current one; the previous current goes onto the history.
 * `version` must be a version name and a complete version folder of `root`.
 *
 * @example
 * ```ts
 * await promote("models/lstm", "v2");
 * ```
 */
export async function promote(root: string, version: string): Promise<VersionPointer> {
  checkVersionName(version);
  const problem = await versionProblem(root, version);
  if (problem === "missing") {
    throw new DataError(
      `No model version ${version} in ${root}; found ${await knownVersions(root)}`,
    );
  }
  if (problem) {
    throw new DataError(`Expected ${version} in ${root} to be a complete model, found ${problem}`);
  }
  const pointer = await readPointer(root);
  if (pointer?.current === version) return pointer;
  const next: VersionPointer = {
    current: version,
    history: pointer ? [...pointer.history, pointer.current] : [],
  };
  const retired = pointer?.retired?.filter((v) => v !== version);
  if (retired?.length) next.retired = retired;
  await writePointer(root, next);
  return next;
}

/**
 * The version {@linkcode rollback} would return to: the last of the
 * history, checked to be a complete version folder of `root` (a missing one
 * is refused: the pointer would name nothing).
 *
 * @example
 * ```ts
 * await rollbackTarget("models/lstm"); // "v1"
 * ```
 */
export async function rollbackTarget(root: string): Promise<string> {
  const pointer = await readPointer(root);
  if (!pointer) throw new DataError(`No ${POINTER} in ${root}: nothing to roll back`);
  const previous = pointer.history.at(-1);
  if (!previous) {
    throw new DataError(
      `Cannot roll back ${root}: ${pointer.current} is the first version promoted`,
    );
  }
  const problem = await versionProblem(root, previous);
  if (problem) {
    throw new DataError(
      `Expected ${previous}, the version before ${pointer.current} in ${
        join(root, POINTER)
      }, to be a complete model to roll back to, found it ${problem}; promote one of ${await knownVersions(
        root,
      )} instead`,
    );
  }
  return previous;
}

/**
 * Refuses to point `current.json` (or `shadow.json`) at a version that would
 * not load: the store's full check of its files, without building the
 * model. A missing version passes here (promote names the versions that
 * exist).
 *
 * @example
 * ```ts
 * await checkVersionLoads("models/lstm", "v2"); // then promote("models/lstm", "v2")
 * ```
 */
export async function checkVersionLoads(root: string, version: string): Promise<void> {
  checkVersionName(version);
  if (await versionProblem(root, version) === "missing") return;
  try {
    await checkModelFolder(join(root, version));
  } catch (error) {
    throw new DataError(
      `Expected ${version} in ${root} to be a complete model, found: ${messageOf(error)}`,
    );
  }
}

/**
 * Returns to the version that was current before the last promotion
 * (refused when that version is missing: see {@linkcode rollbackTarget}).
 *
 * @example
 * ```ts
 * await rollback("models/lstm"); // { current: "v1", history: [] }
 * ```
 */
export async function rollback(root: string): Promise<VersionPointer> {
  const previous = await rollbackTarget(root);
  const pointer = (await readPointer(root))!;
  const history = pointer.history.slice(0, -1);
  const retired = [...(pointer.retired ?? []).filter((v) => v !== pointer.current), pointer.current]
    .filter((v) => v !== previous);
  const next: VersionPointer = { current: previous, history, retired };
  await writePointer(root, next);
  return next;
}

/**
 * The file beside `current.json` that names the shadow versions: candidates a
 * signal plugin on the root runs beside the current one on every bar, logs
 * and never acts on (`{"shadow": ["v7"], "updatedAt": "…"}`; `deno task
 * models shadow`). Replaced atomically, like the pointer.
 *
 * @example
 * ```ts
 * await Deno.readTextFile(`models/lstm/${SHADOW_FILE}`); // {"shadow": ["v7"], ...}
 * ```
 */
export const SHADOW_FILE = "shadow.json";

/**
 * The shadow versions of a model root, in the order recorded; `[]` when
 * there is no {@linkcode SHADOW_FILE} (or it lists none). Every entry must
 * be a version name ({@linkcode shadowSchema}).
 *
 * @example
 * ```ts
 * await readShadow("models/lstm"); // ["v7"]
 * ```
 */
export async function readShadow(root: string): Promise<string[]> {
  const record = await readJsonFile(join(root, SHADOW_FILE), shadowSchema, {
    shape: '{"shadow": ["vN", ...]}',
  });
  return record?.shadow ?? [];
}

/**
 * Records `versions` as the shadow versions of `root` (an empty list clears
 * them), atomically; every one must be a complete version folder and none
 * the current version. Returns the list written.
 *
 * @example
 * ```ts
 * await writeShadow("models/lstm", ["v7"]);
 * await writeShadow("models/lstm", []); // no shadow any more
 * ```
 */
export async function writeShadow(root: string, versions: readonly string[]): Promise<string[]> {
  const list = [...new Set(versions)];
  const pointer = await readPointer(root);
  for (const version of list) {
    checkVersionName(version);
    const problem = await versionProblem(root, version);
    if (problem === "missing") {
      throw new DataError(
        `No model version ${version} in ${root}; found ${await knownVersions(root)}`,
      );
    }
    if (problem) {
      throw new DataError(
        `Expected ${version} in ${root} to be a complete model, found ${problem}`,
      );
    }
    if (pointer?.current === version) {
      throw new DataError(
        `Expected a version other than the current one to shadow, found ${version}, which is current in ${root}`,
      );
    }
  }
  const record = { shadow: list, updatedAt: new Date().toISOString() };
  await atomicWriteFile(join(root, SHADOW_FILE), JSON.stringify(record, null, 2) + "\n");
  return list;
}

/**
 * Where the model files for `dir` are: `dir` itself when it holds a
 * `model.json` (or `composite.json`), else the version its `current.json`
 * names, which must be a complete version folder of `dir` (one line saying
 * what is wrong otherwise: the same words as `models list`). `null` when
 * there is no model (the signal plugin then reports `no-model`). The
 * temporary folder of an interrupted write is never loaded.
 *
 * @example
 * ```ts
 * await resolveModelDir("models/lstm"); // { dir: "models/lstm/v2", version: "v2" }
 * ```
 */
export async function resolveModelDir(
  dir: string,
): Promise<{ dir: string; version: string } | null> {
  const name = basename(dir.replace(/\/+$/, ""));
  if (TEMP_RE.test(name)) {
    throw new DataError(
      `Expected a model folder, found ${dir}, the temporary folder of an interrupted write`,
    );
  }
  if (await isFile(join(dir, MODEL_FILE)) || await isComposite(dir)) {
    return { dir, version: isVersionName(name) ? name : "unversioned" };
  }
  const pointer = await readPointer(dir);
  if (!pointer) return null;
  const problem = await versionProblem(dir, pointer.current);
  if (problem) throw new DataError(pointerProblemText(dir, pointer.current, problem));
  return { dir: join(dir, pointer.current), version: pointer.current };
}

/** The one line for a pointer naming a version that is not there (resolve and list agree). */
function pointerProblemText(root: string, version: string, problem: string): string {
  return `${join(root, POINTER)} names ${version}, which is ${problem}: plugins load no model`;
}

/** One version folder and what is wrong with it, if anything (see {@linkcode inspectModelRoot}). */
export interface VersionHealth {
  /** `vN`. */
  version: string;
  /** Whether every file is present and consistent (the check `loadModel` makes). */
  ok: boolean;
  /** `null` when ok, else one line saying what is wrong. */
  problem: string | null;
  /** The card, when it could be read (even for a version with another problem). */
  card: ModelCard | null;
  /** Whether `current.json` names it. */
  current: boolean;
  /**
   * Whether it is, or was, current (now, in the rollback history, or rolled
   * back from); `null` when there is no readable `current.json` to tell.
   */
  promoted: boolean | null;
}

/**
 * A model root as `deno task models list` shows it: every version with its
 * health, the pointer and whether it can be trusted, and what killed writers
 * left behind.
 */
export interface ModelRootHealth {
  /** The versioned model folder. */
  root: string;
  /** `current.json`, or `null` when there is none (or it is corrupted: see `pointerProblem`). */
  pointer: VersionPointer | null;
  /**
   * What is wrong with the pointers: `current.json` corrupted, or naming a
   * missing or broken version (a plugin would load nothing), else
   * `shadow.json` likewise. `null` when they are fine or absent.
   */
  pointerProblem: string | null;
  /** Every version folder, in numeric order, broken ones included. */
  versions: VersionHealth[];
  /** Temporary entries of interrupted writes (`vN.tmp-*`, `current.json.tmp-*`), by name. */
  interrupted: string[];
  /**
   * Entries named like a version that are not version folders, by name: a
   * file `v3`, or a folder `v007`, `v 7` or `vX` (not a version name).
   */
  strays: string[];
  /** The shadow versions {@linkcode SHADOW_FILE} names (`[]` when none or unreadable). */
  shadow: string[];
}

const TEMP_RE = /\.tmp-/;

/**
 * Checks every version under `root` the way loading does (files present,
 * sizes and SHA-256 of the weights, card, scaler) without building any model,
 * and the pointer against them. One broken version never hides the others.
 *
 * @example
 * ```ts
 * const health = await inspectModelRoot("models/lstm");
 * for (const v of health.versions) console.log(v.version, v.problem ?? "ok");
 * if (health.pointerProblem) console.error(health.pointerProblem);
 * ```
 */
export async function inspectModelRoot(root: string): Promise<ModelRootHealth> {
  const names: { name: string; isDirectory: boolean }[] = [];
  try {
    for await (const entry of Deno.readDir(root)) names.push(entry);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return {
        root,
        pointer: null,
        pointerProblem: null,
        versions: [],
        interrupted: [],
        strays: [],
        shadow: [],
      };
    }
    throw error; // "Not a directory ... readdir 'root'": messageOf names the file on the way
  }
  const interrupted = names.filter((e) => TEMP_RE.test(e.name)).map((e) => e.name).sort();
  const strays = names.filter((e) =>
    !TEMP_RE.test(e.name) &&
    (isVersionName(e.name) ? !e.isDirectory : /^v(\d|\s|[A-Z]$)/.test(e.name))
  ).map((e) => e.name).sort();
  let pointer: VersionPointer | null = null;
  let pointerProblem: string | null = null;
  try {
    pointer = await readPointer(root);
  } catch (error) {
    pointerProblem = messageOf(error);
  }
  const everCurrent = new Set([
    ...(pointer ? [pointer.current, ...pointer.history, ...(pointer.retired ?? [])] : []),
  ]);
  const versions: VersionHealth[] = [];
  for (const version of await listVersions(root)) {
    const dir = join(root, version);
    let problem: string | null = null;
    let card: ModelCard | null = null;
    try {
      card = (await checkModelFolder(dir)).card;
    } catch (error) {
      problem = messageOf(error);
      card = await readCard(dir).catch(() => null);
    }
    versions.push({
      version,
      ok: problem === null,
      problem,
      card,
      current: version === pointer?.current,
      promoted: pointer ? everCurrent.has(version) : null,
    });
  }
  if (pointer) {
    const target = versions.find((v) => v.version === pointer!.current);
    const problem = await versionProblem(root, pointer.current);
    if (problem || !target) {
      pointerProblem = pointerProblemText(root, pointer.current, problem ?? "missing");
    } else if (!target.ok) {
      pointerProblem = `${
        join(root, POINTER)
      } names ${pointer.current}, which is broken: ${target.problem}`;
    }
  }
  let shadow: string[] = [];
  try {
    shadow = await readShadow(root);
  } catch (error) {
    pointerProblem ??= messageOf(error);
  }
  // A shadow that names a missing or broken version is said, as the current one is (issue 23 #18).
  for (const version of shadow) {
    if (pointerProblem) break;
    const problem = await versionProblem(root, version);
    const target = versions.find((v) => v.version === version);
    if (problem || !target) {
      pointerProblem = `${join(root, SHADOW_FILE)} names ${version}, which is ${
        problem ?? "missing"
      }: plugins run no such shadow; set the shadow versions again with models shadow`;
    } else if (!target.ok) {
      pointerProblem = `${
        join(root, SHADOW_FILE)
      } names ${version}, which is broken: ${target.problem}`;
    }
  }
  return { root, pointer, pointerProblem, versions, interrupted, strays, shadow };
}

/** What a file-system entry is, in words, for error lines. */
function kind(info: Deno.FileInfo): string {
  return info.isDirectory ? "a folder" : info.isSymlink ? "a symbolic link" : "a file";
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    if (error instanceof Deno.errors.NotADirectory) return null; // a file above it: found below
    throw error;
  }
}

/**
 * Checks, before any long work, that a new version can be written under the
 * model root `root`: every existing folder on the way is a folder, the
 * process may write there (Deno's permissions and the file system's), and the
 * next version's path is free. Leaves nothing behind; returns the next
 * version. A problem is one `DataError` naming the path.
 *
 * @example
 * ```ts
 * await checkVersionWritable("models/lstm"); // "v3" when v1 and v2 exist
 * ```
 */
export async function checkVersionWritable(root: string): Promise<string> {
  // The nearest existing path at or above root must be a folder.
  let existing = root;
  let firstMissing: string | null = null;
  let info = await statOrNull(existing);
  while (!info) {
    firstMissing = existing;
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
    info = await statOrNull(existing);
  }
  if (info && !info.isDirectory) {
    throw new DataError(
      existing === root
        ? `Expected ${root} to be a folder of model versions, found ${kind(info)}`
        : `Expected ${existing} to be a folder (it is on the way to ${root}), found ${kind(info)}`,
    );
  }
  const status = await Deno.permissions.query({ name: "write", path: root });
  if (status.state !== "granted") {
    throw new DataError(
      `Expected write access to ${root}, found none (the deno task may write under models/ only: use a --model-dir inside it, or run cli.ts with --allow-write=${root})`,
    );
  }
  // The file system's say: create (and remove) a probe where the version will go.
  try {
    if (firstMissing === null) {
      const probe = await Deno.makeTempFile({ dir: root, prefix: ".write-check-" });
      await Deno.remove(probe);
    } else {
      await Deno.mkdir(firstMissing);
      await Deno.remove(firstMissing).catch(() => {});
    }
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new DataError(`Expected to be able to write in ${firstMissing ?? root}, found: ${why}`);
  }
  const next = await nextVersion(root);
  const taken = await Deno.lstat(join(root, next)).catch(() => null);
  if (taken) {
    throw new DataError(
      `Expected ${join(root, next)} to be free for the new version, found ${
        kind(taken)
      }; move it away`,
    );
  }
  return next;
}

/**
 * Removes the temporary files and folders killed runs left under the model
 * root `root` (`vN.tmp-*`, `current.json.tmp-*`; only those whose writer is
 * gone: see `sweepStaleTemps`), saying so through `log`; returns their paths.
 *
 * @example
 * ```ts
 * await sweepModelRoot("models/lstm", console.error);
 * ```
 */
export async function sweepModelRoot(
  root: string,
  log?: (line: string) => void,
): Promise<string[]> {
  const swept = await sweepStaleTemps(root);
  if (swept.length) {
    log?.(
      `removed ${swept.length} temporary ${
        swept.length === 1 ? "entry" : "entries"
      } left by interrupted runs: ${swept.map((p) => relative(root, p)).join(", ")}`,
    );
  }
  return swept;
}

/**
 * What `train` and `retrain` do first: check that a version can be written
 * under `root` ({@linkcode checkVersionWritable}), then remove what killed
 * runs left there ({@linkcode sweepModelRoot}). Returns the next version.
 *
 * @example
 * ```ts
 * await readyModelRoot("models/lstm", console.error); // "v3"
 * ```
 */
export async function readyModelRoot(
  root: string,
  log?: (line: string) => void,
): Promise<string> {
  const next = await checkVersionWritable(root);
  await sweepModelRoot(root, log);
  return next;
}
