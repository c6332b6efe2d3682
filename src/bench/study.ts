/**
 * The study rows of `deno task bench`: the universe studies' network (`paper`: one 25-unit LSTM
 * over 240 steps, dropout 0.1, Dense(1, sigmoid), RMSprop) at batch 512 on synthetic windows of
 * 240 × 3 (Ghosh, Neufeld & Sahoo: intraday, close-to-close and overnight returns) and 240 × 1
 * (Fischer & Krauss: one return), with the product's loop (`buildModel` + `trainModel`, the fused
 * step) on 1 thread and on every core; windows per second for training and for batch prediction
 * (`predictProbabilities`, batch 512), an epoch of 100,000 windows implied by that rate, and the
 * peak resident memory. Then the same shapes in PyTorch on the CPU (`torch_fk_anchor.py` beside
 * this file: one thread and every core) when Debian's PyTorch is installed, and the ratio. Each
 * measurement runs in a process of its own. A benchmark: nothing here is asserted.
 *
 * Run as a child: `deno run --allow-read src/bench/study.ts '<StudyChildSpec JSON>' --hold`.
 *
 * @module
 */

import { buildModel } from "../model/architectures.ts";
import { quietly, selectBackend } from "../model/backend.ts";
import { predictProbabilities, trainModel } from "../model/train.ts";
import type { WindowSet } from "../dataset/types.ts";
import { createRng } from "../util/random.ts";
import { MODULE_ROOT } from "../util/assets.ts";
import { childFailure, childMain, runChild } from "./child.ts";

/** The study workload's fixed shape. */
export const STUDY_WORKLOAD = {
  arch: "paper",
  layers: "LSTM(25) → Dropout(0.1) → Dense(1, sigmoid), RMSprop 0.001",
  sequenceLength: 240,
  lstmUnits: 25,
  dropout: 0.1,
  batchSize: 512,
  epochWindows: 100_000,
} as const;

/** What one study child measures. */
export interface StudyChildSpec {
  /** Features per step (3: the decide-at-the-open study; 1: Fischer & Krauss). */
  features: number;
  /** Threads of the fused training step (1: this thread only). */
  threads: number;
  /** Training windows timed after a one-batch warm-up (scaled to the 100,000-window epoch). */
  windows: number;
  /** Windows predicted in batches of 512 after an untimed batch. */
  predictWindows: number;
  /** Seed of the windows and the weights. */
  seed: number;
}

/** One study row: a shape on a thread count. */
export interface StudyRow extends StudyChildSpec {
  /** Training windows per second. */
  trainPerS: number;
  /** Seconds an epoch of 100,000 windows takes at that rate. */
  epochS: number;
  /** Windows per second predicted in batches of 512. */
  predictPerS: number;
  /** Peak resident memory, MB (VmHWM when the parent could read it). */
  peakRssMb: number;
  /** PyTorch CPU's training windows per second on the same shape and thread count, if measured. */
  torchPerS?: number;
  /** PyTorch CPU's batch-prediction windows per second on the same shape and threads, if measured. */
  torchPredictPerS?: number;
}

/** The study section of the bench report. */
export interface StudyBench {
  /** The workload. */
  workload: typeof STUDY_WORKLOAD;
  /** One row per shape and thread count. */
  rows: StudyRow[];
  /** Why the PyTorch anchor did not run (absent when it ran). */
  anchor?: string;
}

/** `n` windows of 240 × `features` standard-normal values with fair-coin labels. */
function windows(n: number, features: number, seed: number): WindowSet {
  const seqLen = STUDY_WORKLOAD.sequenceLength;
  const rng = createRng(seed);
  const x = new Float32Array(n * seqLen * features);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) y[i] = rng.next() < 0.5 ? 1 : 0;
  const refTimes = Array.from({ length: n }, () => "2020-01-01");
  return { x, y, refTimes, n, seqLen, nFeatures: features };
}

