/**
 * The two builds of kernels/rnn.c: the committed bytes are what clang 19 builds (checked when
 * clang-19 and wasm-ld-19 are installed, as `.ci/run` does), the relaxed-SIMD build is chosen at
 * start-up where the runtime has relaxed SIMD, each build is bit-reproducible, and the two agree
 * within the documented tolerance (kernels/README.md): forward outputs within 1e-5, gradients
 * within 1e-4 of their scale.
 */
import assert from "node:assert/strict";
import {
  gruBackward,
  gruForward,
  type KernelBuild,
  kernelBuild,
  lstmBackward,
  lstmForward,
  relaxedSimdSupported,
  type RnnGradients,
  setKernelBuild,
} from "../src/model/fast/mod.ts";

const ROOT = new URL("..", import.meta.url).pathname;

async function has(command: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("sh", {
      args: ["-c", `command -v ${command}`],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

const compilers = (await has("clang-19")) && (await has("wasm-ld-19"));

Deno.test({
  name: "kernels/rnn.wasm, rnn_relaxed.wasm and rnn_wasm.ts are what kernels/build.sh builds",
  ignore: !compilers,
  async fn() {
    const { code, stdout, stderr } = await new Deno.Command("sh", {
      args: ["kernels/build.sh", "--check"],
      cwd: ROOT,
    }).output();
    const text = new TextDecoder();
    assert.equal(code, 0, text.decode(stderr));
    assert.match(text.decode(stdout), /up to date/);
  },
});

Deno.test("the relaxed-SIMD build runs where the runtime validates relaxed SIMD", () => {
  setKernelBuild("auto");
  assert.equal(kernelBuild(), relaxedSimdSupported() ? "relaxed" : "plain");
  assert.equal(relaxedSimdSupported(), true, "Deno 2's V8 has relaxed SIMD");
  setKernelBuild("plain");
  assert.equal(kernelBuild(), "plain");
  setKernelBuild("auto");
});

/** Deterministic uniform values in [-0.5, 0.5) (mulberry32). */
function randoms(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) - 0.5;
  }
  return out;
}

function run(
  build: KernelBuild,
  cell: "lstm" | "gru",
): { output: Float32Array; grads: RnnGradients } {
  setKernelBuild(build);
  try {
    const g = cell === "lstm" ? 4 : 3;
    const o = { batch: 6, steps: 30, inputDim: 10, units: 24, returnSequences: true };
    const w = {
      kernel: randoms(o.inputDim * g * o.units, 1),
      recurrentKernel: randoms(o.units * g * o.units, 2),
      bias: randoms(g * o.units, 3),
    };
    const { output, cache } = (cell === "lstm" ? lstmForward : gruForward)(
      w,
      randoms(o.batch * o.steps * o.inputDim, 4),
      o,
    );
    const dy = randoms(o.batch * o.steps * o.units, 5);
    return { output, grads: (cell === "lstm" ? lstmBackward : gruBackward)(cache!, dy) };
  } finally {
    setKernelBuild("auto");
  }
}

for (const cell of ["lstm", "gru"] as const) {
  Deno.test(`${cell}: each build repeats its own bits, and the two agree within 1e-5 / 1e-4`, () => {
    const plain = run("plain", cell), relaxed = run("relaxed", cell);
    assert.deepEqual(run("plain", cell), plain);
    assert.deepEqual(run("relaxed", cell), relaxed);
    let forward = 0;
    for (let i = 0; i < plain.output.length; i++) {
      forward = Math.max(forward, Math.abs(plain.output[i] - relaxed.output[i]));
    }
    assert.ok(forward < 1e-5, `forward: ${forward}`);
    for (const key of ["dx", "dKernel", "dRecurrent", "dBias"] as const) {
      const a = plain.grads[key], b = relaxed.grads[key];
      let diff = 0, scale = 0;
      for (let i = 0; i < a.length; i++) {
        diff = Math.max(diff, Math.abs(a[i] - b[i]));
        scale = Math.max(scale, Math.abs(a[i]));
      }
      assert.ok(diff <= 1e-4 * scale, `${key}: ${diff} of ${scale}`);
    }
    // Fused multiply-add really ran: the builds round differently somewhere.
    assert.notDeepEqual(plain.grads.dRecurrent, relaxed.grads.dRecurrent);
  });
}
