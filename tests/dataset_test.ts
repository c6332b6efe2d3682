import assert from "node:assert/strict";
import type { Bar } from "../src/data/types.ts";
import {
  adjustedCloses,
  buildDataset,
  buildWindows,
  minimumBars,
  upLabel,
  walkForwardFolds,
  WindowBuffer,
} from "../src/dataset/mod.ts";
import type { WindowSet } from "../src/dataset/types.ts";
import {
  applyScaler,
  computeFeatures,
  DEFAULT_FEATURES,
  fitScaler,
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

/** Bars from index `from` on replaced by a wild, unrelated series. */
function perturbFrom(bars: readonly Bar[], from: number): Bar[] {
  const rng = createRng(99);
  return bars.map((b, i) => {
    if (i < from) return b;
    const k = 50 * (1 + rng.next());
    return {
      ...b,
      open: b.open * k,
      high: b.high * k * 1.1,
      low: b.low * k,
      close: b.close * k,
      volume: b.volume * 1000,
    };
  });
}

function window(set: WindowSet, k: number): Float32Array {
  const span = set.seqLen * set.nFeatures;
  return set.x.subarray(k * span, (k + 1) * span);
}

const FAST = { sequenceLength: 20, horizon: 1 };

Deno.test("too few bars fail with how many are needed and how many were found", () => {
  assert.equal(minimumBars(), 133);
  assert.throws(
    () => buildDataset(makeBars(100)),
    (e: unknown) =>
      e instanceof DataError &&
      e.message ===
        "Expected at least 133 bars (33 warm-up + 60 sequence + 1 horizon + 39 for the splits), found 100",
  );
  assert.throws(() => buildDataset(makeBars(132)), DataError);
  const ds = buildDataset(makeBars(133));
  assert.ok(ds.train.n >= 5 && ds.validation.n >= 5 && ds.test.n >= 5);
});

Deno.test("the scaler is fitted on the training windows' rows and saw no validation or test rows", () => {
  const bars = makeBars(600, 2);
  const ds = buildDataset(bars, FAST);
  const table = computeFeatures(bars);
  const firstRef = table.times.indexOf(ds.ranges.train.first);
  const lastRef = table.times.indexOf(ds.ranges.train.last);
  assert.equal(firstRef, warmupBars() + FAST.sequenceLength - 1);
  const expected = fitScaler(
    table.rows.slice(firstRef - FAST.sequenceLength + 1, lastRef + 1),
    table.names,
  );
  assert.deepEqual(ds.scaler, expected);

  const wild = buildDataset(perturbFrom(bars, lastRef + 1), FAST);
  assert.deepEqual(wild.scaler, ds.scaler);
  assert.notDeepEqual(wild.test.x, ds.test.x);
});

Deno.test("perturbing bars after reference bar t leaves every window ending at or before t unchanged", () => {
  const bars = makeBars(400, 3);
  const horizon = 3;
  const t = 250;
  const options = { sequenceLength: 30, horizon, features: DEFAULT_FEATURES, labelledOnly: false };
  const table = computeFeatures(bars);
  const scaler = fitScaler(table.rows.slice(table.warmup, 200), table.names);
  const before = buildWindows(bars, scaler, options);
  const after = buildWindows(perturbFrom(bars, t + 1), scaler, options);
  assert.equal(after.n, before.n);
  let checked = 0;
  let changed = 0;
  for (let k = 0; k < before.n; k++) {
    const ref = table.times.indexOf(before.refTimes[k]);
    if (ref <= t) {
      assert.deepEqual(window(after, k), window(before, k), `window ending ${before.refTimes[k]}`);
      if (ref + horizon <= t) assert.equal(after.y[k], before.y[k]);
      checked++;
    } else if (window(after, k).some((v, i) => v !== window(before, k)[i])) {
      changed++;
    }
  }
  assert.ok(checked > 100);
  assert.ok(changed > 100, "the perturbation reaches later windows");
});

Deno.test("perturbing test-period bars changes no training or validation window", () => {
  const bars = makeBars(700, 4);
  const ds = buildDataset(bars, { ...FAST, horizon: 2 });
  const testFirst = bars.findIndex((b) => b.time === ds.ranges.test.first);
  const wild = buildDataset(perturbFrom(bars, testFirst), { ...FAST, horizon: 2 });
  assert.deepEqual(wild.train, ds.train);
  assert.deepEqual(wild.validation, ds.validation);
});

Deno.test("labels say whether the adjusted close horizon bars later is higher", () => {
  const bars = makeBars(300, 5);
  const horizon = 5;
  const table = computeFeatures(bars);
  const scaler = fitScaler(table.rows.slice(table.warmup), table.names);
  const options = { sequenceLength: 10, horizon, features: DEFAULT_FEATURES };
  const set = buildWindows(bars, scaler, options);
  assert.equal(set.n, 300 - 33 - 10 + 1 - horizon);
  let ups = 0;
  for (let k = 0; k < set.n; k++) {
    const ref = bars.findIndex((b) => b.time === set.refTimes[k]);
    assert.equal(set.y[k], bars[ref + horizon].close > bars[ref].close ? 1 : 0);
    ups += set.y[k];
  }
  assert.ok(ups > 0 && ups < set.n);
  const live = buildWindows(bars, scaler, { ...options, labelledOnly: false });
  assert.equal(live.n, set.n + horizon);
  assert.equal(live.refTimes.at(-1), bars.at(-1)!.time);
  assert.deepEqual([...live.y.slice(-horizon)], new Array(horizon).fill(0));
});

Deno.test("labels use adjusted closes, so a 2:1 split is not a down move", () => {
  const base = makeBars(200, 6);
  base[150] = { ...base[150], close: base[149].close * 1.01 };
  const bars = base.map((b, i) => {
    const k = i < 150 ? 2 : 1;
    return {
      ...b,
      open: b.open * k,
      high: b.high * k,
      low: b.low * k,
      close: b.close * k,
      adjClose: b.close,
    };
  });
  assert.ok(bars[150].close < bars[149].close, "the raw close halves");
  const table = computeFeatures(bars);
  const scaler = fitScaler(table.rows.slice(table.warmup), table.names);
  const options = { sequenceLength: 10, horizon: 1, features: DEFAULT_FEATURES };
  const set = buildWindows(bars, scaler, options);
  assert.equal(set.y[set.refTimes.indexOf(bars[149].time)], 1);
});

Deno.test("a window holds the scaled rows t - sequenceLength + 1 … t of its reference bar t", () => {
  const bars = makeBars(200, 7);
  const table = computeFeatures(bars);
  const scaler = fitScaler(table.rows.slice(table.warmup), table.names);
  const set = buildWindows(bars, scaler, {
    sequenceLength: 15,
    horizon: 1,
    features: DEFAULT_FEATURES,
  });
  const k = 40;
  const ref = table.times.indexOf(set.refTimes[k]);
  const w = window(set, k);
  for (let step = 0; step < 15; step++) {
    const row = applyScaler(scaler, table.rows[ref - 14 + step]);
    assert.deepEqual(w.subarray(step * set.nFeatures, (step + 1) * set.nFeatures), row);
  }
});

Deno.test("splits are chronological, contiguous and purged by the horizon", () => {
  const bars = makeBars(800, 8);
  const horizon = 4;
  const ds = buildDataset(bars, { ...FAST, horizon });
  const index = (time: string): number => bars.findIndex((b) => b.time === time);
  for (const set of [ds.train, ds.validation, ds.test]) {
    for (let k = 1; k < set.n; k++) {
      assert.equal(index(set.refTimes[k]), index(set.refTimes[k - 1]) + 1);
    }
  }
  // The last training label looks at bar trainLast + horizon, still before validation starts.
  assert.equal(index(ds.ranges.validation.first) - index(ds.ranges.train.last), horizon + 1);
  assert.equal(index(ds.ranges.test.first) - index(ds.ranges.validation.last), horizon + 1);
  assert.equal(index(ds.ranges.test.last), bars.length - 1 - horizon);
  const total = ds.train.n + ds.validation.n + ds.test.n + 2 * horizon;
  assert.equal(total, bars.length - 33 - FAST.sequenceLength + 1 - horizon);
  assert.ok(Math.abs(ds.train.n / total - 0.7) < 0.01);
  assert.deepEqual(ds.features[2], { name: "rsi", params: { period: 14 } });
});

Deno.test("testStart puts every window from that date on in the test split", () => {
  const bars = makeBars(800, 9);
  const ds = buildDataset(bars, { ...FAST, testStart: "2001-06-01" });
  assert.equal(ds.ranges.test.first, "2001-06-01");
  assert.equal(ds.ranges.test.last, bars.at(-2)!.time);
  assert.ok(ds.ranges.validation.last < "2001-06-01");
  const ratio = ds.validation.n / (ds.train.n + ds.validation.n);
  assert.ok(Math.abs(ratio - 0.15 / 0.85) < 0.02, `validation share ${ratio}`);
  assert.throws(() => buildDataset(bars, { ...FAST, testStart: "2030-01-01" }), /0 test/);
});

Deno.test("start and end select the bars before features are computed", () => {
  const bars = makeBars(900, 10);
  const ds = buildDataset(bars, { ...FAST, start: "2000-06-01", end: "2001-12-31" });
  const from = bars.findIndex((b) => b.time === "2000-06-01");
  const to = bars.findIndex((b) => b.time === "2001-12-31");
  const same = buildDataset(bars.slice(from, to + 1), FAST);
  assert.deepEqual(ds, same);
  assert.equal(ds.ranges.train.first, bars[from + 33 + FAST.sequenceLength - 1].time);
  assert.equal(ds.ranges.test.last, bars[to - 1].time);
  assert.throws(
    () => buildDataset(bars, { ...FAST, start: "2002-06-01" }),
    /found \d+ from 2002-06-01 to the last bar$/,
  );
});

Deno.test("malformed dataset options are usage errors that name the option", () => {
  const bars = makeBars(300);
  assert.throws(() => buildDataset(bars, { sequenceLength: 0 }), UsageError);
  assert.throws(
    () => buildDataset(bars, { trainFraction: 0.9, validationFraction: 0.2 }),
    /Expected trainFraction \+ validationFraction below 1, found 1\.1/,
  );
  assert.throws(() => buildDataset(bars, { start: "01/02/2020" }), /start to be an ISO date/);
});

Deno.test("a scaler fitted on other features is refused", () => {
  const bars = makeBars(200);
  const scaler = fitScaler([Float64Array.of(1), Float64Array.of(2)], ["rsi(period=14)"]);
  assert.throws(
    () =>
      buildWindows(bars, scaler, { sequenceLength: 10, horizon: 1, features: DEFAULT_FEATURES }),
    /Expected the scaler's features rsi\(period=14\), found returns/,
  );
});

Deno.test("walk-forward folds never overlap and are in time order", () => {
  for (const mode of ["expanding", "sliding"] as const) {
    const folds = walkForwardFolds(1000, { folds: 5, mode, minTrain: 300, gap: 2 });
    assert.equal(folds.length, 5);
    assert.equal(folds[0].testStart, 302);
    assert.equal(folds.at(-1)!.testEnd, 1000);
    for (let j = 0; j < folds.length; j++) {
      const f = folds[j];
      assert.ok(
        f.trainStart < f.trainEnd && f.trainEnd + 2 === f.testStart && f.testStart < f.testEnd,
      );
      assert.equal(f.trainStart, mode === "expanding" ? 0 : f.trainEnd - 300);
      if (j > 0) assert.equal(f.testStart, folds[j - 1].testEnd);
    }
  }
  const monthly = walkForwardFolds(1000, { folds: 3, retrainEvery: 21 });
  assert.deepEqual(monthly.map((f) => [f.testStart, f.testEnd]), [[937, 958], [958, 979], [
    979,
    1000,
  ]]);
  assert.ok(monthly.every((f) => f.trainEnd === f.testStart));
  assert.throws(() => walkForwardFolds(10, { folds: 5, minTrain: 8 }), DataError);
});

Deno.test("a dataset of 6000 bars builds well under a second", () => {
  const bars = makeBars(6000, 11);
  const t0 = performance.now();
  const ds = buildDataset(bars);
  const ms = performance.now() - t0;
  assert.equal(ds.train.n + ds.validation.n + ds.test.n, 6000 - 33 - 60 + 1 - 1 - 2);
  assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
});

/** The naive window ending on row `t`: rows `t - length + 1 … t`, each scaled, concatenated. */
function naiveWindow(
  rows: readonly Float64Array[],
  t: number,
  length: number,
  scaler: Parameters<typeof applyScaler>[0],
): Float32Array {
  const width = rows[0].length;
  const out = new Float32Array(length * width);
  for (let step = 0; step < length; step++) {
    out.set(applyScaler(scaler, rows[t - length + 1 + step]), step * width);
  }
  return out;
}

Deno.test("a window buffer gives the naive slice's scaled window on every bar, across many ring wrap-arounds", () => {
  const rng = createRng(12);
  const width = 3;
  const rows = Array.from({ length: 50 }, () => Float64Array.from({ length: width }, rng.normal));
  rows[20][1] = 1e6; // clipped to SCALER_CLIP, as applyScaler clips it
  const scaler = { names: ["a", "b", "c"], mean: [0.1, -0.2, 0], std: [1.5, 0.5, 2] };
  for (const length of [1, 4, 7]) {
    const buffer = new WindowBuffer(length, width);
    const out = new Float32Array(length * width);
    rows.forEach((row, t) => {
      buffer.push(row);
      assert.equal(buffer.size, Math.min(t + 1, length));
      assert.equal(buffer.full, t + 1 >= length);
      assert.equal(buffer.count, t + 1);
      assert.deepEqual(buffer.last(), row);
      if (!buffer.full) return;
      buffer.writeScaled(scaler, out);
      assert.deepEqual(out, naiveWindow(rows, t, length, scaler), `length ${length}, row ${t}`);
    });
  }
  const clipped = new WindowBuffer(1, width);
  clipped.push(rows[20]);
  const out = new Float32Array(width);
  clipped.writeScaled(scaler, out);
  assert.equal(out[1], SCALER_CLIP);
});

Deno.test("a window buffer keeps raw rows, so another scaler rescales the whole window", () => {
  const rng = createRng(13);
  const rows = Array.from({ length: 12 }, () => Float64Array.from({ length: 2 }, rng.normal));
  const first = { names: ["a", "b"], mean: [0, 0], std: [1, 1] };
  const second = { names: ["a", "b"], mean: [0.5, -1], std: [2, 0.25] };
  const buffer = new WindowBuffer(5, 2);
  const out = new Float32Array(10);
  for (let t = 0; t < rows.length; t++) {
    buffer.push(rows[t]);
    if (!buffer.full) continue;
    const scaler = t % 3 === 0 ? second : first; // swapped back and forth, as reload() may
    buffer.writeScaled(scaler, out);
    assert.deepEqual(out, naiveWindow(rows, t, 5, scaler), `row ${t}`);
  }
});

Deno.test("a window buffer writes into a caller's array at an offset and refuses what does not fit", () => {
  const scaler = { names: ["a"], mean: [0], std: [1] };
  const buffer = new WindowBuffer(3, 1);
  const x = new Float32Array(8).fill(-1);
  buffer.push([1]);
  assert.throws(() => buffer.writeScaled(scaler, x), /full window of 3 feature rows, found 1/);
  for (const v of [2, 3, 4]) buffer.push([v]);
  buffer.writeScaled(scaler, x.subarray(4));
  assert.deepEqual([...x], [-1, -1, -1, -1, 2, 3, 4, -1]);
  assert.throws(() => buffer.writeScaled(scaler, x.subarray(6)), /room for 3 window values/);
  assert.throws(() => buffer.push([1, 2]), /feature row of 1 values, found 2/);
  assert.throws(
    () => buffer.writeScaled({ names: ["a", "b"], mean: [0, 0], std: [1, 1] }, x),
    /scaler of 1 features, found one of 2/,
  );
  assert.throws(() => new WindowBuffer(0, 1), UsageError);
  assert.throws(() => new WindowBuffer(2, 1).last(), DataError);
});

Deno.test("a label is 1 only when the close horizon bars later is higher, and unknown past the last bar", () => {
  const closes = [10, 11, 11, 9, 12];
  assert.deepEqual([0, 1, 2, 3, 4].map((t) => upLabel(closes, t, 1)), [1, 0, 0, 1, undefined]);
  assert.deepEqual([0, 1, 2, 3, 4].map((t) => upLabel(closes, t, 3)), [
    0,
    1,
    undefined,
    undefined,
    undefined,
  ]);
  assert.equal(upLabel(closes, 0, 4), 1);
  assert.equal(upLabel(closes, 0, 5), undefined);
  assert.throws(() => upLabel(closes, 0, 0), UsageError);
  assert.throws(() => upLabel(closes, 5, 1), UsageError);
});

Deno.test("labels are computed on adjusted closes where bars have them", () => {
  const bars = makeBars(3, 14).map((b, i) => i === 1 ? { ...b, adjClose: b.close / 2 } : b);
  const closes = adjustedCloses(bars);
  assert.deepEqual([...closes], [bars[0].close, bars[1].close / 2, bars[2].close]);
  assert.deepEqual(closes, computeFeatures(bars).closes);
});

Deno.test("the dataset's windows and labels are the window buffer's and upLabel's, bar by bar", () => {
  const bars = makeBars(400, 15);
  const horizon = 3;
  const table = computeFeatures(bars);
  const scaler = fitScaler(table.rows.slice(table.warmup), table.names);
  const options = { sequenceLength: 12, horizon, features: DEFAULT_FEATURES, labelledOnly: false };
  const set = buildWindows(bars, scaler, options);
  const buffer = new WindowBuffer(12, table.names.length);
  const out = new Float32Array(12 * table.names.length);
  let k = 0;
  for (let t = table.warmup; t < bars.length; t++) {
    buffer.push(table.rows[t]);
    if (!buffer.full) continue;
    buffer.writeScaled(scaler, out);
    assert.equal(set.refTimes[k], bars[t].time);
    assert.deepEqual(window(set, k), out);
    assert.equal(set.y[k], upLabel(table.closes, t, horizon) ?? 0);
    k++;
  }
  assert.equal(k, set.n);
});
