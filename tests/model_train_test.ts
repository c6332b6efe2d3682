import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type Architecture,
  ARCHITECTURES,
  buildModel,
  loadModel,
  predictProbabilities,
  saveModel,
  selectBackend,
  trainModel,
} from "../src/model/mod.ts";
import { logLoss } from "../src/eval/scores.ts";
import { cardDraft, identityScaler, randomWindows, THREE_FEATURES } from "./model_fixtures.ts";

await selectBackend("cpu");

const train = randomWindows(96, { seed: 1 });
const validation = randomWindows(32, { seed: 2 });
const scaler = identityScaler(THREE_FEATURES);

function configFor(arch: Architecture, bestEpoch: number): SaveOptions["card"] {
  return cardDraft({ arch, bestEpoch });
}
type SaveOptions = Parameters<typeof saveModel>[2];

async function trainedSha(seed: number, dir: string): Promise<[string, number[]]> {
  const model = buildModel("lstm", { inputShape: [8, 3], lstmUnits: 4, seed, learningRate: 0.01 });
  const result = await trainModel(model, { train, validation }, { epochs: 2, seed });
  const sha = await saveModel(dir, model, {
    card: configFor("lstm", result.bestEpoch),
    scaler,
    history: result.history,
  });
  model.dispose();
  return [sha, result.history.map((h) => h.val_loss)];
}

for (const arch of ARCHITECTURES) {
  Deno.test(`${arch} architecture trains, saves and loads with the same predictions`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const model = buildModel(arch, { inputShape: [8, 3], lstmUnits: 4, seed: 3 });
      const result = await trainModel(model, { train, validation }, { epochs: 1, seed: 3 });
      assert.equal(result.history.length, 1);
      assert.ok(Number.isFinite(result.history[0].loss));
      const sha = await saveModel(join(dir, arch), model, {
        card: configFor(arch, result.bestEpoch),
        scaler,
        history: result.history,
      });
      assert.match(sha, /^[0-9a-f]{64}$/);
      const loaded = await loadModel(join(dir, arch));
      assert.equal(loaded.card.weightsSha256, sha);
      assert.deepEqual(loaded.scaler, scaler);
      const before = predictProbabilities(model, validation);
      const after = predictProbabilities(loaded.model, validation);
      assert.deepEqual(after, before);
      model.dispose();
      loaded.model.dispose();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("same seed gives the same weights hash, a different seed a different one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const [a, lossA] = await trainedSha(7, join(dir, "a"));
    const [b, lossB] = await trainedSha(7, join(dir, "b"));
    const [c] = await trainedSha(8, join(dir, "c"));
    assert.equal(a, b);
    assert.deepEqual(lossA, lossB);
    assert.notEqual(a, c);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("early stopping stops after patience epochs and restores the best weights", async () => {
  // A learning rate this high makes validation loss stop improving quickly.
  const model = buildModel("lstm", {
    inputShape: [8, 3],
    lstmUnits: 4,
    seed: 5,
    learningRate: 0.5,
  });
  const result = await trainModel(model, { train, validation }, {
    epochs: 30,
    patience: 2,
    seed: 5,
  });
  assert.ok(result.epochsRun < 30, `expected an early stop, ran ${result.epochsRun} epochs`);
  assert.equal(result.epochsRun, result.bestEpoch + 2);
  const best = result.history[result.bestEpoch - 1].val_loss;
  assert.equal(Math.min(...result.history.map((h) => h.val_loss)), best);
  const now = logLoss(predictProbabilities(model, validation), validation.y);
  assert.ok(Math.abs(now - best) < 1e-9, `restored loss ${now} differs from best ${best}`);
  model.dispose();
});

Deno.test("a stop request ends training after the current batch, marked interrupted", async () => {
  const model = buildModel("gru", { inputShape: [8, 3], lstmUnits: 4, seed: 5 });
  let batches = 0;
  const result = await trainModel(model, { train, validation }, {
    epochs: 5,
    seed: 5,
    shouldStop: () => ++batches >= 2,
  });
  assert.equal(result.interrupted, true);
  assert.equal(batches, 2);
  assert.equal(result.history.length, 0);
  model.dispose();
});

Deno.test("loadModel names model.json when it is corrupted", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await trainedSha(1, join(dir, "m"));
    await Deno.writeTextFile(join(dir, "m", "model.json"), "{not json");
    await assert.rejects(() => loadModel(join(dir, "m")), /model\.json.*corrupted/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadModel names weights.bin when its size is wrong", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await trainedSha(1, join(dir, "m"));
    await Deno.writeFile(join(dir, "m", "weights.bin"), new Uint8Array(10));
    await assert.rejects(
      () => loadModel(join(dir, "m")),
      /weights\.bin to hold \d+ bytes.*found 10/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadModel names scaler.json when it is missing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await trainedSha(1, join(dir, "m"));
    await Deno.remove(join(dir, "m", "scaler.json"));
    await assert.rejects(() => loadModel(join(dir, "m")), /scaler\.json to exist/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
