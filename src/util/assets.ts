/**
 * The one place that finds files shipped with the module (the TensorFlow.js
 * WASM binaries, the fused-kernel WASM, a model carried in a compiled
 * binary). Paths are resolved relative to the module root through
 * `import.meta.dirname`, which works both from source and inside a binary
 * built by `deno compile --include …` (its embedded files keep their paths
 * relative to the project root).
 *
 * @module
 */

import { isAbsolute, join } from "node:path";

/** The module's root folder (where `deno.json` and `mod.ts` are). */
export const MODULE_ROOT: string = join(import.meta.dirname ?? ".", "..", "..");

/**
 * The absolute path of a file shipped with the module, given its path
 * relative to the module root.
 *
 * @example
 * ```ts
 * assetPath("node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm");
 * ```
 */
export function assetPath(relative: string): string {
  return isAbsolute(relative) ? relative : join(MODULE_ROOT, relative);
}

/**
 * Resolves a user-given path: as given (relative to the working directory)
 * when it exists there, else relative to the module root, where a compiled
 * binary carries its embedded files (a model included with `--model`).
 *
 * @example
 * ```ts
 * await locate("models/lstm"); // "models/lstm", or "<binary root>/models/lstm"
 * ```
 */
export async function locate(path: string): Promise<string> {
  if (isAbsolute(path)) return path;
  try {
    await Deno.stat(path);
    return path;
  } catch {
    const embedded = assetPath(path);
    try {
      await Deno.stat(embedded);
      return embedded;
    } catch {
      return path;
    }
  }
}
