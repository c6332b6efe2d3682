import assert from "node:assert/strict";
import { BollingerBands, MACD, RSI, SMA } from "technicalindicators";
import type { Bar } from "../src/data/types.ts";
import {
  adjustBar,
  applyScaler,
  computeFeatures,
  createFeatureStream,
  DEFAULT_FEATURES,
  featureNames,
  fitScaler,
  registerFeature,
  SCALER_CLIP,
  warmupBars,
} from "../src/features/mod.ts";
import { DataError, UsageError } from "../src/util/errors.ts";
import { createRng } from "../src/util/random.ts";

/** A seeded random walk of daily bars. */
function makeBars(n: number, seed = 1): Bar[] {
  const rng = createRng(seed);
  const bars: Bar[] = [];
  let close = 100;
  const day0 = Date.UTC(2000, 0, 3);
  for (let i = 0; i < n; i++) {
    const open = close * (1 + 0.003 * rng.normal());
    close = open * (1 + 0.01 * rng.normal());
    const high = Math.max(open, close) * (1 + 0.004 * rng.next());
    const low = Math.min(open, close) * (1 - 0.004 * rng.next());
    const time = new Date(day0 + i * 86_400_000).toISOString().slice(0, 10);
    bars.push({ time, open, high, low, close, volume: 1e6 * (1 + rng.next()) });
  }
  return bars;
}

/**
 * Reads the real SPY prices. Parsed by hand: importing "csv-parse/sync" pulls the
 * old @types/node that tfjs installs into the type check, which then hides the
 * types of "node:assert/strict". The file has no quoted fields.
 */
function readSpy(): Bar[] {
  const text = Deno.readTextFileSync(new URL("../../shared/data/SPY.csv", import.meta.url));
  const [header, ...lines] = text.trim().split("\n");
  assert.equal(header.trim(), "Date,Open,High,Low,Close,Adj Close,Volume");
  return lines.map((line) => {
    const [time, open, high, low, close, adjClose, volume] = line.trim().split(",");
    return {
      time,
      open: Number(open),
      high: Number(high),
      low: Number(low),
      close: Number(close),
      volume: Number(volume),
      adjClose: Number(adjClose),
    };
  });
}

function column(rows: readonly Float64Array[], f: number, from: number): number[] {
  return rows.slice(from).map((r) => r[f]);
}

Deno.test("streaming indicators equal technicalindicators calculate() on the real SPY series", () => {
  const bars = readSpy();
  assert.ok(bars.length > 5000);
  const closes = bars.map((b) => adjustBar(b).close);
  const table = computeFeatures(bars);
  const w = table.warmup;
  const at = (name: string): number => table.names.findIndex((n) => n.startsWith(name + "("));

  const rsi = RSI.calculate({ period: 14, values: closes });
  assert.deepEqual(column(table.rows, at("rsi"), w), rsi.slice(w - 14));

  const macd = MACD.calculate({
    values: closes,
    fastPeriod: 12,
    slowPeriod: 26,
    signalPeriod: 9,
    SimpleMAOscillator: false,
    SimpleMASignal: false,
  });
  const off = w - 25;
  assert.deepEqual(
    column(table.rows, at("macd"), w),
    macd.slice(off).map((m, i) => m.MACD! / closes[w + i]),
  );
  assert.deepEqual(
    column(table.rows, at("macd_signal"), w),
    macd.slice(off).map((m, i) => m.signal! / closes[w + i]),
  );
  assert.deepEqual(
    column(table.rows, at("macd_histogram"), w),
    macd.slice(off).map((m, i) => m.histogram! / closes[w + i]),
  );

  const bb = BollingerBands.calculate({ period: 20, stdDev: 2, values: closes });
  assert.deepEqual(column(table.rows, at("bb_position"), w), bb.slice(w - 19).map((b) => b.pb));

  const sma = SMA.calculate({ period: 20, values: closes });
  assert.deepEqual(
    column(table.rows, at("sma_distance"), w),
    sma.slice(w - 19).map((m, i) => closes[w + i] / m - 1),
  );
});

