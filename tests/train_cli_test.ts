import assert from "node:assert/strict";
import { join } from "node:path";
import { readCard } from "../src/model/card.ts";
import { readPointer } from "../src/model/versions.ts";
import { fitAndSave, fitSettings, loadTrainingSeries } from "../src/pipeline/fit.ts";

const TINY = ["--epochs", "1", "--sequence-length", "8", "--lstm-units", "4", "--backend", "cpu"];

async function runTrain(
  args: string[],
  writable: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", `--allow-write=${writable}`, "cli.ts", "train", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array): string => new TextDecoder().decode(b);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

Deno.test("train --source synthetic writes every artifact and prints the JSON summary", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const { code, stdout, stderr } = await runTrain(
      ["--source", "synthetic", ...TINY, "--model-dir", tmp, "--name", "tiny", "--json"],
      tmp,
    );
    assert.equal(code, 0, stderr);
    const summary = JSON.parse(stdout);
    assert.equal(summary.modelDir, join(tmp, "tiny", "v1"));
    assert.equal(summary.version, "v1");
    assert.equal(summary.current, true);
    assert.equal(summary.epochsRun, 1);
    assert.equal(summary.bestEpoch, 1);
    for (const split of ["train", "validation", "test"]) {
      assert.ok(Number.isFinite(summary.metrics[split].loss), split);
      assert.ok(summary.metrics[split].accuracy >= 0 && summary.metrics[split].accuracy <= 1);
    }
    assert.match(
      stderr,
      /epoch 1\/1 loss [\d.]+ acc [\d.]+ val_loss [\d.]+ val_acc [\d.]+ elapsed/,
    );
    const files = [];
    for await (const entry of Deno.readDir(join(tmp, "tiny", "v1"))) files.push(entry.name);
    assert.deepEqual(files.sort(), [
      "model.json",
      "model_config.json",
      "reference.json",
      "scaler.json",
      "training_history.json",
      "weights.bin",
    ]);
    const config = JSON.parse(
      await Deno.readTextFile(join(tmp, "tiny", "v1", "model_config.json")),
    );
    assert.equal(config.weightsSha256, summary.weightsSha256);
    assert.equal(config.data.source, "synthetic");
    assert.equal(config.sequenceLength, 8);
    assert.ok(config.data.ranges.train.rows > 0 && config.data.ranges.test.rows > 0);
    assert.ok(config.features.length > 0);
    const history = JSON.parse(
      await Deno.readTextFile(join(tmp, "tiny", "v1", "training_history.json")),
    );
    assert.deepEqual(Object.keys(history[0]).sort(), [
      "accuracy",
      "epoch",
      "loss",
      "val_accuracy",
      "val_loss",
    ]);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("train exits 2 with one line for an unknown architecture", async () => {
  const { code, stderr } = await runTrain(["--arch", "transformer"], "/nonexistent");
  assert.equal(code, 2);
  assert.equal(stderr.trim().split("\n").length, 1);
  assert.match(stderr, /--arch to be one of lstm, deep, bidirectional, attention, gru/);
});

Deno.test("train exits 2 for a non-numeric flag", async () => {
  const { code, stderr } = await runTrain(["--epochs", "ten"], "/nonexistent");
  assert.equal(code, 2);
  assert.match(stderr, /Expected --epochs to be an integer.*found "ten"/);
});

Deno.test("train accepts --kernel fast with --backend webgpu (the fused WGSL kernels)", async () => {
  const { code, stderr } = await runTrain(
    ["--csv", "/nonexistent/bars.csv", "--backend", "webgpu", "--kernel", "fast"],
    "/nonexistent",
  );
  // The flags pass; the run fails on the missing file, not on the kernel.
  assert.equal(code, 1, stderr);
  assert.doesNotMatch(stderr, /--kernel/);
});

Deno.test("train exits 1 with the number of bars needed when there are too few", async () => {
  const tmp = await Deno.makeTempDir(); // the output folder is checked first: a writable one
  const { code, stderr } = await runTrain(
    ["--source", "synthetic", "--start", "2024-10-01", ...TINY, "--model-dir", tmp],
    tmp,
  );
  assert.equal(code, 1);
  assert.equal(stderr.trim().split("\n").length, 1);
  assert.match(stderr, /at least \d+ bars/);
  assert.deepEqual([...Deno.readDirSync(tmp)], [], "nothing written");
  await Deno.remove(tmp);
});

Deno.test("train exits 1 naming the model folder when it cannot be written", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const { code, stderr } = await runTrain(
      ["--source", "synthetic", ...TINY, "--model-dir", join(tmp, "elsewhere")],
      join(tmp, "allowed"),
    );
    assert.equal(code, 1);
    assert.match(stderr.trim().split("\n").at(-1)!, /^error: .*elsewhere/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("the same seed on wasm gives the same weightsSha256, a different seed another", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const sha = async (seed: string, name: string): Promise<string> => {
      const { code, stdout, stderr } = await runTrain(
        [
          "--source",
          "synthetic",
          ...TINY,
          "--backend",
          "wasm",
          "--seed",
          seed,
          "--model-dir",
          tmp,
          "--name",
          name,
          "--json",
        ],
        tmp,
      );
      assert.equal(code, 0, stderr);
      return JSON.parse(stdout).weightsSha256;
    };
    const first = await sha("3", "a");
    assert.equal(await sha("3", "b"), first);
    assert.notEqual(await sha("4", "c"), first);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("Ctrl-C stops training after the current batch and saves the model marked interrupted", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        `--allow-write=${tmp}`,
        "cli.ts",
        "train",
        "--source",
        "synthetic",
        ...TINY,
        "--epochs",
        "500",
        "--patience",
        "500",
        "--model-dir",
        tmp,
        "--json",
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let stderr = "";
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    while (!stderr.includes("epoch 2/500")) {
      const { value, done } = await reader.read();
      if (done) break;
      stderr += value;
    }
    child.kill("SIGINT");
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      stderr += value;
    }
    const [status, stdout] = await Promise.all([
      child.status,
      new Response(child.stdout).text(),
    ]);
    assert.equal(status.code, 0, stderr);
    const summary = JSON.parse(stdout);
    assert.equal(summary.interrupted, true);
    assert.ok(summary.epochsRun >= 2 && summary.epochsRun < 500, `ran ${summary.epochsRun}`);
    const config = JSON.parse(
      await Deno.readTextFile(join(tmp, "lstm", "v1", "model_config.json")),
    );
    assert.equal(config.interrupted, true);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("a second train writes v2 beside v1, promotes it, and leaves v1 untouched", async () => {
  const tmp = await Deno.makeTempDir();
  const run = (seed: string): ReturnType<typeof runTrain> =>
    runTrain(
      [
        "--source",
        "synthetic",
        ...TINY,
        "--seed",
        seed,
        "--model-dir",
        tmp,
        "--name",
        "m",
        "--json",
      ],
      tmp,
    );
  assert.equal((await run("1")).code, 0);
  const v1 = await Deno.readFile(join(tmp, "m", "v1", "weights.bin"));
  const second = await run("2");
  assert.equal(second.code, 0);
  assert.equal(JSON.parse(second.stdout).modelDir, join(tmp, "m", "v2"));
  assert.deepEqual(await Deno.readFile(join(tmp, "m", "v1", "weights.bin")), v1);
  const pointer = JSON.parse(await Deno.readTextFile(join(tmp, "m", "current.json")));
  assert.deepEqual(pointer, { current: "v2", history: ["v1"] });
});

Deno.test("fitAndSave saves a version without the command line; shouldStop marks it interrupted", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const settings = fitSettings({
      backendName: "cpu",
      epochs: 50,
      sequenceLength: 8,
      lstmUnits: 4,
      seed: 5,
    });
    const series = await loadTrainingSeries({ ticker: "SPY", source: "synthetic" }, settings.seed);
    assert.equal(series.symbol, "SPY");
    let asked = 0;
    const summary = await fitAndSave(series, settings, {
      modelRoot: join(tmp, "m"),
      promote: false,
      shouldStop: () => ++asked > 0,
    });
    assert.ok(asked > 0, "shouldStop was consulted");
    assert.equal(summary.modelDir, join(tmp, "m", "v1"));
    assert.equal(summary.current, false);
    assert.equal(summary.interrupted, true);
    assert.equal(summary.epochsRun, 1);
    assert.equal(summary.backend, "cpu");
    const card = await readCard(summary.modelDir);
    assert.equal(card.interrupted, true);
    assert.equal(card.weightsSha256, summary.weightsSha256);
    assert.equal(card.data.ticker, "SPY");
    assert.equal(card.sequenceLength, 8);
    assert.equal(card.hyperparameters.epochs, 50);
    assert.equal(await readPointer(join(tmp, "m")), null, "promote: false leaves no pointer");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
