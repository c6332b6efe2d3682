/**
 * The human-readable text of a bench report (what `deno task bench` prints without `--json`).
 *
 * @module
 */

import { formatTable } from "../util/table.ts";
import type { BenchBackend, Impl, RowResult, WORKLOAD, WorkloadName } from "./workload.ts";
import { formatUniverseRow, type UniverseBenchRow } from "./universe.ts";
import { formatStudy, type StudyBench } from "./study.ts";
import { formatShadowRow, type ShadowBenchRow } from "./shadow.ts";

/** The machine a run measured. */
export interface Machine {
  /** Logical cores (`navigator.hardwareConcurrency`). */
  cpus: number;
  /** The first core's model name, or `"unknown"` without `--allow-sys=cpus`. */
  cpuModel: string;
  /** `"<os> <arch>"`. */
  os: string;
  /** Total memory, GiB rounded; null without `--allow-sys=systemMemoryInfo`. */
  memoryGb: number | null;
  /** Deno's version. */
  deno: string;
  /** V8's version. */
  v8: string;
  /** TensorFlow.js's version. */
  tfjs: string;
  /** The 1-minute load average before and after the run; null without `--allow-sys=loadavg`. */
  loadAvg1m: { start: number | null; end: number | null };
}

/** A row that did not run or failed, and why. */
export interface Skipped {
  /** The implementation. */
  impl: Impl;
  /** The backend. */
  backend: BenchBackend;
  /** The workload. */
  workload: WorkloadName;
  /** Why. */
  reason: string;
}

/** The cold start: spawning a fresh process → its first signal from a saved model. */
export interface ColdStart {
  /** Median of `runsMs`. */
  ms: number;
  /** Each timed fresh process: spawn → its first signal line on stdout, ms. */
  runsMs: number[];
  /** The probes' own `performance.now()` at the first signal (ms since their time origin). */
  childMs: number[];
  /** Bars fed before the first ok signal. */
  barsFed: number;
  /** What the time covers. */
  includes: string;
}

/** The workload as run: {@linkcode WORKLOAD} and this run's settings. */
export type BenchWorkload = typeof WORKLOAD & {
  /** Untimed epochs before the timed ones. */
  warmupEpochs: number;
  /** Timed epochs per row (reduced rows may differ: see their `note`). */
  epochsMeasured: number;
  /** Windows per timed epoch (scaled to 958 when fewer). */
  epochWindows: number;
  /** How validation is counted. */
  validation: string;
  /** Timed single-sequence predictions. */
  predictCalls: number;
  /** Untimed single-sequence predictions before them. */
  predictWarmupCalls: number;
  /** Whether this was a `--quick` run. */
  quick: boolean;
};

/** What `deno task bench --json` prints. */
export interface BenchReport {
  /** The workload and this run's settings. */
  workload: BenchWorkload;
  /** The machine. */
  machine: Machine;
  /** One entry per row that ran, in the order of `ROWS`. */
  results: RowResult[];
  /** Rows that were not measured (unavailable, or failed), and why. */
  skipped: Skipped[];
  /** `coldStart.ms`, or null when the cold start failed. */
  coldStartMs: number | null;
  /** The cold start, or null when it failed. */
  coldStart: ColdStart | null;
  /** The plugin's cost per bar with 0, 1 and 2 shadow versions (`src/bench/shadow.ts`); null when it failed. */
  shadow?: ShadowBenchRow | null;
  /** The universe row (`src/bench/universe.ts`), when it ran; null when it failed. */
  universe?: UniverseBenchRow | null;
  /** The study rows and the PyTorch anchor (`src/bench/study.ts`), when they ran; null: failed. */
  study?: StudyBench | null;
}

/**
 * `n word`, or `n words` (or `n many`) unless `n` is 1.
 *
 * @example
 * ```ts
 * plural(3, "fresh process", "fresh processes"); // "3 fresh processes"
 * ```
 */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

function fixed(value: number | null, digits: number): string {
  return value !== null && Number.isFinite(value) ? value.toFixed(digits) : "-";
}

/** Sequences per second a row trains. */
function trainRate(r: RowResult): number {
  return r.epochSequences / r.trainEpochS;
}

/**
 * The results table; the "×" columns (relative to stock/wasm on the seed's workload: training
 * throughput in sequences per second, so the large-batch rows compare too) only when that row ran.
 */
function resultsTable(results: RowResult[]): string {
  const base = results.find((r) =>
    r.impl === "stock" && r.backend === "wasm" && r.workload === "seed"
  );
  const times = (x: number | null): string =>
    base && x !== null ? `${fixed(x, x >= 10 ? 0 : 1)}×` : base ? "-" : "";
  const ratio = (a: number | null, b: number | null): number | null =>
    a === null || b === null ? null : a / b;
  const header = [
    "impl",
    "backend",
    "batch",
    "build",
    "epoch s",
    base ? "×" : "",
    "predict1 p50 ms",
    "p99 ms",
    base ? "×" : "",
    "batch seq/s",
    base ? "×" : "",
    "peak RSS MB",
  ];
  const rows = results.map((r) => [
    r.impl,
    r.adapter?.software ? `${r.backend} (software)` : r.backend,
    r.workload === "large" ? `${r.batchSize} (100k)` : String(r.batchSize),
    r.kernelBuild ?? "",
    fixed(r.trainEpochS, r.trainEpochS >= 10 ? 1 : 3),
    base ? times(trainRate(r) / trainRate(base)) : "",
    fixed(r.predict1MsP50, (r.predict1MsP50 ?? 0) >= 100 ? 0 : 3),
    fixed(r.predict1MsP99, (r.predict1MsP99 ?? 0) >= 100 ? 0 : 3),
    base ? times(ratio(base.predict1MsP50, r.predict1MsP50)) : "",
    fixed(r.predictBatchPerS, 0),
    base ? times(ratio(r.predictBatchPerS, base.predictBatchPerS)) : "",
    fixed(r.peakRssMb, 0),
  ]);
  const all = [header, ...rows];
  const keep = header.map((_, c) => all.some((row) => row[c] !== ""));
  const align = header.map((_, c): "left" | "right" => (c < 4 ? "left" : "right"));
  const drop = <T>(row: T[]): T[] => row.filter((_, c) => keep[c]);
  return formatTable(all.map(drop), { align: drop(align) });
}

