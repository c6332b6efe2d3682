/**
 * Custom features from the command line: `train --features-module FILE.ts`
 * records the module (path and SHA-256) on the card; evaluate, backtest,
 * predict and the plugin load it again; a missing or edited module is one
 * clear line. Also the README's example module, examples/features.ts.
 */
import assert from "node:assert/strict";
import { cli, ROOT, tinyTrainArgs } from "./tiny_model_fixture.ts";
import { createLstmSignal } from "../mod.ts";
import { loadSeries } from "../src/data/mod.ts";
import { computeFeatures } from "../src/features/mod.ts";
import { features as exampleFeatures } from "../examples/features.ts";

const TMP = await Deno.makeTempDir();
const run = (...args: string[]) => cli(args, TMP);

async function trainWith(name: string, module: string): Promise<void> {
  const r = await run(
    "train",
    ...tinyTrainArgs("SPY"),
    "--features-module",
    module,
    "--model-dir",
    TMP,
    "--name",
    name,
  );
  if (r.code !== 0) throw new Error(`Expected training to succeed, found: ${r.stderr}`);
}

// A copy of the example outside the repository (importing the library by absolute URL), to edit
// and remove without touching the example.
const COPY = `${TMP}/my_features.ts`;
const source = (await Deno.readTextFile(`${ROOT}examples/features.ts`))
  .replace('from "../mod.ts"', `from "${new URL("../mod.ts", import.meta.url).href}"`);
await Deno.writeTextFile(COPY, source);
await trainWith("example", "examples/features.ts");
await trainWith("copy", COPY);

Deno.test("examples/features.ts registers gap and close_location with the values they promise", async () => {
  const { bars } = await loadSeries({ ticker: "SPY", source: "synthetic", seed: 42 });
  const table = computeFeatures(bars.slice(0, 50), exampleFeatures);
  const gap = table.names.indexOf("gap");
  const loc = table.names.indexOf("close_location");
  assert.ok(gap >= 0 && loc >= 0, table.names.join(", "));
  const i = 40;
  const row = table.rows[i];
  assert.ok(Math.abs(row[gap] - (bars[i].open / bars[i - 1].close - 1)) < 1e-12);
  const b = bars[i];
  assert.ok(Math.abs(row[loc] - (b.close - b.low) / (b.high - b.low)) < 1e-12);
  assert.ok(row[loc] >= 0 && row[loc] <= 1);
});

Deno.test("the card records the module relative to the version folder with its SHA-256", async () => {
  const card = JSON.parse(await Deno.readTextFile(`${TMP}/example/v1/model_config.json`));
  assert.match(card.featuresModule.sha256, /^[0-9a-f]{64}$/);
  assert.ok(!card.featuresModule.path.startsWith("/"), card.featuresModule.path);
  assert.ok(card.featuresModule.path.endsWith("examples/features.ts"));
  const names = card.features.map((f: { name: string }) => f.name);
  assert.deepEqual(names.slice(-2), ["gap", "close_location"]);
});

Deno.test("a model trained with examples/features.ts is evaluated, backtested and predicted from the CLI", async () => {
  const model = `${TMP}/example`;
  const evaluated = await run("evaluate", "--model", model, "--json");
  assert.equal(evaluated.code, 0, evaluated.stderr);
  assert.ok(JSON.parse(evaluated.stdout).metrics.n >= 20 || evaluated.stdout.includes("brier"));
  const backtested = await run("backtest", "--model", model, "--json");
  assert.equal(backtested.code, 0, backtested.stderr);
  const predicted = await run("predict", "--model", model, "--json");
  assert.equal(predicted.code, 0, predicted.stderr);
  // Served by its model: ok, or no-skill when the tiny model shows none (its base rate).
  assert.match(JSON.parse(predicted.stdout).status, /^(ok|no-skill)$/);
  const listed = await run("models", "list", "--model", model);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /v1 .*SPY/);
});

Deno.test("the plugin serves a model trained with the features module", async () => {
  const { bars } = await loadSeries({ ticker: "SPY", source: "synthetic", seed: 42 });
  const plugin = createLstmSignal({ modelDir: `${TMP}/example`, allowNoSkill: true });
  await plugin.init();
  const signal = await plugin.predict("SPY", bars);
  await plugin.dispose();
  assert.equal(signal.status, "ok");
  assert.ok(signal.probabilityUp > 0 && signal.probabilityUp < 1);
});

