/**
 * `deno task bench` as a subprocess with the task's permissions: the --json shape of a quick
 * run of one row (fields present, numbers finite and positive; no timing is asserted: this is a
 * benchmark), --help, and a usage error for an unknown flag or row.
 */
import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };

const ROOT = new URL("..", import.meta.url).pathname;

/** The bench task's `deno run` flags, read from deno.json so the test runs what the task runs. */
const TASK_FLAGS = denoJson.tasks.bench
  .replace(`"$(deno eval -p 'Deno.execPath()')"`, Deno.execPath()) // the task names the running deno
  .split(" ").filter((word) => word.startsWith("--allow"));

async function bench(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...TASK_FLAGS, "cli.ts", "bench", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

function assertPositive(value: unknown, name: string): void {
  assert.equal(typeof value, "number", `${name} should be a number, found ${value}`);
  assert.ok(Number.isFinite(value) && (value as number) > 0, `${name}: ${value}`);
}

Deno.test("bench --quick --json --profile --impl fast --backend wasm prints one object of the documented shape", async () => {
  const run = await bench("--quick", "--json", "--profile", "--impl", "fast", "--backend", "wasm");
  assert.equal(run.code, 0, run.stderr);
  const out = JSON.parse(run.stdout);
  assert.deepEqual(
    Object.keys(out).sort(),
    ["coldStart", "coldStartMs", "machine", "results", "shadow", "skipped", "workload"],
  );
  assert.equal(out.workload.arch, "lstm");
  assert.equal(out.workload.sequenceLength, 60);
  assert.equal(out.workload.nFeatures, 10);
  assert.equal(out.workload.trainSequences, 958);
  assert.equal(out.workload.batchSize, 32);
  assert.equal(out.workload.predictBatchSize, 256);
  assert.equal(out.workload.quick, true);
  assertPositive(out.machine.cpus, "machine.cpus");
  assert.equal(typeof out.machine.deno, "string");
  assert.equal(typeof out.machine.v8, "string");
  assert.equal(out.results.length, 1);
  const row = out.results[0];
  assert.equal(row.impl, "fast");
  assert.equal(row.backend, "wasm");
  for (
    const key of [
      "trainEpochS",
      "predict1MsP50",
      "predict1MsP99",
      "predictBatchPerS",
      "peakRssMb",
    ]
  ) {
    assertPositive(row[key], key);
  }
  assert.ok(row.predict1MsP99 >= row.predict1MsP50);
  assert.equal(row.workload, "seed");
  assert.equal(row.batchSize, 32);
  assert.equal(row.epochSequences, 958);
  assert.equal(row.kernelBuild, "relaxed"); // Deno 2's V8 has relaxed SIMD
  // --profile: the fused training step's phases, per epoch, inside the whole batch time.
  assertPositive(row.profile["batch.total"], "profile batch.total");
  assertPositive(row.profile["step.local"], "profile step.local");
  assert.ok(row.profile["step.local"] < row.profile["batch.total"]);
  assert.deepEqual(out.skipped, []);
  assertPositive(out.coldStartMs, "coldStartMs");
  assert.equal(out.coldStart.barsFed > 0, true);
  // The plugin's cost per bar with 0, 1 and 2 shadow versions (src/bench/shadow.ts).
  assert.equal(out.shadow.msPerBar.length, 3);
  out.shadow.msPerBar.forEach((ms: number, k: number) => assertPositive(ms, `shadow ${k}`));
  assert.match(run.stderr, /fast\/wasm/); // progress goes to stderr
});

Deno.test("bench --help exits 0 and names the flags", async () => {
  const run = await bench("--help");
  assert.equal(run.code, 0, run.stderr);
  for (
    const flag of [
      "--quick",
      "--json",
      "--impl",
      "--backend",
      "--epochs",
      "--calls",
      "--seed-only",
      "--profile",
    ]
  ) {
    assert.ok(run.stdout.includes(flag), flag);
  }
});

Deno.test("bench rejects an unknown flag, implementation or row with exit code 2", async () => {
  for (
    const args of [
      ["--fast"],
      ["--impl", "turbo"],
      ["--impl", "fast-plain", "--backend", "cpu"],
      ["--epochs", "0"],
    ]
  ) {
    const run = await bench(...args);
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.equal(run.stdout, "");
    assert.match(run.stderr.trim(), /^error: .+$/);
  }
});
