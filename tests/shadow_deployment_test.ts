/**
 * Shadow deployment on real SPY bars: a plugin serving the current version
 * v1 with v2 (same features and window) and v3 (other features, longer
 * window) as shadows. Only v1 drives the signal; each shadow's entry is what
 * the plugin serving that version alone says; the log carries both, one line
 * per bar; `deno task monitor`'s comparison equals an independent
 * computation from the log; and a bot restarted mid-comparison loses no bar.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createLstmSignal } from "../plugins/lstm_signal.ts";
import type { Bar } from "../src/data/types.ts";
import type { Signal } from "../src/signal/types.ts";
import { compareShadows } from "../src/pipeline/shadow_comparison.ts";
import { readShadow, writeShadow } from "../src/model/versions.ts";
import { SPY_CSV, spyBars, trainShadowModels } from "./shadow_fixture.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const { series, bars } = await spyBars();
const work = await Deno.makeTempDir();
const root = await trainShadowModels(work, series, bars);
const live = bars.slice(2 * 252); // the year after the models' data: what a bot would see

/** Feeds `feed` to a fresh plugin (thresholds at 0.5, no out-of-distribution cut-off). */
async function run(
  options: { modelDir: string; shadow?: string[]; logPath?: string },
  feed: readonly Bar[],
): Promise<Signal[]> {
  const plugin = createLstmSignal({
    ...options,
    upThreshold: 0.5,
    downThreshold: 0.5,
    maxZScore: Infinity,
    warn: () => {},
  });
  await plugin.init();
  const out: Signal[] = [];
  for (const bar of feed) out.push(await plugin.onBar("SPY", bar));
  plugin.dispose();
  return out;
}

const log = join(work, "predictions.jsonl");
const withShadows = await run({ modelDir: root, shadow: ["v2", "v3"], logPath: log }, live);

Deno.test("only the current version drives the signal: with shadows it is the signal without them", async () => {
  const alone = await run({ modelDir: root, shadow: [] }, live);
  assert.equal(withShadows.length, live.length);
  let differ = 0;
  withShadows.forEach((s, i) => {
    const { shadows, ...rest } = s;
    assert.deepEqual(rest, alone[i], `signal at ${s.time}`);
    assert.equal(s.model.version, "v1");
    assert.deepEqual(shadows!.map((x) => x.version), ["v2", "v3"]);
    for (const x of shadows!) {
      if (
        s.status === "ok" && x.status === "ok" && Math.abs(x.probabilityUp - s.probabilityUp) > 1e-4
      ) {
        differ++;
      }
    }
  });
  // The shadows said something else on most bars, and it changed nothing.
  assert.ok(
    differ > live.length,
    `shadow probabilities differed from the live one ${differ} times`,
  );
});

Deno.test("each shadow's entry is what a plugin serving that version alone says, on every bar", async () => {
  for (const version of ["v2", "v3"]) {
    const own = await run({ modelDir: join(root, version) }, live);
    let ok = 0;
    withShadows.forEach((s, i) => {
      const entry = s.shadows!.find((x) => x.version === version)!;
      assert.equal(entry.status, own[i].status, `${version} status at ${s.time}`);
      assert.equal(entry.probabilityUp, own[i].probabilityUp, `${version} at ${s.time}`);
      assert.equal(entry.rawProbability, own[i].rawProbability, `${version} raw at ${s.time}`);
      if (entry.status === "ok") ok++;
    });
    assert.ok(ok > live.length - 60, `${version}: ${ok} ok bars`);
  }
  // v3's longer window and own feature stream warm up later than v1.
  const first = (v: string): number =>
    withShadows.findIndex((s) => s.shadows!.find((x) => x.version === v)!.status === "ok");
  const firstLive = withShadows.findIndex((s) => s.status === "ok");
  assert.equal(first("v2"), firstLive);
  assert.ok(first("v3") > firstLive, `v3 first ok at ${first("v3")}, v1 at ${firstLive}`);
});

Deno.test("the log holds one line per bar with the live signal and both shadows beside it", async () => {
  const lines = (await Deno.readTextFile(log)).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, live.length);
  lines.forEach((line, i) => {
    const s = withShadows[i];
    assert.equal(line.time, s.time);
    assert.equal(line.model.version, "v1");
    assert.equal(line.probabilityUp, s.probabilityUp);
    assert.deepEqual(line.shadows, JSON.parse(JSON.stringify(s.shadows)));
    const [v2, v3] = line.shadows;
    assert.equal(v2.features, undefined, "v2 reads v1's feature row");
    if (v3.status === "ok") assert.equal(v3.features.length, 6, "v3 logs its own row");
  });
});

