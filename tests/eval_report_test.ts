import assert from "node:assert/strict";
import { escapeHtml, renderReport } from "../src/eval/report.ts";
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
