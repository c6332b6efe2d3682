/**
 * Flags and paths (issue 17): a negative number gets the same "Expected …
 * found …" line as any invalid value; an inverted date range is a usage error
 * in every command; a sequence length that leaves too few training windows is
 * refused before training; raw operating-system errors become one line naming
 * the path; and every command checks that it can write its output before any
 * long work (train with `models` a file or its next version's path taken by a
 * file, a --report path under a file or naming a folder).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { numberFlag, parseFlags } from "../src/cli/common.ts";
import { errorLine } from "../src/cli/output.ts";
import { trainSettings } from "../src/cli/flags.ts";
import { checkFitFlag, fitOptionsOfFlags, fitSettings } from "../src/pipeline/settings.ts";
import { checkWritableFile } from "../src/util/paths.ts";
import { checkTrainingWindows, trainingWindows } from "../src/dataset/capacity.ts";
import { checkVersionWritable } from "../src/model/versions.ts";
import { DataError, messageOf, UsageError } from "../src/util/errors.ts";
import { cli, type Run, tinyTrainArgs, trainTinyModel } from "./tiny_model_fixture.ts";

const TMP = await Deno.makeTempDir({ prefix: "flags_" });
globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));
const FILE = join(TMP, "a_file");
await Deno.writeTextFile(FILE, "not a folder\n");
let trained: Promise<void> | undefined;
/** The tiny model, trained the first time a test needs it. */
function model(): Promise<string> {
  trained ??= trainTinyModel(`${TMP}/model`, "SPY");
  return trained.then(() => `${TMP}/model`);
}

function assertOneLine(run: Run, code: number, pattern: RegExp): void {
  assert.equal(run.code, code, run.stderr);
  const lines = run.stderr.trim().split("\n");
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
}

/** Every path under `dir` with its size, to show that a failed command wrote nothing. */
function tree(dir: string): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    out.push(`${path} ${entry.isFile ? Deno.statSync(path).size : "/"}`);
    if (entry.isDirectory) out.push(...tree(path));
  }
  return out.sort();
}

Deno.test("a negative number after a flag gets the flag's own Expected line, not 'ambiguous'", () => {
  const spec = {
    epochs: { type: "string" as const },
    "learning-rate": { type: "string" as const },
  };
  const { flags } = parseFlags(["--epochs", "-1", "--learning-rate", "-1e-3"], spec);
  assert.equal(flags.epochs, "-1");
  assert.equal(flags["learning-rate"], "-1e-3");
  assert.throws(
    () => numberFlag(flags, "epochs", 50, { min: 1, integer: true }),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message === 'Expected --epochs to be an integer of at least 1, found "-1"',
  );
  // A flag-like value that is not a number says what it found, in the house style.
  assert.throws(
    () => parseFlags(["--epochs", "-x"], spec),
    /^UsageError: Expected a value after --epochs, found the flag-like "-x"/,
  );
  assert.throws(
    () => parseFlags(["--epochs"], spec),
    /Expected a value after --epochs, found none/,
  );
});

Deno.test("negative numbers on the command line exit 2 with one Expected line", async () => {
  const cases: [string[], RegExp][] = [
    [["train", "--epochs", "-1"], /Expected --epochs to be an integer of at least 1, found "-1"/],
    [["train", "--learning-rate", "-1"], /Expected --learning-rate to be a number .*found "-1"/],
    [["prepare", "--ticker", "SPY", "--years", "-5"], /Expected --years to be .*found "-5"/],
  ];
  for (const [args, pattern] of cases) assertOneLine(await cli(args, TMP), 2, pattern);
});

Deno.test("an inverted date range is a usage error (exit 2) in every command", async () => {
  const root = await model();
  const range = ["--start", "2024-06-01", "--end", "2024-01-01"];
  for (
    const args of [
      ["prepare", "--ticker", "SPY", "--data-dir", join(TMP, "data")],
      ["train", ...tinyTrainArgs("SPY"), "--model-dir", TMP],
      ["retrain", ...tinyTrainArgs("SPY"), "--model-dir", TMP, "--name", "model"],
      ["evaluate", "--model", root],
      ["backtest", "--model", root],
    ]
  ) {
    const run = await cli([...args, ...range], TMP);
    assertOneLine(run, 2, /--start .*2024-06-01.*2024-01-01|--end .*2024-01-01.*2024-06-01/);
  }
});

