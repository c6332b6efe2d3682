/**
 * The sweep spec and the leaderboard's statistics, in process: one clear
 * "Expected … found …" line for each bad spec, grid and seeded random
 * expansion, stable job ids, the holdout cut, the results file written once
 * per id, the best-of-N correction on planted and skill-less rows, and the
 * bad-spec exit code of the command (before any job runs).
 */
import assert from "node:assert/strict";
import {
  expandJobs,
  gridPoints,
  jobProtocol,
  parseSpec,
  sampleTrials,
  type SweepSpec,
} from "../src/sweep/spec.ts";
import { holdoutPlan, runJob } from "../src/sweep/job.ts";
import type { JobResult } from "../src/sweep/job.ts";
import { bestOfNTest, buildLeaderboard, trainCommand } from "../src/sweep/leaderboard.ts";
import { openResults } from "../src/sweep/results.ts";
import { UsageError } from "../src/util/errors.ts";
import { createRng } from "../src/util/random.ts";
import { sweepCli, tinySpec } from "./sweep_fixture.ts";

function specError(text: string, file = "s.json"): string {
  try {
    parseSpec(text, file);
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    assert.ok(!error.message.includes("\n"), error.message);
    return error.message;
  }
  throw new Error("Expected the spec to be refused");
}

Deno.test("a malformed JSON spec is one usage error naming the file", () => {
  assert.match(specError('{"grid": {'), /^Expected JSON in s\.json, found a syntax error/);
});

