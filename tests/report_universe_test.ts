/**
 * The universe pages (`evaluate`/`backtest --universe --report`, `--study`)
 * on a small hand-built result: the ranking's daily IC and decile returns,
 * the per-year table, the warning when the legs hold every symbol, one
 * drawdown (after costs) in the table and the chart, the cross-sectional
 * label's wording and the scored rows' base rate, and a backtest titled as
 * one.
 */

import assert from "node:assert/strict";
import type { PortfolioResult, PortfolioStats } from "../src/eval/portfolio.ts";
import type { UniverseEvaluation, UniverseResult } from "../src/pipeline/universe_scores.ts";
import { portfolioText, universeBacktestText, universePage } from "../src/views/universe.ts";
import { dailyIc, icSummary, rollingMean } from "../src/views/universe_charts.ts";

const SYMBOLS = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF"];
const DAYS = 30;

function stats(maxDrawdown: number, meanDaily: number): PortfolioStats {
  return {
    days: DAYS,
    meanDaily,
    sdDaily: 0.01,
    tStat: 1.25,
    sharpe: 0.8,
    annualReturn: 0.1,
    totalReturn: 0.05,
    maxDrawdown,
    hitRate: 0.5,
    turnover: 0.4,
  };
}

/** Thirty days of six symbols; the model's equity after costs falls 20% from its peak. */
function sample(options: { topK: number; label?: "up" | "beats-median" }): UniverseResult {
  const dates = Array.from(
    { length: DAYS },
    (_, d) =>
      `2017-${String(1 + Math.floor(d / 28)).padStart(2, "0")}-${
        String(1 + (d % 28)).padStart(2, "0")
      }`,
  );
  const equityAfter = dates.map((_, d) => (d < 10 ? 1 + 0.01 * d : d < 20 ? 1.09 * 0.8 : 0.9));
  const run = (equity: number[]): PortfolioResult =>
    ({
      days: dates.map((date) => ({
        date,
        gross: 0,
        cost: 0,
        net: 0,
        turnover: 0,
        positions: 2,
      })),
      equityAfter: equity,
      equityBefore: equity,
      before: stats(0.07, 0.001),
      after: stats(0.2, 0.0008),
    }) as unknown as PortfolioResult;
  const refTimes: string[] = [];
  const labels: number[] = [];
  const raw: number[] = [];
  dates.forEach((date, d) =>
    SYMBOLS.forEach((_, s) => {
      refTimes.push(date);
      // Higher scores for higher symbols; the label follows the score on even days.
      raw.push(0.45 + 0.02 * s);
      labels.push(d % 2 === 0 ? (s >= 3 ? 1 : 0) : (s % 2));
    })
  );
  const arm = (name: string, fill: "next-open" | "close") => ({
    name,
    fill,
    before: stats(0.07, 0.001),
    after: stats(0.2, 0.0008),
    periods: [
      { period: "2017", days: 20, before: 0.03, after: 0.02 },
      { period: "2018", days: 10, before: 1, after: 0 },
    ],
    flatDays: 0,
  });
  const deciles = (k: number) => Array.from({ length: 10 }, (_, q) => (q - 4.5 + k) / 10_000);
  const evaluation = {
    universe: { name: "six", symbols: 6, scored: 6, dropped: [], unknown: [] },
    model: { dir: "models/six/v1", version: "v1" },
    label: options.label ?? "beats-median",
    scaling: "pooled",
    context: null,
    scope: "out of sample: the test rows",
    pooled: {
      verdict: "no evidence of an edge",
      rows: DAYS * SYMBOLS.length,
      first: "2017-01-01",
      last: "2017-02-02",
      metrics: { auc: 0.51, brierSkill: -0.001 },
      baselines: { rawNetwork: { auc: 0.52 } },
    },
    decideAt: "close",
    reversal: { accuracy: 0.5, auc: 0.49, mcc: 0 },
    gapReversal: { accuracy: 0.5, auc: 0.5, mcc: 0 },
    ranking: ["model", "gap reversal", "reversal", "logistic"].map((name, k) => ({
      name,
      icMean: 0.0123 * (k + 1),
      icT: 2.5 - k,
      days: DAYS,
      deciles: deciles(k),
    })),
    perSymbol: [],
    portfolio: {
      topK: options.topK,
      longOnly: false,
      costBps: 5,
      arms: [
        arm("model", "next-open"),
        arm("equal-weight", "next-open"),
        arm("model (at close)", "close"),
      ],
    },
  } as unknown as UniverseEvaluation;
  return {
    evaluation,
    runs: [["model", run(equityAfter)], ["equal-weight", run(dates.map(() => 1))]],
    rows: {
      probabilities: raw.map(() => 0.5),
      rawProbabilities: raw,
      labels,
      refTimes,
      previousUp: labels,
    },
    symbols: refTimes.map((_, i) => SYMBOLS[i % SYMBOLS.length]),
    // Realised returns that follow the labels: above the day's median where the label is 1.
    realised: Float64Array.from(labels, (y, i) => (y - 0.5) / 100 + (i % 6) / 10_000),
  };
}

