import assert from "node:assert/strict";
import {
  drawdownSeries,
  maCrossoverRule,
  runBacktest,
  runComparison,
} from "../src/eval/backtest.ts";
import type { Bar } from "../src/data/types.ts";
import type { Signal, SignalPlugin, SignalStatus } from "../src/signal/types.ts";
import { createRng } from "../src/util/random.ts";

const close = (a: number, b: number, eps = 1e-12): void =>
  assert.ok(Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `expected ${b}, found ${a}`);

/** Daily fixture bars with overnight gaps, so opens differ from closes. */
function fixtureBars(n: number, seed: number, drift = 0): Bar[] {
  const rng = createRng(seed);
  const bars: Bar[] = [];
  let price = 100;
  const day = Date.UTC(2020, 0, 1);
  for (let i = 0; i < n; i++) {
    const open = price * (1 + 0.004 * rng.normal());
    const closeP = open * (1 + drift + 0.01 * rng.normal());
    bars.push({
      time: new Date(day + i * 86_400_000).toISOString().slice(0, 10),
      open,
      high: Math.max(open, closeP) * 1.002,
      low: Math.min(open, closeP) * 0.998,
      close: closeP,
      volume: 1000 + i,
    });
    price = closeP;
  }
  return bars;
}

function signalAt(symbol: string, bar: Bar, p: number, status: SignalStatus = "ok"): Signal {
  return {
    symbol,
    time: bar.time,
    probabilityUp: p,
    direction: p > 0.5 ? "up" : p < 0.5 ? "down" : "flat",
    confidence: Math.abs(2 * p - 1),
    horizonBars: 1,
    status,
    model: { id: "test", version: "v0", trainedThrough: null },
  };
}

/** A plugin whose answer on each bar comes from `decide(bar, index)`; it records every bar shown. */
function scriptedPlugin(
  decide: (bar: Bar, index: number) => { p: number; status?: SignalStatus },
): SignalPlugin & { seen: Bar[] } {
  const seen: Bar[] = [];
  return {
    name: "scripted",
    warmupBars: 0,
    seen,
    init: () => Promise.resolve(),
    onBar: (symbol, bar) => {
      seen.push(bar);
      const { p, status } = decide(bar, seen.length - 1);
      return Promise.resolve(signalAt(symbol, bar, p, status));
    },
    predict: () => Promise.reject(new Error("the host must not call predict")),
    dispose: () => {},
  };
}

/** The move a position decided on bar t is exposed to: open[t+1] to open[t+2] (last: to the close). */
function heldMove(bars: Bar[], t: number): number {
  const exit = t + 2 < bars.length ? bars[t + 2].open : bars[bars.length - 1].close;
  return exit / bars[t + 1].open;
}

/** A rigged oracle: it knows the move its position will be exposed to. */
function oracle(bars: Bar[]): SignalPlugin & { seen: Bar[] } {
  const index = new Map(bars.map((b, i) => [b.time, i]));
  return scriptedPlugin((bar) => ({ p: heldMove(bars, index.get(bar.time)!) > 1 ? 1 : 0 }));
}

Deno.test("a long/flat oracle earns the product of the up moves minus exactly the costs", async () => {
  const bars = fixtureBars(120, 1);
  const costBps = 10;
  const result = await runBacktest(bars, oracle(bars), { symbol: "X", costBps });
  let expected = 1;
  let position = 0;
  let changes = 0;
  for (let t = 0; t < bars.length - 1; t++) {
    const move = heldMove(bars, t);
    const target = move > 1 ? 1 : 0;
    if (target !== position) {
      expected *= 1 - (costBps / 10_000) * Math.abs(target - position);
      changes++;
    }
    if (target === 1) expected *= move;
    position = target;
  }
  close(result.equity[result.equity.length - 1], expected);
  close(result.stats.totalReturn, expected - 1);
  assert.equal(result.stats.turnover, changes);
  assert.equal(result.stats.trades, Math.ceil(changes / 2));
  assert.ok(changes > 10);
});

Deno.test("with zero costs the oracle earns exactly the product of the up moves", async () => {
  const bars = fixtureBars(80, 2);
  const result = await runBacktest(bars, oracle(bars), { symbol: "X" });
  let product = 1;
  for (let t = 0; t < bars.length - 1; t++) product *= Math.max(1, heldMove(bars, t));
  close(result.equity[result.equity.length - 1], product);
  assert.equal(result.stats.hitRate, 1);
});

