/**
 * The universe portfolio's arithmetic on a hand-checked case (fills, weights,
 * turnover and costs per half-turn), and the reversal rule's ranking.
 */

import assert from "node:assert/strict";
import { portfolioStats, type PriceTable, runPortfolio } from "../src/eval/portfolio.ts";
import { crossSectionalPercentile, logisticLags } from "../src/eval/universe_baselines.ts";

const CALENDAR = ["d0", "d1", "d2", "d3", "d4"];
const table = (opens: number[], closes = opens): PriceTable => ({
  dates: Uint32Array.from(opens.map((_, i) => i)),
  opens: Float64Array.from(opens),
  closes: Float64Array.from(closes),
});
// Symbols A, B, C, D; opens on d0..d4.
const PRICES = [
  table([10, 10, 11, 12.1, 12.1], [10, 10.5, 11, 12, 12]),
  table([20, 20, 19, 19, 20], [20, 19, 19, 20, 20]),
  table([5, 5, 5, 5.5, 5.5]),
  table([8, 8, 8, 8, 8]),
];
// Scores on d0, d1, d2, d3 (d3 cannot be filled and held: no d5).
const SCORES = {
  dates: [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3],
  symbols: [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3],
  values: [0.9, 0.1, 0.5, 0.6, 0.2, 0.3, 0.8, 0.7, 0.1, 0.3, 0.8, 0.7, 0.5, 0.5, 0.5, 0.5],
};

const close = (a: number, b: number, message?: string): void =>
  assert.ok(Math.abs(a - b) < 1e-12, `${message ?? ""} ${a} != ${b}`);

Deno.test("long-short top 1 with next-open fills: returns, turnover and costs per half-turn by hand", () => {
  const r = runPortfolio(CALENDAR, PRICES, SCORES, { topK: 1, costBps: 10 });
  assert.deepEqual(r.days.map((d) => d.date), ["d0", "d1", "d2"]);
  // d0: long A (11/10 - 1 = +10%), short B (19/20 - 1 = -5%): +15%; 2 half-turns.
  close(r.days[0].gross, 0.15);
  close(r.days[0].turnover, 2);
  close(r.days[0].cost, 0.002);
  // d1: long C (5.5/5 - 1 = +10%), short A (12.1/11 - 1 = +10%): 0; A flips (2), B closes, C opens.
  close(r.days[1].gross, 0);
  close(r.days[1].turnover, 4);
  close(r.days[1].net, -0.004);
  // d2: the same positions: no costs; long C 5.5/5.5, short A 12.1/12.1.
  close(r.days[2].turnover, 0);
  close(r.days[2].net, 0);
  close(r.before.meanDaily, 0.05);
  close(r.after.meanDaily, (0.148 - 0.004) / 3);
  close(r.after.totalReturn, 1.148 * 0.996 - 1);
  close(r.after.turnover, 2);
  assert.equal(r.days[0].positions, 2);
});

Deno.test("long-only, equal-weight and the paper's at-close fills", () => {
  const longOnly = runPortfolio(CALENDAR, PRICES, SCORES, { topK: 1, longOnly: true, costBps: 10 });
  const expected = [[0.1, 1], [0.1, 2], [0, 0]];
  longOnly.days.forEach((d, i) => {
    close(d.gross, expected[i][0], `gross of day ${i}`);
    close(d.turnover, expected[i][1], `turnover of day ${i}`);
  });
  const equal = runPortfolio(CALENDAR, PRICES, SCORES, { topK: Infinity, longOnly: true });
  close(equal.days[0].gross, (0.1 - 0.05 + 0 + 0) / 4);
  const atClose = runPortfolio(CALENDAR, PRICES, SCORES, { topK: 1, fill: "close" });
  // d0 at the close: long A 10.5/10 - 1, short B 19/20 - 1.
  close(atClose.days[0].gross, 0.05 + 0.05);
  assert.equal(atClose.days.length, 4, "at the close, d3 can still be held to d4");
});

Deno.test("a symbol without the bars a fill needs is not a candidate, and too few candidates is a flat day", () => {
  const gappy = [...PRICES];
  gappy[1] = {
    dates: Uint32Array.of(0, 1, 3, 4),
    opens: Float64Array.of(20, 20, 19, 20),
    closes: Float64Array.of(20, 20, 19, 20),
  };
  const r = runPortfolio(CALENDAR, gappy, SCORES, { topK: 1 });
  // d0: B has no d2 bar, so the bottom score among A, C, D is C (0.5): long A, short C.
  close(r.days[0].gross, 0.1 - 0);
  const flat = runPortfolio(CALENDAR, PRICES, SCORES, { topK: 3 });
  assert.ok(
    flat.days.every((d) => d.positions === 0 && d.gross === 0),
    "4 symbols cannot fill 3 + 3",
  );
});

Deno.test("portfolio statistics: Sharpe, drawdown and hit rate of a short series", () => {
  const s = portfolioStats([0.01, -0.02, 0.01]);
  close(s.meanDaily, 0);
  close(s.maxDrawdown, 1 - (1.01 * 0.98) / 1.01);
  close(s.hitRate, 2 / 3);
  assert.equal(s.sharpe, 0);
});

Deno.test("the reversal rule's probability is the day's cross-sectional percentile, ties shared", () => {
  const p = crossSectionalPercentile([3, 1, 2, 5, 5, 4], [0, 0, 0, 1, 1, 1]);
  assert.deepEqual(Array.from(p), [1, 0, 0.5, 0.75, 0.75, 0]);
  assert.deepEqual(logisticLags(60), [...Array.from({ length: 20 }, (_, i) => i + 1), 40, 60]);
  assert.equal(logisticLags(240).length, 31);
});
