/**
 * File-system helpers that never leave a half-written file or folder behind:
 * everything is written under a temporary name next to its destination and
 * then renamed, which is atomic on the same file system.
 *
 * A temporary name says who wrote it: `<name>.tmp-<pid>-<random>` (a folder
 * displaced by an overwrite is `<name>.tmp-<pid>-<random>.old`). While it
 * writes, the writer holds an exclusive advisory lock on the temporary file
 * (on `.writer.lock` inside a temporary folder); the operating system drops
 * the lock when the process dies, however it dies, so
 * {@linkcode sweepStaleTemps} can tell a live writer's temporary file from a
 * killed one's without reading `/proc` (which Deno allows only with
 * `--allow-all`) and without being fooled by a reused process id.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { DataError } from "./errors.ts";

const TEMP_MARK = ".tmp-";
/** The lock file inside a temporary folder; removed before the folder is renamed. */
const DIR_LOCK = ".writer.lock";
/**
 * An entry that its writer may not have locked yet (an empty file, a folder holding nothing but
 * its lock file) is swept only once older than this; one whose writer had passed that point and
 * whose lock is free is proven dead and goes at once.
 */
const GRACE_MS = 5_000;
/** Temporary names from before the pid was in the name carry no lock: swept only when this old. */
const LEGACY_GRACE_MS = 10 * 60_000;
/** `<base>.tmp-<pid>-<random>[.old]`, or the older `<base>.tmp-<time><random>` (base 36). */
const TEMP_PATTERN = /^(.+)\.tmp-(?:(\d+)-([0-9a-z]+)(\.old)?|([0-9a-z]{9,}))$/;

function tempName(path: string): string {
  const random = Math.floor(Math.random() * 36 ** 6).toString(36).padStart(6, "0");
  return `${path}${TEMP_MARK}${Deno.pid}-${random}`;
}

const PAUSE_ENV = "LSTM_SIGNAL_TEST_PAUSE";
const TRACE_ENV = "LSTM_SIGNAL_TEST_TRACE";

/** A test-hook variable, read only where env access is already granted (never prompts). */
function hookEnv(name: string): string | undefined {
  try {
    const { state } = Deno.permissions.querySync({ name: "env", variable: name });
    return state === "granted" ? Deno.env.get(name) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A test hook for crash-consistency tests, at a named point between writing
 * and renaming. When the environment variable `LSTM_SIGNAL_TEST_TRACE` is set
 * it prints `lstm-signal-test: at <name>` on stderr; when
 * `LSTM_SIGNAL_TEST_PAUSE` lists `name` (comma-separated) it prints
 * `lstm-signal-test: paused at <name>` and sleeps for a minute, so a test
 * can kill the process exactly there. Without those variables (or without
 * env access) it does nothing.
 *
 * @example
 * ```ts
 * await testPause("cache-rename"); // between the metadata and the CSV rename
 * ```
 */
export async function testPause(name: string): Promise<void> {
  const pause = hookEnv(PAUSE_ENV)?.split(",").includes(name) ?? false;
  const trace = hookEnv(TRACE_ENV) !== undefined;
  if (!pause && !trace) return;
  const line = `lstm-signal-test: ${pause ? "paused at" : "at"} ${name}\n`;
  await Deno.stderr.write(new TextEncoder().encode(line));
  if (pause) await new Promise((resolve) => setTimeout(resolve, 60_000));
}

/** Options of {@linkcode atomicWriteFile}. */
export interface AtomicWriteOptions {
  /**
   * Called after the temporary file is written and flushed, just before it is
   * renamed over `path` (the caller's last chance to order other writes).
   */
  beforeRename?: () => Promise<void>;
}

/**
 * Writes `data` to `path` atomically: a temporary sibling file is written,
 * flushed and renamed over `path`. The parent folder is created if needed.
 * The temporary file is locked while it is written, so a sweep by another
 * process leaves it alone.
 *
 * @example
 * ```ts
 * await atomicWriteFile("data/SPY_1d.csv", "Date,Close\n");
 * ```
 */
export async function atomicWriteFile(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  await checkFileTarget(path);
  await Deno.mkdir(dirname(path) || ".", { recursive: true });
  const tmp = tempName(path);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true });
    try {
      await file.lock(true);
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
      await options.beforeRename?.();
      await Deno.rename(tmp, path);
    } finally {
      file.close(); // releases the lock
    }
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw namingReal(error, tmp, path);
  }
}

/** The error with the temporary name in its message replaced by the real one. */
function namingReal(error: unknown, tmp: string, path: string): unknown {
  if (error instanceof Error && error.message.includes(tmp)) {
    try {
      error.message = error.message.replaceAll(`'${tmp}' -> '${path}'`, `'${path}'`)
        .replaceAll(tmp, path);
    } catch {
      return new DataError(error.message.replaceAll(tmp, path), { cause: error });
    }
  }
  return error;
}

