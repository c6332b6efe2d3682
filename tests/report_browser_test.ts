/**
 * Renders the HTML report in a real headless Chromium: the page must load
 * without console errors, its inline script must run, and the rendered DOM
 * must carry the expected chart point counts. Needs /usr/bin/chromium
 * (`apt-get install -y chromium`; `.ci/run` installs it).
 */
import assert from "node:assert/strict";
import { renderReport } from "../src/views/html.ts";
import {
  compareReport,
  pointCounts,
  sampleReport,
  walkForwardSample,
} from "./eval_report_fixture.ts";

const CHROMIUM = "/usr/bin/chromium";

async function requireChromium(): Promise<void> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(
      `Expected ${CHROMIUM} for the headless report test, found none: install it with "apt-get update && apt-get install -y chromium" (.ci/run does this)`,
    );
  }
}

/** Loads `html` from a file in headless Chromium; returns the dumped DOM and the console lines. */
async function loadInChromium(html: string): Promise<{ dom: string; console: string[] }> {
  await requireChromium();
  const dir = await Deno.makeTempDir({ prefix: "report_browser_" });
  try {
    const page = `${dir}/report.html`;
    await Deno.writeTextFile(page, html);
    const output = await new Deno.Command(CHROMIUM, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        `--user-data-dir=${dir}/profile`,
        "--enable-logging=stderr",
        "--v=0",
        "--dump-dom",
        `file://${page}`,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000),
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, `chromium exited with ${output.code}: ${stderr.slice(-2000)}`);
    return {
      dom: new TextDecoder().decode(output.stdout),
      console: stderr.split("\n").filter((line) => /CONSOLE|Uncaught/.test(line)),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the report renders in headless Chromium without console errors and with every chart's points", async () => {
  const { input, expected } = sampleReport();
  const { dom, console } = await loadInChromium(renderReport(input));
  assert.deepEqual(console, []);
  assert.match(dom, /<body data-charts="7">/, "the inline script ran and counted 7 charts");
  assert.deepEqual(pointCounts(dom), expected);
});

Deno.test("the A/B backtest and walk-forward pages render in headless Chromium with their arms and folds", async () => {
  const { input, result } = await compareReport();
  const n = result.times.length;
  const ab = await loadInChromium(renderReport(input));
  assert.deepEqual(ab.console, []);
  assert.match(
    ab.dom,
    /<body data-charts="7">/,
    "equity, drawdown and positions; the tear sheet's monthly returns, rolling Sharpe and volatility, and turnover",
  );
  for (const id of ["equity", "drawdown", "positions", "monthly-returns", "turnover"]) {
    assert.match(ab.dom, new RegExp(`<svg data-chart="${id}"`), id);
  }
  const counts = pointCounts(ab.dom);
  for (const arm of ["strategy", "buy-and-hold", "rule alone", "rule + model"]) {
    assert.equal(counts[`equity/${arm}`], n, arm);
  }
  assert.equal(counts["drawdown/buy-and-hold"], n);
  assert.match(ab.dom, /data-reference="1"/);
  assert.equal(ab.dom.match(/data-lane="/g)?.length, 3);

  const wf = await loadInChromium(renderReport(walkForwardSample().input));
  assert.deepEqual(wf.console, []);
  // Folds: accuracy, Brier skill, and each fold's loss and accuracy; then ROC, reliability, histogram.
  assert.match(wf.dom, /<body data-charts="7">/);
  assert.equal(pointCounts(wf.dom)["fold-accuracy/model"], 4);
  assert.match(wf.dom, /<tr><td>pooled<\/td>/);
});

Deno.test("the headless check does catch a page with a script error", async () => {
  const { console } = await loadInChromium(
    "<!DOCTYPE html><html><body><script>notDefined();</script></body></html>",
  );
  assert.equal(console.length, 1);
  assert.match(console[0], /Uncaught ReferenceError: notDefined is not defined/);
});