Deno.test("an unknown flag names the flags a sweep takes", () => {
  const message = specError('{"grid": {"lstm_units": [8]}}');
  assert.match(message, /^Expected a training flag \(arch, backend, batch-size,/);
  assert.match(message, /in grid of s\.json, found "lstm_units"$/);
});

Deno.test("a data or output flag in the grid says where it belongs", () => {
  assert.match(
    specError('{"fixed": {"ticker": "SPY"}}'),
    /^Expected a training flag other than "ticker" in fixed of s\.json \(it belongs in data\)/,
  );
  assert.match(specError('{"grid": {"seed": [1, 2]}}'), /model seeds go in seeds/);
});

Deno.test("an empty grid and an empty value list are refused", () => {
  assert.equal(
    specError('{"grid": {}}'),
    "Expected grid of s.json to name at least one flag, found an empty grid",
  );
  assert.equal(
    specError('{"grid": {"lstm-units": []}}'),
    'Expected grid["lstm-units"] of s.json to be a non-empty list of values, found []',
  );
});

Deno.test("wrong types and unknown fields name the field and what was found", () => {
  assert.equal(
    specError('{"evaluation": {"folds": "five"}}'),
    'Expected evaluation.folds of s.json to be a whole number from 1 to 50, found "five"',
  );
  assert.equal(
    specError('{"grids": {}}'),
    'Expected only name, data, fixed, grid, random, seeds, evaluation in the spec of s.json, found "grids"',
  );
  assert.match(
    specError('{"data": {"source": "bloomberg"}}'),
    /^Expected data\.source of s\.json to be one of yahoo, alpaca, stooq, csv, synthetic, ccxt, found "bloomberg"$/,
  );
  assert.equal(
    specError('{"random": {"trials": 2, "space": {"dropout": {"uniform": [1]}}}}'),
    "Expected random.space.dropout.uniform of s.json to be a pair [low, high] of numbers, found [1]",
  );
  assert.match(
    specError('{"grid": {"epochs": [1]}, "fixed": {"epochs": 2}}'),
    /found it in fixed and grid/,
  );
});

Deno.test("a YAML spec means the same as its JSON", async () => {
  const yaml = `name: y\ngrid:\n  lstm-units: [4, 6]\nseeds: [1, 2]\nevaluation:\n  folds: 3\n`;
  const json =
    '{"name": "y", "grid": {"lstm-units": [4, 6]}, "seeds": [1, 2], "evaluation": {"folds": 3}}';
  const a = await expandJobs(parseSpec(yaml, "s.yaml"));
  const b = await expandJobs(parseSpec(json, "s.json"));
  assert.deepEqual(a.jobs.map((j) => j.id), b.jobs.map((j) => j.id));
  assert.match(
    specError("grid: [1, 2\n", "s.yml"),
    /^Expected YAML in s\.yml, found a syntax error/,
  );
});

Deno.test("the grid expands to every combination, data × grid × seeds", async () => {
  assert.deepEqual(gridPoints({ arch: ["lstm", "gru"], "lstm-units": [8, 16] }), [
    { arch: "lstm", "lstm-units": 8 },
    { arch: "lstm", "lstm-units": 16 },
    { arch: "gru", "lstm-units": 8 },
    { arch: "gru", "lstm-units": 16 },
  ]);
  const spec = parseSpec(
    JSON.stringify({
      data: [{ source: "synthetic" }, { csv: "x.csv" }],
      grid: { arch: ["lstm", "gru"], "lstm-units": [8, 16] },
      seeds: [1, 2, 3],
    }),
    "g.json",
  );
  const { jobs } = await expandJobs(spec);
  assert.equal(jobs.length, 2 * 4 * 3);
  assert.equal(new Set(jobs.map((j) => j.id)).size, jobs.length);
  assert.deepEqual(jobs[0].flags, { arch: "lstm", "lstm-units": "8", seed: "1" });
});

Deno.test("seeded random search draws the same trials from the same seed, within bounds", () => {
  const random = {
    trials: 20,
    seed: 3,
    space: {
      "learning-rate": { logUniform: [1e-4, 1e-2] as [number, number] },
      dropout: { uniform: [0, 0.5] as [number, number] },
      "sequence-length": { int: [10, 60] as [number, number] },
      arch: { choice: ["lstm", "gru"] },
    },
  };
  const a = sampleTrials(random);
  assert.deepEqual(a, sampleTrials(random));
  assert.notDeepEqual(a, sampleTrials({ ...random, seed: 4 }));
  for (const t of a) {
    assert.ok(Number(t["learning-rate"]) >= 1e-4 && Number(t["learning-rate"]) <= 1e-2);
    assert.ok(Number(t.dropout) >= 0 && Number(t.dropout) <= 0.5);
    assert.ok(Number.isInteger(t["sequence-length"]) && Number(t["sequence-length"]) >= 10);
    assert.ok(["lstm", "gru"].includes(String(t.arch)));
  }
  assert.equal(new Set(a.map((t) => t.arch)).size, 2);
});

Deno.test("random trials combine with the grid, and repeated draws run once", async () => {
  const spec = parseSpec(
    JSON.stringify({
      grid: { arch: ["lstm", "gru"] },
      random: { trials: 6, seed: 1, space: { "lstm-units": { choice: [8, 16] } } },
    }),
    "r.json",
  );
  const { jobs, duplicates } = await expandJobs(spec);
  assert.equal(jobs.length + duplicates, 2 * 6);
  assert.equal(jobs.length, 4); // two architectures × two distinct unit counts
});

Deno.test("job ids hash the configuration and protocol, not the sweep's name", async () => {
  const base = parseSpec(JSON.stringify(tinySpec("a")), "a.json");
  const renamed: SweepSpec = { ...base, name: "b" };
  const refolded: SweepSpec = { ...base, evaluation: { ...base.evaluation, folds: 3 } };
  const ids = async (s: SweepSpec) => (await expandJobs(s)).jobs.map((j) => j.id);
  assert.deepEqual(await ids(base), await ids(renamed));
  assert.notDeepEqual(await ids(base), await ids(refolded));
  assert.match((await ids(base))[0], /^[0-9a-f]{16}$/);
});

Deno.test("every job starts scoring at the longest window's first reference bar", () => {
  const spec = parseSpec(
    '{"grid": {"sequence-length": [10, 30]}, "fixed": {"horizon": 2}}',
    "a.json",
  );
  const protocol = jobProtocol(spec);
  assert.equal(protocol.firstReference, 33 + 30 - 1);
  assert.equal(protocol.horizon, 2);
});

Deno.test("the holdout is the last rows, a horizon apart from the selection", () => {
  const bars = Array.from({ length: 300 }, (_, i) => ({
    time: new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10),
  }));
  const protocol = {
    folds: 2,
    mode: "expanding" as const,
    seed: 42,
    firstReference: 42,
    horizon: 2,
    holdout: { rows: 50 },
  };
  const cut = holdoutPlan(bars, protocol);
  assert.deepEqual(cut, { first: 42, lastSelect: 245, holdoutStart: 248, last: 297 });
  // No selection label (close at lastSelect + horizon) reaches the holdout's first return.
  assert.ok(cut.lastSelect + protocol.horizon < cut.holdoutStart + 1);
  const byDate = holdoutPlan(bars, { ...protocol, holdout: { start: bars[248].time } });
  assert.equal(byDate.holdoutStart, 248);
  assert.throws(() => holdoutPlan(bars.slice(0, 45), protocol), /Expected more than/);
});

