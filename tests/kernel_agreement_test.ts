/**
 * `--kernel fast` and `--kernel stock` through the commands themselves: the same seed trains to
 * the same loss curve and scores the same probabilities, within float rounding. The kernels'
 * op-level equivalence (forward 1e-5, gradients 1e-4 relative) is in fast_rnn_test.ts and
 * fast_layers_test.ts; this is the end-to-end check that `train` and `evaluate` use them.
 */
import assert from "node:assert/strict";
import { readCard } from "../src/model/card.ts";
import { cli } from "./tiny_model_fixture.ts";

const tmp = await Deno.makeTempDir();

async function trainWith(kernel: string): Promise<Record<string, unknown>> {
  const run = await cli([
    "train",
    "--source",
    "synthetic",
    "--ticker",
    "SPY",
    "--arch",
    "lstm",
    "--epochs",
    "3",
    "--patience",
    "3",
    "--sequence-length",
    "12",
    "--lstm-units",
    "6",
    "--batch-size",
    "32",
    "--learning-rate",
    "0.005",
    "--seed",
    "7",
    "--backend",
    "wasm",
    "--kernel",
    kernel,
    "--model-dir",
    tmp,
    "--name",
    kernel,
    "--json",
  ], tmp);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout);
}

async function historyOf(kernel: string): Promise<{ loss: number; val_loss: number }[]> {
  return JSON.parse(await Deno.readTextFile(`${tmp}/${kernel}/v1/training_history.json`));
}

async function evaluateWith(kernel: string, model: string): Promise<Record<string, unknown>> {
  const run = await cli(
    ["evaluate", "--model", `${tmp}/${model}`, "--kernel", kernel, "--backend", "wasm", "--json"],
    tmp,
  );
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout);
}

const close = (a: number, b: number, tolerance: number, what: string): void =>
  assert.ok(Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

Deno.test("train --kernel fast and --kernel stock give the same loss curve and metrics", async () => {
  const fast = await trainWith("fast");
  const stock = await trainWith("stock");
  assert.equal(fast.kernel, "fast");
  assert.equal(stock.kernel, "stock");
  // Two implementations really ran: their sums round differently in the last bits.
  assert.notEqual(fast.weightsSha256, stock.weightsSha256);
  const [hf, hs] = [await historyOf("fast"), await historyOf("stock")];
  assert.equal(hf.length, hs.length);
  assert.ok(hf.length >= 2, "expected at least two epochs");
  hf.forEach((epoch, i) => {
    close(epoch.loss, hs[i].loss, 1e-5, `epoch ${i + 1} loss`);
    close(epoch.val_loss, hs[i].val_loss, 1e-5, `epoch ${i + 1} val_loss`);
  });
  for (const split of ["train", "validation", "test"] as const) {
    const [mf, ms] = [fast.metrics, stock.metrics] as Record<string, { loss: number }>[];
    close(mf[split].loss, ms[split].loss, 1e-5, `${split} loss`);
  }
  const config = await readCard(`${tmp}/fast/v1`);
  assert.equal(config.kernel, "fast");
});

Deno.test("evaluate --kernel fast and --kernel stock score a saved model alike", async () => {
  const fast = await evaluateWith("fast", "stock");
  const stock = await evaluateWith("stock", "stock");
  assert.equal(fast.rows, stock.rows);
  assert.ok((fast.rows as number) > 50);
  const [mf, ms] = [fast.metrics, stock.metrics] as Record<string, number>[];
  for (const name of ["accuracy", "auc", "brier", "logLoss"]) {
    close(mf[name], ms[name], 1e-5, name);
  }
});

Deno.test("evaluate rejects an unknown --kernel with one line and exit 2", async () => {
  const unknown = await cli(["evaluate", "--model", `${tmp}/fast`, "--kernel", "turbo"], tmp);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /--kernel to be one of fast, stock/);
  assert.equal(unknown.stderr.trim().split("\n").length, 1);
});

globalThis.addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));
