/**
 * `deno task bench`: the seed's workload (the `lstm` architecture, 958 windows of 60 × 10, batch
 * 32, Adam 0.001, binary cross-entropy) on synthetic inputs of exactly that shape, for each
 * implementation and backend: seconds per training epoch with the product's training loop,
 * single-sequence latency, batch-256 throughput and peak resident memory, each row in a process
 * of its own (`src/bench/measure.ts`); then the time from spawning a fresh process to its first
 * signal from a saved model (`src/bench/cold_start.ts`). A benchmark: nothing here is asserted.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { cpus } from "node:os";
import {
  type Command,
  numberFlag,
  parseFlags,
  printResult,
  progress,
  stringFlag,
} from "./common.ts";
import { generateSyntheticBars } from "../data/mod.ts";
import { computeFeatures, DEFAULT_FEATURES, fitScaler } from "../features/mod.ts";
import { buildModel } from "../model/architectures.ts";
import {
  quietly,
  selectBackend,
  type WebGpuAdapterInfo,
  webgpuAdapterInfo,
} from "../model/backend.ts";
import { saveModel } from "../model/store.ts";
import type { CardDraft } from "../model/card.ts";
import { MODULE_ROOT } from "../util/assets.ts";
import { UsageError } from "../util/errors.ts";
import {
  BENCH_BACKENDS,
  type BenchBackend,
  type ChildSpec,
  type Impl,
  IMPLS,
  median,
  type RowResult,
  ROWS,
  WORKLOAD,
} from "../bench/workload.ts";
import type { ColdStartReport } from "../bench/cold_start.ts";

const HELP = `Usage: deno task bench [--quick] [--json] [--impl LIST] [--backend LIST] [flags]

Runs the seed's workload (lstm: LSTM(50, seq) → Dropout(0.2) → LSTM(50) → Dropout →
Dense(25, relu) → Dense(1, sigmoid); 958 synthetic sequences of 60 × 10, batch 32, Adam 0.001,
binary cross-entropy) and prints, per implementation and backend, each in its own process:
  epoch s      seconds per training epoch with the product's loop (trainModel), median of the
               timed epochs after one warm-up epoch; validation is one window per epoch, inside
               the timing
  predict1     single-sequence latency p50/p99 after warm-up: the signal plugin's predictWindow
               for the fused kernels, model.predict + dataSync for stock layers
  batch        sequences per second predicted in batches of 256 (model.predict)
  peak RSS     the process's memory high-water mark (VmHWM; sampled RSS where /proc is missing)
and the cold start: spawning a fresh process → its first signal from a saved model.

Rows: stock/wasm, fast/wasm (the fused kernels on one core), fast-2core/wasm (each batch split
with a worker on the second core: what training does by default on 2+ cores),
stock/cpu (1 timed epoch after a 64-window warm-up: ~30 s an epoch; --epochs N times N),
fast/cpu, stock/webgpu (with a hardware adapter; a software adapter such as llvmpipe runs
only when --backend names webgpu, reduced: 64 windows timed and scaled, 20 calls).
A default run takes about 3 minutes on 2 cores.

Flags:
  --quick           a short run: 64-window warm-up, 1 timed epoch of 256 windows (scaled to
                    958), 50 calls, 0.3 s of batches, 1 cold start
  --impl LIST       ${IMPLS.join(",")} (default all)
  --backend LIST    ${BENCH_BACKENDS.join(",")} (default all that are available)
  --epochs N        timed epochs per row (default 3; --quick 1)
  --calls N         timed single-sequence predictions (default 200; --quick 50)
  --json            print one JSON object: { workload, machine, results, skipped, coldStartMs, coldStart }
  -h, --help        this text`;

/** The machine a run measured. */
interface Machine {
  cpus: number;
  cpuModel: string;
  os: string;
  memoryGb: number | null;
  deno: string;
  v8: string;
  tfjs: string;
  loadAvg1m: { start: number | null; end: number | null };
}

/** A row that did not run, and why. */
interface Skipped {
  impl: Impl;
  backend: BenchBackend;
  reason: string;
}

