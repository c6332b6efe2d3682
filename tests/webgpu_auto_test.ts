/**
 * `--backend auto`'s rule (`chooseAutoBackend`) with injected adapters and bench measurements:
 * WebGPU only on a hardware adapter for which bench measured the fused WebGPU kernels faster than
 * the fused WASM ones on a workload like the one at hand; and on this machine (no GPU) auto keeps
 * WASM and says why.
 */
import assert from "node:assert/strict";
import {
  type BackendMeasurement,
  chooseAutoBackend,
  RECORDED_MEASUREMENTS,
  SEED_WORKLOAD,
  selectBackend,
} from "../src/model/backend.ts";

const H100 = { description: "NVIDIA H100 80GB HBM3", software: false };
const LARGE = { batchSize: 1024, lstmUnits: 50 };

function measured(
  backend: "wasm" | "webgpu",
  sequencesPerS: number,
  workload = LARGE,
  adapter = "NVIDIA H100",
): BackendMeasurement {
  return {
    backend,
    kernel: "fast",
    ...(backend === "webgpu" ? { adapter } : {}),
    workload,
    sequencesPerS,
    source: "test",
  };
}

Deno.test("auto picks WebGPU where bench measured the fused WebGPU kernels faster for the workload", () => {
  const decision = chooseAutoBackend(H100, LARGE, [
    measured("wasm", 1600),
    measured("webgpu", 40_000),
  ]);
  assert.equal(decision.backend, "webgpu");
  assert.match(decision.reason, /40000 sequences\/s on NVIDIA H100 against 1600/);
});

Deno.test("auto keeps WASM where bench measured it faster, and says so with both numbers", () => {
  const decision = chooseAutoBackend(H100, SEED_WORKLOAD, [
    measured("wasm", 1600, SEED_WORKLOAD),
    measured("webgpu", 900, SEED_WORKLOAD),
  ]);
  assert.equal(decision.backend, "wasm");
  assert.match(decision.reason, /WASM kernels faster .* 1600 sequences\/s against 900/);
});

Deno.test("a WebGPU win at batch 1024 does not carry over to batch 32", () => {
  const measurements = [measured("wasm", 1600), measured("webgpu", 40_000)];
  const decision = chooseAutoBackend(H100, SEED_WORKLOAD, measurements);
  assert.equal(decision.backend, "wasm");
  assert.match(decision.reason, /no bench measurement of the fused WebGPU kernels .* batch 32/);
  // Within 2× of the measured batch it does.
  assert.equal(
    chooseAutoBackend(H100, { batchSize: 600, lstmUnits: 50 }, measurements).backend,
    "webgpu",
  );
});

Deno.test("a measurement on another GPU, or of stock layers, does not count", () => {
  const other = { description: "AMD Radeon RX 7900", software: false };
  assert.equal(
    chooseAutoBackend(other, LARGE, [measured("wasm", 1600), measured("webgpu", 40_000)])
      .backend,
    "wasm",
  );
  const stock: BackendMeasurement = { ...measured("webgpu", 40_000), kernel: "stock" };
  assert.equal(chooseAutoBackend(H100, LARGE, [stock]).backend, "wasm");
});

Deno.test("no adapter or a software adapter keeps WASM whatever was measured", () => {
  const measurements = [measured("webgpu", 1e9, LARGE, "llvmpipe")];
  const none = chooseAutoBackend(null, LARGE, measurements);
  assert.deepEqual(none, { backend: "wasm", reason: "no WebGPU adapter" });
  const software = chooseAutoBackend(
    { description: "llvmpipe (LLVM 15.0.6, 256 bits)", software: true },
    LARGE,
    measurements,
  );
  assert.equal(software.backend, "wasm");
  assert.match(software.reason, /software or fallback/);
});

Deno.test("the recorded measurements keep WASM on every adapter for the seed's workload", () => {
  assert.equal(chooseAutoBackend(H100, SEED_WORKLOAD, RECORDED_MEASUREMENTS).backend, "wasm");
  assert.equal(chooseAutoBackend(H100, LARGE, RECORDED_MEASUREMENTS).backend, "wasm");
});

Deno.test("selectBackend('auto') on this machine chooses wasm and logs why", async () => {
  const lines: string[] = [];
  const used = await selectBackend("auto", { log: (line) => lines.push(line) });
  assert.equal(used, "wasm");
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^backend: auto chose wasm \((no WebGPU adapter|only a software)/);
});

Deno.test("a bench report's rows feed the rule: its hardware WebGPU rows count, software ones not", async () => {
  const { measurementsFromBench } = await import("../src/bench/mod.ts");
  const row = (impl: string, backend: string, batchSize: number, epochS: number, adapter?: {
    description: string;
    software: boolean;
  }) => ({
    impl,
    backend,
    workload: batchSize === 32 ? "seed" : "large",
    batchSize,
    epochSequences: batchSize === 32 ? 958 : 100_000,
    trainEpochS: epochS,
    ...(adapter ? { adapter } : {}),
  });
  const report = {
    workload: { lstmUnits: 50 },
    machine: { cpuModel: "test" },
    results: [
      row("fast-2core", "wasm", 1024, 60),
      row("fast", "webgpu", 1024, 5, { description: "NVIDIA H100 80GB HBM3", software: false }),
      row("fast", "webgpu", 32, 0.1, { description: "llvmpipe", software: true }),
    ],
  } as unknown as Parameters<typeof measurementsFromBench>[0];
  const measurements = measurementsFromBench(report);
  assert.equal(measurements.length, 2);
  const decision = chooseAutoBackend(H100, LARGE, measurements);
  assert.equal(decision.backend, "webgpu");
  assert.match(decision.reason, /20000 sequences\/s on NVIDIA H100 80GB HBM3 against 1667/);
});
