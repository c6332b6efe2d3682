/**
 * The universe dataset: the date split (the same cuts for every symbol, and
 * nothing after the training cut reaching a training window or the scaler),
 * the cross-sectional labels against an independent computation, the lazy
 * windows against the materialised ones of the one window path, and training
 * from a lazy source against training from the same windows held in memory.
 * Fixtures are small universes of the seeded synthetic market.
 */

import assert from "node:assert/strict";
import { generateSyntheticBars } from "../src/data/providers/synthetic.ts";
import type { Bar, Series } from "../src/data/types.ts";
import { buildWindows, type WindowSet } from "../src/dataset/mod.ts";
import { CONTEXT_FEATURES, DEFAULT_FEATURES } from "../src/features/mod.ts";
import { buildModel, selectBackend, trainModel } from "../src/model/mod.ts";
import {
  buildUniverseDataset,
  scalerFor,
  type UniverseDataset,
  type UniverseWindows,
} from "../src/dataset/universe.ts";
import { buildUniverseTables } from "../src/dataset/universe_tables.ts";
import { createRng } from "../src/util/random.ts";

const SYMBOLS = ["AAA", "BBB", "CCC", "DDD", "EEE"];

/** A small universe: two years of synthetic bars per symbol, some with days missing or a late start. */
function fixture(seed = 11): { members: Series[]; context: Bar[] } {
  const members = SYMBOLS.map((symbol, s) => {
    let bars = generateSyntheticBars(symbol, { start: "2022-01-01", end: "2023-12-31", seed });
    if (s === 1) bars = bars.filter((_, i) => i % 37 !== 5); // misses a day now and then
    if (s === 2) bars = bars.slice(60); // starts later
    return { symbol, interval: "1d" as const, source: "synthetic" as const, bars };
  });
  const context = generateSyntheticBars("SPY", { start: "2021-12-01", end: "2023-12-31", seed });
  return { members, context };
}

const OPTIONS = { sequenceLength: 12, horizon: 1 } as const;

function allWindows(w: UniverseWindows): Float32Array {
  const out = new Float32Array(w.n * w.seqLen * w.nFeatures);
  w.fill(Uint32Array.from({ length: w.n }, (_, i) => i), out);
  return out;
}

function build(
  members: Series[],
  context: Bar[],
  label: "up" | "beats-median",
  scaling: "pooled" | "per-symbol",
): UniverseDataset {
  return buildUniverseDataset(members, {
    ...OPTIONS,
    label,
    scaling,
    features: [...DEFAULT_FEATURES, ...CONTEXT_FEATURES],
    context: { symbol: "SPY", bars: context },
  });
}

/** Every bar after `cut` (of every symbol and of the context) changed by a seeded random factor. */
function perturbAfter(bars: Bar[], cut: string, seed: number): Bar[] {
  const rng = createRng(seed);
  return bars.map((b) => {
    if (b.time <= cut) return b;
    const k = Math.exp(0.3 * rng.normal());
    const close = b.close * k;
    return {
      ...b,
      open: b.open * Math.exp(0.3 * rng.normal()),
      high: Math.max(b.high * k, b.open * 2, close),
      low: Math.min(b.low * k, close),
      close,
      adjClose: close,
      volume: Math.round(b.volume * (1 + rng.next())),
    };
  });
}

for (const label of ["up", "beats-median"] as const) {
  for (const scaling of ["pooled", "per-symbol"] as const) {
    Deno.test(`changing any bar after the training cut leaves every training window and the scaler unchanged (${label}, ${scaling})`, () => {
      const { members, context } = fixture();
      const a = build(members, context, label, scaling);
      const cut = a.split.trainEnd;
      const changed = members.map((m, s) => ({ ...m, bars: perturbAfter(m.bars, cut, 100 + s) }));
      const b = build(changed, perturbAfter(context, cut, 99), label, scaling);
      assert.deepEqual(b.split, a.split, "the cut dates depend on dates only");
      assert.equal(b.train.n, a.train.n);
      assert.deepEqual(b.train.symbols, a.train.symbols);
      assert.deepEqual(b.train.rows, a.train.rows);
      assert.deepEqual(b.train.y, a.train.y);
      assert.deepEqual(allWindows(b.train), allWindows(a.train));
      assert.deepEqual(b.scalers.pooled, a.scalers.pooled);
      assert.deepEqual([...b.scalers.perSymbol], [...a.scalers.perSymbol]);
      // The test is not vacuous: what comes after the cut did change.
      assert.notDeepEqual(allWindows(b.test), allWindows(a.test));
    });
  }
}