/**
 * Checks, before anything is written, that a file can be written at `path`:
 * a folder there, or a file on the way to it, is a {@linkcode DataError}
 * naming the path. A missing file (and missing folders) is fine.
 *
 * @example
 * ```ts
 * await checkFileTarget("data/u5.tickers.txt"); // throws when it is a folder
 * ```
 */
export async function checkFileTarget(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    if (error instanceof Deno.errors.NotADirectory) {
      throw new DataError(
        `Expected every folder on the way to ${path} to be a folder, found a file`,
      );
    }
    throw error;
  }
  if (info.isDirectory) throw new DataError(`Expected ${path} to be a file, found a folder`);
}

/**
 * Fills a new folder atomically: `fill` writes into a temporary sibling folder,
 * which is renamed to `path` only when `fill` succeeds. Throws if `path` already
 * exists and `overwrite` is not set (then the old folder is replaced).
 *
 * @example
 * ```ts
 * await atomicWriteDir("models/lstm/v3", async (tmp) => {
 *   await Deno.writeTextFile(`${tmp}/model.json`, "{}");
 * });
 * ```
 */
export async function atomicWriteDir(
  path: string,
  fill: (tmpDir: string) => Promise<void>,
  options: { overwrite?: boolean } = {},
): Promise<void> {
  if (!options.overwrite && (await exists(path))) {
    throw new Error(`Expected ${path} not to exist, found an existing folder`);
  }
  await Deno.mkdir(dirname(path) || ".", { recursive: true });
  const tmp = tempName(path);
  await Deno.mkdir(tmp);
  const lockPath = join(tmp, DIR_LOCK);
  let lock: Deno.FsFile | undefined;
  try {
    lock = await Deno.open(lockPath, { write: true, createNew: true });
    await lock.lock(true);
    await fill(tmp);
    // The lock file stays until the folder has its real name, so a sweep can tell this live
    // writer from a killed one at any moment; the finished folder then drops it (still held).
    await testPause("dir-rename");
    if (options.overwrite && (await exists(path))) {
      const old = `${tempName(path)}.old`;
      await Deno.rename(path, old);
      await Deno.rename(tmp, path);
      await Deno.remove(old, { recursive: true });
    } else {
      await Deno.rename(tmp, path);
    }
    await Deno.remove(join(path, DIR_LOCK)).catch(() => {});
  } catch (error) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw error;
  } finally {
    lock?.close();
  }
}

/** Whether the lock at `path` is free (nobody holds it), `undefined` when there is no such file. */
async function lockIsFree(path: string): Promise<boolean | undefined> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    return false; // cannot tell: treat as held
  }
  try {
    return await file.tryLock(true);
  } catch {
    return false;
  } finally {
    file.close();
  }
}

/**
 * Whether a writer had taken its lock: it locks a temporary file before writing its first byte,
 * and a temporary folder's lock file before filling it (and keeps that file until the folder
 * has its real name), so content there means the lock was taken.
 */
async function pastLock(path: string, info: Deno.FileInfo): Promise<boolean> {
  if (!info.isDirectory) return info.size > 0;
  return (await entries(path)).some((entry) => entry.name !== DIR_LOCK);
}

/**
 * Whether a temporary entry's writer is gone: nobody holds its lock, and either the writer had
 * taken it (so it is dead, however young the entry: issue 23 #20) or the entry is old enough.
 */
async function isStale(path: string, info: Deno.FileInfo, legacy: boolean): Promise<boolean> {
  if (legacy) return age(info) >= LEGACY_GRACE_MS;
  const free = await lockIsFree(info.isDirectory ? join(path, DIR_LOCK) : path);
  if (free === false) return false; // a live writer holds it
  return age(info) >= GRACE_MS || await pastLock(path, info);
}

async function sweepOne(dir: string, name: string, removed: string[]): Promise<void> {
  const match = TEMP_PATTERN.exec(name);
  if (!match) return;
  const path = join(dir, name);
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch {
    return;
  }
  const legacy = match[5] !== undefined;
  const displaced = match[4] !== undefined;
  if (displaced) {
    // A whole folder moved aside by an overwrite. If the writer died before
    // moving the new one in, the destination is missing: put the old one back.
    if (age(info) < GRACE_MS) return;
    const destination = join(dir, match[1]);
    if (!(await exists(destination))) {
      await Deno.rename(path, destination).catch(() => {});
      return;
    }
  } else if (!(await isStale(path, info, legacy))) {
    return;
  }
  try {
    await Deno.remove(path, { recursive: true });
    removed.push(path);
  } catch {
    // Best effort: gone already, or not ours to remove (permissions).
  }
}

function age(info: Deno.FileInfo): number {
  return Date.now() - (info.mtime?.getTime() ?? Date.now());
}

