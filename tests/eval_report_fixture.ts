/** A report input with known point counts, shared by the report tests. */
import { calibrationTable, rocCurve } from "../src/eval/metrics.ts";
import type { ReportInput } from "../src/eval/report.ts";
import { createRng } from "../src/util/random.ts";

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
