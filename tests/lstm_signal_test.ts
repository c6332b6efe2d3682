import assert from "node:assert/strict";
import { join } from "node:path";
import { createLstmSignal } from "../plugins/lstm_signal.ts";
import { loadSeries } from "../src/data/mod.ts";
import type { Bar } from "../src/data/types.ts";
import { promote, rollback } from "../src/model/versions.ts";
import { sha256Hex } from "../src/util/fs.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const SPY = new URL("../../shared/data/SPY.csv", import.meta.url).pathname;

/** Trains a tiny model with the real command into `<dir>/<name>/vN`. */
async function train(dir: string, name: string, seed: number): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      `--allow-write=${dir}`,
      "cli.ts",
      "train",
      "--source",
      "synthetic",
      "--epochs",
      "1",
      "--sequence-length",
      "8",
      "--lstm-units",
      "4",
      "--batch-size",
      "64",
      "--seed",
      String(seed),
      "--backend",
      "cpu",
      "--model-dir",
      dir,
      "--name",
      name,
      "--json",
    ],
    cwd: ROOT,
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `train failed: ${stderr}`);
  return JSON.parse(new TextDecoder().decode(out.stdout)).modelDir;
}

const models = await Deno.makeTempDir();
const firstVersion = await train(models, "lstm", 1);
const root = join(models, "lstm");
const spy: Bar[] = (await loadSeries({ ticker: "SPY", csv: SPY })).bars.slice(0, 400);
let secondVersion: string | undefined;

/** The model's second version (seed 2: other synthetic bars, so another scaler), trained once. */
async function second(): Promise<string> {
  secondVersion ??= await train(models, "lstm", 2);
  return secondVersion;
}

Deno.test("without a model the plugin answers no-model at 0.5 and warns once", async () => {
  const warnings: string[] = [];
  const plugin = createLstmSignal({
    modelDir: join(models, "missing"),
    warn: (w) => warnings.push(w),
  });
  await plugin.init();
  for (const bar of spy.slice(0, 5)) {
    const s = await plugin.onBar("SPY", bar);
    assert.equal(s.status, "no-model");
    assert.equal(s.probabilityUp, 0.5);
    assert.equal(s.direction, "flat");
  }
  assert.equal(warnings.length, 1);
  await plugin.dispose();
});

Deno.test("onBar bar by bar equals predict on the history so far", async () => {
  const plugin = createLstmSignal({ modelDir: root, allowNoSkill: true });
  await plugin.init();
  let ok = 0;
  for (let i = 0; i < spy.length; i++) {
    const incremental = await plugin.onBar("SPY", spy[i]);
    const batch = await plugin.predict("SPY", spy.slice(0, i + 1));
    assert.equal(incremental.status, batch.status, `status at ${spy[i].time}`);
    assert.ok(Math.abs(incremental.probabilityUp - batch.probabilityUp) <= 1e-6, spy[i].time);
    if (incremental.status === "ok") ok++;
  }
  assert.equal(ok, spy.length - plugin.warmupBars + 1);
  await plugin.dispose();
});

Deno.test("the first bars are warming-up", async () => {
  const plugin = createLstmSignal({ modelDir: root });
  await plugin.init();
  const first = await plugin.onBar("SPY", spy[0]);
  assert.equal(first.status, "warming-up");
  assert.equal(first.model.version, "v1");
  await plugin.dispose();
});

Deno.test("symbols keep separate state", async () => {
  const plugin = createLstmSignal({ modelDir: root, allowNoSkill: true });
  await plugin.init();
  for (const bar of spy.slice(0, 100)) await plugin.onBar("SPY", bar);
  const other = await plugin.onBar("QQQ", spy[100]);
  assert.equal(other.status, "warming-up");
  assert.equal((await plugin.onBar("SPY", spy[100])).status, "ok");
  await plugin.dispose();
});

