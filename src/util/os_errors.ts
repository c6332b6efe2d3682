/**
 * Operating-system errors in the house style: Deno's "Not a directory (os
 * error 20): mkdir 'data/x'" becomes "Expected data to be a folder (it is on
 * the way to data/x), found a file". Used by `messageOf`, so every command's
 * one error line names the path and what was expected.
 *
 * @module
 */

import { dirname } from "node:path";

const OS_ERROR = /^(.*?) \(os error (\d+)\)(?:: (\w+) '([^']*)'(?: -> '([^']*)')?)?$/;

/** The nearest path at or above `path` that exists and is not a folder, if any. */
function fileOnTheWay(path: string): string | undefined {
  let p = path;
  for (;;) {
    try {
      return Deno.statSync(p).isDirectory ? undefined : p;
    } catch {
      // missing, not reachable, or no read permission: look further up
    }
    const parent = dirname(p);
    if (parent === p) return undefined;
    p = parent;
  }
}

/**
 * One house-style line for a Deno operating-system error (`Deno.errors.*`
 * with "(os error N)" in its message), or `undefined` for anything else.
 *
 * @example
 * ```ts
 * osErrorMessage(new Error("File exists (os error 17): mkdir 'data'"));
 * // "Expected data to be a folder, found a file"
 * ```
 */
export function osErrorMessage(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const match = OS_ERROR.exec(error.message.split("\n")[0]);
  if (!match) return undefined;
  const [, text, code, op, path, target] = match;
  if (path === undefined) return undefined; // no path to name: the caller's context must
  const file = fileOnTheWay(path);
  switch (Number(code)) {
    case 17: // EEXIST
      if (op === "mkdir") return `Expected ${path} to be a folder, found a file`;
      return `Expected ${target ?? path} not to exist, found one`;
    case 20: // ENOTDIR
      if (file === path) return `Expected ${path} to be a folder, found a file`;
      if (file) {
        return `Expected ${file} to be a folder (it is on the way to ${path}), found a file`;
      }
      return `Expected every folder on the way to ${path} to be a folder, found a file`;
    case 21: // EISDIR
      return `Expected ${path} to be a file, found a folder`;
    case 13: // EACCES
    case 1: // EPERM
      return `Expected permission to ${op} ${path}, found it refused by the file system`;
    case 28: // ENOSPC
      return `Expected room to write ${path}, found the disk full`;
    case 30: // EROFS
      return `Expected to write ${path}, found a read-only file system`;
    default:
      return `Expected to ${op} ${path}, found: ${text} (os error ${code})`;
  }
}
