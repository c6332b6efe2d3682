/**
 * The bot example a README reader copies: the README shows exactly `examples/bot.ts`, and that
 * file runs as written against a model trained by `deno task train`, with read access to the
 * model folder and nothing else.
 */
import assert from "node:assert/strict";
import { ROOT, trainTinyModel } from "./tiny_model_fixture.ts";

const BOT = `${ROOT}examples/bot.ts`;

Deno.test("the README's bot example is examples/bot.ts, line for line", async () => {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const bot = await Deno.readTextFile(BOT);
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(
    blocks.some((block) => block === bot),
    "expected a ```ts block in README.md equal to examples/bot.ts",
  );
});

/** Runs the example in `cwd` with the permissions its header names. */
async function runBot(cwd: string): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read=models/lstm", BOT],
    cwd,
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder();
  return { code, out: text.decode(stdout), err: text.decode(stderr) };
}

Deno.test("examples/bot.ts trades on a model trained by deno task train, reading only the model folder, and shows its shadow", async () => {
  const work = await Deno.makeTempDir();
  try {
    // Uncalibrated: a calibrated tiny model without validation skill hands out the base rate on
    // every bar, which may never cross the bot's 0.5 (correctly: there is nothing to act on).
    const root = `${work}/models/lstm`;
    await trainTinyModel(root, "SPY", ["--calibration", "none"]);
    const plain = await runBot(work);
    assert.equal(plain.code, 0, plain.err);
    const trades = plain.out.split("\n").filter((line) =>
      / (BUY |SELL) p\(up\)=0\.\d{3}$/.test(line)
    );
    const done = plain.out.match(/done: (\d+) trades, model (v\d+), shadows \[\]/);
    assert.ok(done, plain.out);
    assert.equal(Number(done[1]), trades.length);
    assert.equal(done[2], "v1");
    assert.ok(trades.length > 0, "expected the bot to act at least once");

    // `models shadow v2` with v2 a copy of v1: the bot prints the shadow beside the live
    // probability (equal here) and trades as before.
    await Deno.mkdir(`${root}/v2`);
    for await (const entry of Deno.readDir(`${root}/v1`)) {
      if (entry.isFile) await Deno.copyFile(`${root}/v1/${entry.name}`, `${root}/v2/${entry.name}`);
    }
    await Deno.writeTextFile(`${root}/shadow.json`, JSON.stringify({ shadow: ["v2"] }));
    const shadowed = await runBot(work);
    assert.equal(shadowed.code, 0, shadowed.err);
    const lines = shadowed.out.split("\n").filter((line) => / (BUY |SELL) p\(up\)=/.test(line));
    assert.equal(lines.length, trades.length, "the shadow changes no trade");
    for (const [i, line] of lines.entries()) {
      const m = line.match(/ p\(up\)=(0\.\d{3}) v2 (0\.\d{3})$/);
      assert.ok(m, line);
      assert.equal(m[1], m[2], "a copy of v1 says what v1 says");
      assert.equal(line, `${trades[i]} v2 ${m[1]}`);
    }
    assert.match(shadowed.out, /done: \d+ trades, model v1, shadows \[v2\]/);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