Deno.test("results are recorded once per id, and a line cut short is skipped", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sweep_results_" });
  try {
    const result = { id: "a1", status: "ok" } as JobResult;
    await Deno.writeTextFile(`${dir}/results.jsonl`, '{"id":"a0","status":"ok"}\n{"id":"a');
    const store = await openResults(dir);
    assert.equal(store.skipped, 1);
    assert.equal(await store.add(result), true);
    assert.equal(await store.add({ ...result, worker: "other" }), false);
    const again = await openResults(dir);
    assert.deepEqual(again.all().map((r) => r.id), ["a0", "a1"]);
    assert.equal(again.skipped, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Per-row differentials of `n` rows: noise, plus `edge` on average. */
function rowsOf(rng: ReturnType<typeof createRng>, n: number, edge: number): Float64Array {
  return Float64Array.from({ length: n }, () => 0.01 * rng.normal() + edge);
}

Deno.test("the best-of-N test finds a planted edge, and corrects the best of skill-less ones", () => {
  const rng = createRng(1);
  const planted = Array.from({ length: 6 }, (_, k) => ({
    key: "rows",
    d: rowsOf(rng, 400, k === 2 ? 0.004 : 0),
  }));
  const found = bestOfNTest(planted, 2, 0, { seed: 42 });
  assert.ok(found.bestOfN < 0.01, `p = ${found.bestOfN}`);
  assert.ok(found.difference!.lower > 0);

  // Twenty skill-less configurations: the best one alone looks better than it is.
  const noise = Array.from({ length: 20 }, () => ({ key: "rows", d: rowsOf(rng, 400, 0) }));
  const means = noise.map((s) => s.d.reduce((a, b) => a + b, 0));
  const best = means.indexOf(Math.max(...means));
  const chance = bestOfNTest(noise, best, null, { seed: 42 });
  assert.ok(chance.alone < chance.bestOfN, `${chance.alone} vs ${chance.bestOfN}`);
  assert.ok(chance.bestOfN > 0.05, `p = ${chance.bestOfN}`);
  assert.equal(chance.difference, null);
});

/** A scored selection result whose rows carry `edge` of Brier skill (for the leaderboard). */
function fakeResult(id: string, units: string, p: number[], labels: string): JobResult {
  const n = labels.length;
  const interval = { estimate: 0, lower: -0.01, upper: 0.01 };
  return {
    id,
    sweep: "s",
    kind: "select",
    status: "ok",
    data: { source: "synthetic" },
    flags: { "lstm-units": units, seed: "42" },
    protocol: {
      folds: 1,
      mode: "expanding",
      holdout: { rows: 10 },
      seed: 42,
      firstReference: 42,
      horizon: 1,
    },
    worker: "local-1",
    wallSeconds: 1,
    finishedAt: "2024-01-01T00:00:00Z",
    evaluation: {
      rows: n,
      first: "2024-01-01",
      last: "2024-06-01",
      metrics: { brierSkill: Number(units) / 1000, auc: 0.5, accuracy: 0.5 },
      intervals: {
        brierSkill: { ...interval, estimate: Number(units) / 1000 },
        logLossSkill: interval,
      },
      baselines: { alwaysUp: { accuracy: 0.5 } },
      pValueVsAlwaysUp: 0.5,
      folds: [{ metrics: { brierSkill: 0 } }],
    } as unknown as JobResult["evaluation"],
    rows: { key: "k", labels, probabilities: p, climatology: p.map(() => 0.5) },
  };
}

Deno.test("the leaderboard says how many were tried and when the winner is no better than chance", () => {
  const rng = createRng(7);
  const labels = Array.from({ length: 300 }, () => (rng.next() < 0.5 ? "1" : "0")).join("");
  const results = ["8", "16", "4"].map((units, k) =>
    fakeResult(
      `id${k}`,
      units,
      Array.from({ length: 300 }, () => 0.5 + 0.02 * rng.normal()),
      labels,
    )
  );
  const board = buildLeaderboard("s", results, { tried: 4, resamples: 300 });
  assert.deepEqual(board.ranking.map((e) => e.flags["lstm-units"]), ["16", "8", "4"]);
  assert.equal(board.tried, 4);
  assert.match(board.statements[0], /^4 configurations tried: 3 scored, 0 failed/);
  assert.ok(board.winner!.noBetterThanChance);
  assert.ok(
    board.statements.some((s) => s.startsWith("verdict: the winner is no better than chance")),
  );
  assert.ok(board.winner!.runnerUp!.paired);
  assert.equal(board.winner!.holdout, null);
});

Deno.test("the leaderboard warns when jobs on one data entry read different bars", () => {
  const labels = "0110100110".repeat(10);
  const p = Array.from({ length: 100 }, (_, i) => 0.5 + (i % 7) / 100);
  const series = (sha256: string) => ({
    symbol: "SYN",
    source: "synthetic",
    bars: 1,
    first: "",
    last: "",
    sha256,
  });
  const same = [
    { ...fakeResult("a", "8", p, labels), series: series("1111") },
    { ...fakeResult("b", "16", p, labels), series: series("1111") },
  ];
  const quiet = buildLeaderboard("s", same, { resamples: 50 });
  assert.ok(!quiet.statements.some((s) => s.startsWith("warning:")));
  same[1].series = series("2222");
  const warned = buildLeaderboard("s", same, { resamples: 50 });
  assert.ok(
    warned.statements.some((s) =>
      /^warning: the jobs on synthetic\(seed 42\) read 2 different versions/.test(s)
    ),
    warned.statements.join("\n"),
  );
});

Deno.test("the winner's train command carries its data and flags", () => {
  assert.equal(
    trainCommand({ ticker: "SPY", csv: "../shared/data/SPY.csv", start: "2015-01-01" }, {
      "lstm-units": "16",
      arch: "gru",
      seed: "3",
    }),
    "deno task train --ticker SPY --csv ../shared/data/SPY.csv --start 2015-01-01 --arch gru --lstm-units 16 --seed 3",
  );
  // Synthetic bars of another seed than the model's are cached first (train would use the model's).
  assert.equal(
    trainCommand({ source: "synthetic", ticker: "SYN", seed: 7 }, { seed: "1" }),
    "deno task prepare --ticker SYN --source synthetic --seed 7 && deno task train --ticker SYN --seed 1",
  );
});

Deno.test("sweep with a bad spec exits 2 with one line, before any job runs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sweep_bad_" });
  try {
    const spec = `${dir}/bad.json`;
    await Deno.writeTextFile(spec, JSON.stringify({ grid: { lstm_units: [4] } }));
    const run = await sweepCli(["sweep", "--spec", spec, "--out", dir], dir);
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stdout, "");
    const lines = run.stderr.trim().split("\n");
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0], /^error: Expected a training flag .* found "lstm_units"$/);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["bad.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("flag values of fixed, grid and random are checked by the fit options' schema (issue 23 item 11)", () => {
  assert.equal(
    specError('{"fixed": {"epochs": "five"}}'),
    'Expected fixed.epochs of s.json to be an integer from 1 to 100000, found "five"',
  );
  assert.equal(
    specError('{"grid": {"lstm-units": [4, 0]}}'),
    'Expected grid["lstm-units"][1] of s.json to be an integer of at least 1, found 0',
  );
  assert.equal(
    specError('{"grid": {"arch": ["lstm", "transformer"]}}'),
    'Expected grid.arch[1] of s.json to be one of lstm, deep, bidirectional, attention, gru, paper, found "transformer"',
  );
  assert.equal(
    specError('{"random": {"trials": 2, "space": {"dropout": {"uniform": [0, 2]}}}}'),
    "Expected random.space.dropout.uniform[1] of s.json to be a number from 0 to 0.95, found 2",
  );
  assert.match(
    specError('{"random": {"trials": 2, "space": {"lstm-units": {"uniform": [4, 16]}}}}'),
    /^Expected the draws of random\.space\["lstm-units"\] of s\.json to be an integer from 1 to 4096, found \d+\.\d+ \(use \{"int": \[low, high\]\} for whole numbers\)$/,
  );
  assert.match(
    specError('{"fixed": {"interval": "1h"}}'),
    /^Expected a training flag other than "interval" in fixed of s\.json/,
  );
  // A number written as text is what the job's flag would be: accepted, as on the command line.
  assert.equal(parseSpec('{"fixed": {"epochs": "5"}}', "s.json").fixed.epochs, "5");
});

