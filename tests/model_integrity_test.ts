/**
 * Model integrity (issue 17): no corrupted model is trusted. Loading checks the
 * weights' SHA-256 against the card and their size against the manifest, and
 * the scaler against the card's features, on every path (loadModel, the
 * inference model of the plugin, predict, evaluate, backtest); predict exits 1
 * for a missing or broken model; `models list` shows every version's health,
 * never hides good versions behind a bad one, marks never-promoted versions and
 * interrupted writes, and exits 1 when current.json names a missing or broken
 * version; `models promote` refuses a broken version. One tiny model, trained
 * once, is copied and broken in each test.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { checkModelFolder, loadModel } from "../src/model/store.ts";
import { loadInferenceModel } from "../src/model/inference.ts";
import { inspectModelRoot, promote } from "../src/model/versions.ts";
import { createLstmSignal } from "../plugins/lstm_signal.ts";
import { loadSeries } from "../src/data/mod.ts";
import { cli, type Run, trainTinyModel } from "./tiny_model_fixture.ts";

const TMP = await Deno.makeTempDir({ prefix: "model_integrity_" });
globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));
await trainTinyModel(`${TMP}/model`, "SPY");
/** The trained version folder. */
const V1 = `${TMP}/model/v1`;

let copies = 0;
/** A copy of the trained version as `<root>/<version>` (a fresh root unless given), then `edit`. */
async function copyVersion(
  edit: (dir: string) => Promise<void> = () => Promise.resolve(),
  root = `${TMP}/copy${++copies}`,
  version = "v1",
): Promise<{ root: string; dir: string }> {
  const dir = join(root, version);
  await Deno.mkdir(dir, { recursive: true });
  for await (const entry of Deno.readDir(V1)) {
    await Deno.copyFile(join(V1, entry.name), join(dir, entry.name));
  }
  await edit(dir);
  return { root, dir };
}

/** Same bytes count, other content: what a bit rot or a swapped file looks like. */
async function randomWeights(dir: string): Promise<void> {
  const size = (await Deno.stat(join(dir, "weights.bin"))).size;
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 97 + 13) % 256;
  await Deno.writeFile(join(dir, "weights.bin"), bytes);
}

async function editJson(path: string, edit: (value: Record<string, unknown>) => void) {
  const value = JSON.parse(await Deno.readTextFile(path));
  edit(value);
  await Deno.writeTextFile(path, JSON.stringify(value));
}

function assertOneLine(run: Run, code: number, pattern: RegExp): void {
  assert.equal(run.code, code, run.stderr);
  const lines = run.stderr.trim().split("\n");
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], pattern);
}

const SHA = /weights\.bin to have the SHA-256 that model_config\.json records/;

Deno.test("a same-size random weights.bin is refused by loadModel and the inference model", async () => {
  const { dir } = await copyVersion(randomWeights);
  await assert.rejects(() => loadModel(dir), SHA);
  await assert.rejects(() => loadInferenceModel(dir), SHA);
  await assert.rejects(() => checkModelFolder(dir), SHA);
  await checkModelFolder(V1); // the original is fine
});

Deno.test("a same-size random weights.bin is refused by predict, evaluate and backtest, exit 1", async () => {
  const { root } = await copyVersion(randomWeights);
  await promote(root, "v1");
  for (const command of ["predict", "evaluate", "backtest"]) {
    const run = await cli([command, "--model", root], TMP);
    assertOneLine(run, 1, SHA);
    assert.equal(run.stdout, "", command);
  }
});

Deno.test("weights.bin of another size than the manifest lists is refused, naming both", async () => {
  const { dir } = await copyVersion(async (d) => {
    await editJson(join(d, "model.json"), (json) => {
      const manifest = json.weightsManifest as { weights: { shape: number[] }[] }[];
      manifest[0].weights[0].shape = [1, 1];
    });
  });
  await assert.rejects(() => loadModel(dir), /weights\.bin to hold \d+ bytes as model\.json lists/);
  const { dir: bad } = await copyVersion((d) =>
    editJson(join(d, "model.json"), (json) => {
      json.weightsManifest = [{ paths: ["elsewhere.bin"], weights: [] }];
    })
  );
  await assert.rejects(() => loadModel(bad), /model\.json to list weights stored in weights\.bin/);
});

