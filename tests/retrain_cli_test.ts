/**
 * `deno task retrain` end to end, as subprocesses, with tiny models (4 LSTM
 * units, 10-bar windows, 2 epochs) on seeded synthetic SPY bars: the first
 * version, a promotion, a rejection that leaves the current version's files
 * byte for byte, a dry run that writes nothing, the overlap note, and one
 * line with exit code 2 or 1 for each mistake.
 */
import assert from "node:assert/strict";
import { readCard } from "../src/model/card.ts";
import { join } from "node:path";
import { loadSeries } from "../src/data/mod.ts";
import { evaluateModel } from "../src/pipeline/score.ts";
import { selectBackend } from "../src/model/mod.ts";
import { cli, resealWeights, type Run, tinyTrainArgs } from "./tiny_model_fixture.ts";

const TMP = await Deno.makeTempDir({ prefix: "retrain_cli_" });
globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));

const TINY = tinyTrainArgs("SPY");

let count = 0;
/** A fresh `--model-dir` for one test; the model name is always `m`. */
async function freshDir(): Promise<string> {
  const dir = join(TMP, `t${++count}`);
  await Deno.mkdir(dir);
  return dir;
}

/** Runs `retrain` with the tiny flags (later flags win) into `dir`/m, writing only under `dir`. */
function retrain(dir: string, ...args: string[]): Promise<Run> {
  return cli(["retrain", ...TINY, "--model-dir", dir, "--name", "m", ...args], dir);
}

/** Runs `retrain --json`, asserts exit 0 and returns the parsed result. */
// deno-lint-ignore no-explicit-any
async function retrainJson(dir: string, ...args: string[]): Promise<any> {
  const run = await retrain(dir, ...args, "--json");
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout);
}

const readJson = async (path: string): Promise<unknown> =>
  JSON.parse(await Deno.readTextFile(path));

