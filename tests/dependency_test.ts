/**
 * The module as a dependency: a bot project in another folder, with its own `deno.json`, imports
 * the module by its package name (`@lstm-signal/core`, `@lstm-signal/core/data`), exactly as it
 * will from JSR, and runs on the synthetic market with the network shut out (`--cached-only`:
 * npm packages come from Deno's cache). Two ways to point the names at a checkout, both in the
 * README ("Using it from your bot"): a scoped import map in the bot's `deno.json`, and a workspace
 * whose members are the module and the bot.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { ROOT, trainTinyModel } from "./tiny_model_fixture.ts";
import { createLstmSignal } from "../mod.ts";
import { loadSeries } from "../src/data/mod.ts";
import denoJson from "../deno.json" with { type: "json" };
import { symlink } from "./fs_fixture.ts";

/** The bot: what a README reader writes, importing the module by its name only. */
const BOT = `import { createLstmSignal } from "@lstm-signal/core";
import { loadSeries } from "@lstm-signal/core/data";

const signal = createLstmSignal({ modelDir: "models/lstm" });
await signal.init();
const { bars } = await loadSeries({ ticker: "SPY", source: "synthetic" });
const probabilities = [];
for (const bar of bars.slice(-120)) {
  const s = await signal.onBar("SPY", bar);
  if (s.status === "ok") probabilities.push(s.probabilityUp);
}
console.log(JSON.stringify({ version: signal.version, probabilities }));
await signal.dispose();
`;

/** What the bot prints, computed in this process through the project's own entries. */
async function expected(modelDir: string): Promise<string> {
  const signal = createLstmSignal({ modelDir });
  await signal.init();
  const { bars } = await loadSeries({ ticker: "SPY", source: "synthetic" });
  const probabilities = [];
  for (const bar of bars.slice(-120)) {
    const s = await signal.onBar("SPY", bar);
    if (s.status === "ok") probabilities.push(s.probabilityUp);
  }
  const version = signal.version;
  await signal.dispose();
  return JSON.stringify({ version, probabilities });
}

/** Runs `bot.ts` in `cwd` offline, reading only its model folder. */
async function runBot(cwd: string): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--cached-only", "--allow-read=models/lstm", "bot.ts"],
    cwd,
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder();
  return { code, out: text.decode(stdout).trim(), err: text.decode(stderr) };
}

/** The module's subpath entries the bot imports, as import-map entries pointing at `root`. */
function entries(root: string): Record<string, string> {
  return {
    "@lstm-signal/core": `${root}/mod.ts`,
    "@lstm-signal/core/data": `${root}/${denoJson.exports["./data"].slice(2)}`,
  };
}

Deno.test("a bot in another folder runs the module through a scoped import map in its deno.json, offline", async () => {
  const work = await Deno.makeTempDir();
  try {
    const bot = join(work, "bot");
    await Deno.mkdir(join(bot, "models"), { recursive: true });
    await trainTinyModel(join(bot, "models", "lstm"), "SPY", ["--calibration", "none"]);
    const module = relative(bot, ROOT).replace(/\/$/, "");
    // The README's shape: the entries the bot uses, and the module's own imports for its files.
    await Deno.writeTextFile(
      join(bot, "deno.json"),
      JSON.stringify(
        { imports: entries(module), scopes: { [`${module}/`]: denoJson.imports } },
        null,
        2,
      ),
    );
    await Deno.writeTextFile(join(bot, "bot.ts"), BOT);
    const run = await runBot(bot);
    assert.equal(run.code, 0, run.err);
    const want = await expected(join(bot, "models", "lstm"));
    assert.equal(run.out, want, "the bot hands out the project's own probabilities");
    const { version, probabilities } = JSON.parse(run.out);
    assert.equal(version, "v1");
    assert.ok(probabilities.length > 0, "expected ok signals");
    assert.ok(probabilities.every((p: number) => p > 0 && p < 1), run.out);
    assert.ok(new Set(probabilities).size > 1, "expected the network's own, varying probabilities");
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("a bot beside the module in one workspace imports it by name, offline", async () => {
  const work = await Deno.makeTempDir();
  try {
    const bot = join(work, "bot");
    await Deno.mkdir(join(bot, "models"), { recursive: true });
    await trainTinyModel(join(bot, "models", "lstm"), "SPY", ["--calibration", "none"]);
    await symlink(ROOT, join(work, "lstm-signal"));
    await Deno.writeTextFile(
      join(work, "deno.json"),
      JSON.stringify({ workspace: ["./lstm-signal", "./bot"] }),
    );
    await Deno.writeTextFile(join(bot, "deno.json"), "{}\n");
    await Deno.writeTextFile(join(bot, "bot.ts"), BOT);
    const run = await runBot(bot);
    assert.equal(run.code, 0, run.err);
    assert.equal(run.out, await expected(join(bot, "models", "lstm")));
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("without either, importing the module by path fails on its first bare import", async () => {
  const work = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(work, "deno.json"), "{}\n");
    await Deno.writeTextFile(
      join(work, "bot.ts"),
      `import { createLstmSignal } from "${relative(work, ROOT)}/mod.ts";\n` +
        "console.log(typeof createLstmSignal);\n",
    );
    const run = await runBot(work);
    assert.notEqual(run.code, 0, run.out);
    assert.match(run.err, /not a dependency/);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("the WASM asset resolves without an import map, pinned to deno.json's version", async () => {
  const source = await Deno.readTextFile(join(ROOT, "src/util/assets.ts"));
  const pinned = denoJson.imports["@tensorflow/tfjs-backend-wasm"];
  assert.ok(source.includes(`"${pinned}/dist/`), `expected assets.ts to resolve ${pinned}`);
  const { tfjsWasmPath } = await import("../src/util/assets.ts");
  const bytes = await Deno.readFile(tfjsWasmPath());
  assert.deepEqual([...bytes.subarray(0, 4)], [0, 0x61, 0x73, 0x6d], "a WebAssembly module");
});