Deno.test("a scaler.json with another feature count is refused everywhere: store, plugin, predict", async () => {
  const { dir } = await copyVersion((d) =>
    editJson(join(d, "scaler.json"), (s) => {
      for (const key of ["names", "mean", "std"]) (s[key] as unknown[]).pop();
    })
  );
  await assert.rejects(() => checkModelFolder(dir), /scaler\.json to scale the 10 features/);
  // The plugin says why once (init rejects), then answers no-model, never out-of-distribution.
  const plugin = createLstmSignal({ modelDir: dir, warn: () => {} });
  await assert.rejects(() => plugin.init(), /scaler\.json/);
  const { bars } = await loadSeries({ ticker: "SPY", source: "synthetic", seed: 42 });
  const signal = await plugin.predict("SPY", bars.slice(-100));
  assert.equal(signal.status, "no-model");
  assert.equal(signal.probabilityUp, 0.5);
  plugin.dispose();
  assertOneLine(await cli(["predict", "--model", dir], TMP), 1, /scaler\.json/);
});

Deno.test("a card whose nFeatures or input shape disagrees with the model is refused", async () => {
  const { dir } = await copyVersion((d) =>
    editJson(join(d, "model_config.json"), (card) => {
      card.nFeatures = 5;
    })
  );
  await assert.rejects(() => checkModelFolder(dir), /nFeatures in .* to count its 10 features/);
  const { dir: seq } = await copyVersion((d) =>
    editJson(join(d, "model_config.json"), (card) => {
      card.sequenceLength = 30;
    })
  );
  await assert.rejects(() => checkModelFolder(seq), /input of .*model\.json to take windows of 30/);
});

Deno.test("predict exits 1 naming the folder or file for a missing or broken model", async () => {
  const noCard = await copyVersion((d) => Deno.remove(join(d, "model_config.json")));
  const badCard = await copyVersion((d) =>
    Deno.writeTextFile(join(d, "model_config.json"), '{"arch": 7}')
  );
  const noPointer = await copyVersion();
  const cases: [string[], RegExp][] = [
    [["--model", `${TMP}/nothere`], /Expected a model in .*nothere .*found none/],
    [
      ["--model", `${TMP}/nothere`, "--ticker", "SPY", "--source", "synthetic"],
      /Expected a model in .*nothere/,
    ],
    [["--model", noCard.dir], /model_config\.json to exist/],
    [["--model", badCard.dir], /model_config\.json/],
    [["--model", noPointer.root], /current\.json to name the current version.*promote v1/],
  ];
  for (const [args, pattern] of cases) {
    const run = await cli(["predict", ...args], TMP);
    assertOneLine(run, 1, pattern);
    assert.equal(run.stdout, "", args.join(" "));
  }
});

Deno.test("models list shows every version's health and never hides good versions", async () => {
  const { root } = await copyVersion();
  await copyVersion(randomWeights, root, "v2");
  await copyVersion((d) => Deno.writeTextFile(join(d, "model_config.json"), "{oops"), root, "v3");
  await copyVersion((d) => Deno.remove(join(d, "model.json")), root, "v4");
  await copyVersion(() => Promise.resolve(), root, "v5");
  await promote(root, "v1");
  await Deno.mkdir(join(root, "v6.tmp-999999-abcdef")); // a killed writer's folder
  const health = await inspectModelRoot(root);
  assert.deepEqual(health.versions.map((v) => [v.version, v.ok]), [
    ["v1", true],
    ["v2", false],
    ["v3", false],
    ["v4", false],
    ["v5", true],
  ]);
  assert.deepEqual(health.interrupted, ["v6.tmp-999999-abcdef"]);
  const run = await cli(["models", "list", "--model", root], TMP);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split("\n");
  assert.match(lines[0], /^\* v1 .*SPY/);
  assert.doesNotMatch(lines[0], /BROKEN|never promoted/);
  assert.match(lines[1], /^ {2}v2 .*BROKEN: .*SHA-256/);
  assert.match(lines[2], /^ {2}v3 .*BROKEN: .*model_config\.json/);
  assert.match(lines[3], /^ {2}v4 .*BROKEN: .*model\.json to exist/);
  assert.match(lines[4], /^ {2}v5 .*\[never promoted\]/);
  assert.match(lines[5], /v6\.tmp-999999-abcdef .*interrupted write/);
  const json = JSON.parse((await cli(["models", "list", "--model", root, "--json"], TMP)).stdout);
  assert.deepEqual(json.versions.map((v: { health: string }) => v.health === "ok"), [
    true,
    false,
    false,
    false,
    true,
  ]);
  assert.equal(json.problem, null);
});