Deno.test("a model older than maxModelAgeDays gives stale-model signals", async () => {
  const plugin = createLstmSignal({ modelDir: root, maxModelAgeDays: 30, allowNoSkill: true });
  await plugin.init();
  const late = spy.map((b, i) => ({
    ...b,
    time: `2030-${String(1 + Math.floor(i / 28) % 12).padStart(2, "0")}-${
      String(1 + (i % 28)).padStart(2, "0")
    }`,
  }));
  let last;
  for (const bar of late.slice(0, 120)) last = await plugin.onBar("SPY", bar);
  assert.equal(last?.status, "stale-model");
  assert.equal(last?.direction, "flat");
  await plugin.dispose();
});

Deno.test("a bar with an absurd price is out-of-distribution", async () => {
  const plugin = createLstmSignal({ modelDir: root });
  await plugin.init();
  for (const bar of spy.slice(0, 150)) await plugin.onBar("SPY", bar);
  const b = spy[150];
  const absurd = {
    ...b,
    open: b.open * 1000,
    high: b.high * 1000,
    low: b.low * 1000,
    close: b.close * 1000,
    adjClose: undefined,
  };
  const s = await plugin.onBar("SPY", absurd);
  assert.equal(s.status, "out-of-distribution");
  assert.equal(s.probabilityUp, 0.5);
  await plugin.dispose();
});

Deno.test("the plugin follows promote and rollback, and versions stay untouched", async () => {
  const secondDir = await second();
  assert.notEqual(secondDir, firstVersion);
  const hashes = async (): Promise<string[]> =>
    await Promise.all(
      [firstVersion, secondDir].map(async (d) =>
        sha256Hex(await Deno.readFile(join(d, "weights.bin")))
      ),
    );
  const before = await hashes();
  const plugin = createLstmSignal({ modelDir: root });
  await plugin.init();
  assert.equal(plugin.version, "v2");
  await rollback(root);
  await plugin.reload();
  assert.equal(plugin.version, "v1");
  await promote(root, "v2");
  await plugin.reload();
  assert.equal(plugin.version, "v2");
  assert.deepEqual(await hashes(), before);
  await plugin.dispose();
});

Deno.test("after a reload to a version with another scaler, the carried-over raw rows are scaled with the new one", async () => {
  const secondDir = await second();
  const scaler = async (dir: string): Promise<unknown> =>
    JSON.parse(await Deno.readTextFile(join(dir, "scaler.json")));
  assert.notDeepEqual(await scaler(secondDir), await scaler(firstVersion));
  await promote(root, "v1");
  const plugin = createLstmSignal({ modelDir: root, maxZScore: Infinity, allowNoSkill: true });
  await plugin.init();
  assert.equal(plugin.version, "v1");
  for (const bar of spy.slice(0, 150)) await plugin.onBar("SPY", bar);
  const before = await plugin.predict("SPY", spy.slice(0, 151));
  await promote(root, "v2");
  await plugin.reload();
  assert.equal(plugin.version, "v2");
  const carried = await plugin.onBar("SPY", spy[150]);
  assert.equal(carried.status, "ok", "no new warm-up after the reload");
  const fresh = createLstmSignal({ modelDir: root, maxZScore: Infinity });
  const expected = await fresh.predict("SPY", spy.slice(0, 151));
  assert.equal(expected.model.version, "v2");
  assert.ok(Math.abs(carried.probabilityUp - expected.probabilityUp) <= 1e-6);
  assert.notEqual(carried.probabilityUp, before.probabilityUp, "v1 says something else");
  plugin.dispose();
  fresh.dispose();
});

Deno.test("a corrupted model.json fails init naming the file", async () => {
  const dir = await copyModel(firstVersion);
  await Deno.writeTextFile(join(dir, "model.json"), "{ not json");
  await assert.rejects(() => createLstmSignal({ modelDir: dir }).init(), /model\.json/);
});

Deno.test("a weights file of the wrong size fails init naming the file", async () => {
  const dir = await copyModel(firstVersion);
  const weights = await Deno.readFile(join(dir, "weights.bin"));
  await Deno.writeFile(join(dir, "weights.bin"), weights.subarray(0, weights.length - 8));
  await assert.rejects(() => createLstmSignal({ modelDir: dir }).init(), /weights\.bin/);
});

