/**
 * The tear sheet's computations (monthly returns, drawdown episodes, rolling
 * figures, the Sharpe interval) on known series, and the round date ticks
 * and coincidence notes of the charts, with exact values.
 */
import assert from "node:assert/strict";
import {
  barReturns,
  drawdownEpisodes,
  monthlyReturns,
  rollingSharpe,
  rollingTurnover,
  rollingVolatility,
  sharpeInterval,
} from "../src/eval/tear_sheet.ts";
import { sharpeRatio, standardDeviation } from "../src/eval/stats.ts";
import { drawdownSeries } from "../src/eval/backtest.ts";
import { coincidences, dateTicks, heatmap, type Ticks } from "../src/views/charts.ts";
import { equityChart } from "../src/views/backtest_charts.ts";
import { tearSheetSections } from "../src/views/tear_sheet.ts";

const close = (a: number, b: number, tol = 1e-12): void =>
  assert.ok(Math.abs(a - b) <= tol, `${a} is not ${b}`);

/** The tick labels of a labels axis, as [index, label] pairs. */
function labelled(ticks: Ticks): [number, string][] {
  assert.equal(ticks.kind, "labels");
  if (ticks.kind !== "labels") return [];
  return ticks.at.map((i) => [i, ticks.label(i)]);
}

Deno.test("monthly and yearly returns compound each month's last equity on the previous month's (1 before the first bar)", () => {
  const r = monthlyReturns(
    [1.1, 1.21, 0.605, 0.726],
    ["2023-12-29", "2024-01-02", "2024-03-01", "2024-03-28"],
  );
  assert.deepEqual(r.years, [2023, 2024]);
  close(r.months[0][11]!, 0.1);
  assert.deepEqual(r.months[0].slice(0, 11), new Array(11).fill(null));
  close(r.months[1][0]!, 0.1); // 1.21 / 1.1 − 1
  assert.equal(r.months[1][1], null, "no bars in February");
  close(r.months[1][2]!, 0.726 / 1.21 - 1); // March: the last bar's equity on January's
  close(r.yearly[0], 0.1);
  close(r.yearly[1], 0.726 / 1.1 - 1);
  assert.throws(() => monthlyReturns([1], []), /Expected one time per equity value, found 0/);
});

Deno.test("drawdown episodes run from a peak through the trough to the recovery, deepest first", () => {
  const equity = [1.1, 0.99, 1.2, 0.6, 0.9, 0.95, 1.25, 1.0];
  const episodes = drawdownEpisodes(equity, 5);
  assert.equal(episodes.length, 3);
  assert.deepEqual(
    episodes.map(({ peak, trough, recovery, length }) => ({ peak, trough, recovery, length })),
    [
      { peak: 2, trough: 3, recovery: 6, length: 4 },
      { peak: 6, trough: 7, recovery: null, length: 1 },
      { peak: 0, trough: 1, recovery: 2, length: 2 },
    ],
  );
  close(episodes[0].depth, 0.5);
  close(episodes[1].depth, 0.2);
  close(episodes[2].depth, 0.1);
  // The deepest is the curve's maximum drawdown, as the backtest measures it.
  close(episodes[0].depth, Math.max(...drawdownSeries(equity)));
  assert.equal(drawdownEpisodes(equity, 1).length, 1);
  // A fall from the starting 1 peaks before the first bar (index −1).
  assert.deepEqual(drawdownEpisodes([0.9, 1.0], 5), [
    { peak: -1, trough: 0, recovery: 1, depth: 0.09999999999999998, length: 2 },
  ]);
});

