/**
 * `deno task evaluate` end to end, as a subprocess, on a tiny model trained
 * once on seeded synthetic SPY bars: the --json shape, baselines checked
 * against independent counts on the same rows, the out-of-sample default,
 * several tickers, walk-forward, the report in headless Chromium, and one
 * clear line with the right exit code for each failure.
 */
import assert from "node:assert/strict";
import { readCard } from "../src/model/card.ts";
import { formatBarsCsv, loadSeries } from "../src/data/mod.ts";
import type { Bar } from "../src/data/types.ts";
import { evaluateModel } from "../src/pipeline/score.ts";
import { selectBackend } from "../src/model/mod.ts";
import { promote } from "../src/model/versions.ts";
import { cli, resealWeights, trainTinyModel } from "./tiny_model_fixture.ts";

const TMP = await Deno.makeTempDir({ prefix: "evaluate_cli_" });
/** The version folder the train command writes (`model/v1`; `model/current.json` names it). */
const MODEL = `${TMP}/model/v1`;
let trained: Promise<void> | undefined;
globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));

/** Trains the tiny model the first time a test needs it. */
function model(): Promise<void> {
  trained ??= trainTinyModel(`${TMP}/model`, "SPY");
  return trained;
}

async function evaluate(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  await model();
  return await cli(["evaluate", ...args], TMP);
}

/** Copies the model folder to `name` and lets `edit` break it. */
async function brokenCopy(name: string, edit: (dir: string) => Promise<void>): Promise<string> {
  await model();
  const dir = `${TMP}/${name}`;
  await Deno.mkdir(dir);
  for await (const entry of Deno.readDir(MODEL)) {
    await Deno.copyFile(`${MODEL}/${entry.name}`, `${dir}/${entry.name}`);
  }
  await edit(dir);
  return dir;
}

function assertOneLineFailure(
  run: { code: number; stdout: string; stderr: string },
  code: number,
  pattern: RegExp,
): void {
  assert.equal(run.code, code, run.stderr);
  assert.equal(run.stdout, "");
  const lines = run.stderr.trim().split("\n");
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], pattern);
}

const closeOf = (b: Bar): number => b.adjClose ?? b.close;