/** The `--profile` lines of a row: ms per epoch of each phase, largest first. */
function profileLines(r: RowResult): string[] {
  if (!r.profile) return [];
  const entries = Object.entries(r.profile).filter(([k]) => k !== "split.pausedCalls");
  entries.sort((a, b) => b[1] - a[1]);
  const paused = r.profile["split.pausedCalls"];
  return [
    `  ${r.impl}/${r.backend}${r.workload === "large" ? " (batch 1024)" : ""}: ` +
    entries.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ") +
    (paused ? `; ${paused.toFixed(0)} calls per epoch ran unsplit (worker judged slower)` : ""),
  ];
}

/**
 * The report as text: the workload, the machine, a table of the rows (with columns relative to
 * stock/wasm when it ran), the cold start, and notes on reduced, skipped or failed rows.
 *
 * @example
 * ```ts
 * const { report } = await runBench({ quick: true, impls: ["fast"], backends: ["wasm"] });
 * console.log(formatBenchReport(report));
 * ```
 */
export function formatBenchReport(report: BenchReport): string {
  const { workload: w, machine: host, results, skipped, coldStart } = report;
  const machineLine = `machine: ${host.cpus} × ${host.cpuModel}, ${host.os}${
    host.memoryGb === null ? "" : `, ${host.memoryGb} GB`
  }; deno ${host.deno}, v8 ${host.v8}, tfjs ${host.tfjs}; load ${
    host.loadAvg1m.start?.toFixed(2) ?? "?"
  } → ${host.loadAvg1m.end?.toFixed(2) ?? "?"}`;
  if (results.length === 0 && skipped.length === 0 && report.study !== undefined) {
    return [machineLine, "", formatStudy(report.study)].join("\n"); // --study-only
  }
  const lines = [
    `workload: ${w.arch}: ${w.layers}`,
    `  ${w.trainSequences} sequences of ${w.sequenceLength}×${w.nFeatures}, batch ${w.batchSize}, Adam lr ${w.learningRate}, binary cross-entropy; ` +
    `${plural(w.warmupEpochs, "warm-up epoch")} + ${w.epochsMeasured} timed (median)${
      w.quick ? ` of ${w.epochWindows} windows scaled to ${w.trainSequences}` : ""
    }; validation 1 window per epoch inside the timing`,
    `  predict1: ${w.predictCalls} calls after ${w.predictWarmupCalls} warm-up (fast: the plugin's predictWindow; stock: model.predict + dataSync); batch: ${w.predictBatchSize}`,
    `  large batch rows: the same model, batch 1024, epoch of 100 000 windows (timed on a few batches, scaled); training only`,
    `  × columns: relative to stock/wasm on the seed's workload (training: sequences per second); build: the kernel build (relaxed or plain SIMD)`,
    machineLine,
    "",
    results.length ? resultsTable(results) : "(no row ran)",
    "",
    coldStart
      ? `cold start → first signal: ${coldStart.ms.toFixed(0)} ms (median of ${
        plural(coldStart.runsMs.length, "fresh process", "fresh processes")
      }: ${coldStart.runsMs.map((ms) => ms.toFixed(0)).join(", ")} ms)\n` +
        `  covers: deno start (module cache warm), importing mod.ts with TensorFlow.js, ` +
        `loading the saved model, ${coldStart.barsFed} synthetic bars through the plugin's ` +
        `onBar (indicator warm-up + one window), the first prediction`
      : "cold start: failed",
  ];
  const label = (r: { impl: string; backend: string; workload: WorkloadName }): string =>
    `${r.impl}/${r.backend}${r.workload === "large" ? " (batch 1024)" : ""}`;
  const notes = [
    ...results.filter((r) => r.note).map((r) => `  ${label(r)}: ${r.note}`),
    ...skipped.map((s) => `  ${label(s)} not measured: ${s.reason}`),
  ];
  if (notes.length) lines.push("", "notes:", ...notes);
  if (report.shadow !== undefined) lines.push("", formatShadowRow(report.shadow));
  if (report.universe !== undefined) lines.push("", formatUniverseRow(report.universe));
  if (report.study !== undefined) lines.push("", formatStudy(report.study));
  const profiles = results.flatMap(profileLines);
  if (profiles.length) {
    lines.push(
      "",
      "profile (ms per epoch; batch.total is the whole trainOnBatch, the step.*, split.* and " +
        "worker.* phases lie inside it):",
      ...profiles,
    );
  }
  return lines.join("\n");
}