const chart = (html: string, id: string): string => {
  const m = html.match(new RegExp(`<svg data-chart="${id}"[\\s\\S]*?</svg>`));
  assert.ok(m, `a ${id} chart`);
  return m[0];
};

Deno.test("a universe page shows the daily IC, the decile returns of every ranking and the per-year table", () => {
  const html = universePage(sample({ topK: 2 }), "Evaluation of models/six/v1 on universe six");
  // The IC table: mean and t of each ranking, four and two decimals.
  assert.match(html, /<td>model<\/td><td>0\.0123<\/td><td>2\.50<\/td><td>30<\/td>/);
  assert.match(html, /<td>logistic<\/td><td>0\.0492<\/td><td>-0\.50<\/td>/);
  // The rolling IC over time: one point per day from the first whole window on.
  const ic = chart(html, "rolling-ic");
  assert.match(ic, /rolling 10-day mean/);
  assert.match(ic, /data-series="rolling IC" data-points="21"/);
  // Decile bars: ten per ranking, four rankings.
  const deciles = chart(html, "deciles");
  for (const name of ["model", "gap reversal", "reversal", "logistic"]) {
    assert.match(deciles, new RegExp(`data-series="${name}" data-points="10"`));
  }
  assert.equal(deciles.match(/a day<\/title><\/rect>/g)?.length, 40);
  // Per year, after costs: every arm, every year.
  assert.match(html, /<h2>Returns per year, after 5 bps costs<\/h2>/);
  assert.match(html, /<td>model<\/td><td>next-open<\/td><td>2\.0%<\/td><td>0\.0%<\/td>/);
  // No bare 1 or 0 beside formatted figures.
  const cells = [...html.matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1]);
  assert.ok(!cells.includes("1") && !cells.includes("0"), cells.join(" "));
  // The backtest's text gives the ranking too.
  assert.match(universeBacktestText(sample({ topK: 2 }).evaluation), /ranking\s+IC mean\s+IC t/);
  // Self-contained.
  assert.doesNotMatch(html, /\bsrc\s*=|\bhref\s*=|https?:|<link\b/i);
});

Deno.test("a universe page warns when the long and short legs hold every symbol", () => {
  const warned = universePage(sample({ topK: 3 }), "x");
  assert.match(
    warned,
    /Warning: top 3 and bottom 3 of 6 symbols: the long and short legs hold the whole universe/,
  );
  assert.match(portfolioText(sample({ topK: 3 }).evaluation), /^warning: top 3 and bottom 3 of 6/);
  assert.doesNotMatch(universePage(sample({ topK: 2 }), "x"), /warning/i);
  assert.doesNotMatch(portfolioText(sample({ topK: 2 }).evaluation), /warning/);
});

Deno.test("a universe page gives the drawdown after costs in its table and its chart alike", () => {
  const html = universePage(sample({ topK: 2 }), "x");
  assert.match(html, /<th>max dd net<\/th>/);
  assert.doesNotMatch(html, /<th>max dd<\/th>/);
  // The table's 20.0% (after costs) is the chart's deepest; the 7.0% before costs is nowhere.
  assert.match(html, /<td>20\.0%<\/td>/);
  assert.match(chart(html, "drawdown"), /deepest: model after 5 bps costs 20\.0%/);
  assert.doesNotMatch(html, /<td>7\.0%<\/td>/);
  assert.match(portfolioText(sample({ topK: 2 }).evaluation), /max dd net/);
});