Deno.test("a feature list the module does not know fails init naming the file", async () => {
  const dir = await copyModel(firstVersion);
  const path = join(dir, "model_config.json");
  const config = JSON.parse(await Deno.readTextFile(path));
  config.features[0].name = "moon_phase";
  await Deno.writeTextFile(path, JSON.stringify(config));
  await assert.rejects(
    () => createLstmSignal({ modelDir: dir }).init(),
    /model_config\.json.*moon_phase/,
  );
});

Deno.test("with logPath every signal is appended as a JSON line", async () => {
  const log = join(await Deno.makeTempDir(), "predictions.jsonl");
  const plugin = createLstmSignal({ modelDir: root, logPath: log });
  await plugin.init();
  for (const bar of spy.slice(0, 120)) await plugin.onBar("SPY", bar);
  await plugin.dispose();
  const lines = (await Deno.readTextFile(log)).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 120);
  assert.equal(lines[119].time, spy[119].time);
  assert.equal(lines[119].features.length, 10);
});

/** A copy of the first version whose card's calibration is Platt at `shrinkage` on the base rate 0.56. */
async function withShrinkage(shrinkage: number): Promise<string> {
  const dir = await copyModel(firstVersion);
  const path = join(dir, "model_config.json");
  const config = JSON.parse(await Deno.readTextFile(path));
  config.calibration = {
    ...config.calibration,
    method: "platt",
    platt: { slope: 1, intercept: 0 },
    isotonic: null,
    shrinkage,
    baseRate: 0.56,
  };
  await Deno.writeTextFile(path, JSON.stringify(config));
  return dir;
}

Deno.test("a model without validated skill is no-skill and flat at the base rate; allowNoSkill hands it out as ok", async () => {
  const dir = await withShrinkage(1);
  const history = spy.slice(0, 150);
  const guarded = createLstmSignal({ modelDir: dir });
  const s = await guarded.predict("SPY", history);
  assert.equal(s.status, "no-skill");
  assert.equal(s.direction, "flat", "0.56 is above the up threshold, yet never traded");
  assert.equal(s.probabilityUp, 0.56, "the base rate");
  assert.equal(typeof s.rawProbability, "number");
  assert.equal(s.confidence, Math.abs(2 * 0.56 - 1));
  // No skill outranks a stale model: both are flat, the lack of skill is the reason to say.
  const stale = createLstmSignal({ modelDir: dir, maxModelAgeDays: 0 });
  assert.equal((await stale.predict("SPY", history)).status, "no-skill");
  const allowed = createLstmSignal({ modelDir: dir, allowNoSkill: true });
  const a = await allowed.predict("SPY", history);
  assert.equal(a.status, "ok");
  assert.equal(a.direction, "up", "a bot that asked for the base rate gets its direction");
  assert.equal(a.probabilityUp, 0.56);
  // Warm-up still comes first.
  assert.equal((await guarded.onBar("SPY", spy[0])).status, "warming-up");
  for (const p of [guarded, stale, allowed]) p.dispose();
});

Deno.test("a model with validated skill (shrinkage below 1) is ok by default", async () => {
  const plugin = createLstmSignal({ modelDir: await withShrinkage(0.5) });
  const s = await plugin.predict("SPY", spy.slice(0, 150));
  assert.equal(s.status, "ok");
  assert.ok(Math.abs(s.probabilityUp - (0.5 * 0.56 + 0.5 * s.rawProbability!)) < 1e-9);
  plugin.dispose();
});

async function copyModel(from: string): Promise<string> {
  const dir = await Deno.makeTempDir();
  for await (const entry of Deno.readDir(from)) {
    await Deno.copyFile(join(from, entry.name), join(dir, entry.name));
  }
  return dir;
}

// Issue 23, the plugin's live path.

