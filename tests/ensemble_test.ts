import assert from "node:assert/strict";
import { createEnsembleSignal, createRegimeSignal } from "../plugins/ensemble_signal.ts";
import type { Bar } from "../src/data/types.ts";
import type { Signal, SignalPlugin, SignalStatus } from "../src/signal/types.ts";
import { UsageError } from "../src/util/errors.ts";

/** A plugin that always answers `p` with `status`, and counts the bars it saw. */
function fixed(
  name: string,
  p: number,
  status: SignalStatus = "ok",
): SignalPlugin & { seen: string[] } {
  const seen: string[] = [];
  const signal = (symbol: string, time: string): Signal => ({
    symbol,
    time,
    probabilityUp: p,
    direction: "flat",
    confidence: Math.abs(2 * p - 1),
    horizonBars: 1,
    status,
    model: { id: name, version: "v1", trainedThrough: "2020-01-01" },
  });
  return {
    name,
    warmupBars: name.length,
    seen,
    init: () => Promise.resolve(),
    onBar: (symbol, bar) => {
      seen.push(bar.time);
      return Promise.resolve(signal(symbol, bar.time));
    },
    predict: (symbol, history) => Promise.resolve(signal(symbol, history[history.length - 1].time)),
    dispose: () => {},
  };
}

const bar = (time: string): Bar => ({ time, open: 1, high: 1, low: 1, close: 1, volume: 1 });

Deno.test("ensemble averages probabilities with weights", async () => {
  const e = createEnsembleSignal([fixed("a", 0.8), fixed("b", 0.2)], { weights: [3, 1] });
  const s = await e.onBar("SPY", bar("2024-01-02"));
  assert.ok(Math.abs(s.probabilityUp - 0.65) < 1e-12);
  assert.equal(s.direction, "up");
  assert.equal(s.status, "ok");
  assert.equal(s.model.id, "ensemble(a,b)");
});

Deno.test("ensemble ignores members that are not ok", async () => {
  const e = createEnsembleSignal([fixed("a", 0.3), fixed("b", 0.9, "warming-up")]);
  const s = await e.predict("SPY", [bar("2024-01-02")]);
  assert.equal(s.probabilityUp, 0.3);
  assert.equal(s.direction, "down");
});

Deno.test("ensemble with no ok member is neutral and keeps the status", async () => {
  const e = createEnsembleSignal([fixed("a", 0.9, "no-model"), fixed("b", 0.9, "no-model")]);
  const s = await e.onBar("SPY", bar("2024-01-02"));
  assert.equal(s.probabilityUp, 0.5);
  assert.equal(s.status, "no-model");
  assert.equal(s.confidence, 0);
});

Deno.test("ensemble rejects mismatched or negative weights", () => {
  assert.throws(() => createEnsembleSignal([fixed("a", 0.5)], { weights: [1, 2] }), UsageError);
  assert.throws(() => createEnsembleSignal([fixed("a", 0.5)], { weights: [-1] }), UsageError);
  assert.throws(() => createEnsembleSignal([]), UsageError);
});

Deno.test("regime signal answers with the model of the bar's period and feeds all", async () => {
  const bull = fixed("bull", 0.7), bear = fixed("bear", 0.3), general = fixed("general", 0.5);
  const r = createRegimeSignal([
    { from: "2019-01-01", to: "2021-12-31", plugin: bull },
    { from: "2022-01-01", to: "2022-12-31", plugin: bear },
  ], { fallback: general });
  assert.equal((await r.onBar("SPY", bar("2020-06-01"))).model.id, "bull");
  assert.equal((await r.onBar("SPY", bar("2022-06-01"))).model.id, "bear");
  assert.equal((await r.onBar("SPY", bar("2023-06-01"))).model.id, "general");
  assert.deepEqual(bull.seen, ["2020-06-01", "2022-06-01", "2023-06-01"]);
  assert.equal(r.warmupBars, 7);
});