Deno.test("a sequence length that leaves too few training windows is refused before training", async () => {
  assert.deepEqual(trainingWindows(1260, { sequenceLength: 60 }), { available: 815, needed: 60 });
  assert.throws(
    () => checkTrainingWindows(6067, { sequenceLength: 5000 }),
    (e: unknown) =>
      e instanceof DataError &&
      /--sequence-length 5000 to leave at least 5000 training windows in 6067 bars, found about 722/
        .test(e.message),
  );
  assert.throws(() => checkTrainingWindows(500, { sequenceLength: 800 }), /below the 500 bars/);
  checkTrainingWindows(1260, { sequenceLength: 60 }); // the default on five years: fine
  const dir = join(TMP, "long_window");
  await Deno.mkdir(dir);
  const started = performance.now();
  const run = await cli(
    ["train", ...tinyTrainArgs("SPY"), "--sequence-length", "900", "--model-dir", dir],
    dir,
  );
  assertOneLine(run, 1, /--sequence-length 900 to leave at least 900 training windows/);
  assert.doesNotMatch(run.stderr, /epoch/);
  assert.ok(performance.now() - started < 30_000);
  assert.deepEqual(tree(dir), [], "nothing written");
});

Deno.test("operating-system errors become one line naming the path", () => {
  const cases: [string, RegExp][] = [
    ["File exists (os error 17): mkdir 'data'", /^Expected data to be a folder, found a file$/],
    [
      `Not a directory (os error 20): mkdir '${FILE}/sub'`,
      new RegExp(`^Expected ${FILE} to be a folder \\(it is on the way to ${FILE}/sub\\)`),
    ],
    [`Is a directory (os error 21): open '${TMP}'`, /to be a file, found a folder$/],
  ];
  for (const [message, pattern] of cases) assert.match(messageOf(new Error(message)), pattern);
});