Deno.test("declared warm-ups match where technicalindicators starts producing values", () => {
  const bars = makeBars(300);
  const closes = bars.map((b) => b.close);
  assert.equal(warmupBars(), 33);
  assert.equal(
    warmupBars([{ name: "rsi", params: {} }]),
    300 - RSI.calculate({ period: 14, values: closes }).length,
  );
  const macd = MACD.calculate({
    values: closes,
    fastPeriod: 12,
    slowPeriod: 26,
    signalPeriod: 9,
    SimpleMAOscillator: false,
    SimpleMASignal: false,
  });
  assert.equal(warmupBars([{ name: "macd", params: {} }]), 300 - macd.length);
  assert.equal(
    warmupBars([{ name: "macd_signal", params: {} }]),
    300 - macd.filter((m) => m.signal !== undefined).length,
  );
  const bb = BollingerBands.calculate({ period: 20, stdDev: 2, values: closes });
  assert.equal(warmupBars([{ name: "bb_position", params: {} }]), 300 - bb.length);
});

Deno.test("the stream gives bit-for-bit the rows of the batch computation", () => {
  const bars = makeBars(400, 7);
  const table = computeFeatures(bars);
  const stream = createFeatureStream();
  for (let i = 0; i < bars.length; i++) {
    const row = stream.push(bars[i]);
    if (i < table.warmup) {
      assert.equal(row, null);
      assert.ok(table.rows[i].every(Number.isNaN));
    } else {
      assert.deepEqual(row, table.rows[i]);
    }
  }
  assert.equal(stream.count, bars.length);
});

Deno.test("the table has one row per bar and adjusted closes for labels", () => {
  const bars = makeBars(80).map((b) => ({ ...b, adjClose: b.close / 2 }));
  const table = computeFeatures(bars);
  assert.equal(table.rows.length, 80);
  assert.deepEqual(table.times, bars.map((b) => b.time));
  assert.deepEqual([...table.closes], bars.map((b) => b.close / 2));
  assert.equal(table.names.length, DEFAULT_FEATURES.length);
});

Deno.test("a 2:1 split in the raw close with a continuous adjusted close makes no jump in returns", () => {
  const bars = makeBars(120, 3);
  const split = 80;
  const raw = bars.map((b, i) => {
    const k = i < split ? 2 : 1;
    return {
      ...b,
      open: b.open * k,
      high: b.high * k,
      low: b.low * k,
      close: b.close * k,
      adjClose: b.close,
    };
  });
  const adjusted = computeFeatures(raw).rows;
  const reference = computeFeatures(bars).rows;
  for (let i = 33; i < bars.length; i++) {
    for (let f = 0; f < reference[i].length; f++) {
      assert.ok(Math.abs(adjusted[i][f] - reference[i][f]) < 1e-9, `bar ${i} feature ${f}`);
    }
  }
  const unadjusted = computeFeatures(raw.map(({ adjClose: _, ...b }) => b)).rows;
  assert.ok(unadjusted[split][0] < -0.4, "without adjClose the split looks like a crash");
  assert.ok(Math.abs(adjusted[split][0]) < 0.1);
});

Deno.test("features do not depend on the price level", () => {
  const bars = makeBars(200, 5);
  const scaled = bars.map((b) => ({
    ...b,
    open: b.open * 7,
    high: b.high * 7,
    low: b.low * 7,
    close: b.close * 7,
  }));
  const a = computeFeatures(bars);
  const b = computeFeatures(scaled);
  const rsi = a.names.findIndex((n) => n.startsWith("rsi("));
  for (let i = a.warmup; i < bars.length; i++) {
    for (let f = 0; f < a.names.length; f++) {
      // RSI is rounded to two decimals by technicalindicators.
      const tolerance = f === rsi ? 0.0101 : 1e-9;
      assert.ok(Math.abs(a.rows[i][f] - b.rows[i][f]) <= tolerance, `${a.names[f]} at ${i}`);
    }
  }
});

