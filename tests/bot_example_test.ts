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

Deno.test("examples/bot.ts trades on a model trained by deno task train, reading only the model folder", async () => {
  const work = await Deno.makeTempDir();
  try {
    await trainTinyModel(`${work}/models/lstm`, "SPY");
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read=models/lstm", BOT],
      cwd: work,
      env: { NO_COLOR: "1" },
    }).output();
    const out = new TextDecoder().decode(stdout);
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const trades = out.split("\n").filter((line) => / (BUY |SELL) p\(up\)=0\.\d{3}$/.test(line));
    const done = out.match(/done: (\d+) trades, model (v\d+)/);
    assert.ok(done, out);
    assert.equal(Number(done[1]), trades.length);
    assert.equal(done[2], "v1");
    assert.ok(trades.length > 0, "expected the bot to act at least once");
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
