import assert from "node:assert/strict";
import { loadSeries } from "../src/data/mod.ts";
import type { Bar } from "../src/data/types.ts";
import { computeFeatures, DEFAULT_FEATURES } from "../src/features/mod.ts";
import { createCard, readCard, writeCard } from "../src/model/card.ts";
import { createLstmSignal } from "../plugins/lstm_signal.ts";
import { trainTinyModel } from "./tiny_model_fixture.ts";
import { cardDraft } from "./model_fixtures.ts";
import { REFERENCE_FILE, referenceProfile } from "../src/eval/drift.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const HORIZON = 2;
const LIVE = 250;
const TEST_ACCURACY = 0.56;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function monitor(args: string[]): Promise<Run> {
  const command = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "cli.ts", "monitor", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
  });
  const { code, stdout, stderr } = await command.output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** A deterministic probability per bar, spread over 0.3..0.7. */
function probabilityAt(i: number): number {
  return 0.5 + 0.2 * Math.sin(i * 1.7);
}

interface Fixture {
  dir: string;
  root: string;
  bars: Bar[];
  rows: Float64Array[];
  /** Index of the first logged bar. */
  first: number;
  /** Index of the first complete feature row. */
  warmup: number;
}

/**
 * A versioned model root (v1 current) with a model card written by the card module and
 * a reference.json profiled on the synthetic SPY series before the last LIVE bars.
 */
async function fixture(): Promise<Fixture> {
  const { bars } = await loadSeries({ ticker: "SPY", source: "synthetic" });
  const { names, rows, warmup } = computeFeatures(bars);
  const first = bars.length - LIVE;
  const dir = await Deno.makeTempDir();
  const root = `${dir}/lstm`;
  const v1 = `${root}/v1`;
  await Deno.mkdir(v1, { recursive: true });
  const train = rows.slice(warmup, first);
  const trainProbs = train.map((_, k) => probabilityAt(warmup + k));
  await Deno.writeTextFile(`${v1}/model.json`, "{}");
  await Deno.writeTextFile(
    `${v1}/${REFERENCE_FILE}`,
    JSON.stringify(referenceProfile(train, names, trainProbs)),
  );
  const test = { first: bars[first - 200].time, last: bars[first - 1].time, rows: 200 };
  const draft = cardDraft({
    features: DEFAULT_FEATURES,
    nFeatures: names.length,
    sequenceLength: 20,
    horizon: HORIZON,
    data: { ...cardDraft().data, ticker: "SPY", ranges: { train: test, validation: test, test } },
    metrics: { ...cardDraft().metrics, test: { loss: 0.69, accuracy: TEST_ACCURACY } },
    testBaseRate: 0.53,
    seed: 42, // the seed of the synthetic bars above: monitor regenerates a model's own series
  });
  await writeCard(
    v1,
    createCard(draft, { weightsSha256: "0".repeat(64), tfjs: "4.22.0", module: "test" }),
  );
  await Deno.writeTextFile(`${root}/current.json`, JSON.stringify({ current: "v1", history: [] }));
  return { dir, root, bars, rows, first, warmup };
}

function signalLine(
  bar: Bar,
  i: number,
  features: ArrayLike<number> | null,
  overrides: Record<string, unknown> = {},
): string {
  const p = probabilityAt(i);
  return JSON.stringify({
    symbol: "SPY",
    time: bar.time,
    probabilityUp: p,
    direction: p >= 0.55 ? "up" : p <= 0.45 ? "down" : "flat",
    confidence: Math.abs(2 * p - 1),
    horizonBars: HORIZON,
    status: "ok",
    model: { id: "lstm", version: "v1", trainedThrough: "2023-12-29" },
    features: features ? Array.from(features) : null,
    ...overrides,
  });
}

/** The log of the last LIVE bars, with the feature row `featuresOf(i)` for bar i, plus noise lines. */
async function writeLog(
  f: Fixture,
  featuresOf: (i: number) => ArrayLike<number> = (i) => f.rows[i],
): Promise<string> {
  const lines: string[] = [];
  for (let i = f.first; i < f.bars.length; i++) {
    lines.push(signalLine(f.bars[i], i, featuresOf(i)));
  }
  const last = f.bars[f.bars.length - 1];
  lines.push(
    "{not json",
    JSON.stringify({ symbol: "SPY", time: "2024-06-03" }), // no probability: malformed
    signalLine(f.bars[f.first], f.first, null, { status: "warming-up", probabilityUp: 0.5 }),
    signalLine(f.bars[f.first], f.first, f.rows[f.first], { symbol: "QQQ", probabilityUp: 0.99 }),
    signalLine(f.bars[f.first], f.first, f.rows[f.first], {
      time: "2020-01-01",
      model: { id: "lstm", version: "v0", trainedThrough: null },
    }),
    // A bar after the series ends: its outcome is not known yet.
    signalLine({ ...last, time: "2025-01-06" }, f.bars.length, f.rows[f.bars.length - 1]),
  );
  const path = `${f.dir}/predictions.jsonl`;
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  return path;
}