Deno.test("models list exits 1 when current.json names a missing or broken version", async () => {
  const { root } = await copyVersion();
  await copyVersion(randomWeights, root, "v2");
  await promote(root, "v2");
  let run = await cli(["models", "list", "--model", root], TMP);
  assert.equal(run.code, 1);
  assert.match(run.stdout, /^\* v2 .*BROKEN/m);
  assert.match(run.stdout, /^ {2}v1 /m, "the good version is still listed");
  assert.match(run.stderr.trim(), /^error: .*current\.json names v2, which is broken: .*SHA-256/);
  await Deno.writeTextFile(join(root, "current.json"), '{"current":"v9","history":[]}');
  run = await cli(["models", "list", "--model", root, "--json"], TMP);
  assert.equal(run.code, 1);
  assert.match(JSON.parse(run.stdout).problem, /names v9, which is missing/);
});

Deno.test("models promote refuses a broken version and leaves current.json alone", async () => {
  const { root } = await copyVersion();
  await copyVersion((d) => Deno.truncate(join(d, "weights.bin"), 10), root, "v2");
  await promote(root, "v1");
  const before = await Deno.readTextFile(join(root, "current.json"));
  const run = await cli(["models", "promote", "v2", "--model", root], TMP);
  assertOneLine(run, 1, /v2 in .* to be a complete model, found: .*weights\.bin to hold/);
  assert.equal(await Deno.readTextFile(join(root, "current.json")), before);
});

Deno.test("a model.json tfjs cannot load is BROKEN in models list and refused by promote (unknown class, swapped shape)", async () => {
  const { root } = await copyVersion();
  await copyVersion(
    (d) =>
      editJson(join(d, "model.json"), (json) => {
        json.modelTopology = { class_name: "Nope", config: 5 };
      }),
    root,
    "v2",
  );
  await copyVersion(
    (d) =>
      editJson(join(d, "model.json"), (json) => {
        const manifest = json.weightsManifest as { weights: { shape: number[] }[] }[];
        manifest[0].weights[0].shape.reverse(); // same byte count, same SHA-256 of weights.bin
      }),
    root,
    "v3",
  );
  await promote(root, "v1");
  await assert.rejects(() => checkModelFolder(join(root, "v2")), /unknown class "Nope"/);
  await assert.rejects(
    () => checkModelFolder(join(root, "v3")),
    /weight lstm_LSTM\d+\/kernel in .*model\.json to have the shape \[·, \d+\] of a LSTM of \d+ units, found \[\d+, 10\]/,
  );
  const health = await inspectModelRoot(root);
  assert.deepEqual(health.versions.map((v) => [v.version, v.ok]), [
    ["v1", true],
    ["v2", false],
    ["v3", false],
  ]);
  for (const version of ["v2", "v3"]) {
    const before = await Deno.readTextFile(join(root, "current.json"));
    const run = await cli(["models", "promote", version, "--model", root], TMP);
    assertOneLine(
      run,
      1,
      new RegExp(`${version} in .* to be a complete model, found: .*model\\.json`),
    );
    assert.equal(await Deno.readTextFile(join(root, "current.json")), before);
  }
});

Deno.test("a UTF-8 byte-order mark before model_config.json, scaler.json or model.json is not corruption", async () => {
  const { dir } = await copyVersion(async (d) => {
    for (const name of ["model_config.json", "scaler.json", "model.json"]) {
      const path = join(d, name);
      await Deno.writeTextFile(path, `\uFEFF${await Deno.readTextFile(path)}`);
    }
  });
  const { card } = await checkModelFolder(dir);
  assert.equal(card.data.ticker, "SPY");
});
