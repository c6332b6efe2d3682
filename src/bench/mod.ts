/**
 * The benchmark behind `deno task bench`: the seed's workload (the `lstm` architecture, 958
 * windows of 60 × 10, batch 32, Adam 0.001, binary cross-entropy) on synthetic inputs of exactly
 * that shape, for each implementation and backend: seconds per training epoch with the product's
 * training loop, single-sequence latency, batch-256 throughput and peak resident memory, each row
 * in a process of its own (`measure.ts`); then the time from spawning a fresh process to its first
 * signal from a saved model (`cold_start.ts`). A benchmark: nothing here is asserted.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { cpus } from "node:os";
import {
  type BackendMeasurement,
  type WebGpuAdapterInfo,
  webgpuAdapterInfo,
} from "../model/backend.ts";
import { UsageError } from "../util/errors.ts";
import {
  type BenchBackend,
  type ChildSpec,
  type Impl,
  LARGE_WORKLOAD,
  median,
  type Row,
  type RowResult,
  ROWS,
  WORKLOAD,
} from "./workload.ts";
import type { ColdStartReport } from "./cold_start.ts";
import { childFailure, runChild } from "./child.ts";
import { saveWorkloadModel } from "./model.ts";
import type { BenchReport, BenchWorkload, ColdStart, Machine, Skipped } from "./report.ts";
import { benchUniverse, type UniverseBenchRow } from "./universe.ts";
import { benchShadow } from "./shadow.ts";
import { benchStudy, type StudyBench } from "./study.ts";
import { plural } from "./report.ts";

export {
  BENCH_BACKENDS,
  type BenchBackend,
  type Impl,
  IMPLS,
  LARGE_WORKLOAD,
  type Row,
  type RowResult,
} from "./workload.ts";
export {
  type BenchReport,
  type BenchWorkload,
  type ColdStart,
  formatBenchReport,
  type Machine,
  type Skipped,
} from "./report.ts";

/**
 * Options of {@linkcode runBench}.
 *
 * @example
 * ```ts
 * const options: BenchOptions = { quick: true, impls: ["fast"], backends: ["wasm"] };
 * ```
 */
export interface BenchOptions {
  /** A short run: 64-window warm-up, 1 timed epoch of 256 windows (scaled), 50 calls, 1 cold start. */
  quick?: boolean;
  /** The implementations to run (default all). */
  impls?: readonly Impl[];
  /** The backends to run (default all that are available; naming `webgpu` runs a software adapter). */
  backends?: readonly BenchBackend[];
  /** Timed epochs per row (default 3; quick 1). Given, it also applies to the reduced rows. */
  epochs?: number;
  /** Timed single-sequence predictions (default 200; quick 50). */
  calls?: number;
  /** Run the large-batch rows (batch 1024, 100k windows; default true). */
  large?: boolean;
  /** Collect the fused path's phase timers in each row (`--profile`; default false). */
  profile?: boolean;
  /** Called with each progress line, the children's stderr included (default: none). */
  log?: (line: string) => void;
  /** Run the universe row (500 synthetic symbols; `src/bench/universe.ts`; default: unless quick). */
  universe?: boolean;
  /** Run the study rows and the PyTorch anchor (`src/bench/study.ts`; default: unless quick or `large` is false). */
  study?: boolean;
  /** Run only the study rows and the anchor (no seed rows, cold start, shadow or universe row). */
  studyOnly?: boolean;
}

/** What {@linkcode runBench} returns. */
export interface BenchResult {
  /** The report (`--json` prints it). */
  report: BenchReport;
  /** Child processes that failed (rows and the cold start); the command exits 1 when nonzero. */
  failed: number;
}

const COLD_START_INCLUDES =
  "spawning `deno run --allow-read src/bench/cold_start.ts` (an untimed run first fills Deno's " +
  "transpile cache; no type check), importing mod.ts with TensorFlow.js, loading the saved model " +
  "(CPU backend to hold the weights, fused-kernel predictor), generating synthetic SPY bars and " +
  "feeding them one by one to createLstmSignal's onBar until the first ok signal";

/** Settings of a run, from the options. */
interface Settings {
  quick: boolean;
  epochs: number;
  epochsGiven: boolean;
  calls: number;
  callsGiven: boolean;
  coldRuns: number;
  profile: boolean;
}