async function entries(dir: string): Promise<Deno.DirEntry[]> {
  const list: Deno.DirEntry[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) list.push(entry);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return [];
    }
    throw error;
  }
  return list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Removes the temporary files and folders that killed writers left in `dir`
 * and in its immediate subfolders (so `models/` reaches
 * `models/<name>/vN.tmp-*` and `current.json.tmp-*`), and returns their paths.
 * Only entries whose writer is gone are removed: a live writer holds a lock on
 * each of its temporary files (the operating system drops it when the process
 * dies, so a reused process id cannot fool the check), and an entry younger
 * than a few seconds is left alone. Temporary names of the older format (no
 * process id, no lock) go after ten minutes. A folder that an overwrite moved
 * aside (`*.tmp-<pid>-<random>.old`) is put back when its destination is
 * missing, else removed. A missing `dir` sweeps nothing.
 *
 * @example
 * ```ts
 * const removed = await sweepStaleTemps("data");
 * if (removed.length) console.error(`removed ${removed.length} stale temporary files`);
 * ```
 */
export async function sweepStaleTemps(dir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const entry of await entries(dir)) {
    if (TEMP_PATTERN.test(entry.name)) {
      await sweepOne(dir, entry.name, removed);
    } else if (entry.isDirectory) {
      const sub = join(dir, entry.name);
      for (const inner of await entries(sub)) await sweepOne(sub, inner.name, removed);
    }
  }
  return removed;
}

/**
 * Whether a file or folder exists at `path`.
 *
 * @example
 * ```ts
 * if (await exists("models/lstm/current")) console.log("a model is installed");
 * ```
 */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * The lowercase hex SHA-256 digest of `data`.
 *
 * @example
 * ```ts
 * await sha256Hex("abc"); // "ba7816bf…"
 * ```
 */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Joins path segments (re-exported so modules need one import for paths).
 *
 * @example
 * ```ts
 * joinPath("models", "lstm"); // "models/lstm"
 * ```
 */
export function joinPath(...parts: string[]): string {
  return join(...parts);
}

/**
 * Reads a JSON object from `path`. A missing file or content that is not a
 * JSON object gives one `DataError` naming the file.
 *
 * @example
 * ```ts
 * const value = await readJsonObject("models/lstm/v1/scaler.json");
 * ```
 */
export async function readJsonObject(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DataError(
        `Expected ${path} to exist, found no such file (is this a model folder?)`,
      );
    }
    throw error;
  }
  try {
    const value = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error();
    return value;
  } catch {
    throw new DataError(`Expected ${path} to hold a JSON object, found corrupted content`);
  }
}

/**
 * A held folder lock: release it (or let the process die) to let the next
 * holder in.
 *
 * @example
 * ```ts
 * const lock: FolderLock = await lockFolder("data", { what: "prepare writing in data" });
 * await lock.release();
 * ```
 */
export interface FolderLock {
  /** The folder locked. */
  path: string;
  /** Releases the lock (and removes the folder when this lock created it and it is still empty). */
  release(): Promise<void>;
}

/** Options of {@linkcode lockFolder}. */
export interface LockFolderOptions {
  /** What the lock guards, for messages ("prepare writing in data"). */
  what: string;
  /** How long to wait for another holder, in milliseconds (default 0: refuse at once). */
  waitMs?: number;
  /** Called once when another process holds the lock and this one waits. */
  onWait?: (message: string) => void;
}

/**
 * Takes an exclusive advisory lock on the folder `dir` itself (created when
 * missing), so writers of one folder take turns. No lock file is written:
 * the operating system drops the lock when the process dies, however it
 * dies, and a killed holder leaves nothing behind. When another process
 * holds it, waits up to `waitMs` (saying so once through `onWait`), then
 * refuses in one line. Where a folder cannot be locked (a platform without
 * folder locks) the lock is a no-op.
 *
 * @example
 * ```ts
 * const lock = await lockFolder("data", { what: "prepare writing in data", waitMs: 60_000 });
 * try {
 *   // read, merge and write the cache
 * } finally {
 *   await lock.release();
 * }
 * ```
 */
export async function lockFolder(dir: string, options: LockFolderOptions): Promise<FolderLock> {
  const created = !(await exists(dir));
  if (created) await Deno.mkdir(dir, { recursive: true });
  const undo = async (): Promise<void> => {
    if (created) await Deno.remove(dir).catch(() => {}); // only when still empty
  };
  let file: Deno.FsFile;
  try {
    file = await Deno.open(dir, { read: true });
  } catch {
    return { path: dir, release: undo }; // cannot open a folder here: no lock
  }
  const deadline = Date.now() + (options.waitMs ?? 0);
  let said = false;
  for (;;) {
    let held: boolean;
    try {
      held = await file.tryLock(true);
    } catch {
      file.close();
      return { path: dir, release: undo }; // no folder locks here
    }
    if (held) break;
    if (Date.now() >= deadline) {
      file.close();
      await undo();
      throw new DataError(
        `Expected no other ${options.what} running, found one holding ${dir}${
          options.waitMs ? ` after waiting ${Math.round(options.waitMs / 1000)} s` : ""
        }; run it again when that one is done`,
      );
    }
    if (!said) {
      said = true;
      options.onWait?.(`waiting for another ${options.what} to finish`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  let released = false;
  return {
    path: dir,
    async release(): Promise<void> {
      if (released) return;
      released = true;
      file.close(); // closing the folder releases the lock
      await undo();
    },
  };
}