async function measureStudy(spec: StudyChildSpec): Promise<StudyRow> {
  await selectBackend("wasm");
  const { batchSize, sequenceLength, lstmUnits, dropout } = STUDY_WORKLOAD;
  const all = windows(spec.windows + batchSize, spec.features, spec.seed);
  const model = await quietly(() =>
    buildModel("paper", {
      inputShape: [sequenceLength, spec.features],
      lstmUnits,
      dropout,
      seed: spec.seed,
    })
  );
  const sub = (from: number, n: number): WindowSet => ({
    x: all.x.subarray(
      from * sequenceLength * spec.features,
      (from + n) * sequenceLength * spec.features,
    ),
    y: all.y.subarray(from, from + n),
    refTimes: all.refTimes.slice(from, from + n),
    n,
    seqLen: sequenceLength,
    nFeatures: spec.features,
  });
  const probe = sub(0, 1);
  const options = {
    batchSize,
    seed: spec.seed,
    secondCore: spec.threads > 1,
    threads: spec.threads,
  };
  await trainModel(model, { train: sub(0, batchSize), validation: probe }, {
    ...options,
    epochs: 1,
  });
  const t0 = performance.now();
  await trainModel(model, { train: sub(batchSize, spec.windows), validation: probe }, {
    ...options,
    epochs: 1,
  });
  const trainS = (performance.now() - t0) / 1000;
  const predictSet = sub(0, Math.min(spec.predictWindows, all.n));
  predictProbabilities(model, sub(0, batchSize), { batchSize });
  const p0 = performance.now();
  predictProbabilities(model, predictSet, { batchSize });
  const predictS = (performance.now() - p0) / 1000;
  model.dispose();
  const trainPerS = spec.windows / trainS;
  return {
    ...spec,
    trainPerS: Math.round(trainPerS),
    epochS: Number((STUDY_WORKLOAD.epochWindows / trainPerS).toFixed(1)),
    predictPerS: Math.round(predictSet.n / predictS),
    peakRssMb: Math.round(Deno.memoryUsage().rss / 2 ** 20),
  };
}

/** Debian's interpreter, which has `python3-torch` when the anchor is installed. */
const PYTHON = "/usr/bin/python3";
const INSTALL = "apt-get install -y python3-torch libopenblas0-pthread";

/**
 * PyTorch's training windows per second on a shape (`torch_fk_anchor.py`: the second of two
 * epochs), or a reason it did not run. The environment is cleared: `OPENBLAS_CORETYPE` and
 * `OPENBLAS_L2_SIZE`, set on some machines, slow a current OpenBLAS.
 */
