/**
 * `deno task predict`: the latest signal from the plugin a bot registers, for the model's own
 * series by default, for named tickers, and with no model at all.
 */
import assert from "node:assert/strict";
import { cli, trainTinyModel } from "./tiny_model_fixture.ts";
import { createLstmSignal } from "../mod.ts";
import { loadSeries } from "../src/data/mod.ts";

const TMP = await Deno.makeTempDir();
const MODEL = `${TMP}/model`;
await trainTinyModel(MODEL, "SPY");

const predict = (...args: string[]) => cli(["predict", ...args], TMP);

Deno.test("predict without --ticker signals the model's own series, as the plugin does", async () => {
  const run = await predict("--model", MODEL, "--json");
  assert.equal(run.code, 0, run.stderr);
  const signal = JSON.parse(run.stdout);
  const { bars } = await loadSeries({ ticker: "SPY", source: "synthetic", seed: 42 });
  assert.equal(signal.symbol, "SPY");
  // The tiny model shows no skill on its held-out validation rows: the base rate, said as such.
  assert.equal(signal.status, "no-skill");
  assert.equal(signal.direction, "flat");
  assert.equal(signal.time, bars[bars.length - 1].time);
  assert.equal(signal.model.version, "v1");
  const plugin = createLstmSignal({ modelDir: MODEL });
  await plugin.init();
  const expected = await plugin.predict("SPY", bars);
  await plugin.dispose();
  assert.ok(Math.abs(signal.probabilityUp - expected.probabilityUp) < 1e-6);
});

Deno.test("predict --ticker with several symbols prints one signal each", async () => {
  const run = await predict("--model", MODEL, "--ticker", "SPY,qqq", "--source", "synthetic");
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split("\n");
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^SPY \d{4}-\d{2}-\d{2}: P\(up in 1 bar\) = 0\.\d{3} /);
  assert.match(lines[1], /^QQQ /);
  assert.match(
    lines[0],
    /flat \(confidence 0\.\d\d, no-skill: the model showed no skill on its held-out validation rows, so this is the training base rate, not a signal to trade, model model v1\)$/,
  );
});

Deno.test("predict --ticker with no model exits 1 naming the folder (a script notices)", async () => {
  const run = await predict("--model", `${TMP}/none`, "--ticker", "SPY", "--source", "synthetic");
  assert.equal(run.code, 1);
  assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  assert.match(run.stderr, /Expected a model in .*\/none .*found none/);
  assert.equal(run.stdout, "");
});

Deno.test("predict with no model and no --ticker names the folder in one line, exit 1", async () => {
  const run = await predict("--model", `${TMP}/none`);
  assert.equal(run.code, 1);
  assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  assert.match(
    run.stderr,
    /Expected a model in .*\/none .*found none; run `deno task train` first/,
  );
  assert.equal(run.stdout, "");
});

Deno.test("predict rejects a bad date and a bad ticker with one line and exit 2", async () => {
  for (const args of [["--end", "2024-13-01"], ["--ticker", "../etc"]]) {
    const run = await predict("--model", MODEL, ...args);
    assert.equal(run.code, 2, args.join(" "));
    assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  }
});

globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));
