/**
 * Sweeps on BullMQ/Redis, end to end with real processes: a private
 * `redis-server` on a free port, two `deno task worker` processes, one of
 * them killed with SIGKILL mid-job; every job still finishes exactly once,
 * with the same scores as the same sweep on the local pool. And an
 * unreachable Redis is one line and exit 1, for the sweep and the worker.
 */
import assert from "node:assert/strict";
import {
  freePort,
  readResults,
  spawnCli,
  startRedis,
  sweepCli,
  tinySpec,
} from "./sweep_fixture.ts";

const TMP = await Deno.makeTempDir({ prefix: "sweep_queue_" });
globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));

function assertOneLineFailure(run: { code: number; stdout: string; stderr: string }): string {
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.stdout, "");
  const lines = run.stderr.trim().split("\n");
  assert.equal(lines.length, 1, run.stderr);
  return lines[0];
}

Deno.test("an unreachable Redis is one line and exit 1, for the sweep and the worker", async () => {
  const url = `redis://127.0.0.1:${freePort()}`;
  const spec = `${TMP}/down.json`;
  await Deno.writeTextFile(spec, JSON.stringify(tinySpec("down")));
  const sweep = await sweepCli(["sweep", "--spec", spec, "--out", TMP, "--queue", url], TMP);
  assert.match(
    assertOneLineFailure(sweep),
    new RegExp(`^error: Expected a Redis server at ${url}, found none \\(.*ECONNREFUSED.*\\)$`),
  );
  const worker = await sweepCli(["worker", "--queue", url], TMP);
  assert.match(assertOneLineFailure(worker), /^error: Expected a Redis server at .*, found none/);
});

Deno.test("two workers, one killed mid-job: every job finishes once, as on the local pool", async () => {
  const spec = `${TMP}/q.json`;
  await Deno.writeTextFile(spec, JSON.stringify(tinySpec("q")));
  const local = await sweepCli(
    ["sweep", "--spec", spec, "--out", `${TMP}/local`, "--workers", "2"],
    TMP,
  );
  assert.equal(local.code, 0, local.stderr);

  const redis = await startRedis();
  const workers: Deno.ChildProcess[] = [];
  try {
    const worker = (name: string, onLine: (line: string) => void = () => {}) => {
      const w = spawnCli(
        ["worker", "--queue", redis.url, "--name", name, "--lock-seconds", "3"],
        TMP,
        onLine,
      );
      workers.push(w.child);
      return w;
    };
    // wA runs one job to the end, then is killed as it starts its second.
    let finished = 0;
    let killed = "";
    let bStarted: ReturnType<typeof worker> | null = null;
    let ready!: () => void;
    const waiting = new Promise<void>((resolve) => (ready = resolve));
    const a = worker("wA", (line) => {
      if (line.includes("waiting for jobs")) ready();
      if (/^wA: start /.test(line)) {
        bStarted ??= worker("wB");
        if (finished >= 1 && !killed) {
          killed = line.match(/start ([0-9a-f]{8})/)![1];
          a.child.kill("SIGKILL");
        }
      }
      if (/^wA: done /.test(line)) finished++;
    });
    await waiting;
    const sweep = await sweepCli(
      ["sweep", "--spec", spec, "--out", `${TMP}/queue`, "--queue", redis.url],
      TMP,
    );
    assert.equal(sweep.code, 0, sweep.stderr);
    if (Deno.env.get("SWEEP_TEST_DEBUG")) console.error(local.stderr, sweep.stderr);
    assert.notEqual(killed, "", "wA was killed mid-job");
    assert.equal((await a.done).code, 137, "wA died of SIGKILL");
    assert.match(sweep.stderr, new RegExp(`requeued ${killed}: its worker wA stopped renewing`));

    const queued = await readResults(`${TMP}/queue/q/results.jsonl`);
    const pooled = await readResults(`${TMP}/local/q/results.jsonl`);
    assert.equal(queued.length, 5); // 4 configurations and the winner's confirmation
    assert.equal(new Set(queued.map((r) => r.id)).size, queued.length, "each job once");
    const byId = new Map(pooled.map((r) => [r.id, r]));
    for (const r of queued) {
      const twin = byId.get(r.id);
      assert.ok(twin, `the local pool ran ${r.id} too`);
      assert.equal(r.status, "ok");
      assert.deepEqual(r.evaluation, twin.evaluation, `same scores for ${r.id}`);
      assert.deepEqual(r.rows, twin.rows);
    }
    const workersSeen = new Set(queued.map((r) => r.worker));
    assert.ok(workersSeen.has("wA") && workersSeen.has("wB"), [...workersSeen].join());
    assert.equal(queued.find((r) => String(r.id).startsWith(killed))!.worker, "wB");
    const board = (dir: string) => Deno.readTextFile(`${dir}/q/leaderboard.json`).then(JSON.parse);
    assert.deepEqual(
      (await board(`${TMP}/queue`)).ranking.map((e: { id: string }) => e.id),
      (await board(`${TMP}/local`)).ranking.map((e: { id: string }) => e.id),
    );
  } finally {
    for (const w of workers) {
      try {
        w.kill("SIGKILL");
      } catch {
        // already gone
      }
      await w.status;
    }
    await redis.stop();
  }
});
