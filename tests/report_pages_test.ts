/**
 * The single-symbol pages' fixes of issue 24: the reliability line is the scored rows' base
 * rate, a beats-median model is described in its label's words, table figures never print as a
 * bare 1 or 0 beside four-decimal ones, the backtest's Sharpe carries its interval, the folds
 * table wraps, and curves or points that coincide are named under their chart.
 */
import assert from "node:assert/strict";
import { renderReport } from "../src/views/html.ts";
import { evaluationReport } from "../src/views/evaluation.ts";
import { formatBacktest } from "../src/views/backtest.ts";
import { tableHtml } from "../src/views/charts.ts";
import { summarizeEvaluation } from "../src/eval/summary.ts";
import { compareReport, walkForwardSample } from "./eval_report_fixture.ts";

/** 200 scored rows with 60% ups, and a climatology from training rows with 50% ups. */
function scored() {
  const labels = Array.from({ length: 200 }, (_, i) => (i % 5 < 3 ? 1 : 0));
  const rows = {
    probabilities: labels.map((y, i) => 0.5 + (y ? 0.03 : -0.03) + 0.01 * Math.sin(i)),
    labels,
    refTimes: labels.map((_, i) =>
      `2024-${String(1 + Math.floor(i / 28)).padStart(2, "0")}-${
        String(1 + (i % 28)).padStart(2, "0")
      }`
    ),
    previousUp: labels.map((_, i) => labels[(i + 199) % 200]),
    climatology: { probabilities: labels.map(() => 0.5), fittedOn: "training rows" },
  };
  return { rows, summary: summarizeEvaluation(rows, { seed: 1 }) };
}

Deno.test("the reliability diagram's base-rate line is the scored rows' share of up, not the training base rate", () => {
  const { rows, summary } = scored();
  assert.equal(summary.baselines.climatology.baseRate, 0.5);
  const html = renderReport(evaluationReport(rows, summary, { title: "t" }));
  assert.match(html, /base rate 0\.600 \(of the scored rows\)/);
  assert.doesNotMatch(html, /base rate 0\.500 \(of the scored rows\)/);
  assert.match(html, /their base rate \(share up\) 0\.600/);
});

Deno.test("a beats-median model's probabilities are described as beating the median, never as up", () => {
  const { rows, summary } = scored();
  const html = renderReport(evaluationReport(rows, summary, { title: "t", label: "beats-median" }));
  assert.match(html, /Predicted probability of beating the median/);
  assert.match(html, /mean predicted probability of beating the median/);
  assert.match(html, /observed share of beating the median/);
  assert.doesNotMatch(html, /probability of up|share of up|share up/);
});

Deno.test("HTML tables print every figure to four decimals and counts as whole numbers", () => {
  assert.equal(
    tableHtml({ headers: ["a", "b"], rows: [["x", 1], ["y", 0.5], ["z", null]] }),
    '<div class="table"><table><thead><tr><th>a</th><th>b</th></tr></thead><tbody>' +
      "<tr><td>x</td><td>1.0000</td></tr><tr><td>y</td><td>0.5000</td></tr><tr><td>z</td><td>–</td></tr>" +
      "</tbody></table></div>",
  );
  const text = formatBacktest([
    ["model", {
      totalReturn: 0.1,
      annualReturn: 0.05,
      volatility: 0.2,
      sharpe: 0.25,
      sortino: 0.3,
      maxDrawdown: 0.1,
      hitRate: 0.5,
      exposure: 0.75,
      turnover: 12,
      trades: 6,
    }],
    ["buy-and-hold", {
      totalReturn: 0.2,
      annualReturn: 0.1,
      volatility: 0.2,
      sharpe: 0.5,
      sortino: 0.6,
      maxDrawdown: 0.2,
      hitRate: 1,
      exposure: 1,
      turnover: 1,
      trades: 1,
    }],
  ]);
  assert.match(text, /hit rate\s+0\.5000\s+1\.0000/);
  assert.match(text, /exposure\s+0\.7500\s+1\.0000/);
  assert.match(text, /trades\s+6\s+1\b/);
  assert.match(text, /turnover\s+12\s+1\b/);
});

Deno.test("the backtest page gives each arm's Sharpe with its 95% interval and says the figures are after costs", async () => {
  const { input, result } = await compareReport();
  const html = renderReport(input);
  const sharpe = result.stats.sharpe.toFixed(4).replace("-", "\\-").replace(".", "\\.");
  assert.match(
    html,
    new RegExp(
      `<td>Sharpe \\[95%\\]</td><td>${sharpe} \\[-?\\d+\\.\\d\\d, -?\\d+\\.\\d\\d\\]</td>`,
    ),
  );
  assert.match(html, /Every figure and chart is after costs/);
  assert.match(html, /as the table&#39;s max drawdown/);
});

Deno.test("the walk-forward folds table wraps instead of hiding its last columns", () => {
  const html = renderReport(walkForwardSample().input);
  assert.match(html, /<h2>Walk-forward folds<\/h2>\n<div class="table"><table class="wrap">/);
  assert.match(html, /table\.wrap th,table\.wrap td\.w\{white-space:normal\}/);
  // Only a figure with its interval may break; dates and single figures stay on one line.
  assert.match(
    html,
    /<td class="w">-?\d\.\d{4} <span>\[-?\d\.\d{4}, -?\d\.\d{4}\]<\/span><\/td>/,
  );
  assert.doesNotMatch(html, /<td class="w">\d{4}-/);
});

Deno.test("a model that scores exactly as always-up in every fold is named under the fold chart", () => {
  const { input } = walkForwardSample();
  const folds = input.folds!;
  const same = {
    ...input,
    folds: { ...folds, scores: folds.scores.map((s) => ({ ...s, accuracy: s.alwaysUp })) },
  };
  assert.match(renderReport(same), /model coincides with always-up \(drawn on top of each other\)/);
  assert.doesNotMatch(renderReport(input), /coincides with always-up/);
});
