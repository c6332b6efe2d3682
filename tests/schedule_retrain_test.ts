/**
 * Scheduled retraining: two cron cycles run with a fake clock (real tiny
 * retrains, each decision logged to retrain_log.jsonl and said in one
 * line), a second retrain of the same model (a subprocess) refused while the
 * scheduler holds the lock, the lock freed when its holder is killed -9, a
 * failed run logged without stopping the schedule, a stop request honoured
 * between runs, and one-line usage errors for a bad schedule.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fitSettings } from "../src/pipeline/fit.ts";
import {
  acquireRetrainLock,
  type Clock,
  nextRunAfter,
  parseSchedule,
  readRetrainLog,
  RETRAIN_LOCK_FILE,
  type RetrainLogEntry,
  scheduleRetrain,
} from "../src/pipeline/schedule.ts";
import { retrainLogLine } from "../src/views/retrain.ts";
import { readPointer } from "../src/model/versions.ts";
import { DataError, UsageError } from "../src/util/errors.ts";
import { cli, ROOT, type Run, tinyTrainArgs } from "./tiny_model_fixture.ts";

const TMP = await Deno.makeTempDir({ prefix: "schedule_" });
globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));

/** A clock that jumps: `sleep` moves time on at once and counts the sleeps. */
function fakeClock(start: string): Clock & { sleeps: number } {
  let t = Date.parse(start);
  const clock = {
    sleeps: 0,
    now: (): number => t,
    sleep: (ms: number): Promise<void> => {
      clock.sleeps++;
      t += ms;
      return Promise.resolve();
    },
  };
  return clock;
}

const TINY_FIT = fitSettings({
  epochs: 1,
  sequenceLength: 10,
  lstmUnits: 4,
  batchSize: 64,
  learningRate: 0.01,
  seed: 42,
  backendName: "cpu",
});

function oneLine(run: Run, code: number, pattern: RegExp): void {
  assert.equal(run.code, code, run.stderr);
  const lines = run.stderr.trim().split("\n");
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0], pattern);
}

Deno.test("a cron schedule is read by croner: the next Monday 06:00 after a time", () => {
  const cron = parseSchedule("0 6 * * 1", "UTC");
  assert.equal(
    new Date(nextRunAfter(cron, Date.parse("2024-01-01T06:00:00Z"))!).toISOString(),
    "2024-01-08T06:00:00.000Z",
  );
  assert.equal(
    new Date(nextRunAfter(cron, Date.parse("2024-01-01T05:00:00Z"))!).toISOString(),
    "2024-01-01T06:00:00.000Z",
  );
  assert.throws(() => parseSchedule("0 6 * *"), UsageError);
  assert.throws(() => parseSchedule("0 0 30 2 *", "UTC"), /it never fires/);
});

