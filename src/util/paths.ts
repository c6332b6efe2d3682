/**
 * Paths checked before any long work: a folder that must be a folder (not a
 * file, and no file on the way to it), and a file that the process can
 * create. Each problem is one `DataError` naming the path, instead of the
 * operating system's "Not a directory (os error 20)" with no path, later.
 *
 * @module
 */

import { dirname } from "node:path";
import { DataError } from "./errors.ts";

/** What a file-system entry is, in words. */
function kind(info: Deno.FileInfo): string {
  return info.isDirectory ? "a folder" : "a file";
}

/** The entry at `path`, or `null` when there is none (or a file above it hides it). */
function statSync(path: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return null;
    }
    throw error;
  }
}

/**
 * The nearest existing path at or above `path` and the first missing one
 * below it (`null` when `path` exists).
 */
function nearestExisting(
  path: string,
): { existing: string; info: Deno.FileInfo | null; missing: string | null } {
  let existing = path;
  let missing: string | null = null;
  let info = statSync(existing);
  while (!info) {
    const parent = dirname(existing);
    if (parent === existing) break;
    missing = existing;
    existing = parent;
    info = statSync(existing);
  }
  return { existing, info, missing };
}

/**
 * Checks that `path` is a folder or can become one: a file at `path`, or a
 * file on the way to it, is one `DataError` naming it (instead of the
 * operating system's "Not a directory" with no path, later). `role` says what
 * the folder is for.
 *
 * @example
 * ```ts
 * checkFolder("data", "the data cache"); // throws when data is a file
 * ```
 */
export function checkFolder(path: string, role: string): void {
  const { existing, info } = nearestExisting(path);
  if (info && !info.isDirectory) {
    throw new DataError(
      existing === path
        ? `Expected ${path} (${role}) to be a folder, found ${kind(info)}`
        : `Expected ${existing} to be a folder (it is on the way to ${role} ${path}), found ${
          kind(info)
        }`,
    );
  }
}

/**
 * Checks, before any long work, that a file can be written at `path`: it is
 * not a folder, every existing folder on the way is a folder, and the file
 * system lets this process create a file there (a probe, removed at once).
 * Leaves nothing behind; a problem is one `DataError` naming the path and
 * `flag`.
 *
 * @example
 * ```ts
 * checkWritableFile("reports/spy.html", "--report");
 * ```
 */
export function checkWritableFile(path: string, flag: string): void {
  const at = statSync(path);
  if (at?.isDirectory) {
    throw new DataError(`Expected ${flag} ${path} to be a file name, found a folder`);
  }
  const dir = dirname(path) || ".";
  const { existing, info, missing } = nearestExisting(dir);
  if (info && !info.isDirectory) {
    throw new DataError(
      `Expected ${existing} to be a folder (it is on the way to ${flag} ${path}), found ${
        kind(info)
      }`,
    );
  }
  try {
    if (missing === null && info) {
      Deno.removeSync(Deno.makeTempFileSync({ dir, prefix: ".write-check-" }));
    } else if (missing !== null) {
      Deno.mkdirSync(missing);
      Deno.removeSync(missing);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      throw error;
    }
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new DataError(`Expected to be able to write ${flag} ${path}, found: ${why}`);
  }
}
