/**
 * Every command's `--json` against the vocabulary the README documents ("What `--json` prints"):
 * a series is `ticker`, a signal's series `symbol`, a universe `universe` (with its `name`), the
 * version used `model: { dir, version }`, one evaluation's figures `metrics` + `intervals` +
 * `baselines` (a universe's under `pooled`); an array where several tickers are asked for. Small
 * data: seeded synthetic bars, a 4-unit model trained for one epoch, six synthetic symbols.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { cli, ROOT } from "./tiny_model_fixture.ts";
import { tinySpec } from "./sweep_fixture.ts";

const TINY = ["--epochs", "1", "--sequence-length", "10", "--lstm-units", "4"];
const FAST = ["--batch-size", "64", "--backend", "cpu", "--seed", "42"];

const modelRef = z.object({ dir: z.string(), version: z.string().regex(/^v\d+$/) });
const evaluation = z.object({
  ticker: z.string(),
  model: modelRef,
  rows: z.number().int().positive(),
  first: z.string(),
  last: z.string(),
  metrics: z.object({ auc: z.number(), brier: z.number(), brierSkill: z.number() }).loose(),
  intervals: z.record(z.string(), z.unknown()),
  baselines: z.record(z.string(), z.unknown()),
  verdict: z.string(),
});
const universeRef = z.object({ name: z.string() }).loose();
const universeEvaluation = z.object({
  universe: universeRef.extend({ symbols: z.number().int(), scored: z.number().int() }),
  model: modelRef,
  pooled: z.object({ metrics: z.object({ auc: z.number() }).loose() }).loose(),
  reversal: z.unknown(),
  perSymbol: z.array(z.unknown()),
  portfolio: z.object({ topK: z.number(), arms: z.array(z.unknown()) }).loose(),
});
const signal = z.object({
  symbol: z.string(),
  probabilityUp: z.number(),
  direction: z.enum(["up", "down", "flat"]),
  status: z.string(),
  model: z.object({ id: z.string(), version: z.string() }).loose(),
});

/** Runs a command with `--json` and parses its stdout against `schema` (strict about extra text). */
async function shape<T>(schema: z.ZodType<T>, args: string[], writeDir: string): Promise<T> {
  const run = await cli([...args, "--json"], writeDir);
  assert.equal(run.code, 0, `${args.join(" ")}: ${run.stderr}`);
  const parsed = schema.safeParse(JSON.parse(run.stdout));
  assert.ok(parsed.success, `${args[0]} --json: ${!parsed.success && parsed.error.message}`);
  return parsed.data as T;
}