/** Scores of `pairs` (probability, label), computed here from scratch. */
function scoresOf(pairs: [number, number][]): { accuracy: number; brier: number; logLoss: number } {
  const eps = 1e-7;
  let correct = 0, brier = 0, logLoss = 0;
  for (const [p, y] of pairs) {
    if ((p > 0.5 ? 1 : 0) === y) correct++;
    brier += (p - y) ** 2;
    const q = Math.min(1 - eps, Math.max(eps, p));
    logLoss -= y ? Math.log(q) : Math.log(1 - q);
  }
  const n = pairs.length;
  return { accuracy: correct / n, brier: brier / n, logLoss: logLoss / n };
}

/** The live-vs-shadow rows of a log, from its lines alone: last line per bar, both ok, labelled. */
async function fromLog(path: string, shadow: string): Promise<{
  times: string[];
  live: [number, number][];
  shadow: [number, number][];
}> {
  const close = new Map<string, number>();
  const next = new Map<string, number>();
  series.bars.forEach((b, i) => {
    close.set(b.time, b.adjClose ?? b.close);
    const after = series.bars[i + 1];
    if (after) next.set(b.time, after.adjClose ?? after.close);
  });
  interface Line {
    time: string;
    status: string;
    probabilityUp: number;
    model: { version: string };
    shadows: { version: string; status: string; probabilityUp: number }[];
  }
  const byTime = new Map<string, Line>();
  for (const text of (await Deno.readTextFile(path)).trim().split("\n")) {
    const line: Line = JSON.parse(text);
    if (line.status === "ok" && line.model.version === "v1") byTime.set(line.time, line);
  }
  const out = {
    times: [] as string[],
    live: [] as [number, number][],
    shadow: [] as [number, number][],
  };
  for (const time of [...byTime.keys()].sort()) {
    const line = byTime.get(time)!;
    const entry = line.shadows.find((x) => x.version === shadow);
    if (entry?.status !== "ok" || !next.has(time)) continue;
    const y = next.get(time)! > close.get(time)! ? 1 : 0;
    out.times.push(time);
    out.live.push([line.probabilityUp, y]);
    out.shadow.push([entry.probabilityUp, y]);
  }
  return out;
}

Deno.test("monitor's comparison of each shadow with the live version equals an independent computation from the log", async () => {
  const args = ["run", "--allow-read", "cli.ts", "monitor", "--model", root, "--ticker", "SPY"];
  const data = ["--csv", SPY_CSV, "--log", log];
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...args, ...data, "--json"],
    cwd: ROOT,
  })
    .output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const result = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.deepEqual(result.shadows.map((c: { candidate: string }) => c.candidate), ["v2", "v3"]);
  const card = JSON.parse(await Deno.readTextFile(join(root, "v1", "model_config.json")));
  const baseRate = card.calibration.baseRate;
  const close = (a: number, b: number, what: string): void =>
    assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);
  for (const c of result.shadows) {
    const rows = await fromLog(log, c.candidate);
    const n = rows.times.length;
    assert.ok(n > 150, `${c.candidate}: ${n} rows`);
    assert.equal(c.rows, n);
    assert.equal(c.first, rows.times[0]);
    assert.equal(c.last, rows.times[n - 1]);
    assert.equal(c.pending, 1, "the last bar of the CSV: its outcome is not known yet");
    const liveScores = scoresOf(rows.live);
    const shadowScores = scoresOf(rows.shadow);
    const climatology = scoresOf(rows.live.map(([, y]) => [baseRate, y]));
    for (const [side, mine] of [[c.live, liveScores], [c.shadow, shadowScores]] as const) {
      close(side.accuracy, mine.accuracy, `${c.candidate} accuracy`);
      close(side.brier, mine.brier, `${c.candidate} brier`);
      close(side.logLoss, mine.logLoss, `${c.candidate} log loss`);
      close(side.brierSkill.estimate, 1 - mine.brier / climatology.brier, "brier skill");
      close(side.logLossSkill.estimate, 1 - mine.logLoss / climatology.logLoss, "log-loss skill");
    }
    close(c.difference.brier.estimate, shadowScores.brier - liveScores.brier, "brier difference");
    close(
      c.difference.logLoss.estimate,
      shadowScores.logLoss - liveScores.logLoss,
      "log-loss difference",
    );
    close(
      c.difference.accuracy.estimate,
      shadowScores.accuracy - liveScores.accuracy,
      "accuracy difference",
    );
    const agree = rows.live.filter(([p], k) => (p > 0.5) === (rows.shadow[k][0] > 0.5)).length;
    close(c.agreement, agree / n, "agreement");
    const d = c.difference.brier;
    assert.ok(d.lower <= d.estimate && d.estimate <= d.upper, JSON.stringify(d));
    const verdict = d.upper < 0 ? "better" : d.lower > 0 ? "worse" : "no different";
    assert.equal(c.verdict, verdict);
    assert.match(
      c.verdictText,
      new RegExp(`^the candidate ${c.candidate} is .* v1 on ${n} live bars`),
    );
    assert.ok(c.shadow.drift.probabilities !== null && c.live.drift.probabilities !== null);
  }
  const text = await new Deno.Command(Deno.execPath(), { args: [...args, ...data], cwd: ROOT })
    .output();
  const stdout = new TextDecoder().decode(text.stdout);
  assert.equal(text.code, 0);
  assert.match(stdout, /^shadow v2 vs live v1 · SPY · \d+ compared bars/m);
  assert.match(
    stdout,
    /^ {2}verdict: the candidate v3 is (better than|no different from|worse than) v1/m,
  );
});