Deno.test("train names the file when the data cache or the model folder is a file", async () => {
  assertOneLine(
    await cli(["train", "--ticker", "SPY", "--data-dir", FILE, "--model-dir", TMP], TMP),
    1,
    /Expected .*a_file \(the data cache\) to be a folder, found a file/,
  );
  assertOneLine(
    await cli(["prepare", "--ticker", "SPY", "--data-dir", FILE], TMP),
    1,
    /Expected .*a_file \(the data cache\) to be a folder, found a file/,
  );
  assertOneLine(
    await cli(["models", "list", "--model", join(FILE, "lstm")], TMP),
    1,
    /Expected .*a_file to be a folder \(it is on the way to/,
  );
});

Deno.test("train checks where it will write before training: models a file, vN taken by a file", async () => {
  let run = await cli(["train", ...tinyTrainArgs("SPY"), "--model-dir", FILE], TMP);
  assertOneLine(run, 1, /a_file to be a folder \(it is on the way to the model folder/);
  assert.doesNotMatch(run.stderr, /epoch/);
  const dir = join(TMP, "taken");
  await Deno.mkdir(join(dir, "lstm"), { recursive: true });
  await Deno.writeTextFile(join(dir, "lstm", "v1"), "a stray file\n");
  const before = tree(dir);
  run = await cli(["train", ...tinyTrainArgs("SPY"), "--model-dir", dir], TMP);
  assertOneLine(run, 1, /lstm\/v1 to be free for the new version, found a file/);
  assert.doesNotMatch(run.stderr, /epoch/);
  assert.deepEqual(tree(dir), before, "nothing written");
  await assert.rejects(() => checkVersionWritable(join(dir, "lstm")), /found a file/);
  assert.equal(await checkVersionWritable(join(dir, "new", "lstm")), "v1");
  assert.deepEqual(tree(dir), before, "the probe leaves nothing behind");
});

Deno.test("evaluate and backtest check the --report path before scoring", async () => {
  const root = await model();
  assert.throws(
    () => checkWritableFile(TMP, "--report"),
    /--report .* to be a file name, found a folder/,
  );
  checkWritableFile(join(TMP, "reports", "new", "r.html"), "--report");
  assert.equal(tree(TMP).some((p) => p.includes("reports")), false, "the probe leaves nothing");
  for (const command of ["evaluate", "backtest"]) {
    assertOneLine(
      await cli([command, "--model", root, "--report", join(FILE, "r.html")], TMP),
      1,
      /a_file to be a folder \(it is on the way to --report/,
    );
    assertOneLine(
      await cli([command, "--model", root, "--report", join(TMP, "model")], TMP),
      1,
      /--report .* to be a file name, found a folder/,
    );
  }
});

Deno.test("train refuses out-of-range fit flags as usage errors before loading data (issue 23 item 9)", async () => {
  const dir = join(TMP, "too_big");
  await Deno.mkdir(dir);
  const cases: [string, string, RegExp][] = [
    ["--epochs", "99999999999999999999", /--epochs to be an integer from 1 to 100000/],
    ["--batch-size", "99999999999999999999", /--batch-size to be an integer from 1 to 1000000/],
    ["--patience", "99999999999999999999", /--patience to be an integer from 1 to 100000/],
    ["--lstm-units", "99999999999999999999", /--lstm-units to be an integer from 1 to 4096/],
    [
      "--lstm-units",
      "100000",
      /^error: Expected --lstm-units to be an integer from 1 to 4096, found "100000"$/,
    ],
  ];
  for (const [flag, value, pattern] of cases) {
    // A missing CSV: had the flags passed, loading it would fail with exit 1.
    const run = await cli(
      ["train", "--csv", join(TMP, "missing.csv"), "--model-dir", dir, flag, value],
      dir,
    );
    assertOneLine(run, 2, pattern);
    assert.match(run.stderr, new RegExp(`found "${value}"`));
  }
  assert.deepEqual(tree(dir), [], "nothing written");
});

Deno.test("fit options speak of options; the command line shows them as flags", () => {
  const refused = (f: () => unknown): UsageError => {
    try {
      f();
    } catch (error) {
      assert.ok(error instanceof UsageError, String(error));
      return error;
    }
    throw new Error("Expected a usage error");
  };
  const big = refused(() => fitSettings({ epochs: 1e20 }));
  assert.equal(
    big.message,
    "Expected epochs to be an integer from 1 to 100000, found 100000000000000000000",
  );
  assert.deepEqual(big.options, ["epochs"]);
  assert.equal(
    errorLine(big),
    "Expected --epochs to be an integer from 1 to 100000, found 100000000000000000000",
  );
  const units = refused(() => fitSettings({ lstmUnits: 100000 }));
  assert.equal(
    errorLine(units),
    "Expected --lstm-units to be an integer from 1 to 4096, found 100000",
  );
  const split = refused(() => fitSettings({ validationFraction: 0.5, testFraction: 0.5 }));
  assert.equal(split.message, "Expected validationFraction + testFraction below 0.95, found 1");
  assert.equal(errorLine(split), "Expected --validation-split + --test-split below 0.95, found 1");
  assert.match(
    refused(() => fitSettings({ lstm_units: 4 } as never)).message,
    /^Expected only arch, backendName, .* in fit options, found "lstm_units"$/,
  );
  // A found value that happens to be an option's name is shown as given.
  assert.equal(
    errorLine(refused(() => fitOptionsOfFlags({ arch: "arch" }))),
    'Expected --arch to be one of lstm, deep, bidirectional, attention, gru, paper, found "arch"',
  );
  // The flags, the library object and a sweep's values go through the one schema.
  assert.equal(
    trainSettings({ "lstm-units": "16", source: "synthetic" }).fit.hyperparameters.lstmUnits,
    16,
  );
  assert.deepEqual(fitOptionsOfFlags({ "batch-size": "64", ticker: "SPY" }), { batchSize: 64 });
  assert.equal(checkFitFlag("lstm-units", "4097"), "an integer from 1 to 4096");
  assert.equal(checkFitFlag("kernel", "fast"), undefined);
  assert.equal(
    fitSettings({ testStart: "2023-01-02T14:30:00Z" }).datasetOptions.testStart,
    "2023-01-02T14:30:00Z",
  );
});