Deno.test("a beats-median page says so, and its base-rate line is the scored rows'", () => {
  const html = universePage(sample({ topK: 2 }), "x");
  const histogram = chart(html, "histogram");
  assert.match(histogram, /probability of beating the median/);
  assert.match(histogram, /share beating the median/);
  assert.doesNotMatch(html, /probability of up|share up/);
  // 30 days × 6 symbols: even days 3 of 6 beat the median, odd days 3 of 6 too.
  assert.match(histogram, /data-reference="base-rate" data-value="0\.5000"/);
  const up = universePage(sample({ topK: 2, label: "up" }), "x");
  assert.match(chart(up, "histogram"), /probability of up/);
});

Deno.test("a universe backtest page is titled a backtest", () => {
  const result = sample({ topK: 2 });
  const title = "Evaluation of models/six/v1 on universe six";
  const page = universePage(result, title, { page: "backtest" });
  assert.match(page, /<title>Backtest of models\/six\/v1 on universe six<\/title>/);
  assert.doesNotMatch(page, /Evaluation of/);
  assert.match(universePage(result, title), /<h1>Evaluation of models\/six\/v1/);
});

Deno.test("the daily IC ranks each day's scores against its labels", () => {
  const days = dailyIc(
    [0.1, 0.2, 0.3, 0.4, 0.4, 0.3, 0.2, 0.1, 0.5, 0.5, 0.5, 0.5],
    [0, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0, 1],
    ["d1", "d1", "d1", "d1", "d2", "d2", "d2", "d2", "d3", "d3", "d3", "d3"],
    { minSymbols: 4 },
  );
  // d3's scores are all tied: no correlation, no day.
  assert.deepEqual(days.map((d) => d.date), ["d1", "d2"]);
  assert.ok(Math.abs(days[0].ic - 0.8944) < 1e-4, String(days[0].ic));
  assert.ok(Math.abs(days[1].ic + 0.8944) < 1e-4, String(days[1].ic));
  assert.deepEqual(rollingMean([1, 2, 3, 4], 2), [NaN, 1.5, 2.5, 3.5]);
  const s = icSummary([0.1, 0.2, 0.3]);
  assert.ok(Math.abs(s.mean - 0.2) < 1e-12 && Math.abs(s.t - 2 * Math.sqrt(3)) < 1e-9);
});

Deno.test("a retrained universe page lists its folds, a study's as study periods", () => {
  const result = sample({ topK: 2 });
  const fold = {
    train: { first: "2014-01-02", last: "2015-12-31", rows: 3000 },
    test: { first: "2016-01-04", last: "2016-12-30", rows: 1500 },
    bestEpoch: 3,
    auc: 0.512,
    accuracy: 0.5,
    brierSkill: -0.001,
    reversalAuc: 0.49,
    gapReversalAuc: 0.5,
  };
  result.evaluation.folds = [fold, fold];
  const html = universePage(result, "x");
  assert.match(html, /<h2>Walk-forward folds<\/h2>/);
  assert.equal(html.match(/<td>2016-01-04 \.\. 2016-12-30<\/td>/g)?.length, 2);
  assert.match(html, /<td>0\.5120<\/td><td>0\.4900<\/td><td>0\.5000<\/td><td>-0\.0010<\/td>/);
  result.evaluation.model = { study: "fischer-krauss" };
  const study = universePage(result, "x", { page: "backtest" });
  assert.match(study, /<h2>Study periods \(each retrained from scratch\)<\/h2>/);
  assert.match(
    study,
    /<h1>Backtest of the fischer-krauss study on universe six<\/h1>/,
  );
  assert.doesNotMatch(universePage(sample({ topK: 2 }), "x"), /Walk-forward folds|Study periods/);
  result.evaluation.model = { dir: "models/six/v1", version: "v1" };
  assert.match(
    universePage(result, "x", { page: "backtest" }),
    /<h1>Walk-forward backtest of models\/six\/v1 on universe six<\/h1>/,
  );
});

Deno.test("an hourly universe's portfolio counts bars, not days", () => {
  const daily = sample({ topK: 2 }).evaluation;
  assert.match(portfolioText(daily), /each day .* mean\/day/s);
  const hourly = {
    ...daily,
    portfolio: { ...daily.portfolio, interval: "1h" as const, barsPerYear: 8760 },
  };
  const text = portfolioText(hourly);
  assert.match(text, /portfolio: each bar /);
  assert.match(text, /mean\/bar net/);
  assert.doesNotMatch(text, /mean\/day/);
});
