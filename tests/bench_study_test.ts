/**
 * The bench's study rows in words (`src/bench/study.ts`): the ratio is against PyTorch's best
 * thread count for the shape, and a missing anchor says why.
 */
import assert from "node:assert/strict";
import { formatStudy, STUDY_WORKLOAD, type StudyRow } from "../src/bench/study.ts";

function row(
  features: number,
  threads: number,
  trainPerS: number,
  torchPerS?: number,
  torchPredictPerS?: number,
): StudyRow {
  return {
    features,
    threads,
    windows: 8192,
    predictWindows: 8192,
    seed: 42,
    trainPerS,
    epochS: 100_000 / trainPerS,
    predictPerS: 5000,
    peakRssMb: 200,
    ...(torchPerS === undefined ? {} : { torchPerS }),
    ...(torchPredictPerS === undefined ? {} : { torchPredictPerS }),
  };
}

Deno.test("study rows compare with PyTorch's best thread count, not the same count", () => {
  const text = formatStudy({
    workload: STUDY_WORKLOAD,
    rows: [row(3, 1, 6000, 1200, 2500), row(3, 2, 8000, 700, 2000)],
  });
  const lines = text.split("\n").filter((l) => l.startsWith("| 240"));
  assert.equal(lines.length, 2);
  // Training against 1,200 (the best), prediction (5,000 a second) against 2,500.
  assert.match(lines[0], /\| 1200 \| 5\.0× \| 2500 \| 2\.0× \|$/, lines[0]);
  assert.match(lines[1], /\| 700 \| 6\.7× \| 2000 \| 2\.0× \|$/, lines[1]);
});

Deno.test("study rows without the anchor say why and give no ratio", () => {
  const text = formatStudy({
    workload: STUDY_WORKLOAD,
    rows: [row(1, 1, 6000)],
    anchor: "PyTorch is not installed (apt-get install -y python3-torch libopenblas0-pthread)",
  });
  assert.match(text, /\| - \| - \| - \| - \|$/m);
  assert.match(text, /PyTorch anchor not run: PyTorch is not installed \(apt-get install/);
  assert.equal(formatStudy(null), "study: failed");
});
