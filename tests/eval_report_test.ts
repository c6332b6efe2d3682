import assert from "node:assert/strict";
import { renderReport } from "../src/views/html.ts";
import { escapeHtml } from "../src/views/charts.ts";
import { calibrationTable, reliabilityBins } from "../src/eval/metrics.ts";
import {
  compareReport,
  pointCounts,
  sampleReport,
  walkForwardSample,
} from "./eval_report_fixture.ts";

Deno.test("the report draws every chart with the expected number of points", () => {
  const { input, expected } = sampleReport();
  assert.deepEqual(pointCounts(renderReport(input)), expected);
});

Deno.test("the report references nothing outside itself", () => {
  const html = renderReport(sampleReport().input);
  for (
    const pattern of [
      /\bsrc\s*=/i,
      /\bhref\s*=/i,
      /url\(/i,
      /@import/i,
      /https?:/i,
      /<link\b/i,
      /<img\b/i,
    ]
  ) {
    assert.doesNotMatch(html, pattern);
  }
  assert.equal(html.match(/<script>/g)?.length, 1, "only the one inline script");
});

Deno.test("the report escapes text", () => {
  const html = renderReport(sampleReport().input);
  assert.ok(
    html.includes("<title>AAPL &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co</title>"),
  );
  assert.ok(!html.includes(`<script>alert`));
  assert.equal(escapeHtml(`a'b`), "a&#39;b");
});

Deno.test("the report leaves out charts it has no data for", () => {
  const html = renderReport({ title: "empty" });
  assert.deepEqual(pointCounts(html), {});
  assert.ok(html.includes("<h1>empty</h1>"));
});

Deno.test("the report rejects equity and dates of different lengths", () => {
  assert.throws(
    () =>
      renderReport({ title: "x", equity: { strategy: [1, 2], buyAndHold: [1, 2], dates: ["a"] } }),
    /Expected one equity value per date, found 2 strategy and 2 buy-and-hold values for 1 dates/,
  );
});

/** The plot area's top edge (`<rect … class="plot"/>`) of one chart in rendered HTML. */
function chartOf(html: string, id: string): string {
  const start = html.indexOf(`<svg data-chart="${id}"`);
  assert.ok(start >= 0, `chart ${id}`);
  return html.slice(start, html.indexOf("</svg>", start));
}

Deno.test("every chart has more than two tick labels on each axis, and legends sit above the plot, off the lines", () => {
  const html = renderReport(sampleReport().input);
  for (const id of ["loss", "accuracy", "roc", "calibration", "histogram", "equity", "drawdown"]) {
    const svg = chartOf(html, id);
    for (const axis of ["x", "y"]) {
      const ticks = Number(new RegExp(`data-axis="${axis}" data-ticks="(\\d+)"`).exec(svg)![1]);
      assert.ok(ticks > 2, `${id}: ${ticks} ${axis} ticks`);
    }
    const plotTop = Number(/<rect x="[\d.]+" y="([\d.]+)"[^>]*class="plot"/.exec(svg)![1]);
    // Legend swatches are drawn as <line …/> or <circle …/> before the plot; their text follows.
    for (const m of svg.matchAll(/<text x="[\d.]+" y="([\d.]+)" fill="#333">/g)) {
      assert.ok(
        Number(m[1]) < plotTop,
        `${id}: legend text at y ${m[1]} below the plot top ${plotTop}`,
      );
    }
  }
  // Round month ticks over the fixture's ten months (Jan to Oct 2024), every other month.
  assert.match(chartOf(html, "equity"), />Jan 2024</, "dates as tick labels");
});

Deno.test("the ROC chart states its AUC, equal to the rank statistic of the same rows", () => {
  const { input } = sampleReport();
  const html = renderReport(input);
  const labels = input.roc!; // the fixture's curve: recompute its area independently
  let area = 0;
  for (let i = 1; i < labels.length; i++) {
    area += (labels[i].fpr - labels[i - 1].fpr) * (labels[i].tpr + labels[i - 1].tpr) / 2;
  }
  assert.ok(chartOf(html, "roc").includes(`ROC curve (AUC ${area.toFixed(3)})`));
  assert.ok(area > 0.6, "the fixture's probabilities carry signal");
});

Deno.test("the reliability diagram labels every point with its row count and zooms in when every probability sits near 0.5", () => {
  const probabilities = Array.from({ length: 200 }, (_, i) => 0.47 + 0.06 * (i / 199));
  const labels = probabilities.map((_, i) => (i % 3 === 0 ? 0 : 1));
  const bins = reliabilityBins(probabilities, labels);
  const html = renderReport({
    title: "near 0.5",
    calibration: bins,
    reliability: {
      baseRate: 0.55,
      brierSkill: { estimate: 0.0123, lower: -0.004, upper: 0.03 },
      logLossSkill: { estimate: 0.01, lower: -0.005, upper: 0.025 },
    },
    probabilities,
  });
  const svg = chartOf(html, "calibration");
  assert.match(
    svg,
    /data-series="observed" data-points="10" data-counts="20,20,20,20,20,20,20,20,20,20"/,
  );
  assert.equal(svg.match(/class="count">20<\/text>/g)?.length, 10, "a count beside every point");
  // Predictions 0.47–0.53 and observed rates near 2/3: both axes show 0.45–0.75.
  assert.match(svg, /axes zoomed to 0\.45–0\.75/);
  assert.match(
    svg,
    /Brier skill 0\.0123 \[-0\.0040, 0\.0300\], log-loss skill 0\.0100 \[-0\.0050, 0\.0250\]/,
  );
  assert.match(svg, /base rate 0\.550/);
  // Tick labels inside the zoomed range only.
  const ticks = [...svg.matchAll(/text-anchor="middle">(0\.\d+)<\/text>/g)].map((m) =>
    Number(m[1])
  );
  assert.ok(ticks.length > 2 && ticks.every((t) => t >= 0.45 && t <= 0.75), String(ticks));
  assert.match(chartOf(html, "histogram"), /zoomed to 0\.45–0\.55/);
  // Spread-out probabilities keep the full [0, 1] square.
  const wide = renderReport({ title: "wide", calibration: calibrationTable([0.1, 0.9], [0, 1]) });
  assert.doesNotMatch(chartOf(wide, "calibration"), /zoomed/);
});

/** The `data-series` → `data-points` pairs of one chart. */
function seriesOf(svg: string): Record<string, number> {
  return Object.fromEntries(
    [...svg.matchAll(/data-series="([^"]+)" data-points="(\d+)"/g)].map((
      m,
    ) => [m[1], Number(m[2])]),
  );
}