Deno.test("an inverted or impossible data range is refused before any job (issue 23 item 11)", () => {
  assert.equal(
    specError('{"data": {"source": "synthetic", "start": "2024-06-01", "end": "2023-01-01"}}'),
    "Expected data.start of s.json before data.end, found 2024-06-01 and 2023-01-01",
  );
  assert.equal(
    specError('{"data": [{"source": "synthetic"}, {"start": "2024-06-01", "end": "2023-01-01"}]}'),
    "Expected data[1].start of s.json before data[1].end, found 2024-06-01 and 2023-01-01",
  );
  assert.equal(
    specError('{"data": {"start": "2024-13-01"}}'),
    'Expected data.start of s.json to be a date like 2020-01-31, found "2024-13-01"',
  );
});

Deno.test("a huge grid is refused by its size, before anything is expanded (issue 23 item 8)", () => {
  const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
  const huge = JSON.stringify({
    grid: {
      "lstm-units": range(1, 100),
      "sequence-length": range(5, 100),
      "batch-size": range(1, 100),
      patience: range(1, 100),
    },
  });
  const started = performance.now();
  assert.equal(
    specError(huge, "huge1e8.json"),
    "Expected at most 100000 jobs in huge1e8.json (data × grid × random trials × seeds), found 100000000 (1 × 100 × 100 × 100 × 100 × 1 × 1)",
  );
  assert.ok(performance.now() - started < 2000, "refused without expanding");
  assert.match(
    specError(JSON.stringify({
      grid: { "lstm-units": range(1, 10) },
      random: { trials: 100000, space: { dropout: { uniform: [0, 0.5] } } },
    })),
    /found 1000000 \(1 × 10 × 100000 × 1\)$/,
  );
  parseSpec(
    JSON.stringify({ grid: { "lstm-units": range(1, 100), patience: range(1, 100) } }),
    "ok.json",
  );
});

