/**
 * A newcomer's first run (issue 17): installing the pinned npm packages says
 * nothing about core-js's build script (deno.json denies it: it only prints a
 * donation banner) and `deno install --quiet`, the README's first command,
 * prints nothing; walk-forward evaluation prints a progress line per fold with
 * the time left by default; tfjs's warnings (the Orthogonal initializer's on
 * matrices over 2000 elements) appear only with --verbose.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import denoJson from "../deno.json" with { type: "json" };
import { cli, ROOT } from "./tiny_model_fixture.ts";

Deno.test("a fresh install from the cache is silent: no core-js build-script box", async () => {
  assert.ok(
    (denoJson as { allowScripts?: { deny?: string[] } }).allowScripts?.deny?.includes(
      "npm:core-js",
    ),
  );
  const dir = await Deno.makeTempDir({ prefix: "newcomer_" });
  try {
    for (const file of ["deno.json", "deno.lock"]) {
      await Deno.copyFile(join(ROOT, file), join(dir, file));
    }
    const install = async (...flags: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["install", "--cached-only", ...flags],
        cwd: dir,
        env: { NO_COLOR: "1" },
      }).output();
      const decode = (b: Uint8Array) => new TextDecoder().decode(b);
      return { code: out.code, text: decode(out.stdout) + decode(out.stderr) };
    };
    const loud = await install();
    assert.equal(loud.code, 0, loud.text);
    assert.doesNotMatch(loud.text, /Ignored build scripts|approve-scripts/);
    await Deno.remove(join(dir, "node_modules"), { recursive: true });
    const quiet = await install("--quiet");
    assert.equal(quiet.code, 0, quiet.text);
    assert.equal(quiet.text, "", "the README's first command prints nothing");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("walk-forward prints a line per fold with the time left; tfjs warnings only with --verbose", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "newcomer_wf_" });
  try {
    // 24 units: the recurrent kernel (24 × 96) is over the 2000 elements where tfjs warns.
    const trained = await cli([
      "train",
      "--source",
      "synthetic",
      "--ticker",
      "SPY",
      "--epochs",
      "1",
      "--sequence-length",
      "10",
      "--lstm-units",
      "24",
      "--batch-size",
      "128",
      "--backend",
      "cpu",
      "--model-dir",
      tmp,
      "--name",
      "m",
      "--verbose",
    ], tmp);
    assert.equal(trained.code, 0, trained.stderr);
    // The warning exists at this size: train shows it with --verbose (and only then).
    assert.match(trained.stderr, /Orthogonal initializer/);
    const args = [
      "evaluate",
      "--model",
      `${tmp}/m`,
      "--walk-forward",
      "--folds",
      "2",
      "--epochs",
      "1",
    ];
    const plain = await cli([...args, "--json"], tmp);
    assert.equal(plain.code, 0, plain.stderr);
    const lines = plain.stderr.trim().split("\n").filter((l) => l.startsWith("fold "));
    assert.equal(lines.length, 2, plain.stderr);
    assert.match(lines[0], /^fold 1\/2: trained on .*\d+ s elapsed, about \d+ s left\)?$/);
    assert.match(lines[1], /^fold 2\/2: .*\d+ s elapsed, about 0 s left\)?$/);
    assert.doesNotMatch(plain.stderr, /Orthogonal|tfjs-node|Hi, looks like/);
    JSON.parse(plain.stdout); // stdout carries the result alone
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