Deno.test("a flat price series gives finite features after the warm-up", () => {
  const bars = makeBars(60).map((b) => ({
    ...b,
    open: 10,
    high: 10,
    low: 10,
    close: 10,
    volume: 5,
  }));
  const table = computeFeatures(bars);
  for (const row of table.rows.slice(table.warmup)) assert.ok(row.every(Number.isFinite));
  const macd = table.names.findIndex((n) => n.startsWith("macd_histogram("));
  assert.equal(table.rows[59][macd], 0);
});

Deno.test("a registered custom feature is computed bar by bar and extends the warm-up", () => {
  registerFeature("test_lagged_close", {
    params: { lag: 40 },
    warmup: (p) => p.lag,
    create: (p) => {
      const seen: number[] = [];
      return (bar) => {
        seen.push(bar.close);
        if (seen.length > p.lag + 1) seen.shift();
        return seen.length > p.lag ? seen[0] / bar.close : undefined;
      };
    },
  });
  const bars = makeBars(100);
  const specs = [...DEFAULT_FEATURES, { name: "test_lagged_close", params: { lag: 40 } }];
  assert.equal(warmupBars(specs), 40);
  const table = computeFeatures(bars, specs);
  assert.equal(table.warmup, 40);
  assert.equal(table.names.at(-1), "test_lagged_close(lag=40)");
  assert.equal(table.rows[50][10], bars[10].close / bars[50].close);
  assert.ok(table.rows[39].every(Number.isNaN));
});

Deno.test("a custom feature that returns nothing after its warm-up fails with the feature named", () => {
  registerFeature("test_broken", { params: {}, warmup: () => 0, create: () => () => undefined });
  assert.throws(
    () => computeFeatures(makeBars(40), [{ name: "test_broken", params: {} }]),
    (e: unknown) => e instanceof DataError && /finite test_broken at 2000-01-03/.test(e.message),
  );
});

Deno.test("registering a name that is already taken is refused", () => {
  const def = { params: {}, warmup: () => 0, create: () => () => 0 };
  assert.throws(() => registerFeature("rsi", def), UsageError);
  assert.throws(() => registerFeature("Bad Name", def), UsageError);
});

Deno.test("an unknown feature name fails with the list of known features", () => {
  assert.throws(
    () => computeFeatures(makeBars(40), [{ name: "nope", params: {} }]),
    (e: unknown) =>
      e instanceof DataError &&
      e.message.startsWith("Unknown feature nope; known: returns, volume_change, rsi, macd,"),
  );
});

Deno.test("an unknown feature parameter fails with the known parameters", () => {
  assert.throws(
    () => featureNames([{ name: "rsi", params: { periods: 3 } }]),
    (e: unknown) =>
      e instanceof DataError &&
      e.message === "Unknown parameter periods for feature rsi; known: period",
  );
});

Deno.test("bars out of time order are refused", () => {
  const bars = makeBars(3);
  const stream = createFeatureStream();
  stream.push(bars[1]);
  assert.throws(() => stream.push(bars[0]), /Expected bars in increasing time order/);
});

Deno.test("the scaler z-scores columns, keeps constant columns finite and clips at ±10", () => {
  const rows = [Float64Array.of(1, 5), Float64Array.of(3, 5)];
  const scaler = fitScaler(rows, ["a", "b"]);
  assert.deepEqual(scaler, { names: ["a", "b"], mean: [2, 5], std: [1, 1] });
  assert.deepEqual([...applyScaler(scaler, Float64Array.of(3, 5))], [1, 0]);
  assert.deepEqual([...applyScaler(scaler, Float64Array.of(1e6, -1e6))], [
    SCALER_CLIP,
    -SCALER_CLIP,
  ]);
  assert.throws(() => applyScaler(scaler, Float64Array.of(1)), DataError);
});
