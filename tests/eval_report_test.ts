import assert from "node:assert/strict";
import { escapeHtml, renderReport } from "../src/eval/report.ts";
import { calibrationTable, reliabilityBins } from "../src/eval/metrics.ts";
import { pointCounts, sampleReport } from "./eval_report_fixture.ts";

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
  assert.match(chartOf(html, "equity"), />2024-01-01</, "dates as tick labels");
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
