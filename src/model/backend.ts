/**
 * TensorFlow.js backend selection: WASM (single-threaded SIMD, binaries read
 * from the installed npm package, never a CDN), WebGPU when an adapter exists,
 * and the pure-JS CPU backend as the fallback. Also keeps tfjs's console
 * chatter off the terminal unless `verbose` is set.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { DataError } from "../util/errors.ts";

/** Backends `--backend` accepts; `auto` picks WebGPU on a real adapter, else WASM. */
export const BACKENDS = ["wasm", "webgpu", "cpu", "auto"] as const;
/** A backend name as `--backend` accepts it. */
export type BackendName = typeof BACKENDS[number];

/** Options of {@linkcode selectBackend}. */
export interface SelectBackendOptions {
  /** Let tfjs's own warnings through to stderr (default false: silenced). */
  verbose?: boolean;
  /** Called with a line to show the user (for `auto`'s choice); default: none. */
  log?: (line: string) => void;
}

const WASM_FILE = "tfjs-backend-wasm-simd.wasm";

/**
 * Runs `fn` with `console.warn`/`console.log`/`console.info` from tfjs
 * dropped, or routed to stderr when `verbose` is set.
 *
 * @example
 * ```ts
 * const model = await quietly(() => buildModel("lstm", { inputShape: [60, 10] }));
 * ```
 */
export async function quietly<T>(fn: () => T | Promise<T>, verbose = false): Promise<T> {
  const saved = { warn: console.warn, log: console.log, info: console.info };
  const sink = verbose ? (...args: unknown[]) => saved.warn(...args) : () => {};
  console.warn = sink;
  console.log = sink;
  console.info = sink;
  try {
    return await fn();
  } finally {
    Object.assign(console, saved);
  }
}

interface Adapter {
  isFallbackAdapter?: boolean;
  info?: { description?: string; device?: string };
}

async function gpuAdapter(): Promise<Adapter | null> {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return null;
  try {
    return (await gpu.requestAdapter()) as Adapter | null;
  } catch {
    return null;
  }
}

/** A fallback adapter, or a software rasteriser that does not call itself one (Mesa llvmpipe). */
function isSoftware(adapter: Adapter): boolean {
  const text = `${adapter.info?.description ?? ""} ${adapter.info?.device ?? ""}`;
  return adapter.isFallbackAdapter === true || /llvmpipe|lavapipe|swiftshader|software/i.test(text);
}

/** A WebGPU adapter as reports describe it. */
export interface WebGpuAdapterInfo {
  /** The adapter's description (e.g. `llvmpipe (LLVM 15.0.6, 256 bits)`), or its device. */
  description: string;
  /** A fallback adapter or a software rasteriser: WebGPU runs on the CPU, no GPU speed. */
  software: boolean;
}

/**
 * The WebGPU adapter `navigator.gpu` offers, or `null` when there is none.
 *
 * @example
 * ```ts
 * const adapter = await webgpuAdapterInfo();
 * if (adapter?.software) console.log(`software WebGPU: ${adapter.description}`);
 * ```
 */
export async function webgpuAdapterInfo(): Promise<WebGpuAdapterInfo | null> {
  const adapter = await gpuAdapter();
  if (!adapter) return null;
  const description = adapter.info?.description || adapter.info?.device || "unknown adapter";
  return { description, software: isSoftware(adapter) };
}

async function activate(name: "wasm" | "webgpu" | "cpu", verbose: boolean): Promise<void> {
  if (name === "wasm") {
    const file = new URL(
      WASM_FILE,
      import.meta.resolve(`@tensorflow/tfjs-backend-wasm/dist/${WASM_FILE}`),
    );
    // Under Deno tfjs runs in its Node mode and reads the binary with fs: give a path.
    const path = decodeURIComponent(file.pathname);
    setWasmPaths({
      "tfjs-backend-wasm.wasm": path,
      "tfjs-backend-wasm-simd.wasm": path,
      "tfjs-backend-wasm-threaded-simd.wasm": path,
    });
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  }
  if (name === "webgpu") await import("@tensorflow/tfjs-backend-webgpu");
  const ok = await quietly(async () => {
    const started = await tf.setBackend(name);
    await tf.ready();
    // The CPU backend greets Node users on its first tensor: let that happen here, silenced.
    if (started) tf.tidy(() => tf.scalar(0));
    return started;
  }, verbose);
  if (!ok) {
    throw new DataError(`Expected the ${name} backend to start, found it failed to initialise`);
  }
}

/**
 * Makes `name` the active tfjs backend and returns the backend actually used.
 * `webgpu` needs a WebGPU adapter (`navigator.gpu`). `auto` picks WASM, where the fused LSTM/GRU
 * kernels run, even when a hardware WebGPU adapter exists: on an NVIDIA H100 tfjs's WebGPU
 * backend trained the seed's model at 46 s an epoch and predicted one window in 610 ms, against
 * 0.5-0.7 s and 0.2 ms for the fused kernels on two CPU cores (the README's speed section). It
 * reports its choice through `log`.
 *
 * @example
 * ```ts
 * const used = await selectBackend("auto", { log: console.error }); // "wasm"
 * ```
 */
export async function selectBackend(
  name: BackendName,
  options: SelectBackendOptions = {},
): Promise<"wasm" | "webgpu" | "cpu"> {
  const verbose = options.verbose ?? false;
  let chosen: "wasm" | "webgpu" | "cpu";
  if (name === "auto") {
    const adapter = await gpuAdapter();
    chosen = "wasm";
    const why = !adapter
      ? "no WebGPU adapter"
      : isSoftware(adapter)
      ? "only a software or fallback WebGPU adapter"
      : "the fused WASM kernels outrun tfjs's WebGPU LSTM even on a data-centre GPU; --backend webgpu to use it";
    options.log?.(`backend: auto chose ${chosen} (${why})`);
  } else {
    chosen = name;
    if (chosen === "webgpu" && !(await gpuAdapter())) {
      throw new DataError(
        "Expected a WebGPU adapter for --backend webgpu, found none (try --backend wasm)",
      );
    }
  }
  if (tf.engine().backendName !== chosen) await activate(chosen, verbose);
  return chosen;
}

/**
 * Selects the default WASM backend unless some backend was already selected.
 *
 * @example
 * ```ts
 * await ensureBackend(); // before predicting in a script that never chose one
 * ```
 */
export async function ensureBackend(): Promise<string> {
  const current = tf.engine().backendName;
  if (current) return current;
  return await selectBackend("wasm");
}