Deno.test("the A/B backtest report shows the arms as columns, curves, drawdowns and position lanes, with a line at 1.0, shading and trade marks", async () => {
  const { input, result, comparison } = await compareReport();
  const html = renderReport(input);
  const n = result.times.length;
  assert.ok(n > 300, `${n} bars`);
  assert.match(
    html,
    /<th><\/th><th>model<\/th><th>buy-and-hold<\/th><th>rule alone<\/th><th>rule \+ model<\/th>/,
  );
  assert.ok(
    html.includes(`<td>total return</td><td>${result.stats.totalReturn.toFixed(4)}</td>`),
  );
  assert.ok(html.includes(`<td>${comparison.filtered.stats.totalReturn.toFixed(4)}</td>`));
  // The arms share the strategy's bars here, so every curve has a point per bar.
  const equity = chartOf(html, "equity");
  assert.deepEqual(seriesOf(equity), {
    "buy-and-hold": n,
    "rule alone": n,
    "rule + model": n,
    strategy: n,
  });
  // The reference line at 1.0 sits inside the plot, at the height of equity 1.
  const plot = /<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" class="plot"/.exec(
    equity,
  )!;
  const ref = /<line x1="[\d.]+" y1="([\d.]+)"[^>]*data-reference="1"/.exec(equity);
  assert.ok(ref, "a line at 1.0");
  const top = Number(plot[1]), bottom = top + Number(plot[2]);
  assert.ok(Number(ref[1]) > top && Number(ref[1]) < bottom, `1.0 at y ${ref[1]}`);
  assert.match(equity, /1\.0 \(start\)/);
  // One shaded span per run of longs, counted independently of the renderer.
  const runs =
    result.positions.filter((p, i) => p !== 0 && (i === 0 || result.positions[i - 1] !== p))
      .length;
  assert.ok(runs > 2);
  assert.match(equity, new RegExp(`data-shading="strategy" data-spans="${runs}"`));
  const closed = result.trades.filter((t) => !t.open).length;
  assert.match(
    equity,
    new RegExp(
      `data-trades="strategy" data-entries="${result.trades.length}" data-exits="${closed}"`,
    ),
  );
  assert.equal(equity.match(/<path d="M/g)?.length, result.trades.length + closed);
  // Drawdowns of the strategy, each arm and buy-and-hold, in percent.
  const drawdown = chartOf(html, "drawdown");
  assert.deepEqual(seriesOf(drawdown), {
    "buy-and-hold": n,
    "rule alone": n,
    "rule + model": n,
    drawdown: n,
  });
  assert.match(drawdown, />-?\d+%<\/text>/);
  const deepest = (100 * result.buyAndHold.stats.maxDrawdown).toFixed(1);
  assert.match(drawdown, new RegExp(`buy-and-hold ${deepest.replace(".", "\\.")}%`));
  // One lane per strategy.
  const lanes = [...chartOf(html, "positions").matchAll(/data-lane="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(lanes, ["model", "rule alone", "rule + model"]);
});

Deno.test("the walk-forward report has the per-fold table, each fold's scores against always-up and the base rate, and each fold's training curves", () => {
  const { input, folds } = walkForwardSample();
  const html = renderReport(input);
  const section = html.slice(html.indexOf("<h2>Walk-forward folds</h2>"));
  const body = section.slice(section.indexOf("<tbody>"), section.indexOf("</tbody>"));
  assert.equal(body.match(/<tr>/g)?.length, folds + 1, "a row per fold and a pooled row");
  assert.match(body, /<tr><td>pooled<\/td>/);
  assert.deepEqual(seriesOf(chartOf(html, "fold-accuracy")), { "always-up": 4, model: 4 });
  assert.match(chartOf(html, "fold-accuracy"), /data-ticks="4"/);
  const skill = chartOf(html, "fold-skill");
  assert.deepEqual(seriesOf(skill), { "brier skill": 4 });
  assert.match(skill, /data-intervals="4"/);
  assert.match(skill, /data-reference="0"/);
  assert.match(skill, /0 = the base rate \(climatology\)/);
  assert.match(skill, /data-pooled="/);
  const loss = seriesOf(chartOf(html, "fold-loss"));
  assert.equal(Object.keys(loss).length, 2 * folds, "training and validation curves per fold");
  assert.equal(loss["fold 3 val_loss"], 3);
  assert.equal(chartOf(html, "fold-loss").match(/data-best="/g)?.length, folds);
  assert.ok(!html.includes(`data-chart="loss"`), "no saved model's training curves");
});