Deno.test("an edited features module is one clear line, exit 1, for every command", async () => {
  const original = await Deno.readTextFile(COPY);
  await Deno.writeTextFile(COPY, original.replace("0.5", "0.25"));
  try {
    for (const command of ["evaluate", "backtest", "predict"]) {
      const r = await run(command, "--model", `${TMP}/copy`);
      assert.equal(r.code, 1, `${command}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(
        r.stderr,
        /Expected the features module .*my_features\.ts to have the SHA-256 .* the module was edited since training/,
      );
    }
  } finally {
    await Deno.writeTextFile(COPY, original);
  }
  const restored = await run("predict", "--model", `${TMP}/copy`);
  assert.equal(restored.code, 0, restored.stderr);
});

Deno.test("a removed features module is one clear line naming it", async () => {
  const original = await Deno.readTextFile(COPY);
  await Deno.remove(COPY);
  try {
    const r = await run("evaluate", "--model", `${TMP}/copy`);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(
      r.stderr,
      /Expected the features module .*my_features\.ts .* to exist, found no such file/,
    );
  } finally {
    await Deno.writeTextFile(COPY, original);
  }
});

Deno.test("train --features-module with a missing file is one line", async () => {
  const r = await run(
    "train",
    ...tinyTrainArgs("SPY"),
    "--features-module",
    `${TMP}/nope.ts`,
    "--model-dir",
    TMP,
    "--name",
    "nope",
  );
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /nope\.ts to exist, found no such file/);
});

// Issue 23 #10 and #15: modules that hang, exit, export a bad list or register a broken feature.
const { importFeaturesModule } = await import("../src/features/module.ts");
const API = new URL("../mod.ts", import.meta.url).href;

async function badModule(name: string, code: string): Promise<string> {
  const file = `${TMP}/${name}.ts`;
  await Deno.writeTextFile(file, code);
  return file;
}

Deno.test("a features module whose top-level await never resolves fails in one line after the timeout", async () => {
  const file = await badModule("hang", "await new Promise(() => {});\n");
  // In a process of its own, as the commands run it (they exit after the error line; a test
  // runner would report the abandoned import at the end).
  const script = `${TMP}/hang_main.ts`;
  await Deno.writeTextFile(
    script,
    `import { importFeaturesModule } from "${
      new URL("../src/features/module.ts", import.meta.url).href
    }";
try {
  await importFeaturesModule(${JSON.stringify(file)}, "x/v1", { timeoutMs: 300 });
} catch (error) {
  console.error(\`\${error.name}: \${error.message}\`);
  Deno.exit(1);
}
`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--config", `${ROOT}deno.json`, script],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(out.code, 1);
  assert.equal(
    new TextDecoder().decode(out.stderr),
    `DataError: Expected the features module ${file} to finish importing within 0.3 s, found it still running (a top-level await that never resolves?)\n`,
  );
});

Deno.test("Deno.exit in a features module is reported as such, not obeyed", async () => {
  const file = await badModule("exits", "Deno.exit(3);\n");
  await assert.rejects(
    () => importFeaturesModule(file, `${TMP}/x/v1`),
    (e: Error) =>
      e.name === "DataError" &&
      e.message ===
        `Expected the features module ${file} to import cleanly, found: it called Deno.exit(3)`,
  );
  assert.equal(typeof Deno.exit, "function");
});

Deno.test('features = ["rsi", 7, null] names the bad entry', async () => {
  const file = await badModule("badlist", 'export const features = ["rsi", 7, null];\n');
  await assert.rejects(
    () => importFeaturesModule(file, `${TMP}/x/v1`),
    (e: Error) =>
      e.name === "UsageError" && /found "rsi" at index 0$/.test(e.message) &&
      e.message.includes(file),
  );
});

const broken = (name: string, def: string): string =>
  `import { registerFeature } from "${API}";\nregisterFeature("${name}", ${def});\n`;

Deno.test("a custom feature whose create(), step or warmup fails is named with its module", async () => {
  const cases: [string, string, RegExp][] = [
    [
      "boom_create",
      "{ params: {}, warmup: () => 1, create: () => { throw new Error('create boom'); } }",
      /^Expected feature boom_create of the features module .*create_case\.ts to create its per-bar step, found an error: create boom$/,
    ],
    [
      "boom_bar",
      "{ params: {}, warmup: () => 1, create: () => () => { throw new Error('bar boom'); } }",
      /^Expected feature boom_bar of the features module .*bar_case\.ts to compute a bar, found an error at 2020-01-01: bar boom$/,
    ],
    [
      "nan_warmup",
      "{ params: {}, warmup: () => NaN, create: () => (bar) => bar.close }",
      /^Expected feature nan_warmup of the features module .*warmup_case\.ts to give a whole number of warm-up bars from warmup\(\), found NaN$/,
    ],
  ];
  for (const [name, def, expected] of cases) {
    const file = await badModule(`${name.split("_")[1]}_case`, broken(name, def));
    await assert.rejects(
      () => importFeaturesModule(file, `${TMP}/x/v1`),
      (e: Error) => e.name === "DataError" && expected.test(e.message),
      name,
    );
  }
});