Deno.test("rolling Sharpe, volatility and turnover are NaN until the window is full, then the window's figure", () => {
  const returns = barReturns([1.01, 0.9999, 1.019898]);
  close(returns[0], 0.01);
  close(returns[1], -0.01);
  close(returns[2], 0.02, 1e-12);
  const sharpe = rollingSharpe(returns, 2, 252);
  assert.ok(Number.isNaN(sharpe[0]));
  close(sharpe[1], 0);
  close(sharpe[2], sharpeRatio([returns[1], returns[2]], 252));
  // Over a longer series, the running sums agree with stats.ts window by window.
  const long = Array.from({ length: 400 }, (_, i) => 0.0005 + 0.01 * Math.sin(i * 1.3));
  const s63 = rollingSharpe(long, 63, 252), v63 = rollingVolatility(long, 63, 252);
  assert.ok(Number.isNaN(s63[61]) && Number.isNaN(v63[61]));
  for (const i of [62, 200, 399]) {
    const window = long.slice(i - 62, i + 1);
    close(s63[i], sharpeRatio(window, 252), 1e-9);
    close(v63[i], standardDeviation(window) * Math.sqrt(252), 1e-12);
  }
  assert.deepEqual(rollingSharpe([0.001, 0.001, 0.001], 2, 252), [NaN, 0, 0], "no variation");
  assert.deepEqual(rollingTurnover([1, 1, -1, 0], 2), [NaN, 1, 2, 3]);
  assert.throws(() => rollingTurnover([1], 1), /Expected a rolling window of at least 2 bars/);
});

Deno.test("the Sharpe interval brackets the point figure and is the same for the same seed", () => {
  const returns = Array.from({ length: 300 }, (_, i) => 0.001 + 0.01 * Math.sin(i * 1.7));
  const a = sharpeInterval(returns, 252);
  close(a.estimate, sharpeRatio(returns, 252));
  assert.ok(a.lower < a.estimate && a.estimate < a.upper, JSON.stringify(a));
  assert.deepEqual(sharpeInterval(returns, 252), a);
  const short = sharpeInterval(returns.slice(0, 5), 252);
  assert.ok(Number.isNaN(short.lower) && Number.isNaN(short.upper));
});

Deno.test("date ticks fall on round calendar boundaries chosen by the span", () => {
  // Five years of month-end bars: one tick a year, at each January's first bar.
  const monthly = Array.from({ length: 60 }, (_, i) => {
    const d = new Date(Date.UTC(2019, 4 + i, 15));
    return d.toISOString().slice(0, 10);
  });
  assert.deepEqual(labelled(dateTicks(monthly)), [
    [8, "2020"],
    [20, "2021"],
    [32, "2022"],
    [44, "2023"],
    [56, "2024"],
  ]);
  // Ten months of weekdays: every other month, labelled with the year.
  const days: string[] = [];
  for (let t = Date.UTC(2020, 0, 2); t <= Date.UTC(2020, 9, 30); t += 86_400_000) {
    const d = new Date(t);
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) days.push(d.toISOString().slice(0, 10));
  }
  const ticks = labelled(dateTicks(days));
  assert.deepEqual(ticks.map(([, l]) => l), [
    "Mar 2020",
    "May 2020",
    "Jul 2020",
    "Sep 2020",
  ]);
  // Each at the first bar on or after the boundary: 2 Mar 2020 (1 Mar is a Sunday).
  assert.equal(days[ticks[0][0]], "2020-03-02");
  // Two days of hourly bars: every 6 hours.
  const hours = Array.from(
    { length: 48 },
    (_, i) => new Date(Date.UTC(2024, 2, 4, 1 + i)).toISOString(),
  );
  assert.deepEqual(labelled(dateTicks(hours)).map(([, l]) => l), [
    "4 Mar 06:00",
    "4 Mar 12:00",
    "4 Mar 18:00",
    "5 Mar 00:00",
    "5 Mar 06:00",
    "5 Mar 12:00",
    "5 Mar 18:00",
    "6 Mar 00:00",
  ]);
});

Deno.test("series that coincide are named under the chart", () => {
  assert.deepEqual(
    coincidences([
      { name: "model", ys: [1, 1, 1] },
      { name: "rule", ys: [1, 1.1, 1] },
      { name: "rule + model", ys: [1, 1, 1] },
    ]),
    ["model coincides with rule + model"],
  );
  const svg = equityChart({
    strategy: [1, 1, 1],
    buyAndHold: [1, 1.01, 1.02],
    dates: ["2024-01-02", "2024-01-03", "2024-01-04"],
    arms: [{ name: "rule + model", equity: [1, 1, 1] }],
    strategyName: "model",
  });
  assert.match(svg, /<p class="note" data-coincides="1">model coincides with rule \+ model/);
});

