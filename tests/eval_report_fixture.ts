/** A report input with known point counts, shared by the report tests. */
import { calibrationTable, rocCurve } from "../src/eval/metrics.ts";
import { backtestReport, type ReportInput, walkForwardReport } from "../src/views/mod.ts";
import { createRng } from "../src/util/random.ts";
import {
  type BacktestResult,
  type ComparisonResult,
  maCrossoverRule,
  runBacktest,
  runComparison,
} from "../src/eval/backtest.ts";
import { type EvaluationRows, summarizeWalkForward } from "../src/eval/summary.ts";
import { generateSyntheticBars } from "../src/data/providers/synthetic.ts";

/** The input and the point count each chart's series must show. */
export function sampleReport(): { input: ReportInput; expected: Record<string, number> } {
  const rng = createRng(3);
  const labels = Array.from({ length: 300 }, () => (rng.next() < 0.55 ? 1 : 0));
  // Two decimals make ties, so the ROC curve has fewer points than rows.
  const probs = labels.map((y) =>
    Math.round(100 * Math.min(1, Math.max(0, 0.5 + (y ? 0.08 : -0.08) + 0.15 * rng.normal()))) / 100
  );
  const roc = rocCurve(probs, labels);
  const calibration = calibrationTable(probs, labels);
  const history = Array.from({ length: 12 }, (_, i) => ({
    epoch: i + 1,
    loss: 0.7 - 0.01 * i,
    accuracy: 0.5 + 0.01 * i,
    val_loss: 0.69 + 0.002 * i,
    val_accuracy: 0.52,
  }));
  const dates = Array.from(
    { length: 250 },
    (_, i) =>
      `2024-${String(1 + Math.floor(i / 25)).padStart(2, "0")}-${
        String(1 + (i % 25)).padStart(2, "0")
      }`,
  );
  const strategy = dates.map((_, i) => 1 + 0.001 * i + 0.02 * Math.sin(i / 9));
  const buyAndHold = dates.map((_, i) => 1 + 0.0012 * i);
  let peak = 1;
  const drawdown = strategy.map((e) => 1 - e / (peak = Math.max(peak, e)));
  const input: ReportInput = {
    title: `AAPL <script>alert("x")</script> & co`,
    summary: ["no evidence of an edge over always-up (p = 0.41)"],
    metricsTable: {
      headers: ["metric", "model", "always-up"],
      rows: [["accuracy", 0.53, 0.55], ["auc", 0.51, null]],
    },
    history,
    roc,
    calibration,
    probabilities: probs,
    equity: { strategy, buyAndHold, dates },
    drawdown,
  };
  return {
    input,
    expected: {
      "loss/loss": 12,
      "loss/val_loss": 12,
      "accuracy/accuracy": 12,
      "accuracy/val_accuracy": 12,
      "roc/model": roc.length,
      "calibration/observed": calibration.filter((b) => b.count > 0).length,
      "histogram/bins": 20,
      "equity/strategy": 250,
      "equity/buy-and-hold": 250,
      "drawdown/drawdown": 250,
      "drawdown/buy-and-hold": 250,
    },
  };
}

/** The `chart/series → data-points` pairs found in rendered HTML or a dumped DOM. */
export function pointCounts(html: string): Record<string, number> {
  const found: Record<string, number> = {};
  for (const chart of html.split(/<svg /).slice(1)) {
    const id = /data-chart="([^"]+)"/.exec(chart)![1];
    for (const m of chart.matchAll(/data-series="([^"]+)" data-points="(\d+)"/g)) {
      found[`${id}/${m[1]}`] = Number(m[2]);
    }
  }
  return found;
}

/**
 * A backtest report of the A/B test on seeded synthetic bars: a 5/15 crossover as the
 * "model" strategy, and the 10/30 crossover alone and filtered by the 5/15 one as the arms.
 * No training: the plugins are rules, so the page is cheap and deterministic.
 */
export async function compareReport(): Promise<
  { input: ReportInput; result: BacktestResult; comparison: ComparisonResult }
> {
  const bars = generateSyntheticBars("SPY", { start: "2023-01-01", end: "2024-06-30", seed: 7 });
  const options = { symbol: "SPY", startIndex: 40 };
  const result = await runBacktest(bars, maCrossoverRule({ fast: 5, slow: 15 }), options);
  const comparison = await runComparison(bars, maCrossoverRule({ fast: 5, slow: 15 }), {
    ...options,
    fast: 10,
    slow: 30,
  });
  return {
    input: backtestReport(result, { title: "A/B test", comparison }),
    result,
    comparison,
  };
}

/** Walk-forward folds (seeded rows, four folds with three-epoch histories) and their report input. */
export function walkForwardSample(): { input: ReportInput; folds: number } {
  const rng = createRng(5);
  const parts: EvaluationRows[] = [0, 1, 2, 3].map((f) => {
    const n = 120;
    const labels = Array.from({ length: n }, () => (rng.next() < 0.53 ? 1 : 0));
    return {
      probabilities: labels.map((y) => 0.5 + (y ? 0.02 : -0.02) + 0.05 * rng.normal()),
      labels,
      refTimes: Array.from({ length: n }, (_, i) => `202${f}-${String(1 + i).padStart(4, "0")}`),
      previousUp: labels.map(() => (rng.next() < 0.5 ? 1 : 0)),
    };
  });
  const wf = summarizeWalkForward(parts, { seed: 1 });
  const folds = wf.folds.map((s, f) => ({
    ...s,
    bestEpoch: 2,
    history: [1, 2, 3].map((epoch) => ({
      epoch,
      loss: 0.7 - 0.01 * epoch - 0.001 * f,
      accuracy: 0.5 + 0.01 * epoch,
      val_loss: 0.695 - 0.002 * epoch,
      val_accuracy: 0.51,
    })),
  }));
  const rows = {
    probabilities: parts.flatMap((p) => Array.from(p.probabilities)),
    labels: parts.flatMap((p) => Array.from(p.labels)),
    refTimes: parts.flatMap((p) => p.refTimes),
    previousUp: parts.flatMap((p) => Array.from(p.previousUp)),
  };
  return {
    input: walkForwardReport(rows, { folds, pooled: wf.pooled }, { title: "Walk-forward" }),
    folds: folds.length,
  };
}