async function torchAnchor(
  features: number,
  threads: number,
  n: number,
): Promise<{ train: number; predict: number } | string> {
  const script = `${MODULE_ROOT}/src/bench/torch_fk_anchor.py`;
  const args = [script, String(threads), String(n), String(features)];
  try {
    const out = await new Deno.Command(PYTHON, {
      args,
      clearEnv: true,
      env: { PATH: "/usr/bin:/bin", HOME: "/tmp" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const rates = [...text.matchAll(/ windows_per_s (\d+)/g)].map((m) => Number(m[1]));
    const predict = text.match(/predict_windows_per_s (\d+)/);
    if (out.code === 0 && rates.length > 0 && predict) {
      return { train: rates[rates.length - 1], predict: Number(predict[1]) };
    }
    const err = new TextDecoder().decode(out.stderr);
    return /No module named 'torch'/.test(err)
      ? `PyTorch is not installed (${INSTALL})`
      : `the anchor failed: ${err.trim().split("\n").pop() ?? `exit ${out.code}`}`;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return `${PYTHON} is missing (${INSTALL})`;
    if (error instanceof Deno.errors.NotCapable) {
      return `running ${PYTHON} is not allowed (the bench task grants it)`;
    }
    throw error;
  }
}

/**
 * Runs the study rows (each in a process of its own), then the PyTorch anchor on the same shapes
 * and thread counts; `null` (and a log line) when a child fails.
 *
 * @example
 * ```ts
 * const study = await benchStudy({ quick: true, log: console.error });
 * ```
 */
export async function benchStudy(
  options: { quick?: boolean; log?: (line: string) => void } = {},
): Promise<StudyBench | null> {
  const log = options.log ?? ((): void => {});
  const cores = navigator.hardwareConcurrency ?? 1;
  const threadCounts = cores > 1 ? [1, cores] : [1];
  const timed = options.quick ? 2048 : 8192;
  const rows: StudyRow[] = [];
  for (const features of [3, 1]) {
    for (const threads of threadCounts) {
      const spec: StudyChildSpec = {
        features,
        threads,
        windows: timed,
        predictWindows: timed,
        seed: 42,
      };
      log(
        `bench: study 240×${features}, ${
          threads === 1 ? "1 thread" : `${threads} threads`
        }, ${timed} windows timed`,
      );
      const run = await runChild(
        ["run", "--allow-read", "src/bench/study.ts", JSON.stringify(spec), "--hold"],
        { hold: true, echo: (line) => log(`  study: ${line}`) },
      );
      if (run.code !== 0 || run.line === null) {
        log(`bench: study ${childFailure(run)}`);
        return null;
      }
      const row = JSON.parse(run.line) as StudyRow;
      if (run.vmHwmMb !== null) row.peakRssMb = Math.round(run.vmHwmMb);
      rows.push(row);
    }
  }
  let anchor: string | undefined;
  for (const row of rows) {
    if (anchor !== undefined) break;
    log(
      `bench: PyTorch anchor 240×${row.features}, ${
        row.threads === 1 ? "1 thread" : `${row.threads} threads`
      }`,
    );
    const rate = await torchAnchor(row.features, row.threads, options.quick ? 1024 : 4096);
    if (typeof rate === "string") anchor = rate;
    else {
      row.torchPerS = rate.train;
      row.torchPredictPerS = rate.predict;
    }
  }
  return { workload: STUDY_WORKLOAD, rows, ...(anchor !== undefined ? { anchor } : {}) };
}

/**
 * The study rows in words, for the bench's text report.
 *
 * @example
 * ```ts
 * console.log(formatStudy(study));
 * ```
 */
export function formatStudy(study: StudyBench | null): string {
  if (study === null) return "study: failed";
  const w = study.workload;
  const lines = [
    `study workload: ${w.layers}, ${w.sequenceLength} steps, batch ${w.batchSize} ` +
    `(fast/wasm, the fused step; PyTorch ${study.anchor ? "not run" : "CPU, same shapes"})`,
    "| shape   | threads | train /s | epoch of 100k | predict /s | peak RSS | PyTorch train /s | × PyTorch's best | PyTorch predict /s | × PyTorch's best |",
    "| ------- | ------: | -------: | ------------: | ---------: | -------: | ---------------: | ---------------: | -----------------: | ---------------: |",
  ];
  // PyTorch's best thread count for each shape: the fair anchor (more threads can be slower).
  const best = (pick: (r: StudyRow) => number | undefined): Map<number, number> => {
    const out = new Map<number, number>();
    for (const r of study.rows) {
      const v = pick(r);
      if (v !== undefined) out.set(r.features, Math.max(out.get(r.features) ?? 0, v));
    }
    return out;
  };
  const bestTrain = best((r) => r.torchPerS);
  const bestPredict = best((r) => r.torchPredictPerS);
  const ratio = (ours: number, top: number | undefined): string =>
    top === undefined ? "-" : `${(ours / top).toFixed(1)}×`;
  for (const r of study.rows) {
    lines.push(
      `| 240 × ${r.features} | ${r.threads} | ${r.trainPerS} | ${r.epochS.toFixed(1)} s | ` +
        `${r.predictPerS} | ${r.peakRssMb} MB | ${r.torchPerS ?? "-"} | ` +
        `${ratio(r.trainPerS, bestTrain.get(r.features))} | ${r.torchPredictPerS ?? "-"} | ` +
        `${ratio(r.predictPerS, bestPredict.get(r.features))} |`,
    );
  }
  if (study.anchor) lines.push(`PyTorch anchor not run: ${study.anchor}`);
  return lines.join("\n");
}

if (import.meta.main) {
  await childMain(() => measureStudy(JSON.parse(Deno.args[0]) as StudyChildSpec));
}
