/**
 * Micro benchmark of the fused kernels against stock tfjs layers on the seed's workload:
 * LSTM(50, seq) → Dropout(0.2) → LSTM(50) → Dropout → Dense(25, relu) → Dense(1, sigmoid),
 * 958 synthetic sequences of 60 × 10, batch 32, Adam, binary cross-entropy.
 *
 * Prints seconds per training epoch (each measured epoch listed, after one warm-up epoch) and
 * single-sequence predict latency p50/p99 over `--calls` calls after warm-up, for: stock layers
 * on the tfjs backend, fast layers on the tfjs backend, and FastPredictor (no tfjs).
 *
 *   deno run --allow-read --allow-env --allow-sys bench/fast_rnn.ts [--backend wasm|cpu]
 *     [--epochs 3] [--calls 300] [--skip-stock] [--second-core] [--cell lstm|gru]
 *
 * `--second-core` adds a run of the fast layers with each batch split across a worker; `--cell gru`
 * swaps both recurrent layers for GRUs (the `gru` architecture).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { FastGRU, FastLSTM } from "../src/model/fast/layers.ts";
import { FastPredictor } from "../src/model/fast/predict.ts";
import { startSecondCore, stopSecondCore } from "../src/model/fast/parallel.ts";

const args = Deno.args;
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const backend = flag("backend", "wasm");
const epochs = Number(flag("epochs", "3"));
const calls = Number(flag("calls", "300"));
const skipStock = args.includes("--skip-stock");
const secondCore = args.includes("--second-core");
const cell = flag("cell", "lstm");
if (cell !== "lstm" && cell !== "gru") {
  throw new Error(`Expected --cell lstm or gru, found ${cell}`);
}

if (backend === "wasm") {
  const file = "tfjs-backend-wasm-simd.wasm";
  const path = decodeURIComponent(
    new URL(import.meta.resolve(`@tensorflow/tfjs-backend-wasm/dist/${file}`)).pathname,
  );
  setWasmPaths({
    "tfjs-backend-wasm.wasm": path,
    "tfjs-backend-wasm-simd.wasm": path,
    "tfjs-backend-wasm-threaded-simd.wasm": path,
  });
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
}
const log = console.log;
console.log = () => {};
await tf.setBackend(backend);
await tf.ready();
console.log = log;

const N = 958, T = 60, F = 10, U = 50, BATCH = 32;

function randoms(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

function seedModel(fast: boolean): tf.Sequential {
  const rnn = (returnSequences: boolean, inputShape?: number[]): tf.layers.Layer => {
    const a = {
      units: U,
      returnSequences,
      ...(inputShape ? { inputShape } : {}),
      kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      recurrentInitializer: tf.initializers.orthogonal({ seed: 2, gain: 1 }),
    };
    if (cell === "gru") return fast ? new FastGRU(a) : tf.layers.gru(a);
    return fast ? new FastLSTM(a) : tf.layers.lstm(a);
  };
  const model = tf.sequential({
    layers: [
      rnn(true, [T, F]),
      tf.layers.dropout({ rate: 0.2, seed: 3 }),
      rnn(false),
      tf.layers.dropout({ rate: 0.2, seed: 4 }),
      tf.layers.dense({ units: 25, activation: "relu" }),
      tf.layers.dense({ units: 1, activation: "sigmoid" }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: "binaryCrossentropy" });
  return model;
}

const x = tf.tensor(randoms(N * T * F, 1), [N, T, F]);
const y = tf.tensor(randoms(N, 2).map((v) => (v > 0 ? 1 : 0)), [N, 1]);
const one = randoms(T * F, 3);

async function epochTimes(model: tf.Sequential): Promise<number[]> {
  const times: number[] = [];
  for (let e = 0; e <= epochs; e++) {
    const t0 = performance.now();
    await model.fit(x, y, { epochs: 1, batchSize: BATCH, shuffle: true, verbose: 0 });
    if (e > 0) times.push((performance.now() - t0) / 1000);
  }
  return times;
}

function latencies(predict: () => void): { p50: number; p99: number } {
  for (let i = 0; i < 20; i++) predict();
  const ms: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    predict();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { p50: ms[Math.floor(ms.length * 0.5)], p99: ms[Math.floor(ms.length * 0.99)] };
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const fmt = (v: number[]): string => v.map((s) => s.toFixed(3)).join(", ");
const predictOne = (model: tf.Sequential): () => void => {
  const input = tf.tensor(one, [1, T, F]);
  return () => {
    const out = model.predict(input) as tf.Tensor;
    out.dataSync();
    out.dispose();
  };
};

console.log(
  `${cell}; backend ${backend}; ${N} sequences of ${T} x ${F}, batch ${BATCH}; ${calls} predict calls`,
);
let stockModel: tf.Sequential | null = null;
for (const fast of skipStock ? [true] : [false, true]) {
  const name = fast ? "fast layers" : "stock layers";
  const model = seedModel(fast);
  if (fast && stockModel !== null) {
    // Same weights on the same backend: how far apart are the two implementations here?
    model.setWeights(stockModel.getWeights());
    const probe = x.slice([0, 0, 0], [64, T, F]);
    const a = (model.predict(probe) as tf.Tensor).dataSync();
    const b = (stockModel.predict(probe) as tf.Tensor).dataSync();
    let err = 0;
    for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i] - b[i]));
    console.log(
      `fast vs stock predictions on ${backend}, same weights, 64 sequences: max abs ${
        err.toExponential(2)
      }`,
    );
  }
  if (!fast) stockModel = model;
  const times = await epochTimes(model);
  const lat = latencies(predictOne(model));
  console.log(
    `${name}: epoch s median ${median(times).toFixed(3)} (${fmt(times)}); ` +
      `predict1 ms p50 ${lat.p50.toFixed(3)} p99 ${lat.p99.toFixed(3)}`,
  );
  if (fast) {
    const predictor = FastPredictor.fromModel(model);
    const p = latencies(() => predictor.predict(one));
    const batch = randoms(256 * T * F, 4);
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) predictor.predict(batch, 256);
    const perS = (5 * 256) / ((performance.now() - t0) / 1000);
    console.log(
      `FastPredictor: predict1 ms p50 ${p.p50.toFixed(3)} p99 ${p.p99.toFixed(3)}; ` +
        `batch 256: ${perS.toFixed(0)} sequences/s`,
    );
  }
}

if (secondCore) {
  await startSecondCore();
  const model = seedModel(true);
  const times = await epochTimes(model);
  console.log(
    `fast layers, batch split with a worker: epoch s median ${median(times).toFixed(3)} (${
      fmt(times)
    })`,
  );
  stopSecondCore();
}