Deno.test("changing bars a few days before the training cut changes the training windows and scaler (the split test can fail)", () => {
  const { members, context } = fixture();
  const a = build(members, context, "beats-median", "pooled");
  const before = a.tables.calendar[a.tables.calendar.indexOf(a.split.trainEnd) - 3];
  const changed = members.map((m, s) => ({ ...m, bars: perturbAfter(m.bars, before, 7 + s) }));
  const b = build(changed, context, "beats-median", "pooled");
  assert.notDeepEqual(allWindows(b.train), allWindows(a.train));
  assert.notDeepEqual(b.scalers.pooled, a.scalers.pooled);
});

Deno.test("the date split cuts every symbol at the same dates and no label crosses a cut", () => {
  const { members, context } = fixture();
  const ds = build(members, context, "beats-median", "per-symbol");
  const { calendar } = ds.tables;
  const at = (d: string): number => calendar.indexOf(d);
  const [trainEnd, validationEnd] = [at(ds.split.trainEnd), at(ds.split.validationEnd)];
  const check = (w: UniverseWindows, lo: number, hi: number, cut: number): void => {
    for (let i = 0; i < w.n; i++) {
      const t = w.tables.tables[w.symbols[i]];
      assert.ok(w.dates[i] >= lo && w.dates[i] <= hi, `reference date of window ${i}`);
      assert.ok(t.labelDates[w.rows[i]] <= cut, `label date of window ${i}`);
      if (i > 0) assert.ok(w.dates[i] >= w.dates[i - 1], "windows in date order");
    }
  };
  check(ds.train, 0, trainEnd, trainEnd);
  check(ds.validation, trainEnd + 1, validationEnd, validationEnd);
  check(ds.test, validationEnd + 1, calendar.length - 1, calendar.length);
  const symbols = (w: UniverseWindows): Set<string> =>
    new Set(Array.from({ length: w.n }, (_, i) => w.symbolOf(i)));
  assert.deepEqual(symbols(ds.train), new Set(SYMBOLS), "every symbol trains");
  assert.deepEqual(symbols(ds.test), new Set(SYMBOLS), "every symbol is tested");
});

Deno.test("beats-median labels equal an independent computation on the union calendar", () => {
  const { members } = fixture(5);
  const horizon = 2;
  const tables = buildUniverseTables(members, {
    sequenceLength: 5,
    horizon,
    label: "beats-median",
  });
  // Independent: by date strings and maps, the median by the textbook definition.
  const calendar = [...new Set(members.flatMap((m) => m.bars.map((b) => b.time)))].sort();
  const close = new Map(
    members.map((m) => [m.symbol, new Map(m.bars.map((b) => [b.time, b.close]))]),
  );
  const expected = new Map<string, number>();
  for (let d = 0; d + horizon < calendar.length; d++) {
    const [today, later] = [calendar[d], calendar[d + horizon]];
    const returns: [string, number][] = [];
    for (const m of members) {
      const c = close.get(m.symbol)!;
      if (c.has(today) && c.has(later)) returns.push([m.symbol, c.get(later)! / c.get(today)! - 1]);
    }
    if (returns.length < 2) continue;
    const sorted = returns.map(([, r]) => r).sort((a, b) => a - b);
    const n = sorted.length;
    const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    for (const [symbol, r] of returns) expected.set(`${symbol} ${today}`, r > median ? 1 : 0);
  }
  let known = 0;
  let ones = 0;
  for (const t of tables.tables) {
    t.times.forEach((time, i) => {
      const want = expected.get(`${t.symbol} ${time}`);
      assert.equal(t.labels[i], want ?? -1, `label of ${t.symbol} at ${time}`);
      if (want !== undefined) {
        known++;
        ones += want;
      }
    });
  }
  assert.ok(known > 2000, `labels compared: ${known}`);
  assert.ok(Math.abs(ones / known - 0.5) < 0.1, `about half beat the median: ${ones / known}`);
});