interface ColdStart {
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

const COLD_START_INCLUDES =
  "spawning `deno run --allow-read src/bench/cold_start.ts` (an untimed run first fills Deno's " +
  "transpile cache; no type check), importing mod.ts with TensorFlow.js, loading the saved model " +
  "(CPU backend to hold the weights, fused-kernel predictor), generating synthetic SPY bars and " +
  "feeding them one by one to createLstmSignal's onBar until the first ok signal";

/** Settings of a run, from the flags. */
interface Settings {
  quick: boolean;
  epochs: number;
  epochsGiven: boolean;
  calls: number;
  callsGiven: boolean;
  coldRuns: number;
}

function listFlag<T extends string>(
  flags: Record<string, unknown>,
  name: string,
  choices: readonly T[],
): T[] | null {
  const raw = stringFlag(flags as Record<string, string | boolean | undefined>, name);
  if (raw === undefined) return null;
  const items = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const item of items) {
    if (!(choices as readonly string[]).includes(item)) {
      throw new UsageError(
        `Expected --${name} to list some of ${choices.join(", ")}, found "${item}"`,
      );
    }
  }
  if (items.length === 0) throw new UsageError(`Expected --${name} to have a value, found none`);
  return items as T[];
}

/** What one row's child is asked to do, and why it differs from the run's settings. */
function specFor(
  row: { impl: Impl; backend: BenchBackend },
  s: Settings,
  adapter: WebGpuAdapterInfo | null,
  modelDir: string,
): { spec: ChildSpec; note?: string } {
  const spec: ChildSpec = {
    impl: row.impl,
    backend: row.backend,
    warmupWindows: s.quick ? 64 : WORKLOAD.trainSequences,
    epochWindows: s.quick ? 256 : WORKLOAD.trainSequences,
    epochs: s.epochs,
    warmupCalls: s.quick ? 10 : 20,
    calls: s.calls,
    batchMinMs: s.quick ? 300 : 2000,
    modelDir,
    seed: 42,
  };
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

/** Splits a byte stream into lines, calling `onLine` for each. */
async function eachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void | Promise<void>,
): Promise<void> {
  let buffered = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      await onLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  }
  if (buffered !== "") await onLine(buffered);
}

interface ChildRun {
  code: number;
  /** The first stdout line. */
  line: string | null;
  /** Spawn → first stdout line, ms. */
  lineMs: number | null;
  /** VmHWM of the child read while it held, MB. */
  vmHwmMb: number | null;
  /** The last lines of stderr. */
  stderrTail: string[];
}

