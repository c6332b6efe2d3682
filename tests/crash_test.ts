/**
 * Crash consistency (issue 17): `train` and `models promote` are killed with
 * SIGKILL at seeded random moments and, deliberately, in the rename phase
 * (LSTM_SIGNAL_TEST_PAUSE makes the writer print a marker and pause between
 * writing a temporary file or folder and renaming it). After every kill each
 * version folder is complete (it loads, weights match their SHA-256) or absent,
 * and current.json, when present, names a complete version. What the kills
 * leave behind (temporary folders and files) is listed by `models list` as
 * interrupted and swept by the next `train`. Each run trains the tiny model
 * (4 units, 10-bar windows, 2 epochs) on seeded synthetic bars.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { checkModelFolder } from "../src/model/store.ts";
import { listVersions, readPointer } from "../src/model/versions.ts";
import { createRng } from "../src/util/random.ts";
import { ROOT, tinyTrainArgs } from "./tiny_model_fixture.ts";

const TMP = await Deno.makeTempDir({ prefix: "crash_" });
globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));
const MODELS = join(TMP, "models");
const MARKER = "lstm-signal-test: paused at ";

/** How a killed run ended up, for the summary line. */
type Landing = string;

/** Spawns cli.ts with `args`, writable under TMP, with the test pause hook when `pause` is set. */
function spawn(args: string[], pause?: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      `--allow-write=${TMP}`,
      "--allow-env=LSTM_SIGNAL_TEST_PAUSE",
      "cli.ts",
      ...args,
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...(pause ? { LSTM_SIGNAL_TEST_PAUSE: pause } : {}) },
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

/** Collects a child's stderr as text; resolves when `marker` appears (or the stream ends). */
function watch(child: Deno.ChildProcess, marker?: string): {
  text: () => string;
  seen: Promise<boolean>;
  done: Promise<void>;
} {
  let text = "";
  let resolveSeen: (seen: boolean) => void = () => {};
  const seen = new Promise<boolean>((resolve) => (resolveSeen = resolve));
  const done = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      text += decoder.decode(chunk, { stream: true });
      if (marker && text.includes(marker)) resolveSeen(true);
    }
    resolveSeen(false);
  })();
  return { text: () => text, seen, done };
}

/** Kills `child` with SIGKILL (unless it has exited) and waits for it. */
async function kill(child: Deno.ChildProcess): Promise<Deno.CommandStatus> {
  try {
    child.kill("SIGKILL");
  } catch {
    // already exited
  }
  return await child.status;
}

/**
 * The invariant after any kill: every version folder loads (complete, weights
 * matching their SHA-256) and current.json, if any, names one of them.
 */
async function assertConsistent(root: string, context: string): Promise<void> {
  const versions = await listVersions(root);
  for (const version of versions) {
    await checkModelFolder(join(root, version)).catch((error) => {
      throw new Error(`${context}: ${version} is incomplete: ${error.message}`);
    });
  }
  const pointer = await readPointer(root).catch((error) => {
    throw new Error(`${context}: current.json is unreadable: ${error.message}`);
  });
  if (pointer) {
    assert.ok(
      versions.includes(pointer.current),
      `${context}: current.json names ${pointer.current}, not one of ${versions.join(", ")}`,
    );
  }
}

/** Names of the temporary entries killed writers left in `root`. */
function leftovers(root: string): string[] {
  try {
    return [...Deno.readDirSync(root)].map((e) => e.name).filter((n) => n.includes(".tmp-"))
      .sort();
  } catch {
    return [];
  }
}

/** Sets the modification time of `root`'s temporary entries a minute back (past the sweep's grace). */
async function ageLeftovers(root: string): Promise<void> {
  const past = new Date(Date.now() - 60_000);
  for (const name of leftovers(root)) await Deno.utime(join(root, name), past, past);
}

const TRAIN = (
  name: string,
) => ["train", ...tinyTrainArgs("SPY"), "--model-dir", MODELS, "--name", name];

/** Where a killed train run was, from its stderr and what is on disk. */
function trainLanding(stderr: string, before: string[], after: string[], temps: string[]): Landing {
  if (stderr.includes(MARKER)) return `paused at ${stderr.split(MARKER)[1].split("\n")[0]}`;
  if (after.length > before.length) return "after the version's rename";
  if (temps.some((t) => /^v\d+\.tmp-/.test(t))) return "writing the version";
  if (/epoch \d+\/\d+/.test(stderr)) return "training";
  if (stderr.includes("train:")) return "building the dataset";
  return "starting up";
}

