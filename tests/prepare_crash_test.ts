/**
 * Crash consistency of `prepare`: SIGKILL at seeded random moments and at
 * each pause point of the cache's write order (the test hook
 * LSTM_SIGNAL_TEST_PAUSE), and after every kill the cache on disk is a whole
 * pair: the CSV matches its metadata (or the pair an interrupted update
 * replaces), and readCache reads one of the two imports whole.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { formatBarsCsv, generateSyntheticBars, readCache } from "../src/data/mod.ts";
import { sha256Hex } from "../src/util/fs.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const HOOKS = "LSTM_SIGNAL_TEST_PAUSE,LSTM_SIGNAL_TEST_TRACE";

/** mulberry32: the kill schedule is the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Run {
  child: Deno.ChildProcess;
  /** Resolves true when `marker` appears on stderr, false when stderr ends first. */
  waitFor(marker: string): Promise<boolean>;
  stderr(): string;
  closed: Promise<void>;
}

function startPrepare(dir: string, csv: string, env: Record<string, string>): Run {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      `--allow-write=${dir}`,
      `--allow-env=${HOOKS}`,
      "cli.ts",
      "prepare",
      "--ticker",
      "SPY",
      "--csv",
      csv,
      "--replace",
      "--data-dir",
      dir,
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  const waiters: { marker: string; resolve: (found: boolean) => void }[] = [];
  const closed = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      text += decoder.decode(chunk, { stream: true });
      for (const w of waiters.filter((w) => text.includes(w.marker))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(true);
      }
    }
    for (const w of waiters.splice(0)) w.resolve(false);
  })();
  return {
    child,
    waitFor: (marker) =>
      text.includes(marker)
        ? Promise.resolve(true)
        : new Promise((resolve) => waiters.push({ marker, resolve })),
    stderr: () => text,
    closed,
  };
}

type Landing =
  | "before writing"
  | "writing temporary files"
  | "between the metadata and CSV renames"
  | "after the CSV rename, before the final metadata"
  | "finished";

interface PairState {
  csvSha: string;
  metaSha: string;
  previousSha: string | null;
  temps: string[];
}

async function pairState(dir: string): Promise<PairState> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  const temps = names.filter((n) => /\.tmp-\d+-[0-9a-z]+$/.test(n));
  const other = names.filter((n) => !temps.includes(n)).sort();
  assert.deepEqual(other, ["SPY_1d.csv", "SPY_1d.meta.json"], `unexpected files: ${names}`);
  const meta = JSON.parse(await Deno.readTextFile(join(dir, "SPY_1d.meta.json")));
  return {
    csvSha: await sha256Hex(await Deno.readTextFile(join(dir, "SPY_1d.csv"))),
    metaSha: meta.sha256,
    previousSha: meta.previous?.sha256 ?? null,
    temps,
  };
}

function landing(after: PairState, before: PairState): Landing {
  const same = after.csvSha === before.csvSha && after.metaSha === before.metaSha &&
    after.previousSha === before.previousSha;
  if (same) {
    return after.temps.some((t) => !before.temps.includes(t))
      ? "writing temporary files"
      : "before writing";
  }
  if (after.previousSha !== null) {
    return after.csvSha === after.previousSha
      ? "between the metadata and CSV renames"
      : "after the CSV rename, before the final metadata";
  }
  return "finished";
}

interface Step {
  pause?: string;
  afterWrite?: boolean;
  delay: number;
}

interface Lane {
  kills: number;
  attempts: number;
  tally: Map<string, number>;
}

/**
 * Kills `prepare` runs in `data` until `wanted` kills have landed: first at each of `pauses`,
 * then at random moments, alternately from the start and from the beginning of the write
 * phase (a run that ends before its kill is no kill). After every run the pair must be whole.
 */
async function killLane(
  data: string,
  files: string[],
  sha: string[],
  options: { pauses: string[]; seed: number; wanted: number; runMs: number; writeMs: number },
): Promise<Lane> {
  const random = rng(options.seed);
  const nextStep = (i: number): Step =>
    i < options.pauses.length
      ? { pause: options.pauses[i], delay: 0 }
      : i % 2 === 0
      ? { delay: options.runMs * (0.2 + 0.7 * random()) }
      : { afterWrite: true, delay: random() * options.writeMs };
  const lane: Lane = { kills: 0, attempts: 0, tally: new Map() };
  for (let i = 0; lane.kills < options.wanted && i < 2 * options.wanted; i++) {
    const step = nextStep(i);
    lane.attempts++;
    const before = await pairState(data);
    const target = files[before.csvSha === sha[0] ? 1 : 0];
    const env: Record<string, string> = step.pause
      ? { LSTM_SIGNAL_TEST_PAUSE: step.pause }
      : step.afterWrite
      ? { LSTM_SIGNAL_TEST_TRACE: "1" }
      : {};
    const run = startPrepare(data, target, env);
    if (step.pause) {
      assert.ok(
        await run.waitFor(`lstm-signal-test: paused at ${step.pause}`),
        `no pause at ${step.pause}: ${run.stderr()}`,
      );
    } else if (step.afterWrite) {
      assert.ok(await run.waitFor("lstm-signal-test: at cache-write"), run.stderr());
    }
    await new Promise((resolve) => setTimeout(resolve, step.delay));
    try {
      run.child.kill("SIGKILL");
    } catch {
      // already exited
    }
    const status = await run.child.status;
    await run.closed;
    const after = await pairState(data);
    // The pair on disk is whole: the CSV is the metadata's, or the one it replaces.
    assert.ok(
      after.csvSha === after.metaSha || after.csvSha === after.previousSha,
      `CSV ${after.csvSha} matches neither ${after.metaSha} nor ${after.previousSha}`,
    );
    assert.ok(sha.includes(after.csvSha), "the CSV is one of the two imports, whole");
    const cached = await readCache("SPY", { dataDir: data, interval: "1d" });
    assert.ok(cached, "readCache finds the pair");
    assert.equal(cached.meta.sha256, after.csvSha);
    assert.equal(cached.series.bars.length, cached.meta.rows);
    if (status.signal === "SIGKILL") {
      lane.kills++;
      const where = step.pause ? `paused at ${step.pause}` : landing(after, before);
      lane.tally.set(where, (lane.tally.get(where) ?? 0) + 1);
    } else {
      assert.equal(status.code, 0, run.stderr());
    }
  }
  return lane;
}

