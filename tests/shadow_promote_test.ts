/**
 * `deno task models shadow` and `models promote --from-shadow` on real SPY
 * bars: the shadow recorded in shadow.json is run by a plugin that names no
 * shadow, the gate refuses with too few live bars (writing nothing), rejects
 * and then promotes on the tolerance around the live comparison's own
 * numbers, records each decision with its numbers in the candidate's
 * shadow_promotion.json, and `models list` shows it.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createLstmSignal } from "../plugins/lstm_signal.ts";
import type { Bar } from "../src/data/types.ts";
import { SPY_CSV, spyBars, trainShadowModels } from "./shadow_fixture.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const { series, bars } = await spyBars();
const work = await Deno.makeTempDir();
const root = await trainShadowModels(work, series, bars);
const live = bars.slice(2 * 252);
const log = join(work, "predictions.jsonl");
const DATA = ["--ticker", "SPY", "--csv", SPY_CSV, "--log", log];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function models(args: string[]): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      `--allow-write=${work}`,
      "cli.ts",
      "models",
      "--model",
      root,
      ...args,
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** A bot session on the root as it is configured (no shadow option: shadow.json decides). */
async function session(feed: readonly Bar[]): Promise<string[]> {
  const plugin = createLstmSignal({
    modelDir: root,
    logPath: log,
    maxZScore: Infinity,
    warn: () => {},
  });
  await plugin.init();
  for (const bar of feed) await plugin.onBar("SPY", bar);
  const shadows = [...plugin.shadows];
  plugin.dispose();
  return shadows;
}

const pointer = async (): Promise<{ current: string; history: string[] }> =>
  JSON.parse(await Deno.readTextFile(join(root, "current.json")));
const decisionsOf = async (version: string): Promise<{ decision: string }[] | null> => {
  try {
    return JSON.parse(await Deno.readTextFile(join(root, version, "shadow_promotion.json")))
      .decisions;
  } catch {
    return null;
  }
};

Deno.test("models shadow records the shadow beside current.json; it refuses the current version", async () => {
  const refused = await models(["shadow", "v1"]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /other than the current one to shadow, found v1/);
  const set = await models(["shadow", "v2", "--json"]);
  assert.equal(set.code, 0, set.stderr);
  assert.deepEqual(JSON.parse(set.stdout).shadow, ["v2"]);
  const shown = await models(["shadow"]);
  assert.match(shown.stdout, /shadow v2/);
  const listed = await models(["list"]);
  assert.match(listed.stdout, /^ {2}v2 .*\[never promoted; shadow\]$/m);
  const usage = await models(["shadow", "v2", "--clear"]);
  assert.equal(usage.code, 2);
});

Deno.test("promote --from-shadow refuses with too few live bars and writes nothing", async () => {
  assert.deepEqual(await session(live.slice(0, 90)), ["v2"], "the plugin runs shadow.json's v2");
  const run = await models(["promote", "--from-shadow", ...DATA]);
  assert.equal(run.code, 1, run.stdout);
  assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  assert.match(
    run.stderr,
    /Expected at least 60 live bars of SPY on which both v1 and v2 gave an ok signal and the outcome is known, found [1-5]\d in /,
  );
  assert.equal((await pointer()).current, "v1");
  assert.equal(await decisionsOf("v2"), null, "no decision recorded");
});

Deno.test("after a restart the record grows; promote --from-shadow rejects beyond the tolerance, then promotes within it, and records both", async () => {
  // The bot restarts, replays 40 bars to warm up, and carries on: the log keeps both sessions.
  await session(live.slice(50));
  const dry = await models(["promote", "--from-shadow", "--dry-run", "--json", ...DATA]);
  assert.equal(dry.code, 0, dry.stderr);
  const plan = JSON.parse(dry.stdout);
  const c = plan.comparison;
  assert.ok(c.rows > 150, `${c.rows} compared bars`);
  assert.equal(plan.candidate, "v2");
  assert.equal(await decisionsOf("v2"), null, "a dry run writes nothing");
  const worseBy = c.shadow.brier - c.live.brier; // Brier: lower is better

  const rejected = await models([
    "promote",
    "--from-shadow",
    "--tolerance",
    String(worseBy - 1e-4),
    ...DATA,
  ]);
  assert.equal(rejected.code, 1, rejected.stderr);
  assert.match(
    rejected.stdout,
    /decision: rejected: on \d+ live bars of SPY .* beyond the tolerance/,
  );
  assert.equal((await pointer()).current, "v1");

  const passed = await models([
    "promote",
    "--from-shadow",
    "--tolerance",
    String(worseBy + 1e-4),
    "--json",
    ...DATA,
  ]);
  assert.equal(passed.code, 0, passed.stderr);
  const result = JSON.parse(passed.stdout);
  assert.equal(result.decision, "promoted");
  assert.equal(result.comparison.rows, c.rows);
  assert.deepEqual(await pointer(), { current: "v2", history: ["v1"] });
  assert.deepEqual(
    JSON.parse(await Deno.readTextFile(join(root, "shadow.json"))).shadow,
    [],
    "the promoted version no longer shadows",
  );
  const recorded = await decisionsOf("v2") as unknown as {
    decision: string;
    live: { rows: number };
    metric: { name: string; tolerance: number };
    candidate: { metrics: { brier: number } };
    current: { version: string; metrics: { brier: number } };
  }[];
  assert.deepEqual(recorded.map((d) => d.decision), ["rejected", "promoted"]);
  const last = recorded[1];
  assert.equal(last.live.rows, c.rows);
  assert.equal(last.metric.name, "brier");
  assert.equal(last.metric.tolerance, worseBy + 1e-4);
  assert.equal(last.candidate.metrics.brier, c.shadow.brier);
  assert.equal(last.current.metrics.brier, c.live.brier);
  assert.equal(last.current.version, "v1");

  const listed = await models(["list"]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(
    listed.stdout,
    new RegExp(
      `^\\* v2 .*shadow gate: promoted \\d{4}-\\d\\d-\\d\\d \\(brier ${
        c.shadow.brier.toFixed(4)
      } vs v1 ${c.live.brier.toFixed(4)} on ${c.rows} live bars\\)`,
      "m",
    ),
  );
  const json = JSON.parse((await models(["list", "--json"])).stdout);
  const v2 = json.versions.find((v: { version: string }) => v.version === "v2");
  assert.equal(v2.shadowDecision.decision, "promoted");
  assert.equal(v2.shadow, false);
});

Deno.test("promote --from-shadow usage errors exit 2", async () => {
  for (
    const args of [
      ["promote", "--from-shadow", "--metric", "auc"],
      ["promote", "--from-shadow", "--min-bars", "0"],
      ["promote", "v2", "--tolerance", "0.1"],
      ["list", "--metric", "brier"],
    ]
  ) {
    const run = await models(args);
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, /^error: /);
  }
});