Deno.test("the equity chart turns to a log axis when the curve grows more than threefold", () => {
  const dates = Array.from(
    { length: 100 },
    (_, i) => new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10),
  );
  const grow = dates.map((_, i) => 1.02 ** i); // 7.1 times
  const svg = equityChart({ strategy: grow, buyAndHold: dates.map(() => 1), dates });
  assert.match(svg, /data-scale="log"/);
  assert.match(svg, />2<\/text>.*>4<\/text>/s, "powers of two on the axis");
  const flat = equityChart({
    strategy: dates.map(() => 1.1),
    buyAndHold: grow.map(() => 1),
    dates,
  });
  assert.doesNotMatch(flat, /data-scale="log"/);
});

Deno.test("the monthly heatmap prints each month's return with one decimal, coloured around 0", () => {
  const svg = heatmap("m", "Monthly", {
    rows: ["2024"],
    columns: ["Jan", "Feb", "Mar"],
    values: [[0.0123, -0.05, null]],
  }, { format: (v) => `${(100 * v).toFixed(1)}%` });
  assert.match(svg, />1\.2%</);
  assert.match(svg, />-5\.0%</);
  assert.match(svg, /data-series="cells" data-points="2"/);
  // Green above 0, red below, full colour at the largest magnitude (5%): 1.2% is a quarter of it.
  assert.match(svg, /fill="rgb\(216,237,216\)" data-cell="2024 Jan"/);
  assert.match(svg, /fill="rgb\(224,93,94\)" data-cell="2024 Feb"/);
});

Deno.test("the tear sheet lists the worst drawdowns and the first and last 20 trades of a long list", () => {
  const n = 600;
  const times = Array.from(
    { length: n },
    (_, i) => new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10),
  );
  const equity = times.map((_, i) => 1 + 0.2 * Math.sin(i / 30) + i / 1000);
  const positions = times.map((_, i) => (Math.floor(i / 5) % 2 ? 1 : 0));
  const trades = Array.from({ length: 50 }, (_, k) => ({
    side: "long" as const,
    entryTime: times[10 * k + 5],
    exitTime: times[10 * k + 10],
    return: k % 2 ? 0.01 : -0.01,
    open: false,
  }));
  const html = tearSheetSections({
    name: "model",
    times,
    equity,
    positions,
    trades,
    barsPerYear: 365,
    costBps: 10,
  }).join("\n");
  for (const id of ["monthly-returns", "rolling-sharpe", "rolling-volatility", "turnover"]) {
    assert.match(html, new RegExp(`data-chart="${id}"`));
  }
  assert.match(html, /trailing windows of 91 and 365 bars, annualised with 365 bars a year/);
  assert.match(html, /50 trades, 25 with a positive net return; the first and last 20 are listed/);
  assert.match(html, /<td>10 trades not shown<\/td>/);
  assert.ok(
    html.includes(
      `<tr><td>50</td><td>${times[495]}</td><td>${
        times[500]
      }</td><td>long</td><td>1.00%</td><td>5</td></tr>`,
    ),
    "the last trade, five bars held",
  );
  const worst = drawdownEpisodes(equity, 5)[0];
  assert.match(
    html,
    new RegExp(`<tr><td>1</td><td>${times[worst.peak]}</td><td>${times[worst.trough]}</td>`),
  );
  assert.match(html, /after costs of 10 bps per side/);
});

Deno.test("a strategy that never held a position gets one line instead of empty charts", () => {
  const times = ["2024-01-02", "2024-01-03", "2024-01-04"];
  const html = tearSheetSections({
    name: "model",
    times,
    equity: [1, 1, 1],
    positions: [0, 0, 0],
    trades: [],
    barsPerYear: 252,
  }).join("");
  assert.match(html, /The model held no position over these 3 bars/);
  assert.doesNotMatch(html, /<svg/);
});