/** Rounds to `digits` decimals for the JSON (timings are not precise to a nanosecond). */
const round = (value: number, digits: number): number => Number(value.toFixed(digits));

/** What one row's child is asked to do, and why it differs from the run's settings. */
function specFor(
  row: Row,
  s: Settings,
  adapter: WebGpuAdapterInfo | null,
  modelDir: string,
): { spec: ChildSpec; note?: string } {
  const spec: ChildSpec = {
    impl: row.impl,
    backend: row.backend,
    workload: row.workload,
    batchSize: row.workload === "large" ? LARGE_WORKLOAD.batchSize : WORKLOAD.batchSize,
    profile: s.profile,
    warmupWindows: s.quick ? 64 : WORKLOAD.trainSequences,
    epochWindows: s.quick ? 256 : WORKLOAD.trainSequences,
    epochs: s.epochs,
    warmupCalls: s.quick ? 10 : 20,
    calls: s.calls,
    batchMinMs: s.quick ? 300 : 2000,
    modelDir,
    seed: 42,
  };
  if (row.workload === "large") {
    // A few batches of 1024, scaled to the 100k-window epoch: a full epoch takes minutes on CPU.
    const batches = s.quick ? 1 : 4;
    spec.warmupWindows = LARGE_WORKLOAD.batchSize;
    spec.epochWindows = batches * LARGE_WORKLOAD.batchSize;
    if (!s.epochsGiven) spec.epochs = 1;
    return {
      spec,
      note: `large batch: warm-up on one batch of ${LARGE_WORKLOAD.batchSize}, ${
        plural(spec.epochs, "timed epoch")
      } of ${spec.epochWindows} windows scaled to ${LARGE_WORKLOAD.trainSequences}; no predictions`,
    };
  }
  if (row.impl === "stock" && row.backend === "cpu" && !s.quick) {
    spec.warmupWindows = 64;
    if (!s.epochsGiven) spec.epochs = 1;
    return {
      spec,
      note: `stock layers on the pure-JS CPU backend (~30 s an epoch): warm-up on 64 windows, ${
        spec.epochs === 1 ? "1 timed epoch" : `median of ${spec.epochs} timed epochs`
      }${s.epochsGiven ? "" : " (--epochs N times N)"}`,
    };
  }
  if (row.backend === "webgpu" && adapter?.software) {
    spec.warmupWindows = 32;
    spec.epochWindows = 64;
    if (!s.epochsGiven) spec.epochs = 1;
    spec.warmupCalls = 3;
    if (!s.callsGiven) spec.calls = 20;
    spec.batchMinMs = 0;
    return {
      spec,
      note: `SOFTWARE WebGPU adapter (${adapter.description}): runs on the CPU, not GPU speed; ` +
        `reduced run: warm-up on 32 windows, ${
          plural(spec.epochs, "timed epoch")
        } of 64 windows scaled ` +
        `to ${WORKLOAD.trainSequences}, ${spec.calls} calls, one timed batch`,
    };
  }
  return { spec };
}

function loadAvg(): number | null {
  try {
    return round(Deno.loadavg()[0], 2);
  } catch {
    return null;
  }
}

function machine(): Machine {
  let cpuModel = "unknown";
  try {
    cpuModel = cpus()[0]?.model.trim() || cpuModel; // node:os, under --allow-sys
  } catch {
    // no --allow-sys
  }
  let memoryGb: number | null = null;
  try {
    memoryGb = Math.round(Deno.systemMemoryInfo().total / 2 ** 30);
  } catch {
    // no --allow-sys
  }
  return {
    cpus: navigator.hardwareConcurrency,
    cpuModel,
    os: `${Deno.build.os} ${Deno.build.arch}`,
    memoryGb,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    tfjs: tf.version.tfjs,
    loadAvg1m: { start: loadAvg(), end: null },
  };
}

function rounded(r: RowResult): RowResult {
  const maybe = (v: number | null, digits: number): number | null =>
    v === null ? null : round(v, digits);
  return {
    ...r,
    trainEpochS: round(r.trainEpochS, 4),
    predict1MsP50: maybe(r.predict1MsP50, 4),
    predict1MsP99: maybe(r.predict1MsP99, 4),
    predictBatchPerS: maybe(r.predictBatchPerS, 1),
    ...(r.profile
      ? {
        profile: Object.fromEntries(
          Object.entries(r.profile).map(([k, v]) => [k, round(v, 2)]),
        ),
      }
      : {}),
    peakRssMb: round(r.peakRssMb, 1),
    epochTimesS: r.epochTimesS.map((s) => round(s, 4)),
    ...(r.predictBatchPerSPredictor === undefined
      ? {}
      : { predictBatchPerSPredictor: round(r.predictBatchPerSPredictor, 1) }),
  };
}