/** Every file under `dir` with its SHA-256, sorted by path. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for await (const entry of Deno.readDir(d)) {
      const path = join(d, entry.name);
      if (entry.isDirectory) {
        out.push(`${path}/`);
        await walk(path);
      } else {
        const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
        out.push(`${path} ${Array.from(new Uint8Array(digest)).join(",")}`);
      }
    }
  };
  await walk(dir);
  return out.sort();
}

function assertOneLineFailure(run: Run, code: number, pattern: RegExp): void {
  assert.equal(run.code, code, run.stderr);
  assert.equal(run.stdout, "");
  const lines = run.stderr.trim().split("\n");
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], pattern);
}

Deno.test("the first retrain promotes the candidate as the first version, trained before the holdout", async () => {
  const dir = await freshDir();
  const r = await retrainJson(dir);
  assert.equal(r.decision, "first-version");
  assert.equal(r.promoted, true);
  assert.equal(r.current, null);
  assert.equal(r.candidate.version, "v1");
  assert.match(r.reason, /no current version/);
  assert.deepEqual(r.pointer, { current: "v1", history: [] });
  assert.deepEqual(await readJson(join(dir, "m", "current.json")), r.pointer);
  // Default holdout: 15% of the 1305 synthetic bars, ending at the last labelled bar.
  const { bars } = await loadSeries({ ticker: "SPY", source: "synthetic", seed: 42 });
  assert.equal(r.holdout.rows, Math.round(bars.length * 0.15));
  assert.equal(r.holdout.last, bars[bars.length - 2].time);
  assert.equal(r.holdout.first, bars[bars.length - 1 - r.holdout.rows].time);
  // The candidate never saw the holdout: its last test window ends before it.
  assert.ok(r.candidate.trained.test.last < r.holdout.first);
  const config = await readCard(join(dir, "m", "v1"));
  assert.equal(config.data.ranges.test.last, r.candidate.trained.test.last);
  const record = await readJson(join(dir, "m", "v1", "retrain.json")) as Record<string, unknown>;
  assert.equal(record.decision, "first-version");
  // The candidate scored in memory scores the same as the saved version loaded from disk.
  await selectBackend("cpu");
  const saved = await evaluateModel(join(dir, "m", "v1"), bars, {
    ticker: "SPY",
    start: r.holdout.first,
    end: r.holdout.last,
    seed: 42,
  });
  assert.equal(saved.rows, r.holdout.rows);
  for (const key of ["accuracy", "auc", "logLoss", "brier", "mcc"]) {
    assert.equal(saved.metrics[key as "auc"], r.candidate.metrics[key], key);
  }
});

Deno.test("a candidate better than the current version is promoted and the pointer moves", async () => {
  const dir = await freshDir();
  // Uncalibrated versions: a calibrated v1 without validation skill would hand out the base rate
  // whatever its rigged weights say.
  const raw = ["--calibration", "none"];
  await retrainJson(dir, ...raw);
  // Rig v1: its output bias pushes every probability to ~0, a terrible log loss.
  const v1 = join(dir, "m", "v1");
  const manifest = (await readJson(join(v1, "model.json")) as {
    weightsManifest: { weights: { name: string; shape: number[] }[] }[];
  }).weightsManifest.flatMap((g) => g.weights);
  const last = manifest[manifest.length - 1];
  assert.match(last.name, /bias/);
  assert.deepEqual(last.shape, [1]);
  const weights = await Deno.readFile(join(v1, "weights.bin"));
  new DataView(weights.buffer).setFloat32(weights.byteLength - 4, -30, true);
  await Deno.writeFile(join(v1, "weights.bin"), weights);
  await resealWeights(v1); // rigged on purpose: the card records the new hash

  const r = await retrainJson(dir, ...raw);
  assert.equal(r.decision, "promoted");
  assert.equal(r.promoted, true);
  assert.equal(r.current.version, "v1");
  assert.equal(r.candidate.version, "v2");
  assert.ok(r.candidate.metrics.logLoss < r.current.metrics.logLoss - 1, JSON.stringify(r));
  assert.match(r.reason, /better by/);
  assert.deepEqual(await readJson(join(dir, "m", "current.json")), {
    current: "v2",
    history: ["v1"],
  });
  const record = await readJson(join(dir, "m", "v2", "retrain.json")) as Record<string, unknown>;
  assert.equal(record.decision, "promoted");
});

Deno.test("a candidate worse than the tolerance allows is rejected; the current version stays byte for byte", async () => {
  const dir = await freshDir();
  await retrainJson(dir);
  const root = join(dir, "m");
  const before = await snapshot(root);
  const pointer = await Deno.readFile(join(root, "current.json"));
  // A tolerance of -1 demands a log loss 1 lower than the current one: impossible near 0.69.
  const run = await retrain(dir, "--tolerance=-1", "--lstm-units", "5");
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /decision: rejected: candidate log loss [\d.]+ vs current [\d.]+/);
  assert.match(run.stdout, /current\s+v1\s/);
  assert.match(run.stdout, /v2 stays on disk, marked rejected/);
  assert.deepEqual(await Deno.readFile(join(root, "current.json")), pointer);
  const after = await snapshot(root);
  // The rejected v2 and the decision appended to the retrain log are all that changed.
  const log = join(root, "retrain_log.jsonl");
  const kept = (lines: string[]): string[] =>
    lines.filter((line) => !line.startsWith(join(root, "v2")) && !line.startsWith(log));
  assert.deepEqual(kept(after), kept(before));
  const decisions = (await Deno.readTextFile(log)).trim().split("\n").map((l) =>
    JSON.parse(l).decision
  );
  assert.deepEqual(decisions, ["first-version", "rejected"]);
  const record = await readJson(join(root, "v2", "retrain.json")) as Record<string, unknown>;
  assert.equal(record.decision, "rejected");
  // models list still reads every version and still names v1 current.
  const list = await cli(["models", "list", "--model", root, "--json"], dir);
  assert.equal(list.code, 0, list.stderr);
  const listed = JSON.parse(list.stdout);
  assert.equal(listed.current, "v1");
  assert.deepEqual(listed.versions.map((v: { version: string }) => v.version), ["v1", "v2"]);
  assert.deepEqual(
    listed.versions.map((v: { retrain: string | null }) => v.retrain),
    ["first-version", "rejected"],
  );
});

Deno.test("--dry-run writes nothing under the model folder and decides as the real run does", async () => {
  const empty = await freshDir();
  const first = await retrainJson(empty, "--dry-run");
  assert.equal(first.decision, "would-promote");
  assert.equal(first.promoted, false);
  assert.equal(first.pointer, null);
  assert.deepEqual(await snapshot(empty), [], "nothing created for a new model");

  const dir = await freshDir();
  await retrainJson(dir);
  const before = await snapshot(dir);
  const worse = await retrainJson(dir, "--dry-run", "--tolerance=-1");
  assert.equal(worse.decision, "would-reject");
  const r = await retrainJson(dir, "--dry-run", "--lstm-units", "5");
  assert.match(r.decision, /^would-(promote|reject)$/);
  assert.equal(r.promoted, false);
  assert.equal(r.candidate.saved, false);
  assert.equal(r.candidate.dir, null);
  assert.equal(r.candidate.version, "v2");
  assert.match(r.reason, /--dry-run: nothing written/);
  assert.deepEqual(await snapshot(dir), before);
  // The same flags for real: the same scores and the decision the dry run announced.
  const real = await retrainJson(dir, "--lstm-units", "5");
  assert.equal(real.decision, r.decision === "would-promote" ? "promoted" : "rejected");
  assert.deepEqual(real.candidate.metrics, r.candidate.metrics);
  assert.deepEqual(real.current.metrics, r.current.metrics);
});

Deno.test("retrain defaults to the current version's ticker and reports holdout rows it was trained on", async () => {
  const dir = await freshDir();
  // The current version from `train`: its validation range runs into the last 300 bars.
  const trained = await cli([
    "train",
    ...TINY,
    "--ticker",
    "QQQ",
    "--model-dir",
    dir,
    "--name",
    "m",
  ], dir);
  assert.equal(trained.code, 0, trained.stderr);
  const config = await readCard(join(dir, "m", "v1"));
  const seenUpTo = config.data.ranges.validation.last;
  const args = TINY.filter((_, i) => TINY[i] !== "--ticker" && TINY[i - 1] !== "--ticker");
  const run = await cli([
    "retrain",
    ...args,
    "--model-dir",
    dir,
    "--name",
    "m",
    "--data-dir",
    join(dir, "no-cache"),
    "--holdout",
    "300",
    "--json",
  ], dir);
  assert.equal(run.code, 0, run.stderr);
  const r = JSON.parse(run.stdout);
  assert.equal(r.ticker, "QQQ");
  assert.equal(r.source, "synthetic");
  const { bars } = await loadSeries({ ticker: "QQQ", source: "synthetic", seed: 42 });
  const seen = bars.filter((b) => b.time >= r.holdout.first && b.time <= seenUpTo).length;
  assert.ok(seen > 0, `validation ends ${seenUpTo}, holdout starts ${r.holdout.first}`);
  assert.ok(
    r.notes.some((n: string) =>
      n.includes(`trained or early-stopped on ${seen} of the 300 holdout rows (to ${seenUpTo})`)
    ),
    JSON.stringify(r.notes),
  );
});

Deno.test("retrain exits 2 with one line for each usage mistake, 1 for too little data", async () => {
  const dir = await freshDir();
  const cases: [string[], RegExp][] = [
    [["--frobnicate"], /Unknown option '--frobnicate'/],
    [["--no-promote"], /Unknown option '--no-promote'/],
    [["--metric", "f1"], /--metric to be one of log-loss, brier, auc, accuracy/],
    [["--holdout", "5"], /--holdout to be an integer of at least 20/],
    [["--tolerance", "abc"], /--tolerance to be a number/],
    [["--ticker", "SPY,QQQ"], /one --ticker/],
    [["--name", "../x"], /--name to be a folder name/],
    [["--arch", "transformer"], /--arch to be one of/],
  ];
  for (const [args, pattern] of cases) {
    assertOneLineFailure(await retrain(dir, ...args), 2, pattern);
  }
  assertOneLineFailure(
    await retrain(dir, "--holdout", "1250"),
    1,
    /bars before a 1250-row holdout/,
  );
  assert.deepEqual(await snapshot(dir), [], "no failed run wrote anything");
  const help = await cli(["retrain", "--help"], dir);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--dry-run/);
  assert.match(help.stdout, /--tolerance/);
});

Deno.test("retrain refuses a --horizon other than the current version's (exit 2)", async () => {
  const dir = await freshDir();
  await retrainJson(dir);
  const before = await snapshot(dir);
  assertOneLineFailure(await retrain(dir, "--horizon", "3"), 2, /--horizon 1 like the current/);
  assert.deepEqual(await snapshot(dir), before);
});
