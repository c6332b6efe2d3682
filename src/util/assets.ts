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
 * The path of TensorFlow.js's WASM backend binary (the SIMD build) in the installed package:
 * the project's `node_modules`, Deno's npm cache, or a compiled binary's embedded copy. It is
 * resolved from a full `npm:` specifier (the version of `deno.json`'s import map), so it needs
 * no import map: it works from this project, from a bot that imports the module by path, and
 * from JSR, where `deno publish` rewrites the bare names of imports but not the argument of
 * `import.meta.resolve`.
 *
 * @example
 * ```ts
 * tfjsWasmPath(); // ".../@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm"
 * ```
 */
export function tfjsWasmPath(): string {
  const url = import.meta.resolve(
    "npm:@tensorflow/tfjs-backend-wasm@4.22.0/dist/tfjs-backend-wasm-simd.wasm",
  );
  return decodeURIComponent(new URL(url).pathname);
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