Deno.test("beats-median on a hand-checked day: the two best of four beat the median", () => {
  const day = (time: string, close: number): Bar => ({
    time,
    open: close,
    high: close,
    low: close,
    close,
    volume: 1,
  });
  const closes: Record<string, [number, number]> = {
    AAA: [10, 11], // +10%
    BBB: [10, 9], // -10%
    CCC: [10, 10.5], // +5%
    DDD: [10, 10.1], // +1%: median (5% + 1%) / 2 = 3%
  };
  const members = Object.entries(closes).map(([symbol, [a, b]]) => ({
    symbol,
    interval: "1d" as const,
    source: "csv" as const,
    bars: [day("2024-01-02", a), day("2024-01-03", b)],
  }));
  const tables = buildUniverseTables(members, {
    sequenceLength: 1,
    horizon: 1,
    label: "beats-median",
    features: [{ name: "high_low_range", params: {} }],
  });
  const first = Object.fromEntries(tables.tables.map((t) => [t.symbol, t.labels[0]]));
  assert.deepEqual(first, { AAA: 1, BBB: 0, CCC: 1, DDD: 0 });
  assert.ok(tables.tables.every((t) => t.labels[1] === -1), "the last day's label is not known");
});

Deno.test("lazy universe windows equal the materialised windows of the one window path, symbol by symbol", () => {
  const { members, context } = fixture();
  const features = [...DEFAULT_FEATURES, ...CONTEXT_FEATURES];
  const ds = build(members, context, "up", "per-symbol");
  const all = buildUniverseDataset(members, {
    ...OPTIONS,
    features,
    label: "up",
    scaling: "per-symbol",
    context: { symbol: "SPY", bars: context },
    trainFraction: 0.7,
    validationFraction: 0.15,
  });
  assert.deepEqual(all.split, ds.split);
  for (const m of members) {
    const scaler = scalerFor(ds.scalers, m.symbol)!;
    const expected: WindowSet = buildWindows(m.bars, scaler, {
      ...OPTIONS,
      features,
      context,
    });
    const parts = [ds.train, ds.validation, ds.test].map((w) =>
      w.select((i) => w.symbolOf(i) === m.symbol)
    );
    // Every lazy window of the symbol is the materialised window with the same reference bar.
    let compared = 0;
    const span = expected.seqLen * expected.nFeatures;
    for (const part of parts) {
      const x = allWindows(part);
      for (let i = 0; i < part.n; i++) {
        const k = expected.refTimes.indexOf(part.refTime(i));
        assert.ok(k >= 0, `${m.symbol} ${part.refTime(i)} has a materialised window`);
        assert.deepEqual(
          x.subarray(i * span, (i + 1) * span),
          expected.x.subarray(k * span, (k + 1) * span),
        );
        assert.equal(part.y[i], expected.y[k]);
        compared++;
      }
    }
    assert.ok(compared > 300, `${m.symbol}: ${compared} windows compared`);
  }
});

Deno.test("training on a lazy universe source gives the same weights as on the same windows held in memory", async () => {
  await selectBackend("cpu");
  const { members, context } = fixture();
  const ds = build(members, context, "beats-median", "pooled");
  const take = (w: UniverseWindows, n: number): UniverseWindows => w.select((i) => i < n);
  const train = take(ds.train, 160);
  const validation = take(ds.validation, 48);
  const hold = (w: UniverseWindows): WindowSet => ({
    x: allWindows(w),
    y: w.y,
    refTimes: w.refTimes(),
    n: w.n,
    seqLen: w.seqLen,
    nFeatures: w.nFeatures,
  });
  const weights = async (data: Parameters<typeof trainModel>[1]): Promise<number[]> => {
    const model = buildModel("lstm", { inputShape: [12, train.nFeatures], lstmUnits: 4, seed: 3 });
    const result = await trainModel(model, data, { epochs: 2, batchSize: 32, seed: 3 });
    assert.equal(result.epochsRun, 2);
    const out = model.getWeights().flatMap((t) => Array.from(t.dataSync()));
    model.dispose();
    return out;
  };
  const lazy = await weights({ train, validation });
  const held = await weights({ train: hold(train), validation: hold(validation) });
  assert.deepEqual(lazy, held);
});
