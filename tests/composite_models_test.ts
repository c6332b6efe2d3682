/**
 * Ensembles and regime models as models on disk: `models ensemble|regime` write a versioned
 * folder that evaluate (members beside it, same rows), predict, backtest, `models list` and the
 * plugin load like any model; the regime rule reads no future bar.
 */
import assert from "node:assert/strict";
import { cli, tinyTrainArgs } from "./tiny_model_fixture.ts";
import { createLstmSignal } from "../mod.ts";
import { loadSeries } from "../src/data/mod.ts";
import type { Bar } from "../src/data/types.ts";
import { regimesOf, RegimeStream, TREND_VOLATILITY } from "../src/model/composite.ts";
import { evaluateModel } from "../src/pipeline/score.ts";
import { selectBackend } from "../src/model/backend.ts";

await selectBackend("cpu");

const TMP = await Deno.makeTempDir();
const run = (...args: string[]) => cli(args, TMP);
for (const [name, seed] of [["a", "1"], ["b", "2"]]) {
  const args = tinyTrainArgs("SPY");
  args[args.indexOf("--seed") + 1] = seed;
  const r = await run("train", ...args, "--model-dir", TMP, "--name", name);
  if (r.code !== 0) throw new Error(r.stderr);
}
const made = [
  await run(
    "models",
    "ensemble",
    "--name",
    "ens",
    "--model-dir",
    TMP,
    "--members",
    "a,b",
    "--weights",
    "2,1",
  ),
  await run(
    "models",
    "regime",
    "--name",
    "reg",
    "--model-dir",
    TMP,
    "--rule",
    "trend-volatility",
    "--models",
    "bull=a,bear=b,general=b",
  ),
];
for (const r of made) if (r.code !== 0) throw new Error(r.stderr);
const { bars } = await loadSeries({ ticker: "SPY", source: "synthetic", seed: 42 });

function walk(n: number, seed: number): Bar[] {
  let x = seed, close = 100;
  return Array.from({ length: n }, (_, i) => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    close *= 1 + ((x / 2 ** 31) - 0.5) * 0.04 + (i % 300 < 150 ? 0.002 : -0.002);
    const day = new Date(Date.UTC(2000, 0, 1) + i * 864e5).toISOString().slice(0, 10);
    return { time: day, open: close, high: close * 1.01, low: close * 0.99, close, volume: 1e6 };
  });
}

Deno.test("the regime at t is unchanged by any change to bars after t (no look-ahead)", () => {
  const series = walk(900, 7);
  const before = regimesOf(series, TREND_VOLATILITY);
  assert.ok(new Set(before).size === 3, `all three regimes occur: ${[...new Set(before)]}`);
  for (const t of [199, 250, 400, 640, 898]) {
    const changed = series.map((b, i) =>
      i > t ? { ...b, close: b.close * (i % 2 ? 3 : 0.2), high: b.high * 3, low: b.low * 0.2 } : b
    );
    const after = regimesOf(changed, TREND_VOLATILITY);
    assert.deepEqual(after.slice(0, t + 1), before.slice(0, t + 1), `regimes up to ${t}`);
    assert.notDeepEqual(
      after.slice(t + 1),
      before.slice(t + 1),
      `the change after ${t} is seen later`,
    );
  }
  // The streaming form gives the same answers bar by bar.
  const stream = new RegimeStream(TREND_VOLATILITY);
  assert.deepEqual(series.map((b) => stream.push(b)), before);
  assert.ok(before.slice(0, 199).every((r) => r === "general"), "no regime before 200 bars");
});

Deno.test("evaluate scores the ensemble and regime model with their members on the same rows", async () => {
  for (const [name, kind, members] of [["ens", "ensemble", 2], ["reg", "regime", 3]] as const) {
    const r = await run("evaluate", "--model", `${TMP}/${name}`, "--json");
    assert.equal(r.code, 0, r.stderr);
    const e = JSON.parse(r.stdout);
    const one = Array.isArray(e) ? e[0] : e.evaluations?.[0] ?? e;
    assert.ok(one.composite.description.startsWith(kind));
    assert.equal(one.composite.members.length, members);
    if (kind === "regime") {
      const counts = Object.values(one.composite.regimes as Record<string, number>);
      assert.equal(counts.reduce((a, b) => a + b, 0), one.rows);
    }
  }
  // The ensemble's probabilities are the weighted mean of its members' on the same rows.
  const ens = await evaluateModel(`${TMP}/ens`, bars, { ticker: "SPY" });
  const a = await evaluateModel(`${TMP}/a`, bars, {
    ticker: "SPY",
    start: ens.first,
    end: ens.last,
  });
  assert.equal(a.rows, ens.rows);
  assert.ok(Math.abs(ens.composite!.members[0].brier - a.metrics.brier) < 1e-12);
});

Deno.test("the plugin serves both, with the regime on every signal, as evaluate scores them", async () => {
  const ens = createLstmSignal({ modelDir: `${TMP}/ens`, warn: () => {} });
  const a = createLstmSignal({ modelDir: `${TMP}/a` });
  const b = createLstmSignal({ modelDir: `${TMP}/b` });
  const history = bars.slice(0, 400);
  const [se, sa, sb] = [
    await ens.predict("SPY", history),
    await a.predict("SPY", history),
    await b.predict("SPY", history),
  ];
  assert.equal(se.status, "ok");
  assert.equal(se.model.id, "ens");
  assert.ok(Math.abs(se.probabilityUp - (2 * sa.probabilityUp + sb.probabilityUp) / 3) < 1e-9);
  const reg = createLstmSignal({ modelDir: `${TMP}/reg` });
  const regimes = regimesOf(bars, TREND_VOLATILITY);
  for (const [i, bar] of bars.entries()) {
    const s = await reg.onBar("SPY", bar);
    assert.equal(s.regime, regimes[i], bar.time);
  }
  for (const p of [ens, a, b, reg]) await p.dispose();
});

Deno.test("models list, predict and backtest take the composites like any model", async () => {
  for (const name of ["ens", "reg"]) {
    const listed = await run("models", "list", "--model", `${TMP}/${name}`);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(
      listed.stdout,
      name === "ens" ? /\* v1 .*ensemble of a v1 \(weight 2\), b v1/ : /regime of a v1 \(bull\)/,
    );
    const predicted = await run("predict", "--model", `${TMP}/${name}`, "--json");
    assert.equal(predicted.code, 0, predicted.stderr);
    const backtested = await run("backtest", "--model", `${TMP}/${name}`, "--json");
    assert.equal(backtested.code, 0, backtested.stderr);
  }
  const walk = await run("evaluate", "--model", `${TMP}/ens`, "--walk-forward");
  assert.equal(walk.code, 2, walk.stderr);
  assert.match(walk.stderr, /Expected a trained model for --walk-forward/);
});

Deno.test("a bad ensemble or regime request is one line, exit 2", async () => {
  const r1 = await run("models", "ensemble", "--name", "x", "--model-dir", TMP, "--members", "a");
  assert.equal(r1.code, 2, r1.stderr);
  const r2 = await run("models", "regime", "--name", "y", "--model-dir", TMP, "--models", "bull=a");
  assert.equal(r2.code, 2, r2.stderr);
  assert.match(r2.stderr, /general=MODEL/);
});