Deno.test("a bot restarted mid-comparison loses nothing: the comparison is recomputed from the whole log", async () => {
  const path = join(work, "restarted.jsonl");
  const cut = 120;
  await run({ modelDir: root, shadow: ["v2"], logPath: path }, live.slice(0, cut));
  const options = { modelDir: root, ticker: "SPY", logPath: path, request: { csv: SPY_CSV } };
  const before = (await compareShadows(options)).comparisons[0];
  // The restarted bot replays 60 bars to warm up its features, then carries on.
  await run({ modelDir: root, shadow: ["v2"], logPath: path }, live.slice(cut - 60));
  const after = (await compareShadows(options)).comparisons[0];
  const rows = await fromLog(path, "v2");
  assert.equal(after.rows, rows.times.length);
  assert.ok(after.rows > before.rows + live.length - cut - 5, `${before.rows} then ${after.rows}`);
  assert.equal(after.first, before.first, "the first session's bars still count");
  close(after.live!.brier, scoresOf(rows.live).brier);
  close(after.shadow!.brier, scoresOf(rows.shadow).brier);
  function close(a: number, b: number): void {
    assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
  }
});

Deno.test("without a shadow option the plugin runs what shadow.json names, and reload() re-reads it", async () => {
  await writeShadow(root, ["v2"]);
  assert.deepEqual(await readShadow(root), ["v2"]);
  await assert.rejects(() => writeShadow(root, ["v1"]), /other than the current one/);
  const plugin = createLstmSignal({ modelDir: root, warn: () => {} });
  await plugin.init();
  assert.deepEqual(plugin.shadows, ["v2"]);
  const first = await plugin.onBar("SPY", live[0]);
  assert.deepEqual(first.shadows?.map((s) => s.version), ["v2"]);
  await writeShadow(root, []);
  await plugin.reload();
  assert.deepEqual(plugin.shadows, []);
  const second = await plugin.onBar("SPY", live[1]);
  assert.equal(second.shadows, undefined);
  plugin.dispose();
});

Deno.test("a shadow that fails to load is logged as no-model and never touches the live signal", async () => {
  const warnings: string[] = [];
  const plugin = createLstmSignal({
    modelDir: root,
    shadow: ["v9"],
    upThreshold: 0.5,
    downThreshold: 0.5,
    maxZScore: Infinity,
    warn: (w) => warnings.push(w),
  });
  await plugin.init();
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /shadow v9 not loaded/);
  const alone = await run({ modelDir: root, shadow: [] }, live.slice(0, 80));
  for (const [i, bar] of live.slice(0, 80).entries()) {
    const s = await plugin.onBar("SPY", bar);
    assert.deepEqual(s.shadows, [{
      version: "v9",
      probabilityUp: 0.5,
      status: "no-model",
      horizonBars: 1,
    }]);
    const { shadows: _, ...rest } = s;
    assert.deepEqual(rest, alone[i]);
  }
  plugin.dispose();
});

Deno.test("predict with a history gives the shadows onBar gave on its last bar", async () => {
  const plugin = createLstmSignal({
    modelDir: root,
    shadow: ["v2", "v3"],
    upThreshold: 0.5,
    downThreshold: 0.5,
    maxZScore: Infinity,
    warn: () => {},
  });
  await plugin.init();
  for (const k of [100, live.length - 1]) {
    const s = await plugin.predict("SPY", live.slice(0, k + 1));
    assert.deepEqual(s, withShadows[k], `predict on ${live[k].time}`);
  }
  plugin.dispose();
});