function independentCount(f: Fixture): { correct: number; resolved: number } {
  const close = (i: number): number => f.bars[i].adjClose ?? f.bars[i].close;
  let correct = 0;
  let resolved = 0;
  for (let i = f.first; i + HORIZON < f.bars.length; i++) {
    const up = close(i + HORIZON) > close(i);
    if ((probabilityAt(i) > 0.5) === up) correct++;
    resolved++;
  }
  return { correct, resolved };
}

Deno.test("monitor computes accuracy equal to an independent count and counts pending signals", async () => {
  const f = await fixture();
  const log = await writeLog(f);
  const run = await monitor([
    "--model",
    f.root,
    "--ticker",
    "SPY",
    "--source",
    "synthetic",
    "--log",
    log,
    "--json",
  ]);
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout);
  const { correct, resolved } = independentCount(f);
  assert.equal(result.resolved, resolved);
  assert.equal(result.resolved, LIVE - HORIZON);
  assert.equal(result.accuracy, correct / resolved);
  assert.equal(result.pending, HORIZON + 1); // the last two bars and the one after the series
  assert.equal(result.version, "v1");
  assert.equal(result.rolling.window, 20);
  assert.equal(result.rolling.n, 20);
  assert.deepEqual(result.test, { accuracy: TEST_ACCURACY, loss: 0.69, baseRate: 0.53, rows: 200 });
  assert.match(run.stderr, /skipped 2 malformed lines/);
  assert.match(run.stderr, /other model versions \(v0\)/);
  await Deno.remove(f.dir, { recursive: true });
});

Deno.test("monitor's rolling scores cover the last --window resolved signals", async () => {
  const f = await fixture();
  const log = await writeLog(f);
  const run = await monitor([
    "--model",
    f.root,
    "--ticker",
    "SPY",
    "--source",
    "synthetic",
    "--log",
    log,
    "--window",
    "30",
    "--json",
  ]);
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout);
  const close = (i: number): number => f.bars[i].adjClose ?? f.bars[i].close;
  let correct = 0;
  let brier = 0;
  const lastResolved = f.bars.length - 1 - HORIZON;
  for (let i = lastResolved - 29; i <= lastResolved; i++) {
    const y = close(i + HORIZON) > close(i) ? 1 : 0;
    if ((probabilityAt(i) > 0.5 ? 1 : 0) === y) correct++;
    brier += (probabilityAt(i) - y) ** 2;
  }
  assert.equal(result.rolling.n, 30);
  assert.equal(result.rolling.accuracy, correct / 30);
  assert.ok(Math.abs(result.rolling.brier - brier / 30) < 1e-12);
  const accuracyAlert = result.alerts.some((a: { kind: string }) => a.kind === "accuracy");
  const limit = TEST_ACCURACY - 2 * Math.sqrt(TEST_ACCURACY * (1 - TEST_ACCURACY) / 30);
  assert.equal(accuracyAlert, correct / 30 < limit);
  await Deno.remove(f.dir, { recursive: true });
});

Deno.test("monitor flags no drift when the logged features are drawn from the training rows", async () => {
  const f = await fixture();
  const trainRows = f.first - f.warmup;
  const log = await writeLog(f, (i) => f.rows[f.warmup + (i * 7919) % trainRows]);
  const run = await monitor([
    "--model",
    f.root,
    "--ticker",
    "SPY",
    "--source",
    "synthetic",
    "--log",
    log,
    "--json",
  ]);
  assert.equal(run.code, 0, run.stderr);
  const { drift } = JSON.parse(run.stdout);
  assert.equal(Object.keys(drift.features).length, 10);
  assert.deepEqual(drift.flagged, [], JSON.stringify(drift));
  await Deno.remove(f.dir, { recursive: true });
});

