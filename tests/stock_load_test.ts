import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type Architecture,
  ARCHITECTURES,
  buildModel,
  predictProbabilities,
  saveModel,
  selectBackend,
  trainModel,
} from "../src/model/mod.ts";
import { cardDraft, identityScaler, randomWindows, THREE_FEATURES } from "./model_fixtures.ts";

// A plain script that knows nothing of this module: stock @tensorflow/tfjs,
// tf.io.getModelArtifactsForJSON and tf.loadLayersModel with a file-reading handler.
const STOCK_SCRIPT = `
import * as tf from "@tensorflow/tfjs";
const [dir, xPath, n, seqLen, nFeatures] = Deno.args;
const json = JSON.parse(await Deno.readTextFile(dir + "/model.json"));
const handler = {
  load: () =>
    tf.io.getModelArtifactsForJSON(json, async (manifest) => {
      const bytes = await Deno.readFile(dir + "/" + manifest[0].paths[0]);
      return [manifest.flatMap((group) => group.weights), bytes.buffer];
    }),
};
const model = await tf.loadLayersModel(handler);
const x = new Float32Array((await Deno.readFile(xPath)).buffer);
const p = model.predict(tf.tensor3d(x, [Number(n), Number(seqLen), Number(nFeatures)]));
console.log(JSON.stringify(Array.from(p.dataSync())));
`;

await selectBackend("cpu");
const train = randomWindows(64, { seed: 11 });
const validation = randomWindows(24, { seed: 12 });

async function saveTrained(arch: Architecture, dir: string): Promise<Float32Array> {
  const model = buildModel(arch, { inputShape: [8, 3], lstmUnits: 4, seed: 9 });
  const result = await trainModel(model, { train, validation }, { epochs: 1, seed: 9 });
  const card = cardDraft({
    arch,
    hyperparameters: { ...cardDraft().hyperparameters, learningRate: 0.001, seed: 9 },
    seed: 9,
    bestEpoch: result.bestEpoch,
    epochsRun: result.epochsRun,
  });
  await saveModel(dir, model, { card, scaler: identityScaler(THREE_FEATURES), history: [] });
  const probabilities = predictProbabilities(model, validation);
  model.dispose();
  return probabilities;
}

for (const arch of ARCHITECTURES) {
  Deno.test(`stock tfjs loads a saved ${arch} model and predicts the same probabilities`, async () => {
    const tmp = await Deno.makeTempDir();
    try {
      const ours = await saveTrained(arch, join(tmp, "model"));
      await Deno.writeFile(join(tmp, "x.bin"), new Uint8Array(validation.x.buffer));
      await Deno.writeTextFile(join(tmp, "stock.ts"), STOCK_SCRIPT);
      const output = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--config",
          "deno.json",
          `--allow-read`,
          join(tmp, "stock.ts"),
          join(tmp, "model"),
          join(tmp, "x.bin"),
          String(validation.n),
          "8",
          "3",
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 0, stderr);
      const stock: number[] = JSON.parse(new TextDecoder().decode(output.stdout).trim());
      assert.equal(stock.length, ours.length);
      for (let i = 0; i < ours.length; i++) {
        assert.ok(Math.abs(stock[i] - ours[i]) < 1e-6, `window ${i}: ${stock[i]} vs ${ours[i]}`);
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  });
}