Deno.test("a long/short oracle holds shares between fills and pays 2× costs on a flip", async () => {
  const bars = fixtureBars(100, 3);
  const costBps = 5;
  const c = costBps / 10_000;
  const result = await runBacktest(bars, oracle(bars), { symbol: "X", costBps, allowShort: true });
  // Independent computation over runs of equal position, each held in shares from entry to exit.
  const targets = bars.slice(0, -1).map((_, t) => (heldMove(bars, t) > 1 ? 1 : -1));
  let expected = 1;
  let position = 0;
  for (let t = 0; t < targets.length;) {
    let end = t;
    while (end + 1 < targets.length && targets[end + 1] === targets[t]) end++;
    expected *= 1 - c * Math.abs(targets[t] - position);
    const entry = bars[t + 1].open;
    const exit = end + 2 < bars.length ? bars[end + 2].open : bars[bars.length - 1].close;
    expected *= targets[t] > 0 ? exit / entry : 2 - exit / entry;
    position = targets[t];
    t = end + 1;
  }
  close(result.equity[result.equity.length - 1], expected);
  assert.ok(result.positions.includes(-1));
  const longOnly = await runBacktest(bars, oracle(bars), { symbol: "X", costBps });
  assert.ok(result.stats.totalReturn > longOnly.stats.totalReturn);
});

Deno.test("the host shows bars in order, never the last one, and fills at the next open", async () => {
  const bars = fixtureBars(60, 4);
  const plugin = scriptedPlugin((bar) => ({ p: bar.close > bar.open ? 0.8 : 0.2 }));
  const result = await runBacktest(bars, plugin, { symbol: "X", startIndex: 10 });
  assert.deepEqual(plugin.seen, bars.slice(0, -1));
  assert.deepEqual(result.times, bars.slice(11).map((b) => b.time));
  for (let i = 0; i < result.positions.length; i++) {
    const decisionBar = bars[10 + i];
    assert.equal(result.positions[i], decisionBar.close > decisionBar.open ? 1 : 0);
    assert.equal(result.probabilities[i], decisionBar.close > decisionBar.open ? 0.8 : 0.2);
  }
  for (const trade of result.trades) {
    const k = bars.findIndex((b) => b.time === trade.entryTime);
    assert.equal(trade.entryPrice, bars[k].open);
    assert.ok(bars[k - 1].close > bars[k - 1].open, "entered only after an up bar was seen");
  }
  assert.ok(result.trades.length > 3);
});

Deno.test("hysteresis keeps the position inside the band", async () => {
  const bars = fixtureBars(8, 5);
  const ps = [0.6, 0.52, 0.47, 0.44, 0.54, 0.56, 0.5];
  const run = (h: number) =>
    runBacktest(bars, scriptedPlugin((_, i) => ({ p: ps[i] })), { symbol: "X", hysteresis: h });
  assert.deepEqual((await run(0.05)).positions, [1, 1, 1, 0, 0, 1, 1]);
  assert.deepEqual((await run(0)).positions, [1, 1, 0, 0, 1, 1, 1]);
});

Deno.test("short selling goes short below the band and long above it", async () => {
  const bars = fixtureBars(6, 6);
  const ps = [0.3, 0.5, 0.7, 0.58, 0.2];
  const result = await runBacktest(bars, scriptedPlugin((_, i) => ({ p: ps[i] })), {
    symbol: "X",
    allowShort: true,
    hysteresis: 0.1,
  });
  assert.deepEqual(result.positions, [-1, -1, 1, 1, -1]);
  assert.equal(result.stats.turnover, 1 + 2 + 2);
  assert.deepEqual(result.trades.map((t) => t.side), ["short", "long", "short"]);
});

Deno.test("a signal that is not ok means flat, whatever its probability", async () => {
  const bars = fixtureBars(6, 7);
  const statuses: SignalStatus[] = ["ok", "warming-up", "ok", "stale-model", "ok"];
  const result = await runBacktest(
    bars,
    scriptedPlugin((_, i) => ({ p: 0.9, status: statuses[i] })),
    { symbol: "X" },
  );
  assert.deepEqual(result.positions, [1, 0, 1, 0, 1]);
});

Deno.test("always long matches buy-and-hold and its statistics are computed by hand", async () => {
  const bars = fixtureBars(50, 8, 0.001);
  const result = await runBacktest(bars, scriptedPlugin(() => ({ p: 1 })), { symbol: "X" });
  const hold = bars.slice(1).map((b) => b.close / bars[1].open);
  hold.forEach((v, i) => close(result.equity[i], v));
  hold.forEach((v, i) => close(result.buyAndHold.equity[i], v));
  const r = hold.map((e, i) => e / (i === 0 ? 1 : hold[i - 1]) - 1);
  const mean = r.reduce((a, b) => a + b) / r.length;
  const sd = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1));
  close(result.stats.sharpe, (mean / sd) * Math.sqrt(252), 1e-9);
  close(result.stats.volatility, sd * Math.sqrt(252), 1e-9);
  close(result.stats.annualReturn, hold[hold.length - 1] ** (252 / hold.length) - 1, 1e-9);
  assert.equal(result.stats.exposure, 1);
  assert.equal(result.stats.trades, 1);
  assert.ok(result.trades[0].open);
});

