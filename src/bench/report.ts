/**
 * The human-readable text of a bench report (what `deno task bench` prints without `--json`).
 *
 * @module
 */

import { formatTable } from "../util/table.ts";
import type { BenchReport } from "./mod.ts";
import type { RowResult } from "./workload.ts";

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

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "-";
}

/** The results table; the "×" columns (relative to stock/wasm) only when that row ran. */
function resultsTable(results: RowResult[]): string {
  const base = results.find((r) => r.impl === "stock" && r.backend === "wasm");
  const times = (x: number): string => (base ? `${fixed(x, x >= 10 ? 0 : 1)}×` : "");
  const header = [
    "impl",
    "backend",
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
    fixed(r.trainEpochS, r.trainEpochS >= 10 ? 1 : 3),
    base ? times(base.trainEpochS / r.trainEpochS) : "",
    fixed(r.predict1MsP50, r.predict1MsP50 >= 100 ? 0 : 3),
    fixed(r.predict1MsP99, r.predict1MsP99 >= 100 ? 0 : 3),
    base ? times(base.predict1MsP50 / r.predict1MsP50) : "",
    fixed(r.predictBatchPerS, 0),
    base ? times(r.predictBatchPerS / base.predictBatchPerS) : "",
    fixed(r.peakRssMb, 0),
  ]);
  const all = [header, ...rows];
  const keep = header.map((_, c) => all.some((row) => row[c] !== ""));
  const align = header.map((_, c): "left" | "right" => (c < 2 ? "left" : "right"));
  const drop = <T>(row: T[]): T[] => row.filter((_, c) => keep[c]);
  return formatTable(all.map(drop), { align: drop(align) });
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
  const lines = [
    `workload: ${w.arch}: ${w.layers}`,
    `  ${w.trainSequences} sequences of ${w.sequenceLength}×${w.nFeatures}, batch ${w.batchSize}, Adam lr ${w.learningRate}, binary cross-entropy; ` +
    `${plural(w.warmupEpochs, "warm-up epoch")} + ${w.epochsMeasured} timed (median)${
      w.quick ? ` of ${w.epochWindows} windows scaled to ${w.trainSequences}` : ""
    }; validation 1 window per epoch inside the timing`,
    `  predict1: ${w.predictCalls} calls after ${w.predictWarmupCalls} warm-up (fast: the plugin's predictWindow; stock: model.predict + dataSync); batch: ${w.predictBatchSize}`,
    `machine: ${host.cpus} × ${host.cpuModel}, ${host.os}${
      host.memoryGb === null ? "" : `, ${host.memoryGb} GB`
    }; deno ${host.deno}, v8 ${host.v8}, tfjs ${host.tfjs}; load ${
      host.loadAvg1m.start?.toFixed(2) ?? "?"
    } → ${host.loadAvg1m.end?.toFixed(2) ?? "?"}`,
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
  const notes = [
    ...results.filter((r) => r.note).map((r) => `  ${r.impl}/${r.backend}: ${r.note}`),
    ...skipped.map((s) => `  ${s.impl}/${s.backend} not measured: ${s.reason}`),
  ];
  if (notes.length) lines.push("", "notes:", ...notes);
  return lines.join("\n");
}
