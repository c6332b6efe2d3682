/**
 * File-system helpers that never leave a half-written file or folder behind:
 * everything is written under a temporary name next to its destination and
 * then renamed, which is atomic on the same file system.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { DataError } from "./errors.ts";

function tempName(path: string): string {
  const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e9).toString(36)}`;
  return `${path}.tmp-${suffix}`;
}

/**
 * Writes `data` to `path` atomically: a temporary sibling file is written,
 * flushed and renamed over `path`. The parent folder is created if needed.
 *
 * @example
 * ```ts
 * await atomicWriteFile("data/SPY_1d.csv", "Date,Close\n");
 * ```
 */
export async function atomicWriteFile(path: string, data: string | Uint8Array): Promise<void> {
  await Deno.mkdir(dirname(path) || ".", { recursive: true });
  const tmp = tempName(path);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true });
    try {
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
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
  try {
    await fill(tmp);
    if (options.overwrite && (await exists(path))) {
      const old = tempName(path);
      await Deno.rename(path, old);
      await Deno.rename(tmp, path);
      await Deno.remove(old, { recursive: true });
    } else {
      await Deno.rename(tmp, path);
    }
  } catch (error) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw error;
  }
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