Deno.test("a refused bar changes no state: the corrected bar for the same time is taken", async () => {
  const plugin = createLstmSignal({ modelDir: root });
  await plugin.init();
  for (const bar of spy.slice(0, 50)) await plugin.onBar("SPY", bar);
  const next = spy[50];
  await assert.rejects(
    () => plugin.onBar("SPY", { ...next, close: NaN }),
    (e: Error) =>
      e.name === "DataError" &&
      e.message === `Expected a number for close, found NaN in the bar of SPY at ${next.time}`,
  );
  const fixed = await plugin.onBar("SPY", next);
  assert.equal(fixed.time, next.time);
  // A Date as the time is the same bar: a second one for that time is out of order.
  await assert.rejects(
    () => plugin.onBar("SPY", { ...next, time: new Date(`${next.time}T00:00:00Z`) as never }),
    (e: Error) =>
      e.message ===
        `Expected bars of SPY in increasing time order, found ${next.time} after ${next.time}`,
  );
  await plugin.dispose();
});

Deno.test("the live path uses the import's validator: high < low, negative volume refused; close > high repaired", async () => {
  const plugin = createLstmSignal({ modelDir: root });
  await plugin.init();
  for (const bar of spy.slice(0, 50)) await plugin.onBar("SPY", bar);
  const b = spy[50];
  await assert.rejects(
    () => plugin.onBar("SPY", { ...b, high: b.low - 1 }),
    /^DataError: Expected high >= low, found high .* < low .* in the bar of SPY at /,
  );
  await assert.rejects(
    () => plugin.onBar("SPY", { ...b, volume: -5 }),
    /Expected a volume of at least 0, found -5 in the bar of SPY/,
  );
  const s = await plugin.onBar("SPY", { ...b, close: b.high + 1, adjClose: undefined });
  assert.equal(s.time, b.time, "repaired (the range widened), not refused");
  await plugin.dispose();
});

Deno.test("a US-format time is a bad time, not an ordering error", async () => {
  const plugin = createLstmSignal({ modelDir: root });
  await plugin.init();
  await plugin.onBar("SPY", spy[0]);
  await assert.rejects(
    () => plugin.onBar("SPY", { ...spy[1], time: "05/15/2023" }),
    (e: Error) =>
      e.message ===
        'Expected a date as YYYY-MM-DD (like 2024-01-31), found "05/15/2023" in the bar of SPY',
  );
  await plugin.dispose();
});

Deno.test("inverted thresholds are refused at init", async () => {
  const plugin = createLstmSignal({ modelDir: root, upThreshold: 0.4, downThreshold: 0.6 });
  await assert.rejects(
    () => plugin.init(),
    (e: Error) =>
      e.name === "UsageError" &&
      e.message ===
        "Expected downThreshold at or below upThreshold, found downThreshold 0.6 above upThreshold 0.4",
  );
});

Deno.test('"spy" and "SPY" are one stream', async () => {
  const plugin = createLstmSignal({ modelDir: root });
  await plugin.init();
  await plugin.onBar("SPY", spy[0]);
  await assert.rejects(() => plugin.onBar("spy", spy[0]), /in increasing time order/);
  const s = await plugin.onBar("spy", spy[1]);
  assert.equal(s.symbol, "SPY");
  await plugin.dispose();
});

Deno.test("bars that stop carrying adjClose are warned about once", async () => {
  const warnings: string[] = [];
  const plugin = createLstmSignal({ modelDir: root, warn: (w) => warnings.push(w) });
  await plugin.init();
  assert.ok(spy[0].adjClose !== undefined);
  for (const bar of spy.slice(0, 10)) await plugin.onBar("SPY", bar);
  for (const bar of spy.slice(10, 20)) await plugin.onBar("SPY", { ...bar, adjClose: undefined });
  assert.equal(warnings.length, 1, warnings.join("\n"));
  assert.match(warnings[0], /bars of SPY without adjClose after bars with one \(at /);
  await plugin.dispose();
});