Deno.test("train killed with SIGKILL at 20 moments leaves every version complete or absent", async () => {
  const root = join(MODELS, "killed");
  // One run to the end: the baseline version and the duration of a run.
  const started = performance.now();
  const first = spawn(TRAIN("killed"));
  const firstOut = watch(first);
  const status = await first.status;
  await firstOut.done;
  assert.equal(status.code, 0, firstOut.text());
  const duration = performance.now() - started;
  await assertConsistent(root, "after the first run");

  const rng = createRng(17);
  // 14 kills at random moments of a run, 3 in the version folder's rename, 3 in the pointer's.
  const plan: (string | undefined)[] = [
    ...Array.from({ length: 14 }, () => undefined),
    "dir-rename",
    "pointer-rename",
    "dir-rename",
    "pointer-rename",
    "dir-rename",
    "pointer-rename",
  ];
  const landings = new Map<Landing, number>();
  for (const [i, pause] of plan.entries()) {
    const before = await listVersions(root);
    const child = spawn(TRAIN("killed"), pause);
    const out = watch(child, pause ? MARKER : undefined);
    if (pause) {
      const timeout = setTimeout(() => kill(child), 60_000);
      assert.ok(await out.seen, `run ${i} never reached ${pause}: ${out.text()}`);
      clearTimeout(timeout);
    } else {
      await new Promise((resolve) => setTimeout(resolve, (0.15 + 0.9 * rng.next()) * duration));
    }
    await kill(child);
    await out.done;
    const after = await listVersions(root);
    const landing = trainLanding(out.text(), before, after, leftovers(root));
    landings.set(landing, (landings.get(landing) ?? 0) + 1);
    await assertConsistent(root, `kill ${i} (${landing})`);
  }
  console.log(
    `train: ${plan.length} kills; landed: ${
      [...landings].map(([where, n]) => `${where} ${n}`).join(", ")
    }`,
  );
  assert.equal(landings.get("paused at dir-rename") ?? 0, 3);
  assert.equal(landings.get("paused at pointer-rename") ?? 0, 3);

  // What the kills left is listed as interrupted, then swept by the next train.
  // A dead writer's temps are removed at once by the next run's start-up sweep (issue 23, item
  // 20: its lock is free), so only the last kill's (paused at the pointer's rename) remain.
  const temps = leftovers(root);
  assert.ok(temps.some((t) => t.startsWith("current.json.tmp-")), `pointers: ${temps}`);
  assert.ok(
    temps.every((t) => /^v\d+\.tmp-/.test(t) || t.startsWith("current.json.tmp-")),
    `only killed writes are left: ${temps}`,
  );
  const listed = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "cli.ts", "models", "list", "--model", root, "--json"],
    cwd: ROOT,
  }).output();
  assert.equal(listed.code, 0, new TextDecoder().decode(listed.stderr));
  const list = JSON.parse(new TextDecoder().decode(listed.stdout));
  assert.deepEqual(list.interrupted, temps);
  assert.ok(
    list.versions.some((v: { promoted: boolean }) => v.promoted === false),
    "a version saved by a run killed before its promotion is marked never promoted",
  );
  await ageLeftovers(root);
  const next = spawn(TRAIN("killed"));
  const nextOut = watch(next);
  assert.equal((await next.status).code, 0);
  await nextOut.done;
  assert.match(
    nextOut.text(),
    new RegExp(`removed ${temps.length} temporary entr(y|ies) left by interrupted runs`),
  );
  assert.deepEqual(leftovers(root), []);
  await assertConsistent(root, "after the sweeping run");
});

Deno.test("models promote killed with SIGKILL at 20 moments always leaves a complete current version", async () => {
  const root = join(MODELS, "promoted");
  const trained = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", `--allow-write=${TMP}`, "cli.ts", ...TRAIN("promoted")],
    cwd: ROOT,
  }).output();
  assert.equal(trained.code, 0, new TextDecoder().decode(trained.stderr));
  // A second version: a copy of the first (two complete versions to move the pointer between).
  await Deno.mkdir(join(root, "v2"));
  for (const entry of Deno.readDirSync(join(root, "v1"))) {
    await Deno.copyFile(join(root, "v1", entry.name), join(root, "v2", entry.name));
  }
  const promoteArgs = (v: string) => ["models", "promote", v, "--model", root];
  // The duration of one promotion.
  const started = performance.now();
  const one = spawn(promoteArgs("v2"));
  const oneOut = watch(one);
  assert.equal((await one.status).code, 0);
  await oneOut.done;
  const duration = performance.now() - started;

  const rng = createRng(23);
  const plan: (string | undefined)[] = [
    ...Array.from({ length: 14 }, () => undefined),
    ...Array.from({ length: 6 }, () => "pointer-rename"),
  ];
  let moved = 0, paused = 0, early = 0;
  for (const [i, pause] of plan.entries()) {
    const current = (await readPointer(root))!.current;
    const target = current === "v1" ? "v2" : "v1";
    const child = spawn(promoteArgs(target), pause);
    const out = watch(child, pause ? MARKER : undefined);
    if (pause) {
      assert.ok(await out.seen, `promotion ${i} never reached ${pause}: ${out.text()}`);
      paused++;
    } else {
      await new Promise((resolve) => setTimeout(resolve, (0.3 + 0.9 * rng.next()) * duration));
    }
    await kill(child);
    await out.done;
    await assertConsistent(root, `promotion kill ${i}`);
    const now = (await readPointer(root))!.current;
    if (pause) assert.equal(now, current, "killed before the rename: the old pointer stands");
    if (now === target) moved++;
    else if (!pause) early++;
  }
  console.log(
    `models promote: ${plan.length} kills; landed: ${paused} in the pointer's rename, ${moved} after it, ${early} before it`,
  );
  assert.equal(paused, 6);
  assert.ok(leftovers(root).some((t) => t.startsWith("current.json.tmp-")));
  // The next promotion sweeps the killed writers' temporary pointers.
  await ageLeftovers(root);
  const last = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", `--allow-write=${TMP}`, "cli.ts", ...promoteArgs("v1")],
    cwd: ROOT,
  }).output();
  assert.equal(last.code, 0, new TextDecoder().decode(last.stderr));
  assert.deepEqual(leftovers(root), []);
  await assertConsistent(root, "after the sweeping promotion");
});