Deno.test("prepare survives SIGKILL at 20 seeded moments, the rename phase included", async () => {
  const dir = await Deno.makeTempDir({ prefix: "prepare_crash_" });
  try {
    // Two imports of the same dates with different prices: every run changes the whole pair.
    const files = [1, 2].map((seed) => join(dir, `import_${seed}.csv`));
    for (const [i, file] of files.entries()) {
      const bars = generateSyntheticBars("SPY", {
        start: "2021-01-01",
        end: "2023-12-31",
        seed: i + 1,
      });
      await Deno.writeTextFile(file, formatBarsCsv(bars));
    }

    // Two whole runs: the two pairs' hashes, and how long a run and its write phase take.
    const lanes = [join(dir, "lane0"), join(dir, "lane1")];
    const sha: string[] = [];
    let runMs = Infinity, writeMs = Infinity;
    for (const file of files) {
      const t0 = performance.now();
      const run = startPrepare(lanes[0], file, { LSTM_SIGNAL_TEST_TRACE: "1" });
      assert.ok(await run.waitFor("lstm-signal-test: at cache-write"), run.stderr());
      const t1 = performance.now();
      const status = await run.child.status;
      await run.closed;
      assert.equal(status.code, 0, run.stderr());
      runMs = Math.min(runMs, performance.now() - t0);
      writeMs = Math.min(writeMs, performance.now() - t1);
      sha.push((await pairState(lanes[0])).csvSha);
    }
    assert.notEqual(sha[0], sha[1]);
    await Deno.mkdir(lanes[1]);
    for (const name of ["SPY_1d.csv", "SPY_1d.meta.json"]) {
      await Deno.copyFile(join(lanes[0], name), join(lanes[1], name));
    }

    // Two lanes of ten kills side by side: every pause point (the window between the two
    // renames three times), then seeded random moments.
    const results = await Promise.all([
      killLane(lanes[0], files, sha, {
        pauses: ["cache-write", "cache-meta", "cache-rename", "cache-meta-final"],
        seed: 20240617,
        wanted: 10,
        runMs,
        writeMs,
      }),
      killLane(lanes[1], files, sha, {
        pauses: ["cache-meta", "cache-rename", "cache-rename", "cache-meta-final"],
        seed: 20240618,
        wanted: 10,
        runMs,
        writeMs,
      }),
    ]);
    const tally = new Map<string, number>();
    for (const lane of results) {
      for (const [where, n] of lane.tally) tally.set(where, (tally.get(where) ?? 0) + n);
    }
    const kills = results[0].kills + results[1].kills;
    const attempts = results[0].attempts + results[1].attempts;
    console.log(
      `prepare crash test: ${kills} kills in ${attempts} runs; ${
        JSON.stringify(Object.fromEntries(tally))
      }`,
    );
    assert.equal(kills, 20);
    assert.equal(tally.get("paused at cache-rename"), 3);

    // Later (temporary files a few seconds old are left alone), a whole run sweeps what the
    // kills left and writes a clean pair.
    for (const data of lanes) {
      const old = new Date(Date.now() - 60_000);
      for (const name of (await pairState(data)).temps) {
        await Deno.utime(join(data, name), old, old);
      }
      const run = startPrepare(data, files[0], {});
      const status = await run.child.status;
      await run.closed;
      assert.equal(status.code, 0, run.stderr());
      const final = await pairState(data);
      assert.deepEqual(final.temps, []);
      assert.equal(final.csvSha, sha[0]);
      assert.equal(final.previousSha, null);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("issue 23: two prepares of one ticker take turns; the second says it waits, then writes", async () => {
  const dir = await Deno.makeTempDir();
  const csv = new URL("../../shared/data/SPY.csv", import.meta.url).pathname;
  const short = join(dir, "short.csv");
  const lines = (await Deno.readTextFile(csv)).trimEnd().split("\n");
  await Deno.writeTextFile(short, [lines[0], ...lines.slice(-800)].join("\n") + "\n");
  const data = join(dir, "data");
  await Deno.mkdir(data);
  const first = startPrepare(data, csv, { LSTM_SIGNAL_TEST_PAUSE: "cache-done" });
  assert.ok(await first.waitFor("paused at cache-done"), first.stderr());
  const second = startPrepare(data, short, {});
  assert.ok(await second.waitFor("waiting for another prepare writing in"), second.stderr());
  assert.match(
    second.stderr(),
    /^prepare: waiting for another prepare writing in .*data to finish$/m,
  );
  first.child.kill("SIGKILL");
  await first.child.status;
  await first.closed;
  const status = await second.child.status;
  await second.closed;
  assert.equal(status.code, 0, second.stderr());
  const cached = await readCache("SPY", { dataDir: data, interval: "1d" });
  assert.equal(cached?.series.bars.length, 800, "the second (replace) import is the cache");
  assert.deepEqual([...Deno.readDirSync(data)].map((e) => e.name).sort(), [
    "SPY_1d.csv",
    "SPY_1d.meta.json",
  ]);
  await Deno.remove(dir, { recursive: true });
});
