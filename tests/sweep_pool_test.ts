/**
 * `deno task sweep` on the local pool, end to end as a subprocess, on a tiny
 * sweep (seconds per job): results.jsonl holds one line per job and the
 * winner's confirmation, a job that fails for its own reasons (too few bars
 * in its data entry) is recorded as failed without stopping the sweep (a bad
 * flag value never gets that far: the spec check refuses it), the leaderboard comes in text, JSON and HTML
 * and says how many configurations were tried, and a second run skips every
 * finished job.
 */
import assert from "node:assert/strict";
import { readResults, sweepCli, tinySpec } from "./sweep_fixture.ts";

const TMP = await Deno.makeTempDir({ prefix: "sweep_pool_" });
globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));

Deno.test("a local sweep records every job once, a failing job included, and re-runs nothing", async () => {
  const spec = `${TMP}/pool.json`;
  // Six weeks of bars are too few for the sweep's warm-up and window: those jobs fail on their own.
  const tiny = tinySpec("pool", [4]);
  const short = { source: "synthetic", ticker: "SYN", start: "2023-01-01", end: "2023-02-15" };
  await Deno.writeTextFile(spec, JSON.stringify({ ...tiny, data: [tiny.data, short] }));
  const args = ["sweep", "--spec", spec, "--out", `${TMP}/sweeps`, "--workers", "2", "--json"];
  const first = await sweepCli(args, TMP);
  assert.equal(first.code, 0, first.stderr);
  const board = JSON.parse(first.stdout);
  const dir = `${TMP}/sweeps/pool`;

  const lines = await readResults(`${dir}/results.jsonl`);
  const selection = lines.filter((r) => r.kind === "select");
  assert.equal(selection.length, 4);
  assert.equal(lines.filter((r) => r.kind === "confirm").length, 1);
  assert.equal(new Set(lines.map((r) => r.id)).size, lines.length);
  const failed = selection.filter((r) => r.status === "failed");
  assert.equal(failed.length, 2);
  for (const f of failed) {
    assert.equal((f.data as Record<string, string>).end, "2023-02-15");
    assert.match(String(f.error), /^Expected more than \d+ bars \(warm-up, .*\), found \d+$/);
  }
  for (const r of selection.filter((r) => r.status === "ok")) {
    const e = r.evaluation as { folds: unknown[]; metrics: { brierSkill: number } };
    assert.equal(e.folds.length, 2);
    assert.ok(Number.isFinite(e.metrics.brierSkill));
    assert.match(String(r.worker), /^local-[12]$/);
  }

  assert.equal(board.tried, 4);
  assert.equal(board.scored, 2);
  assert.equal(board.failed.length, 2);
  assert.match(board.statements[0], /^4 configurations tried: 2 scored, 2 failed/);
  assert.ok(board.winner.holdout, "the winner is confirmed on the holdout");
  assert.ok(board.winner.holdout.rows > 0);
  assert.match(board.winner.trainCommand, /deno task train .*--lstm-units 4/);
  assert.ok(board.statements.some((s: string) => /^multiple testing: .* best of 2/.test(s)));
  const text = await Deno.readTextFile(`${dir}/leaderboard.txt`);
  assert.match(text, /rank\s+id\s+configuration\s+brier skill/);
  assert.match(
    await Deno.readTextFile(`${dir}/leaderboard.html`),
    /<table>.*SYN 2023-01-01\.\. seed=1/s,
  );
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/leaderboard.json`)), board);
  // Progress: one line per event, with counts and an ETA.
  assert.match(
    first.stderr,
    /\[\s*\d\/4\] done\s+[0-9a-f]{8} on local-\d: Brier skill .* \| done \d, running \d, failed \d of 4; elapsed \d+s, eta /,
  );

  const second = await sweepCli(args, TMP);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /4 configurations, 4 with results already, 0 to run/);
  assert.doesNotMatch(second.stderr, / start /);
  assert.equal((await readResults(`${dir}/results.jsonl`)).length, lines.length);
  assert.deepEqual(JSON.parse(second.stdout).ranking, board.ranking);
});