Deno.test("a YAML spec with a tag is refused in one line, a JSON spec with a BOM is read (issue 23 item 11)", () => {
  assert.equal(
    specError("seeds: !python/object [1]\n", "s.yml"),
    "Expected plain YAML in s.yml (no tags), found Unresolved tag: !python/object at line 1, column 8",
  );
  const spec = parseSpec('\uFEFF{"grid": {"lstm-units": [8, 16]}}', "bom.json");
  assert.deepEqual(spec.grid, { "lstm-units": [8, 16] });
  assert.equal(parseSpec("\uFEFFseeds: [1, 2]\n", "bom.yaml").seeds.length, 2);
});

Deno.test("sweep refuses a YAML tag and a bad flag value with exit 2, one line, no warning block", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sweep_bad_" });
  try {
    const cases: [string, string, RegExp][] = [
      ["tag.yml", "seeds: !python/object [1]\n", /^error: Expected plain YAML in .*tag\.yml/],
      [
        "five.json",
        JSON.stringify({ fixed: { epochs: "five" } }),
        /^error: Expected fixed\.epochs of .*five\.json to be an integer from 1 to 100000, found "five"$/,
      ],
      [
        "dates.json",
        JSON.stringify({ data: { source: "synthetic", start: "2024-06-01", end: "2023-01-01" } }),
        /^error: Expected data\.start of .*dates\.json before data\.end/,
      ],
    ];
    for (const [name, text, pattern] of cases) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
      const run = await sweepCli(["sweep", "--spec", `${dir}/${name}`, "--out", dir], dir);
      assert.equal(run.code, 2, run.stderr);
      const lines = run.stderr.trim().split("\n");
      assert.equal(lines.length, 1, run.stderr);
      assert.match(lines[0], pattern);
      assert.doesNotMatch(run.stderr, /YAMLWarning/);
    }
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      cases.map(([name]) => name).sort(),
      "nothing written",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a data entry whose path is of the wrong kind fails its job in one line, not lost (issue 23 #14)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sweep_paths_" });
  try {
    await Deno.writeTextFile(`${dir}/file`, "not a folder\n");
    const spec = parseSpec(
      JSON.stringify({
        data: [{ ticker: "SPY", dataDir: `${dir}/file` }, { csv: dir }],
        fixed: { epochs: 1 },
      }),
      "p.json",
    );
    const { jobs } = await expandJobs(spec);
    const [cache, csv] = await Promise.all(jobs.map((job) => runJob(job)));
    assert.equal(cache.status, "failed");
    assert.equal(cache.error, `Expected ${dir}/file (the data cache) to be a folder, found a file`);
    assert.equal(csv.status, "failed");
    assert.match(String(csv.error), /^Expected a CSV file at .*, found a folder$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a sweep decides at one point: deciding at the open aligns its jobs after the open features' warm-up, and close and open together are refused", () => {
  const open = parseSpec('{"fixed": {"decide-at": "open", "sequence-length": 20}}', "s.json");
  const close = parseSpec('{"fixed": {"sequence-length": 20}}', "s.json");
  // At the open the default features wait one bar more (33 + 1) before their first row.
  assert.equal(jobProtocol(open).firstReference, jobProtocol(close).firstReference + 1);
  assert.throws(
    () => parseSpec('{"grid": {"decide-at": ["close", "open"]}}', "s.json"),
    (error: unknown) =>
      error instanceof UsageError &&
      /^Expected one decide-at in s\.json \(a close and an open model predict different things\), found close and open$/
        .test(error.message),
  );
});