/** Times `runs` fresh cold-start probes after an untimed one; null when one fails. */
async function coldStart(
  modelDir: string,
  runs: number,
  log: (line: string) => void,
): Promise<ColdStart | null> {
  log(
    `bench: cold start, ${plural(runs, "fresh process", "fresh processes")} after an untimed one`,
  );
  const probe = ["run", "--allow-read", "src/bench/cold_start.ts", modelDir];
  const runsMs: number[] = [];
  const childMs: number[] = [];
  let barsFed = 0;
  for (let i = 0; i <= runs; i++) {
    const run = await runChild(probe);
    if (run.code !== 0 || run.line === null || run.lineMs === null) {
      log(`bench: cold start ${childFailure(run)}`);
      return null;
    }
    const report = JSON.parse(run.line) as ColdStartReport;
    log(`  cold start ${i === 0 ? "(untimed)" : i}: ${run.lineMs.toFixed(0)} ms`);
    if (i === 0) continue;
    runsMs.push(run.lineMs);
    childMs.push(report.firstSignalMs);
    barsFed = report.barsFed;
  }
  return {
    ms: round(median(runsMs), 1),
    runsMs: runsMs.map((ms) => round(ms, 1)),
    childMs: childMs.map((ms) => round(ms, 1)),
    barsFed,
    includes: COLD_START_INCLUDES,
  };
}

/**
 * Runs the benchmark: each selected row (see `ROWS`) in a child process of its own, then the cold
 * start, with a scratch model in a temporary folder under `/tmp` (removed afterwards). WebGPU rows
 * are skipped without an adapter, and with a software one unless `backends` names `webgpu`.
 * Throws a {@linkcode UsageError} when `impls` and `backends` select no row. A row or cold start
 * that fails is reported (in `skipped`, or `coldStart: null`) and counted in `failed`.
 *
 * @example
 * ```ts
 * const { report, failed } = await runBench({ quick: true, impls: ["fast"], backends: ["wasm"] });
 * console.log(report.results[0].trainEpochS, report.coldStartMs, failed);
 * ```
 */