/** The VmHWM of process `pid` (Linux), read with `cat` since Deno guards /proc without --allow-all. */
async function vmHwmMb(pid: number): Promise<number | null> {
  if (Deno.build.os !== "linux") return null;
  try {
    const { code, stdout } = await new Deno.Command("cat", {
      args: [`/proc/${pid}/status`],
      stdout: "piped",
      stderr: "null",
    }).output();
    const kb = new TextDecoder().decode(stdout).match(/^VmHWM:\s+(\d+)\s+kB/m);
    return code === 0 && kb ? Number(kb[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Runs `deno <args>` from the module root. With `hold`, the child keeps running after its first
 * stdout line until its stdin closes, so that its VmHWM can be read first.
 */
async function runChild(
  args: string[],
  options: { hold?: boolean; echo?: (line: string) => void } = {},
): Promise<ChildRun> {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: MODULE_ROOT,
    stdin: options.hold ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const stdin = options.hold ? child.stdin.getWriter() : null;
  const release = async (): Promise<void> => {
    await stdin?.close().catch(() => {});
  };
  const stderrTail: string[] = [];
  const err = eachLine(child.stderr, (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
    options.echo?.(line);
  });
  let line: string | null = null;
  let lineMs: number | null = null;
  let hwm: number | null = null;
  const out = eachLine(child.stdout, async (text) => {
    if (line !== null) return;
    lineMs = performance.now() - started;
    line = text;
    if (options.hold) hwm = await vmHwmMb(child.pid);
    await release();
  });
  await out;
  await release();
  const { code } = await child.status;
  await err;
  return { code, line, lineMs, vmHwmMb: hwm, stderrTail };
}

function failure(run: ChildRun): string {
  const last = run.stderrTail.filter((l) => l.trim() !== "").at(-1) ?? "no output";
  return `failed (exit ${run.code}): ${last.replace(/^error: /, "")}`;
}

/** Saves a model of the workload's shape (random weights) with what the signal plugin needs. */
async function saveWorkloadModel(dir: string): Promise<void> {
  await selectBackend("cpu");
  const model = await quietly(() =>
    buildModel("lstm", {
      inputShape: [WORKLOAD.sequenceLength, WORKLOAD.nFeatures],
      lstmUnits: WORKLOAD.lstmUnits,
      dropout: WORKLOAD.dropout,
      learningRate: WORKLOAD.learningRate,
      seed: 42,
    })
  );
  // A scaler fitted on synthetic SPY bars before 2024, so that the 2024 bars the cold-start probe
  // feeds are in distribution.
  const table = computeFeatures(
    generateSyntheticBars("SPY", { start: "2019-01-01", end: "2023-12-31" }),
    DEFAULT_FEATURES,
  );
  const rows = table.rows.slice(table.warmup);
  const range = {
    first: table.times[table.warmup],
    last: table.times[table.times.length - 1],
    rows: rows.length,
  };
  const metrics = { loss: NaN, accuracy: NaN };
  const card: CardDraft = {
    arch: "lstm",
    hyperparameters: {
      lstmUnits: WORKLOAD.lstmUnits,
      dropout: WORKLOAD.dropout,
      l2: 0,
      learningRate: WORKLOAD.learningRate,
      seed: 42,
      epochs: 0,
      batchSize: WORKLOAD.batchSize,
      patience: 0,
    },
    features: DEFAULT_FEATURES,
    sequenceLength: WORKLOAD.sequenceLength,
    nFeatures: WORKLOAD.nFeatures,
    horizon: 1,
    data: {
      source: "synthetic",
      ticker: "SPY",
      interval: "1d",
      ranges: { train: range, validation: range, test: range },
    },
    seed: 42,
    backend: "cpu",
    metrics: { train: metrics, validation: metrics, test: metrics },
    testBaseRate: 0.5,
    interrupted: false,
    bestEpoch: 0,
    epochsRun: 0,
  };
  await saveModel(dir, model, { card, scaler: fitScaler(rows, table.names), history: [] });
  model.dispose();
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

const plural = (n: number, word: string, many = `${word}s`): string =>
  `${n} ${n === 1 ? word : many}`;

/** Rounds to `digits` decimals for the JSON (timings are not precise to a nanosecond). */
const round = (value: number, digits: number): number => Number(value.toFixed(digits));

function rounded(r: RowResult): RowResult {
  return {
    ...r,
    trainEpochS: round(r.trainEpochS, 4),
    predict1MsP50: round(r.predict1MsP50, 4),
    predict1MsP99: round(r.predict1MsP99, 4),
    predictBatchPerS: round(r.predictBatchPerS, 1),
    peakRssMb: round(r.peakRssMb, 1),
    epochTimesS: r.epochTimesS.map((s) => round(s, 4)),
    ...(r.predictBatchPerSPredictor === undefined
      ? {}
      : { predictBatchPerSPredictor: round(r.predictBatchPerSPredictor, 1) }),
  };
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "-";
}

function table(results: RowResult[]): string {
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
  const width = header.map((_, c) => Math.max(...all.map((row) => row[c].length)));
  return all.map((row) =>
    row.map((cell, c) => (c < 2 ? cell.padEnd(width[c]) : cell.padStart(width[c])))
      .filter((_, c) => keep[c]).join("  ").trimEnd()
  ).join("\n");
}

/** Runs `deno task bench`. */
export const bench: Command = async (args: string[]): Promise<number> => {
  const { flags } = parseFlags(args, {
    quick: { type: "boolean" },
    impl: { type: "string" },
    backend: { type: "string" },
    epochs: { type: "string" },
    calls: { type: "string" },
  });
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const quick = flags.quick === true;
  const settings: Settings = {
    quick,
    epochs: numberFlag(flags, "epochs", quick ? 1 : 3, { min: 1, max: 100, integer: true }),
    epochsGiven: flags.epochs !== undefined,
    calls: numberFlag(flags, "calls", quick ? 50 : 200, { min: 1, max: 100_000, integer: true }),
    callsGiven: flags.calls !== undefined,
    coldRuns: quick ? 1 : 3,
  };
  const impls = listFlag(flags, "impl", IMPLS);
  const backends = listFlag(flags, "backend", BENCH_BACKENDS);
  const selected = ROWS.filter((r) =>
    (impls === null || impls.includes(r.impl)) &&
    (backends === null || backends.includes(r.backend))
  );
  if (selected.length === 0) {
    throw new UsageError(
      `Expected --impl and --backend to select a row, found none (rows: ${
        ROWS.map((r) => `${r.impl}/${r.backend}`).join(", ")
      })`,
    );
  }
  const host = machine();
  const skipped: Skipped[] = [];
  let adapter: WebGpuAdapterInfo | null = null;
  const plan: { row: { impl: Impl; backend: BenchBackend }; spec: ChildSpec; note?: string }[] = [];
  const tmp = await Deno.makeTempDir({ dir: "/tmp", prefix: "lstm-bench-" });
  const modelDir = join(tmp, "model");
  try {
    if (selected.some((r) => r.backend === "webgpu")) adapter = await webgpuAdapterInfo();
    for (const row of selected) {
      if (row.backend === "webgpu") {
        if (!adapter) {
          skipped.push({ ...row, reason: "no WebGPU adapter (navigator.gpu.requestAdapter())" });
          continue;
        }
        if (adapter.software && !backends?.includes("webgpu")) {
          skipped.push({
            ...row,
            reason: `only a software WebGPU adapter (${adapter.description}), which runs on the ` +
              `CPU at ~130 s an epoch: run it with --backend webgpu (a reduced run)`,
          });
          continue;
        }
      }
      plan.push({ row, ...specFor(row, settings, adapter, modelDir) });
    }
    progress(`bench: saving a model of the workload's shape in ${modelDir}`);
    await saveWorkloadModel(modelDir);

    const results: RowResult[] = [];
    let failed = 0;
    for (const [i, { row, spec, note }] of plan.entries()) {
      const name = `${row.impl}/${row.backend}`;
      progress(`bench: [${i + 1}/${plan.length}] ${name}${note ? ` (${note})` : ""}`);
      const run = await runChild(
        ["run", "--allow-read", "src/bench/measure.ts", JSON.stringify(spec), "--hold"],
        { hold: true, echo: (line) => progress(`  ${name}: ${line}`) },
      );
      if (run.code !== 0 || run.line === null) {
        failed++;
        skipped.push({ ...row, reason: failure(run) });
        progress(`bench: ${name} ${failure(run)}`);
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

    progress(
      `bench: cold start, ${plural(settings.coldRuns, "fresh process", "fresh processes")} ` +
        "after an untimed one",
    );
    const probe = ["run", "--allow-read", "src/bench/cold_start.ts", modelDir];
    const runsMs: number[] = [];
    const childMs: number[] = [];
    let barsFed = 0;
    let coldStart: ColdStart | null = null;
    for (let i = 0; i <= settings.coldRuns; i++) {
      const run = await runChild(probe);
      if (run.code !== 0 || run.line === null || run.lineMs === null) {
        failed++;
        progress(`bench: cold start ${failure(run)}`);
        break;
      }
      const report = JSON.parse(run.line) as ColdStartReport;
      progress(`  cold start ${i === 0 ? "(untimed)" : i}: ${run.lineMs.toFixed(0)} ms`);
      if (i === 0) continue;
      runsMs.push(run.lineMs);
      childMs.push(report.firstSignalMs);
      barsFed = report.barsFed;
    }
    if (runsMs.length === settings.coldRuns) {
      coldStart = {
        ms: round(median(runsMs), 1),
        runsMs: runsMs.map((ms) => round(ms, 1)),
        childMs: childMs.map((ms) => round(ms, 1)),
        barsFed,
        includes: COLD_START_INCLUDES,
      };
    }
    host.loadAvg1m.end = loadAvg();

    const workload = {
      ...WORKLOAD,
      warmupEpochs: 1,
      epochsMeasured: settings.epochs,
      epochWindows: quick ? 256 : WORKLOAD.trainSequences,
      validation: "1 window per epoch, inside the epoch timing (trainModel needs one)",
      predictCalls: settings.calls,
      predictWarmupCalls: quick ? 10 : 20,
      quick,
    };
    const value = {
      workload,
      machine: host,
      results,
      skipped,
      coldStartMs: coldStart?.ms ?? null,
      coldStart,
    };
    printResult(flags, value, () => {
      const lines = [
        `workload: ${WORKLOAD.arch}: ${WORKLOAD.layers}`,
        `  ${WORKLOAD.trainSequences} sequences of ${WORKLOAD.sequenceLength}×${WORKLOAD.nFeatures}, batch ${WORKLOAD.batchSize}, Adam lr ${WORKLOAD.learningRate}, binary cross-entropy; ` +
        `1 warm-up epoch + ${settings.epochs} timed (median)${
          quick ? ` of ${workload.epochWindows} windows scaled to ${WORKLOAD.trainSequences}` : ""
        }; validation 1 window per epoch inside the timing`,
        `  predict1: ${settings.calls} calls after ${workload.predictWarmupCalls} warm-up (fast: the plugin's predictWindow; stock: model.predict + dataSync); batch: ${WORKLOAD.predictBatchSize}`,
        `machine: ${host.cpus} × ${host.cpuModel}, ${host.os}${
          host.memoryGb === null ? "" : `, ${host.memoryGb} GB`
        }; deno ${host.deno}, v8 ${host.v8}, tfjs ${host.tfjs}; load ${
          host.loadAvg1m.start?.toFixed(2) ?? "?"
        } → ${host.loadAvg1m.end?.toFixed(2) ?? "?"}`,
        "",
        results.length ? table(results) : "(no row ran)",
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
    });
    return failed ? 1 : 0;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
};
