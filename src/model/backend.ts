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
import { tfjsWasmPath } from "../util/assets.ts";

/**
 * Backends `--backend` accepts; `auto` picks WebGPU only where a bench measurement says the fused
 * WebGPU kernels train the workload faster than the fused WASM ones ({@linkcode chooseAutoBackend}),
 * else WASM.
 */
export const BACKENDS = ["wasm", "webgpu", "cpu", "auto"] as const;
/** A backend name as `--backend` accepts it. */
export type BackendName = typeof BACKENDS[number];

/** Options of {@linkcode selectBackend}. */
export interface SelectBackendOptions {
  /** Let tfjs's own warnings through to stderr (default false: silenced). */
  verbose?: boolean;
  /** Called with a line to show the user (for `auto`'s choice); default: none. */
  log?: (line: string) => void;
  /** The training workload `auto` decides for (default: the seed's, {@linkcode SEED_WORKLOAD}). */
  workload?: AutoWorkload;
  /**
   * Bench measurements `auto` decides with (default: {@linkcode RECORDED_MEASUREMENTS}); a
   * library user can pass those of `deno task bench --json` on their own machine
   * (`measurementsFromBench` in `src/bench/mod.ts`).
   */
  measurements?: readonly BackendMeasurement[];
}

/** The shape of a training workload, as `auto` matches it against measurements. */
export interface AutoWorkload {
  /** Sequences per batch. */
  batchSize: number;
  /** Units of the recurrent layers. */
  lstmUnits: number;
}

/** The seed's workload: batch 32, 50 units (60 × 10 windows, the `lstm` architecture). */
export const SEED_WORKLOAD: AutoWorkload = { batchSize: 32, lstmUnits: 50 };

/** One bench row as `auto` reads it: a backend's training speed on a workload, on some adapter. */
export interface BackendMeasurement {
  /** The tfjs backend. */
  backend: "wasm" | "webgpu" | "cpu";
  /** Which recurrent kernels ran: the fused ones or stock tfjs layers. */
  kernel: "fast" | "stock";
  /** For webgpu: the adapter's description (`webgpuAdapterInfo().description`). */
  adapter?: string;
  /** The workload measured. */
  workload: AutoWorkload;
  /** Training throughput: sequences per second (an epoch's windows / its seconds). */
  sequencesPerS: number;
  /** Where the number comes from (machine, date, command). */
  source: string;
}

/**
 * Measurements recorded by this project's bench runs (README, speed section). None has the
 * fused WebGPU kernels on a hardware GPU yet, so `auto` keeps WASM everywhere; a run of
 * `deno task bench --backend wasm,webgpu` on a GPU machine that finds them faster adds its rows
 * here (or a library user passes them to `selectBackend`).
 */
export const RECORDED_MEASUREMENTS: readonly BackendMeasurement[] = [
  {
    backend: "wasm",
    kernel: "fast",
    workload: SEED_WORKLOAD,
    sequencesPerS: 958 / 0.6,
    source: "2-core AMD EPYC, fused kernels on two cores (issue 12's table)",
  },
  {
    backend: "webgpu",
    kernel: "stock",
    adapter: "NVIDIA H100",
    workload: SEED_WORKLOAD,
    sequencesPerS: 958 / 46.5,
    source: "NVIDIA H100, driver 580, stock tfjs layers (README)",
  },
];

/** What {@linkcode chooseAutoBackend} decided, and why (one line). */
export interface AutoDecision {
  /** The backend to use. */
  backend: "wasm" | "webgpu";
  /** Why, for the user. */
  reason: string;
}

/** Whether a measurement was made on a workload like `w` (batch and units within 2×). */
function sameWorkload(m: AutoWorkload, w: AutoWorkload): boolean {
  const near = (a: number, b: number): boolean => a <= 2 * b && b <= 2 * a;
  return near(m.batchSize, w.batchSize) && near(m.lstmUnits, w.lstmUnits);
}

/**
 * The rule behind `--backend auto`, as a pure function: WebGPU only when a hardware (not
 * software or fallback) adapter exists AND a bench measurement of the fused WebGPU kernels on
 * that adapter (its description contains the measurement's `adapter`) for a workload like this
 * one (batch size and units within 2×) trained more sequences per second than the best fused
 * WASM measurement for such a workload; otherwise WASM. The reason says which case held.
 *
 * @example
 * ```ts
 * chooseAutoBackend(null, SEED_WORKLOAD, RECORDED_MEASUREMENTS).backend; // "wasm"
 * ```
 */
export function chooseAutoBackend(
  adapter: WebGpuAdapterInfo | null,
  workload: AutoWorkload,
  measurements: readonly BackendMeasurement[],
): AutoDecision {
  const shape = `batch ${workload.batchSize}, ${workload.lstmUnits} units`;
  if (adapter === null) return { backend: "wasm", reason: "no WebGPU adapter" };
  if (adapter.software) {
    return {
      backend: "wasm",
      reason: `only a software or fallback WebGPU adapter (${adapter.description})`,
    };
  }
  const like = measurements.filter((m) => sameWorkload(m.workload, workload));
  const best = (list: BackendMeasurement[]): BackendMeasurement | null =>
    list.reduce<BackendMeasurement | null>(
      (a, m) => (a === null || m.sequencesPerS > a.sequencesPerS ? m : a),
      null,
    );
  const gpu = best(
    like.filter((m) =>
      m.backend === "webgpu" && m.kernel === "fast" && m.adapter !== undefined &&
      adapter.description.toLowerCase().includes(m.adapter.toLowerCase())
    ),
  );
  const wasm = best(like.filter((m) => m.backend === "wasm" && m.kernel === "fast"));
  if (gpu === null) {
    return {
      backend: "wasm",
      reason: `no bench measurement of the fused WebGPU kernels on ${adapter.description} for ` +
        `${shape} (deno task bench --backend wasm,webgpu measures them); --backend webgpu to use it`,
    };
  }
  const rate = (m: BackendMeasurement): string => `${m.sequencesPerS.toFixed(0)} sequences/s`;
  if (wasm !== null && wasm.sequencesPerS >= gpu.sequencesPerS) {
    return {
      backend: "wasm",
      reason: `bench measured the fused WASM kernels faster for ${shape}: ${rate(wasm)} against ` +
        `${rate(gpu)} on ${gpu.adapter}`,
    };
  }
  return {
    backend: "webgpu",
    reason: `bench measured the fused WebGPU kernels faster for ${shape}: ${rate(gpu)} on ` +
      `${gpu.adapter}${
        wasm === null ? " (no WASM measurement)" : ` against ${rate(wasm)} on WASM`
      }`,
  };
}

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
    // Under Deno tfjs runs in its Node mode and reads the binary with fs: give a path.
    const path = tfjsWasmPath();
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
 * `webgpu` needs a WebGPU adapter (`navigator.gpu`). `auto` decides by
 * {@linkcode chooseAutoBackend}: WebGPU only where bench measured the fused WebGPU kernels faster
 * than the fused WASM ones for a workload like `options.workload` on this adapter, else WASM (so
 * far everywhere: no such measurement exists yet). It reports its choice and why through `log`.
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
    const decision = chooseAutoBackend(
      await webgpuAdapterInfo(),
      options.workload ?? SEED_WORKLOAD,
      options.measurements ?? RECORDED_MEASUREMENTS,
    );
    chosen = decision.backend;
    options.log?.(`backend: auto chose ${chosen} (${decision.reason})`);
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