Deno.test("buy-and-hold pays the entry cost once", async () => {
  const bars = fixtureBars(20, 9);
  const result = await runBacktest(bars, scriptedPlugin(() => ({ p: 0 })), {
    symbol: "X",
    costBps: 25,
  });
  close(result.buyAndHold.stats.totalReturn, (1 - 0.0025) * bars[19].close / bars[1].open - 1);
  assert.equal(result.stats.totalReturn, 0);
  assert.equal(result.stats.exposure, 0);
});

Deno.test("drawdown is the fall from the running peak, starting at 1", () => {
  const dd = drawdownSeries([1.1, 0.99, 1.2, 0.9]);
  close(dd[1], 0.1);
  close(dd[3], 0.25);
  assert.equal(dd[2], 0);
  assert.deepEqual(drawdownSeries([0.8]), [1 - 0.8]);
});

Deno.test("the crossover rule compares SMAs, warms up, and onBar equals predict", async () => {
  const bars = fixtureBars(40, 10, 0.002);
  const rule = maCrossoverRule({ fast: 3, slow: 8 });
  for (let t = 0; t < bars.length; t++) {
    const live = await rule.onBar("X", bars[t]);
    const batch = await rule.predict("X", bars.slice(0, t + 1));
    assert.deepEqual(live, batch);
    if (t < 7) assert.equal(live.status, "warming-up");
    else {
      const sma = (k: number) => bars.slice(t + 1 - k, t + 1).reduce((a, b) => a + b.close, 0) / k;
      assert.equal(live.probabilityUp, sma(3) > sma(8) ? 1 : 0);
    }
  }
  assert.throws(() => maCrossoverRule({ fast: 50, slow: 20 }), /1 <= fast < slow, found fast 50/);
});

Deno.test("the A/B comparison: an always-up model leaves the rule unchanged, an always-down one vetoes it", async () => {
  const bars = fixtureBars(150, 11);
  const opts = { symbol: "X", fast: 5, slow: 20, costBps: 5 };
  const up = await runComparison(bars, scriptedPlugin(() => ({ p: 0.9 })), opts);
  assert.deepEqual(up.filtered.positions, up.rule.positions);
  assert.ok(up.rule.stats.trades > 0);
  const down = await runComparison(bars, scriptedPlugin(() => ({ p: 0.1 })), opts);
  assert.equal(down.filtered.stats.exposure, 0);
  assert.deepEqual(down.rule.positions, up.rule.positions);
});

Deno.test("runBacktest rejects a start with no next bar to fill at", async () => {
  const bars = fixtureBars(5, 12);
  await assert.rejects(
    () => runBacktest(bars, scriptedPlugin(() => ({ p: 1 })), { symbol: "X", startIndex: 4 }),
    /Expected startIndex in \[0, 3\]/,
  );
});

Deno.test("with adjClose the host trades adjusted prices, so a split is not a loss", async () => {
  const bars = fixtureBars(10, 13);
  // A 4:1 split before bar 5: raw prices quarter, adjusted history is scaled down instead.
  const split = bars.map((b, i) =>
    i < 5
      ? { ...b, adjClose: b.close / 4 }
      : { ...b, open: b.open / 4, close: b.close / 4, adjClose: b.close / 4 }
  );
  const result = await runBacktest(split, scriptedPlugin(() => ({ p: 1 })), { symbol: "X" });
  close(result.stats.totalReturn, bars[9].close / bars[1].open - 1);
  close(result.buyAndHold.stats.totalReturn, bars[9].close / bars[1].open - 1);
});

Deno.test("an ok signal with a probability outside [0, 1] stops the backtest with a clear error", async () => {
  const bars = fixtureBars(5, 14);
  await assert.rejects(
    () =>
      runBacktest(bars, scriptedPlugin((_, i) => ({ p: i === 2 ? NaN : 0.6 })), { symbol: "X" }),
    new RegExp(
      `Expected an ok signal's probabilityUp in \\[0, 1\\], found NaN for X at ${bars[2].time}`,
    ),
  );
});