Deno.test("two scheduled cycles retrain and log both decisions; a concurrent retrain is refused", async () => {
  const modelDir = join(TMP, "cycles");
  const modelRoot = join(modelDir, "m");
  const clock = fakeClock("2024-01-01T07:00:00Z"); // a Monday, after 06:00
  const lines: string[] = [];
  let refused: Run | undefined;
  const summary = await scheduleRetrain("0 6 * * 1", {
    modelRoot,
    fit: TINY_FIT,
    data: { ticker: "SPY", source: "synthetic" },
    timezone: "UTC",
    clock: {
      now: clock.now,
      sleep: async (ms) => {
        // While the scheduler waits for its first run, it holds the lock: another is refused.
        refused ??= await cli([
          "retrain",
          ...tinyTrainArgs("SPY"),
          "--model-dir",
          modelDir,
          "--name",
          "m",
        ], TMP);
        await clock.sleep(ms);
      },
    },
    pollMs: 7 * 86_400_000,
    maxRuns: 2,
    onRun: (entry) => {
      lines.push(retrainLogLine(entry));
    },
  });
  assert.equal(summary.stoppedBy, "max-runs");
  oneLine(
    refused!,
    1,
    new RegExp(
      `^error: Expected no other retrain of .*/m running, found one holding .*/m/${RETRAIN_LOCK_FILE} \\(pid ${Deno.pid}\\); overlapping runs are refused$`,
    ),
  );
  const log: RetrainLogEntry[] = await readRetrainLog(modelRoot);
  assert.deepEqual(log, summary.runs);
  assert.deepEqual(log.map((e) => e.startedAt), [
    "2024-01-08T06:00:00.000Z",
    "2024-01-15T06:00:00.000Z",
  ]);
  assert.equal(log[0].decision, "first-version");
  assert.equal(log[0].candidate, "v1");
  assert.ok(["promoted", "rejected"].includes(log[1].decision), log[1].decision);
  assert.equal(log[1].current, "v1");
  assert.equal(log[1].candidate, "v2");
  assert.equal(log[1].schedule, "0 6 * * 1");
  assert.equal(log[1].interval, "1d");
  assert.equal(typeof log[1].metric?.candidate, "number");
  const pointer = await readPointer(modelRoot);
  assert.equal(pointer?.current, log[1].decision === "promoted" ? "v2" : "v1");
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^2024-01-08T06:00:00\.000Z .*m: first-version v1 \(log-loss 0\.\d{4}/);
  assert.match(
    lines[1],
    /: (promoted|rejected) v2 \(log-loss 0\.\d{4} vs 0\.\d{4} for v1; holdout /,
  );
  // The lock is released and its file gone: a retrain may run now.
  await assert.rejects(() => Deno.stat(join(modelRoot, RETRAIN_LOCK_FILE)), Deno.errors.NotFound);
  await (await acquireRetrainLock(modelRoot)).release();
});

Deno.test("the retrain lock dies with its holder, even by kill -9", async () => {
  const modelRoot = join(TMP, "crash", "m");
  const holder = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { acquireRetrainLock } from "./src/pipeline/schedule.ts";
       await acquireRetrainLock(${JSON.stringify(modelRoot)});
       console.log("locked");
       await new Promise(() => setTimeout(() => {}, 600_000));`,
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = holder.stdout.getReader();
  const { value } = await reader.read();
  assert.match(new TextDecoder().decode(value), /locked/);
  await assert.rejects(
    () => acquireRetrainLock(modelRoot),
    (e: unknown) => e instanceof DataError && e.message.includes(`(pid ${holder.pid})`),
  );
  holder.kill("SIGKILL");
  await holder.status;
  reader.releaseLock();
  await holder.stdout.cancel();
  const lock = await acquireRetrainLock(modelRoot);
  assert.equal((await Deno.readTextFile(lock.path)).trim(), String(Deno.pid));
  await lock.release();
});

Deno.test("a failed run is logged and the schedule goes on; a stop request ends it between runs", async () => {
  const modelRoot = join(TMP, "failing", "m");
  const clock = fakeClock("2024-01-01T00:00:00Z");
  let calls = 0;
  const summary = await scheduleRetrain("30 14 * * *", {
    modelRoot,
    fit: TINY_FIT,
    data: { ticker: "SPY", source: "yahoo" },
    timezone: "UTC",
    clock,
    pollMs: 3_600_000,
    retrain: () => {
      calls++;
      return Promise.reject(new DataError("Expected a reply from Yahoo, found a timeout"));
    },
    shouldStop: () => calls >= 2,
  });
  assert.equal(summary.stoppedBy, "interrupt");
  assert.equal(calls, 2);
  const log = await readRetrainLog(modelRoot);
  assert.deepEqual(log.map((e) => [e.startedAt, e.decision, e.promoted]), [
    ["2024-01-01T14:30:00.000Z", "failed", false],
    ["2024-01-02T14:30:00.000Z", "failed", false],
  ]);
  assert.equal(log[0].reason, "Expected a reply from Yahoo, found a timeout");
  assert.match(retrainLogLine(log[0]), /: failed: Expected a reply from Yahoo, found a timeout$/);
  // Waits are cut into polls of at most an hour, so a stop request is seen.
  assert.ok(clock.sleeps >= 24, `${clock.sleeps} sleeps`);
});

Deno.test("Ctrl-C stops a waiting scheduler cleanly: exit 0, lock released, nothing left behind", async () => {
  const modelDir = join(TMP, "interrupted");
  await Deno.mkdir(modelDir);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      `--allow-write=${TMP}`,
      "cli.ts",
      "retrain",
      ...tinyTrainArgs("SPY"),
      "--model-dir",
      modelDir,
      "--name",
      "m",
      "--schedule",
      "0 6 * * 1",
      "--timezone",
      "UTC",
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let stderr = "";
  while (!/next run of .* at \d{4}-/.test(stderr)) {
    const { value, done } = await reader.read();
    if (done) break;
    stderr += value;
  }
  assert.match(stderr, /retrain: next run of .*m at \d{4}-\d\d-\d\dT06:00:00\.000Z/);
  // Held while it waits.
  await assert.rejects(() => acquireRetrainLock(join(modelDir, "m")), /overlapping runs/);
  child.kill("SIGINT");
  for (let r = await reader.read(); !r.done; r = await reader.read()) stderr += r.value;
  const { code } = await child.status;
  const stdout = await new Response(child.stdout).text();
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "");
  assert.match(stderr, /retrain: interrupted; stopping/);
  assert.match(stderr, /retrain: scheduler stopped \(interrupt\) after 0 runs\n$/);
  assert.deepEqual(await Array.fromAsync(Deno.readDir(modelDir)), [], "no lock file, no folder");
});

Deno.test("a bad --schedule, or --runs without one, is a one-line usage error", async () => {
  const base = ["retrain", ...tinyTrainArgs("SPY"), "--model-dir", TMP, "--name", "never"];
  oneLine(
    await cli([...base, "--schedule", "61 * * * *"], TMP),
    2,
    /^error: Expected --schedule to be a cron expression like "0 6 \* \* 1" .*found "61 \* \* \* \*"/,
  );
  oneLine(
    await cli([...base, "--runs", "2"], TMP),
    2,
    /^error: Expected --runs only with --schedule, found it without$/,
  );
  await assert.rejects(() => Deno.stat(join(TMP, "never")), Deno.errors.NotFound);
});