Deno.test("every command's --json has the documented shape", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "json_shape_" });
  const data = ["--data-dir", `${tmp}/data`];
  const m = `${tmp}/models/lstm`;
  try {
    const prepared = await shape(
      z.array(z.object({ ticker: z.string(), rows: z.number(), first: z.string() }).loose()),
      ["prepare", "--ticker", "SPY,QQQ", "--years", "3", ...data],
      tmp,
    );
    assert.deepEqual(prepared.map((p) => p.ticker), ["SPY", "QQQ"]);
    // one ticker: one object, as evaluate and predict print
    await shape(
      z.object({ ticker: z.literal("SPY"), rows: z.number() }).loose(),
      ["prepare", "--ticker", "SPY", ...data],
      tmp,
    );

    await shape(
      z.object({ modelDir: z.string(), version: z.literal("v1"), metrics: z.unknown() }).loose(),
      ["train", "--ticker", "SPY", ...data, ...TINY, ...FAST, "--model-dir", `${tmp}/models`],
      tmp,
    );
    await shape(evaluation, ["evaluate", "--model", m, ...data], tmp);
    const several = await shape(
      z.array(evaluation),
      ["evaluate", "--model", m, "--ticker", "SPY,QQQ", ...data],
      tmp,
    );
    assert.deepEqual(several.map((e) => e.ticker), ["SPY", "QQQ"]);
    await shape(
      z.object({
        ticker: z.string(),
        model: modelRef,
        strategy: z.object({ sharpe: z.number().nullable() }).loose(),
        buyAndHold: z.unknown(),
        trades: z.array(z.unknown()),
      }).loose(),
      ["backtest", "--model", m, ...data],
      tmp,
    );
    await shape(signal, ["predict", "--model", m, "--ticker", "SPY", ...data], tmp);
    await shape(z.array(signal).length(2), [
      "predict",
      "--model",
      m,
      "--ticker",
      "SPY,QQQ",
      ...data,
    ], tmp);
    await shape(
      z.object({ versions: z.array(z.object({ version: z.string() }).loose()) }).loose(),
      ["models", "list", "--model", m],
      tmp,
    );
    await shape(
      z.object({ version: z.literal("v1"), config: z.unknown() }).loose(),
      ["models", "show", "v1", "--model", m],
      tmp,
    );
    await shape(
      z.object({ model: z.string(), ticker: z.string(), decision: z.string() }).loose(),
      [
        "retrain",
        "--name",
        "lstm",
        "--model-dir",
        `${tmp}/models`,
        "--ticker",
        "SPY",
        ...data,
        ...TINY,
        ...FAST,
        "--dry-run",
      ],
      tmp,
    );

    // monitor reads the predictions log a bot writes: the plugin writes one here
    const { createLstmSignal } = await import("../mod.ts");
    const { loadSeries } = await import("../src/data/mod.ts");
    const log = `${tmp}/predictions.jsonl`;
    // a tiny model has no skill: its signals are logged as a bot that opted in would log them
    const options = { modelDir: m, logPath: log, warn: () => {}, allowNoSkill: true };
    const plugin = createLstmSignal(options);
    await plugin.init();
    const { bars } = await loadSeries({ ticker: "SPY", source: "synthetic" });
    for (const bar of bars.slice(-80)) await plugin.onBar("SPY", bar);
    await plugin.dispose();
    await shape(
      z.object({}).loose(),
      ["monitor", "--model", m, "--ticker", "SPY", "--log", log, ...data],
      tmp,
    );

    const u = `${tmp}/models/uni`;
    const symbols = ["--universe", "AAA,BBB,CCC,DDD,EEE,FFF", "--source", "synthetic"];
    await shape(
      z.object({
        modelDir: z.string(),
        universe: universeRef.extend({ symbols: z.array(z.string()) }),
      }).loose(),
      ["train", ...symbols, ...TINY, ...FAST, "--model-dir", `${tmp}/models`, "--name", "uni"],
      tmp,
    );
    await shape(universeEvaluation, ["evaluate", "--model", u], tmp);
    const traded = await shape(
      z.object({
        universe: universeRef,
        model: modelRef,
        portfolio: z.object({ topK: z.literal(2) }).loose(),
      }).loose(),
      ["backtest", "--model", u, "--universe", "--top-k", "2"],
      tmp,
    );
    assert.ok(!("pooled" in traded) && !("perSymbol" in traded), "a backtest carries no scores");

    await shape(
      z.object({
        dryRun: z.literal(true),
        binaries: z.array(z.object({ name: z.string() }).loose()),
      }),
      ["compile", "--dry-run"],
      tmp,
    );
    const spec = { ...tinySpec("shape", [4]), seeds: [1] };
    await Deno.writeTextFile(`${tmp}/spec.json`, JSON.stringify(spec));
    const sweep = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        `--allow-write=${tmp}`,
        `--allow-run=${Deno.execPath()}`,
        "--ignore-env",
        "cli.ts",
        "sweep",
        "--spec",
        `${tmp}/spec.json`,
        "--out",
        `${tmp}/sweeps`,
        "--json",
      ],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
    }).output();
    assert.equal(sweep.code, 0, new TextDecoder().decode(sweep.stderr));
    const board = JSON.parse(new TextDecoder().decode(sweep.stdout));
    assert.equal(typeof board, "object");
    assert.ok(!Array.isArray(board), "sweep prints one object");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