Deno.test("evaluate --json scores the model's own series out of sample, with every field of the shape", async () => {
  const run = await evaluate("--model", MODEL, "--json");
  assert.equal(run.code, 0, run.stderr);
  const e = JSON.parse(run.stdout);
  const config = await readCard(MODEL);
  assert.equal(e.ticker, "SPY");
  assert.ok(e.first > config.data.ranges.validation.last, "first row after the validation range");
  assert.match(e.scope, /out of sample/);
  assert.ok(e.rows >= 20);
  for (const key of ["accuracy", "auc", "brier", "logLoss", "mcc"]) {
    assert.equal(typeof e.metrics[key], "number", key);
    assert.ok(e.intervals[key].lower <= e.metrics[key] && e.metrics[key] <= e.intervals[key].upper);
  }
  for (const key of ["alwaysUp", "previousDirection", "logistic"]) {
    assert.equal(typeof e.baselines[key].accuracy, "number", key);
  }
  assert.equal(typeof e.baselines.logistic.auc, "number");
  assert.match(e.baselines.logistic.fittedOn, /the model's \d+ training rows of SPY/);
  assert.ok(e.pValueVsAlwaysUp >= 0 && e.pValueVsAlwaysUp <= 1);
  assert.match(e.verdict, /always-up/);
  // Climatology: the base rate of the model's training rows, a constant probability on the same rows.
  const c = e.baselines.climatology;
  assert.deepEqual(Object.keys(c).sort(), ["baseRate", "brier", "fittedOn", "logLoss"]);
  assert.equal(c.fittedOn, e.baselines.logistic.fittedOn);
  const { bars } = await loadSeries({ ticker: "SPY", source: "synthetic", seed: 42 });
  const train = config.data.ranges.train;
  let trainRows = 0, trainUps = 0;
  for (let t = 1; t < bars.length - 1; t++) {
    if (bars[t].time < train.first || bars[t].time > train.last) continue;
    trainRows++;
    trainUps += closeOf(bars[t + 1]) > closeOf(bars[t]) ? 1 : 0;
  }
  assert.equal(trainRows, train.rows);
  assert.ok(Math.abs(c.baseRate - trainUps / trainRows) < 1e-12, "the training base rate");
  const q = e.baselines.baseRate;
  const p = c.baseRate;
  assert.ok(Math.abs(c.brier - (q * (1 - p) ** 2 + (1 - q) * p ** 2)) < 1e-12);
  assert.ok(Math.abs(c.logLoss + (q * Math.log(p) + (1 - q) * Math.log(1 - p))) < 1e-12);
  assert.ok(Math.abs(e.metrics.brierSkill - (1 - e.metrics.brier / c.brier)) < 1e-12);
  assert.ok(Math.abs(e.metrics.logLossSkill - (1 - e.metrics.logLoss / c.logLoss)) < 1e-12);
  for (const key of ["brierSkill", "logLossSkill"]) {
    assert.equal(e.intervals[key].estimate, e.metrics[key]);
    assert.ok(e.intervals[key].lower <= e.metrics[key] && e.metrics[key] <= e.intervals[key].upper);
  }
  assert.match(
    e.probabilityVerdict,
    /^the probabilities (beat|are no better than|are worse than) the base rate/,
  );
  assert.ok(e.verdict.endsWith(`; ${e.probabilityVerdict}`));
  // The model's probabilities are the calibrated ones its card records; the raw network's beside.
  assert.equal(e.calibration.method, config.calibration!.method);
  assert.equal(e.calibration.shrinkage, config.calibration!.shrinkage);
  assert.equal(e.calibration.baseRate, config.calibration!.baseRate);
  assert.equal(typeof e.baselines.rawNetwork.brier, "number");
  assert.equal(typeof e.baselines.rawNetwork.logLoss, "number");
});

Deno.test("evaluate's always-up and yesterday accuracies equal an independent count on the same rows", async () => {
  const run = await evaluate(
    "--model",
    MODEL,
    "--json",
    "--start",
    "2023-01-01",
    "--end",
    "2023-12-31",
  );
  assert.equal(run.code, 0, run.stderr);
  const e = JSON.parse(run.stdout);
  const { bars } = await loadSeries({ ticker: "SPY", source: "synthetic", seed: 42 });
  let rows = 0, ups = 0, sameAsYesterday = 0;
  for (let t = 1; t < bars.length - 1; t++) {
    const time = bars[t].time;
    if (time < "2023-01-01" || time > "2023-12-31") continue;
    const up = closeOf(bars[t + 1]) > closeOf(bars[t]) ? 1 : 0;
    const yesterday = closeOf(bars[t]) > closeOf(bars[t - 1]) ? 1 : 0;
    rows++;
    ups += up;
    if (up === yesterday) sameAsYesterday++;
  }
  assert.equal(e.rows, rows);
  assert.equal(e.first.slice(0, 4), "2023");
  assert.equal(e.baselines.alwaysUp.accuracy, ups / rows);
  assert.equal(e.baselines.previousDirection.accuracy, sameAsYesterday / rows);
  assert.equal(e.baselines.baseRate, ups / rows);
  assert.match(e.scope, /seen in training/);
});

Deno.test("evaluateModel gives the library caller the same evaluation as the command", async () => {
  const run = await evaluate("--model", MODEL, "--json");
  assert.equal(run.code, 0, run.stderr);
  const fromCli = JSON.parse(run.stdout);
  await selectBackend("cpu");
  const { bars } = await loadSeries({ ticker: "SPY", source: "synthetic", seed: 42 });
  const e = await evaluateModel(MODEL, bars, { ticker: "SPY" });
  assert.equal(e.rows, fromCli.rows);
  assert.equal(e.first, fromCli.first);
  assert.ok(Math.abs(e.metrics.accuracy - fromCli.metrics.accuracy) < 1e-12);
  assert.ok(Math.abs(e.metrics.auc - fromCli.metrics.auc) < 1e-4);
  assert.equal(e.baselines.logistic?.accuracy, fromCli.baselines.logistic.accuracy);
});

Deno.test("evaluate prints metrics with intervals, the baselines and the verdict in plain words", async () => {
  const run = await evaluate("--model", MODEL);
  assert.equal(run.code, 0, run.stderr);
  assert.match(
    run.stdout,
    /metric\s+model\s+95% interval\s+raw network\s+logistic\s+climatology\s+always-up\s+yesterday/,
  );
  assert.match(run.stdout, /accuracy\s+0\.\d{4}\s+\[0\.\d{4}, 0\.\d{4}\]/);
  // Always-up is not a probability: no Brier or log loss; climatology has both.
  assert.match(
    run.stdout,
    /\nbrier\s+0\.\d{4}\s+\[0\.\d{4}, 0\.\d{4}\]\s+0\.\d{4}\s+0\.\d{4}\s+0\.\d{4}\s+–\s+–\n/,
  );
  assert.match(
    run.stdout,
    /\nbrierSkill\s+-?\d\.\d{4}\s+\[-?\d\.\d{4}, -?\d\.\d{4}\]\s+-?\d\.\d{4}\s+-?\d\.\d{4}\s+0\.0000\s+–\s+–\n/,
  );
  assert.match(
    run.stdout,
    /\ncalibration: platt, then weight \d\.\d\d on the base rate 0\.\d{3}; /,
  );
  assert.match(run.stdout, /\nlogLossSkill\s+-?\d\.\d{4}\s+\[/);
  assert.match(
    run.stdout,
    /climatology: the training base rate 0\.\d{3} as a constant probability, from the model's \d+ training rows/,
  );
  assert.match(
    run.stdout,
    /; the probabilities (beat|are no better than|are worse than) the base rate/,
  );
  assert.match(run.stdout, /(no evidence of an edge over always-up|evidence)/);
  assert.match(run.stdout, /logistic baseline fitted on the model's \d+ training rows/);
});

Deno.test("evaluate with several tickers prints a table and a JSON array", async () => {
  const run = await evaluate(
    "--model",
    MODEL,
    "--ticker",
    "SPY,QQQ",
    "--source",
    "synthetic",
    "--json",
    "--report",
    `${TMP}/multi.html`,
  );
  assert.equal(run.code, 0, run.stderr);
  const list = JSON.parse(run.stdout);
  assert.deepEqual(list.map((e: { ticker: string }) => e.ticker), ["SPY", "QQQ"]);
  assert.match(list[1].scope, /every labelled window of QQQ/);
  assert.ok(list[1].rows > list[0].rows, "QQQ is scored whole, SPY only out of sample");
  for (const e of list) {
    const html = await Deno.readTextFile(`${TMP}/multi.${e.ticker}.html`);
    assert.match(html, new RegExp(`data-count="${e.rows}"`), `one report per ticker: ${e.ticker}`);
  }
  const text = await evaluate("--model", MODEL, "--ticker", "SPY,QQQ", "--source", "synthetic");
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^ticker\s+rows\s+first\s+last\s+accuracy\s+always-up/);
  assert.match(text.stdout, /\nQQQ\s+\d+\s+\d{4}-\d{2}-\d{2}/);
});

Deno.test("evaluate with a CSV of another ticker fits the logistic baseline on the model's training rows", async () => {
  const { bars } = await loadSeries({ ticker: "AAA", source: "synthetic", seed: 3 });
  const csv = `${TMP}/AAA.csv`;
  await Deno.writeTextFile(csv, formatBarsCsv(bars));
  const run = await evaluate("--model", MODEL, "--csv", csv, "--json");
  assert.equal(run.code, 0, run.stderr);
  const e = JSON.parse(run.stdout);
  assert.equal(e.ticker, "AAA");
  assert.equal(e.first, bars[33 + 10 - 1].time, "the first window after warm-up is scored");
  assert.equal(e.last, bars[bars.length - 2].time, "the last bar with a known next bar");
  assert.match(e.baselines.logistic.fittedOn, /training rows of SPY/);
});

Deno.test("evaluate says another ticker's rows overlap the model's training period only when they do", async () => {
  const { bars } = await loadSeries({ ticker: "OVL", source: "synthetic", seed: 4 });
  const same = `${TMP}/OVL.csv`;
  await Deno.writeTextFile(same, formatBarsCsv(bars));
  // The same bars ten years earlier: before anything the model learned from.
  const earlier = bars.map((b) => ({
    ...b,
    time: `${Number(b.time.slice(0, 4)) - 10}${b.time.slice(4)}`,
  }));
  const old = `${TMP}/OLD.csv`;
  await Deno.writeTextFile(old, formatBarsCsv(earlier));
  const scopes: string[] = [];
  for (const csv of [same, old]) {
    const run = await evaluate("--model", MODEL, "--csv", csv, "--json");
    assert.equal(run.code, 0, run.stderr);
    scopes.push(JSON.parse(run.stdout).scope);
  }
  assert.match(scopes[0], /overlap the period the model learned from on SPY/);
  assert.doesNotMatch(scopes[1], /overlap/);
});

Deno.test("evaluate fits the logistic baseline on the earliest half of the rows, and says so, when the training data is not at hand", async () => {
  const dir = await brokenCopy("cached_source", async (d) => {
    const path = `${d}/model_config.json`;
    const config = JSON.parse(await Deno.readTextFile(path));
    config.data.source = "yahoo"; // read from a cache the test does not have
    await Deno.writeTextFile(path, JSON.stringify(config));
  });
  const { bars } = await loadSeries({ ticker: "BBB", source: "synthetic", seed: 5 });
  const csv = `${TMP}/BBB.csv`;
  await Deno.writeTextFile(csv, formatBarsCsv(bars));
  const run = await evaluate(
    "--model",
    dir,
    "--csv",
    csv,
    "--data-dir",
    `${TMP}/no_cache`,
    "--json",
  );
  assert.equal(run.code, 0, run.stderr);
  const e = JSON.parse(run.stdout);
  const half = Math.floor(e.rows / 2);
  assert.match(
    e.baselines.logistic.fittedOn,
    new RegExp(
      `^the earliest 50% of the evaluated rows \\(${half} rows.*SPY training data not available`,
    ),
  );
  // Climatology is the training base rate the card's calibration recorded (and shrinks toward).
  const config = await readCard(dir);
  assert.equal(e.baselines.climatology.baseRate, config.calibration!.baseRate);
  assert.match(
    e.baselines.climatology.fittedOn,
    /^the model's \d+ training rows of SPY .*, their base rate as its card records it \(SPY training data not available/,
  );
});

Deno.test("without training data or a recorded base rate, climatology is the earliest half's, in sample", async () => {
  const dir = await brokenCopy("cached_source_old_card", async (d) => {
    const path = `${d}/model_config.json`;
    const config = JSON.parse(await Deno.readTextFile(path));
    config.data.source = "yahoo"; // read from a cache the test does not have
    delete config.calibration; // a card written before calibration existed
    await Deno.writeTextFile(path, JSON.stringify(config));
  });
  const { bars } = await loadSeries({ ticker: "BBB", source: "synthetic", seed: 5 });
  const csv = `${TMP}/old/BBB.csv`;
  await Deno.mkdir(`${TMP}/old`, { recursive: true });
  await Deno.writeTextFile(csv, formatBarsCsv(bars));
  const run = await evaluate(
    "--model",
    dir,
    "--csv",
    csv,
    "--data-dir",
    `${TMP}/no_cache`,
    "--json",
  );
  assert.equal(run.code, 0, run.stderr);
  const e = JSON.parse(run.stdout);
  const half = Math.floor(e.rows / 2);
  assert.equal(e.baselines.climatology.fittedOn, e.baselines.logistic.fittedOn);
  assert.equal(e.calibration.method, "none", "an old card reads as the identity");
  assert.equal(e.metrics.brier, e.baselines.rawNetwork.brier);
  let ups = 0;
  const firstRow = bars.findIndex((b) => b.time === e.first);
  for (let k = 0; k < half; k++) {
    ups += closeOf(bars[firstRow + k + 1]) > closeOf(bars[firstRow + k]) ? 1 : 0;
  }
  assert.ok(Math.abs(e.baselines.climatology.baseRate - ups / half) < 1e-12);
});

Deno.test("evaluate --walk-forward retrains per fold and pools the folds' rows", async () => {
  const run = await evaluate(
    "--model",
    MODEL,
    "--walk-forward",
    "--folds",
    "2",
    "--epochs",
    "1",
    "--json",
  );
  assert.equal(run.code, 0, run.stderr);
  const e = JSON.parse(run.stdout);
  assert.equal(e.folds.length, 2);
  assert.equal(e.rows, e.folds[0].rows + e.folds[1].rows);
  assert.equal(e.first, e.folds[0].first);
  assert.equal(e.last, e.folds[1].last);
  for (const fold of e.folds) {
    assert.ok(fold.train.last < fold.first, "trained only on earlier rows");
    // Each fold's climatology is the base rate of its own training rows.
    assert.equal(
      fold.baselines.climatology.fittedOn,
      `the fold's ${fold.train.rows} training rows (${fold.train.first} to ${fold.train.last})`,
    );
    for (const key of ["brierSkill", "logLossSkill"]) {
      assert.equal(typeof fold.metrics[key], "number", key);
      assert.ok(
        fold.intervals[key].lower <= fold.metrics[key] &&
          fold.metrics[key] <= fold.intervals[key].upper,
      );
    }
    assert.ok(
      Math.abs(
        fold.metrics.brierSkill - (1 - fold.metrics.brier / fold.baselines.climatology.brier),
      ) <
        1e-12,
    );
  }
  // Pooled: each fold's own climatology forecast on its own rows.
  const rates = e.folds.flatMap((
    f: { rows: number; baselines: { climatology: { baseRate: number } } },
  ) => Array(f.rows).fill(f.baselines.climatology.baseRate));
  const meanRate = rates.reduce((a: number, b: number) => a + b, 0) / rates.length;
  assert.ok(Math.abs(e.baselines.climatology.baseRate - meanRate) < 1e-12);
  assert.equal(e.baselines.climatology.fittedOn, "each fold's own training rows");
  assert.equal(typeof e.intervals.brierSkill.lower, "number");
  const text = await evaluate("--model", MODEL, "--walk-forward", "--folds", "2", "--epochs", "1");
  assert.equal(text.code, 0, text.stderr);
  assert.match(
    text.stdout,
    /brier\s+climatology\s+brier skill \[95%\]\s+log-loss skill \[95%\]\s+p\n/,
  );
  assert.ok(e.folds[0].last < e.folds[1].first);
  assert.equal(e.baselines.logistic.fittedOn, "each fold's own training rows");
  assert.match(e.scope, /walk-forward over SPY: 2 expanding folds/);
});

Deno.test("evaluate --walk-forward --calibration none scores each fold's raw network; the default calibrates per fold", async () => {
  const none = await evaluate(
    "--model",
    MODEL,
    "--walk-forward",
    "--folds",
    "2",
    "--epochs",
    "1",
    "--calibration",
    "none",
    "--json",
  );
  assert.equal(none.code, 0, none.stderr);
  const e = JSON.parse(none.stdout);
  for (const fold of e.folds) {
    assert.equal(fold.calibration.method, "none");
    assert.equal(fold.calibration.shrinkage, 0);
    assert.equal(
      fold.metrics.brier,
      fold.baselines.rawNetwork.brier,
      "the model is the raw network",
    );
  }
  assert.match(e.scope, /calibrated \(none\) on its own validation rows/);
  const platt = JSON.parse(
    (await evaluate("--model", MODEL, "--walk-forward", "--folds", "2", "--epochs", "1", "--json"))
      .stdout,
  );
  for (const [f, fold] of platt.folds.entries()) {
    assert.equal(fold.calibration.method, "platt", "the model's own method");
    // The same fold trained the same way: only the calibration differs.
    assert.equal(fold.baselines.rawNetwork.brier, e.folds[f].baselines.rawNetwork.brier);
    assert.equal(fold.calibration.baseRate, fold.baselines.climatology.baseRate);
    if (fold.calibration.shrinkage === 1) {
      assert.equal(fold.metrics.brier, fold.baselines.climatology.brier, fold.calibration.reason);
    }
  }
  assertOneLineFailure(
    await evaluate("--model", MODEL, "--calibration", "none"),
    2,
    /--walk-forward/,
  );
  assertOneLineFailure(
    await evaluate("--model", MODEL, "--walk-forward", "--calibration", "beta"),
    2,
    /Expected --calibration to be one of platt, isotonic, none, found "beta"/,
  );
});

Deno.test("evaluate --report writes a self-contained page that renders in headless Chromium", async () => {
  const page = `${TMP}/report.html`;
  const run = await evaluate("--model", MODEL, "--report", page, "--json");
  assert.equal(run.code, 0, run.stderr);
  const rows = JSON.parse(run.stdout).rows;
  const html = await Deno.readTextFile(page);
  for (const chart of ["loss", "accuracy", "roc", "calibration", "histogram"]) {
    assert.match(html, new RegExp(`data-chart="${chart}"`), chart);
  }
  assert.match(html, /data-series="loss" data-points="2"/, "two epochs of training history");
  assert.match(html, new RegExp(`data-count="${rows}"`), "every scored row in the histogram");
  assert.doesNotMatch(html, /<script src=|<link /);
  const output = await new Deno.Command("/usr/bin/chromium", {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      `--user-data-dir=${TMP}/chromium`,
      "--enable-logging=stderr",
      "--dump-dom",
      `file://${page}`,
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr.slice(-2000));
  assert.deepEqual(stderr.split("\n").filter((l) => /CONSOLE|Uncaught/.test(l)), []);
  assert.match(new TextDecoder().decode(output.stdout), /<body data-charts="5">/);
});

Deno.test("a model whose output layer is zeroed (every raw probability 0.5) gets AUC 0.5 and no edge", async () => {
  const dir = await brokenCopy("coin", async (d) => {
    // The last 26 float32 weights are the output Dense(1)'s kernel (25) and bias (1).
    const weights = await Deno.readFile(`${d}/weights.bin`);
    weights.fill(0, weights.length - 26 * 4);
    await Deno.writeFile(`${d}/weights.bin`, weights);
    await resealWeights(d); // rigged on purpose: the card records the new hash
  });
  const run = await evaluate("--model", dir, "--json");
  assert.equal(run.code, 0, run.stderr);
  const e = JSON.parse(run.stdout);
  assert.equal(e.metrics.auc, 0.5);
  assert.equal(e.baselines.rawNetwork.auc, 0.5);
  assert.ok(Math.abs(e.baselines.rawNetwork.brier - 0.25) < 1e-12, "the raw network says 0.5");
  // The calibrated probability of a constant raw one is one constant too: one bin holds every row.
  const bins = e.metrics.calibration.filter((b: { count: number }) => b.count > 0);
  assert.equal(bins.length, 1);
  assert.equal(bins[0].count, e.rows);
  assert.ok(e.pValueVsAlwaysUp > 0.05);
  assert.match(e.verdict, /^no evidence of an edge over always-up/);
});

Deno.test("evaluate follows a versioned root's current.json to the version it names", async () => {
  await model();
  await Deno.mkdir(`${TMP}/root`);
  await Deno.rename(await brokenCopy("v_copy", () => Promise.resolve()), `${TMP}/root/v1`);
  await promote(`${TMP}/root`, "v1");
  const run = await evaluate("--model", `${TMP}/root`, "--json");
  assert.equal(run.code, 0, run.stderr);
  const e = JSON.parse(run.stdout);
  assert.deepEqual(e.model, { dir: `${TMP}/root/v1`, version: "v1" });
});

Deno.test("evaluate fails in one line naming a missing weights file", async () => {
  const dir = await brokenCopy("no_weights", (d) => Deno.remove(`${d}/weights.bin`));
  assertOneLineFailure(await evaluate("--model", dir), 1, /weights\.bin/);
});

Deno.test("evaluate fails in one line naming a corrupted model.json", async () => {
  const dir = await brokenCopy("bad_json", (d) => Deno.writeTextFile(`${d}/model.json`, '{"model'));
  assertOneLineFailure(await evaluate("--model", dir), 1, /model\.json.*corrupted/);
});

Deno.test("evaluate fails in one line naming the config file and an unknown feature", async () => {
  const dir = await brokenCopy("bad_feature", async (d) => {
    const path = `${d}/model_config.json`;
    const config = JSON.parse(await Deno.readTextFile(path));
    config.features[2].name = "astrology";
    await Deno.writeTextFile(path, JSON.stringify(config));
  });
  assertOneLineFailure(await evaluate("--model", dir), 1, /model_config\.json.*astrology/);
});

Deno.test("evaluate fails in one line when the ticker has too little history", async () => {
  const { bars } = await loadSeries({ ticker: "NEW", source: "synthetic" });
  const csv = `${TMP}/NEW.csv`;
  await Deno.writeTextFile(csv, formatBarsCsv(bars.slice(0, 50)));
  assertOneLineFailure(
    await evaluate("--model", MODEL, "--csv", csv),
    1,
    /Expected at least 63 bars of NEW .* found 50/,
  );
});

Deno.test("evaluate refuses a report it may not write before scoring anything", async () => {
  const run = await evaluate("--model", MODEL, "--report", "/report_test_denied/out.html");
  assertOneLineFailure(run, 1, /Expected write access to \/report_test_denied\/ for --report/);
});

Deno.test("evaluate rejects misuse with exit code 2", async () => {
  assertOneLineFailure(await evaluate("--model", MODEL, "--folds", "3"), 2, /--walk-forward/);
  assertOneLineFailure(await evaluate("--model", MODEL, "--bogus"), 2, /bogus/);
  assertOneLineFailure(
    await evaluate("--model", MODEL, "--start", "2024-1-5"),
    2,
    /--start to be a date/,
  );
  const help = await evaluate("--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--walk-forward/);
});