export async function runBench(options: BenchOptions = {}): Promise<BenchResult> {
  const log = options.log ?? (() => {});
  const quick = options.quick ?? false;
  const settings: Settings = {
    quick,
    epochs: options.epochs ?? (quick ? 1 : 3),
    epochsGiven: options.epochs !== undefined,
    calls: options.calls ?? (quick ? 50 : 200),
    callsGiven: options.calls !== undefined,
    coldRuns: quick ? 1 : 3,
    profile: options.profile ?? false,
  };
  const { impls, backends } = options;
  const studyOnly = options.studyOnly ?? false;
  const selected = studyOnly
    ? []
    : ROWS.filter((r) =>
      (impls === undefined || impls.includes(r.impl)) &&
      (backends === undefined || backends.includes(r.backend)) &&
      (r.workload === "seed" || options.large !== false)
    );
  if (selected.length === 0 && !studyOnly) {
    throw new UsageError(
      `Expected --impl and --backend to select a row, found none (rows: ${
        [...new Set(ROWS.map((r) => `${r.impl}/${r.backend}`))].join(", ")
      })`,
    );
  }
  const host = machine();
  const skipped: Skipped[] = [];
  const tmp = await Deno.makeTempDir({ dir: "/tmp", prefix: "lstm-bench-" });
  const modelDir = join(tmp, "model");
  try {
    const adapter = selected.some((r) => r.backend === "webgpu") ? await webgpuAdapterInfo() : null;
    const plan: { row: Row; spec: ChildSpec; note?: string }[] = [];
    for (const row of selected) {
      if (row.backend === "webgpu" && !adapter) {
        skipped.push({ ...row, reason: "no WebGPU adapter (navigator.gpu.requestAdapter())" });
      } else if (row.backend === "webgpu" && adapter?.software && row.workload === "large") {
        skipped.push({
          ...row,
          reason: `only a software WebGPU adapter (${adapter.description}): a batch of 1024 ` +
            `takes it minutes (stock layers more), and says nothing about a GPU`,
        });
      } else if (row.backend === "webgpu" && adapter?.software && !backends?.includes("webgpu")) {
        skipped.push({
          ...row,
          reason: `only a software WebGPU adapter (${adapter.description}), which runs on the ` +
            `CPU at ~130 s an epoch: run it with --backend webgpu (a reduced run)`,
        });
      } else {
        plan.push({ row, ...specFor(row, settings, adapter, modelDir) });
      }
    }
    if (!studyOnly) {
      log(`bench: saving a model of the workload's shape in ${modelDir}`);
      await saveWorkloadModel(modelDir);
    }

    const results: RowResult[] = [];
    let failed = 0;
    for (const [i, { row, spec, note }] of plan.entries()) {
      const name = `${row.impl}/${row.backend}${row.workload === "large" ? " (batch 1024)" : ""}`;
      log(`bench: [${i + 1}/${plan.length}] ${name}${note ? ` (${note})` : ""}`);
      const run = await runChild(
        ["run", "--allow-read", "src/bench/measure.ts", JSON.stringify(spec), "--hold"],
        { hold: true, echo: (line) => log(`  ${name}: ${line}`) },
      );
      if (run.code !== 0 || run.line === null) {
        failed++;
        skipped.push({ ...row, reason: childFailure(run) });
        log(`bench: ${name} ${childFailure(run)}`);
        continue;
      }
      const result = JSON.parse(run.line) as RowResult;
      if (run.vmHwmMb !== null) {
        result.peakRssMb = run.vmHwmMb;
        result.peakRssSource = "VmHWM";
      }
      if (note) result.note = note;
      results.push(rounded(result));
    }

    const cold = studyOnly ? null : await coldStart(modelDir, settings.coldRuns, log);
    const shadow = studyOnly ? undefined : await benchShadow(modelDir, tmp, { log });
    if (shadow === null) failed++;
    let universe: UniverseBenchRow | null | undefined;
    if (!studyOnly && (options.universe ?? !quick)) {
      universe = await benchUniverse({ log });
      if (universe === null) failed++;
    }
    if (cold === null && !studyOnly) failed++;
    let study: StudyBench | null | undefined;
    if (studyOnly || (options.study ?? (!quick && options.large !== false))) {
      study = await benchStudy({ quick, log });
      if (study === null) failed++;
    }
    host.loadAvg1m.end = loadAvg();
    const workload: BenchWorkload = {
      ...WORKLOAD,
      warmupEpochs: 1,
      epochsMeasured: settings.epochs,
      epochWindows: quick ? 256 : WORKLOAD.trainSequences,
      validation: "1 window per epoch, inside the epoch timing (trainModel needs one)",
      predictCalls: settings.calls,
      predictWarmupCalls: quick ? 10 : 20,
      quick,
    };
    const report: BenchReport = {
      workload,
      machine: host,
      results,
      skipped,
      coldStartMs: cold?.ms ?? null,
      coldStart: cold,
      ...(shadow !== undefined ? { shadow } : {}),
      ...(universe !== undefined ? { universe } : {}),
      ...(study !== undefined ? { study } : {}),
    };
    return { report, failed };
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/**
 * The training rows of a bench report as `--backend auto` reads measurements (see
 * `chooseAutoBackend` in `src/model/backend.ts`): a library user on a GPU machine passes them to
 * `selectBackend("auto", { measurements })` so that auto decides by this machine's numbers.
 * Software-adapter rows are left out (they say nothing about a GPU).
 *
 * @example
 * ```ts
 * const { report } = await runBench({ backends: ["wasm", "webgpu"] });
 * await selectBackend("auto", { measurements: measurementsFromBench(report), log: console.error });
 * ```
 */
export function measurementsFromBench(report: BenchReport): BackendMeasurement[] {
  return report.results
    .filter((r) => r.backend !== "webgpu" || (r.adapter !== undefined && !r.adapter.software))
    .map((r) => ({
      backend: r.backend,
      kernel: r.impl === "stock" ? "stock" : "fast",
      ...(r.adapter ? { adapter: r.adapter.description } : {}),
      workload: { batchSize: r.batchSize, lstmUnits: report.workload.lstmUnits },
      sequencesPerS: r.epochSequences / r.trainEpochS,
      source: `deno task bench: ${r.impl}/${r.backend} on ${report.machine.cpuModel}`,
    }));
}