Deno.test("monitor detects drift when the logged features are shifted, without failing unless asked", async () => {
  const f = await fixture();
  const log = await writeLog(f, (i) => f.rows[i].map((x) => 3 * x + 0.5));
  const args = ["--model", f.root, "--ticker", "SPY", "--source", "synthetic", "--log", log];
  const run = await monitor([...args, "--json"]);
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout);
  for (const [name, psi] of Object.entries(result.drift.features)) {
    assert.ok((psi as number) > 0.25, `${name} psi ${psi}`);
  }
  assert.ok(result.drift.flagged.includes("returns(period=1)"));
  assert.ok(!result.drift.flagged.includes("probabilities"), "probabilities were not shifted");
  assert.ok(result.alerts.some((a: { subject: string }) => a.subject === "rsi(period=14)"));
  const text = await monitor(args);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^!\s+returns\(period=1\)\s+\d/m);
  assert.match(text.stdout, /^\s+probabilities\s+\d/m);
  const failing = await monitor([...args, "--fail-on-alert"]);
  assert.equal(failing.code, 1);
  await Deno.remove(f.dir, { recursive: true });
});

Deno.test("monitor fails with one line and exit 1 when the log is missing", async () => {
  const f = await fixture();
  const run = await monitor(["--model", f.root, "--ticker", "SPY", "--source", "synthetic"]);
  assert.equal(run.code, 1);
  assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  assert.match(run.stderr, /Expected a predictions log at .*lstm\/predictions\.jsonl, found none/);
  assert.equal(run.stdout, "");
  await Deno.remove(f.dir, { recursive: true });
});

Deno.test("monitor fails with one line and exit 1 when reference.json is missing", async () => {
  const f = await fixture();
  const log = await writeLog(f);
  await Deno.remove(`${f.root}/v1/${REFERENCE_FILE}`);
  const run = await monitor([
    "--model",
    f.root,
    "--ticker",
    "SPY",
    "--source",
    "synthetic",
    "--log",
    log,
  ]);
  assert.equal(run.code, 1);
  assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  assert.match(run.stderr, /v1\/reference\.json, found none; retrain with this version/);
  await Deno.remove(f.dir, { recursive: true });
});

Deno.test("monitor usage errors exit 2", async () => {
  for (
    const args of [
      [],
      ["--ticker", "SPY", "--window", "0"],
      ["--ticker", "SPY", "--psi-threshold", "high"],
      ["--ticker", "SPY", "--bogus"],
      ["--ticker", "SPY", "--source", "nowhere"],
    ]
  ) {
    const run = await monitor(args);
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, /^error: /);
  }
});

Deno.test("monitor --help says alerts do not change the exit code", async () => {
  const run = await monitor(["--help"]);
  assert.equal(run.code, 0);
  assert.match(run.stdout, /do not change the exit code unless --fail-on-alert/);
});

Deno.test("monitor shows the test rows and base rate of a model deno task train saved", async () => {
  const dir = await Deno.makeTempDir();
  const root = `${dir}/lstm`;
  await trainTinyModel(root, "SPY");
  const card = await readCard(`${root}/v1`);
  const { bars } = await loadSeries({ ticker: "SPY", source: "synthetic" });
  const log = `${dir}/predictions.jsonl`;
  const plugin = createLstmSignal({ modelDir: root, logPath: log, warn: () => {} });
  await plugin.init();
  for (const bar of bars.slice(-120)) await plugin.onBar("SPY", bar);
  plugin.dispose();
  const args = ["--model", root, "--ticker", "SPY", "--source", "synthetic", "--log", log];
  const run = await monitor([...args, "--json"]);
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout);
  assert.deepEqual(result.test, {
    accuracy: card.metrics.test.accuracy,
    loss: card.metrics.test.loss,
    baseRate: card.testBaseRate,
    rows: card.data.ranges.test.rows,
  });
  assert.ok(result.test.rows > 0 && result.test.baseRate > 0 && result.test.baseRate < 1);
  const text = await monitor(args);
  assert.equal(text.code, 0, text.stderr);
  const row = text.stdout.split("\n").find((l) => l.includes("test (model)"))!;
  assert.match(
    row,
    new RegExp(`test \\(model\\)\\s+${card.data.ranges.test.rows}\\s+\\d\\.\\d{3}`),
  );
  assert.match(row, /base rate 0\.\d{3}/);
  await Deno.remove(dir, { recursive: true });
});
