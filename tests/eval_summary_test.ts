import assert from "node:assert/strict";
import { summarizeEvaluation, summarizeWalkForward } from "../src/eval/summary.ts";
import {
  backtestReport,
  evaluationReport,
  formatBacktest,
  formatEvaluation,
  formatWalkForward,
  renderReport,
} from "../src/views/mod.ts";
import { reliabilityBins } from "../src/eval/metrics.ts";
import { runBacktest } from "../src/eval/backtest.ts";
import type { Bar } from "../src/data/types.ts";
import type { SignalPlugin } from "../src/signal/types.ts";
import { createRng } from "../src/util/random.ts";
import { pointCounts } from "./eval_report_fixture.ts";

function rows(n: number) {
  const rng = createRng(17);
  const labels = Array.from({ length: n }, () => (rng.next() < 0.54 ? 1 : 0));
  return {
    probabilities: labels.map((y) =>
      Math.min(1, Math.max(0, 0.5 + (y ? 0.03 : -0.03) + 0.1 * rng.normal()))
    ),
    labels,
    refTimes: labels.map((_, i) => `2024-01-${String(i + 1).padStart(3, "0")}`),
    previousUp: labels.map(() => (rng.next() < 0.5 ? 1 : 0)),
    logisticProbabilities: labels.map(() => 0.5 + 0.05 * rng.normal()),
  };
}

Deno.test("summarizeEvaluation has the --json fields, with baselines counted on the same rows", () => {
  const r = rows(200);
  const s = summarizeEvaluation(r, { seed: 1, resamples: 200 });
  assert.equal(s.rows, 200);
  assert.equal(s.first, r.refTimes[0]);
  assert.equal(s.last, r.refTimes[199]);
  const ups = r.labels.filter((y) => y === 1).length;
  assert.equal(s.baselines.alwaysUp.accuracy, ups / 200);
  const repeats = r.labels.filter((y, i) => y === r.previousUp[i]).length;
  assert.equal(s.baselines.previousDirection.accuracy, repeats / 200);
  assert.equal(typeof s.baselines.logistic?.auc, "number");
  for (const key of ["accuracy", "auc", "brier", "logLoss", "mcc"] as const) {
    assert.equal(typeof s.metrics[key], "number");
  }
  assert.ok(s.pValueVsAlwaysUp > 0 && s.pValueVsAlwaysUp <= 1);
  assert.ok(s.verdict.includes("edge over always-up"));
  for (const key of ["brierSkill", "logLossSkill"] as const) {
    assert.equal(typeof s.metrics[key], "number");
    assert.equal(s.intervals[key].estimate, s.metrics[key]);
  }
  assert.equal(typeof s.baselines.climatology.brier, "number");
  assert.match(
    s.baselines.climatology.fittedOn,
    /^the earliest 50% of the evaluated rows \(100 rows/,
  );
  assert.ok(s.verdict.endsWith(`; ${s.probabilityVerdict}`));
  assert.doesNotThrow(() => JSON.parse(JSON.stringify(s)));
});

Deno.test("formatEvaluation prints the intervals, the baselines and the verdict", () => {
  const s = summarizeEvaluation(rows(150), { seed: 2, resamples: 100 });
  const text = formatEvaluation(s);
  const accuracyLine = text.split("\n").find((l) => l.startsWith("accuracy"))!;
  assert.ok(accuracyLine.includes(s.metrics.accuracy.toFixed(4)));
  assert.ok(accuracyLine.includes(`[${s.intervals.accuracy.lower.toFixed(4)}, `));
  assert.ok(accuracyLine.includes(s.baselines.alwaysUp.accuracy.toFixed(4)));
  assert.ok(text.endsWith(s.verdict));
});

Deno.test("evaluationReport renders ROC, the reliability diagram of equal-count bins and the histogram", () => {
  const r = rows(120);
  const s = summarizeEvaluation(r, { seed: 3, resamples: 50 });
  const input = evaluationReport(r, s, { title: "t" });
  const html = renderReport(input);
  const counts = pointCounts(html);
  assert.equal(counts["histogram/bins"], 20);
  assert.equal(counts["roc/model"], new Set(r.probabilities).size + 1);
  const bins = reliabilityBins(r.probabilities, r.labels);
  assert.deepEqual(input.calibration, bins);
  assert.equal(counts["calibration/observed"], bins.length);
  assert.equal(bins.reduce((sum, b) => sum + b.count, 0), 120, "every row in a bin");
  assert.match(html, new RegExp(`data-counts="${bins.map((b) => b.count).join(",")}"`));
  assert.ok(
    html.includes(`Brier skill ${s.metrics.brierSkill.toFixed(4)} [`),
    "skill on the chart",
  );
  assert.ok(html.includes(`ROC curve (AUC ${s.metrics.auc.toFixed(3)})`), "AUC on the ROC chart");
});

Deno.test("backtestReport draws one equity and drawdown point per bar and formatBacktest lists both arms", async () => {
  const bars: Bar[] = Array.from({ length: 30 }, (_, i) => ({
    time: `2024-02-${String(i + 1).padStart(2, "0")}`,
    open: 100 + i,
    high: 102 + i,
    low: 99 + i,
    close: 101 + i,
    volume: 1,
  }));
  const plugin: SignalPlugin = {
    name: "half",
    warmupBars: 0,
    init: () => Promise.resolve(),
    onBar: (symbol, bar) =>
      Promise.resolve({
        symbol,
        time: bar.time,
        probabilityUp: 0.7,
        direction: "up",
        confidence: 0.4,
        horizonBars: 1,
        status: "ok",
        model: { id: "t", version: "v1", trainedThrough: null },
      }),
    predict: () => Promise.reject(new Error("unused")),
    dispose: () => {},
  };
  const result = await runBacktest(bars, plugin, { symbol: "X" });
  const counts = pointCounts(renderReport(backtestReport(result, { title: "bt" })));
  assert.equal(counts["equity/strategy"], 29);
  assert.equal(counts["equity/buy-and-hold"], 29);
  assert.equal(counts["drawdown/drawdown"], 29);
  const text = formatBacktest([["model", result.stats], ["buy-and-hold", result.buyAndHold.stats]]);
  assert.match(text.split("\n")[0], /model\s+buy-and-hold/);
  assert.ok(text.includes(result.stats.totalReturn.toFixed(4)));
});

Deno.test("walk-forward pooling scores every fold's rows together and lists each fold", () => {
  const all = rows(300);
  const slice = (a: number, b: number) => ({
    probabilities: all.probabilities.slice(a, b),
    labels: all.labels.slice(a, b),
    refTimes: all.refTimes.slice(a, b),
    previousUp: all.previousUp.slice(a, b),
    logisticProbabilities: all.logisticProbabilities.slice(a, b),
  });
  const wf = summarizeWalkForward([slice(0, 100), slice(100, 220), slice(220, 300)], {
    seed: 5,
    resamples: 50,
  });
  const whole = summarizeEvaluation(all, { seed: 5, resamples: 50 });
  assert.deepEqual(wf.pooled, whole);
  assert.deepEqual(wf.folds.map((f) => f.rows), [100, 120, 80]);
  const text = formatWalkForward(wf);
  assert.match(text, /^fold\s+rows/);
  assert.match(text.split("\n")[4], /^pooled\s+300\s/);
  assert.ok(text.endsWith(`pooled: ${whole.verdict}`));
  assert.throws(
    () => summarizeWalkForward([slice(100, 200), slice(0, 100)]),
    /Expected folds in time order without overlap, found fold 2 starting/,
  );
});
