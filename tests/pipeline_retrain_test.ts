/**
 * The retrain pipeline's pure parts, directly: where the holdout is cut and
 * whether a candidate replaces the current version. The end-to-end command
 * is in retrain_cli_test.ts.
 */
import assert from "node:assert/strict";
import type { Bar } from "../src/data/types.ts";
import {
  holdoutCut,
  promotionDecision,
  type PromotionInput,
  RETRAIN_METRICS,
} from "../src/pipeline/retrain.ts";
import { MIN_EVALUATION_ROWS } from "../src/pipeline/score.ts";
import { DataError } from "../src/util/errors.ts";

/** `n` daily bars from 2020-01-01, bar i closing at 100 + i. */
function bars(n: number): Bar[] {
  return Array.from({ length: n }, (_, i) => {
    const time = new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10);
    const close = 100 + i;
    return { time, open: close, high: close + 1, low: close - 1, close, volume: 1000 };
  });
}

const BASE: PromotionInput = {
  metric: "log-loss",
  tolerance: 0,
  candidate: 0.69,
  current: 0.69,
  interrupted: false,
  dryRun: false,
  modelRoot: "models/m",
};

Deno.test("holdoutCut holds out the last labelled windows and keeps every bar before them", () => {
  const all = bars(500);
  const cut = holdoutCut(all, { rows: 100, horizon: 1, needed: 200 });
  assert.equal(cut.rows, 100);
  assert.equal(cut.lastIndex, 498, "the last bar has no label one bar ahead");
  assert.equal(cut.firstIndex, 399);
  assert.equal(cut.first, all[399].time);
  assert.equal(cut.last, all[498].time);
  assert.deepEqual(cut.before, all.slice(0, 399));
});

Deno.test("holdoutCut moves the holdout back by the horizon", () => {
  const all = bars(500);
  const cut = holdoutCut(all, { rows: 50, horizon: 5, needed: 10 });
  assert.equal(cut.last, all[494].time);
  assert.equal(cut.first, all[445].time);
  assert.equal(cut.before.length, 445);
});

Deno.test("holdoutCut defaults to 15% of the bars, and to at least the evaluation minimum", () => {
  assert.equal(holdoutCut(bars(1305), { horizon: 1, needed: 10 }).rows, 196);
  assert.equal(holdoutCut(bars(100), { horizon: 1, needed: 10 }).rows, MIN_EVALUATION_ROWS);
});

Deno.test("holdoutCut fails with the bars needed and found when too few remain before the holdout", () => {
  assert.throws(
    () => holdoutCut(bars(300), { rows: 250, horizon: 1, needed: 100, ticker: "SPY" }),
    (error: unknown) => {
      assert.ok(error instanceof DataError);
      assert.equal(
        error.message,
        "Expected at least 100 bars before a 250-row holdout of SPY to train the candidate, found 49 of 300 bars (use a smaller --holdout or more data)",
      );
      return true;
    },
  );
  // Exactly `needed` bars before the holdout is enough.
  assert.equal(holdoutCut(bars(300), { rows: 199, horizon: 1, needed: 100 }).before.length, 100);
});

Deno.test("promotionDecision promotes a candidate equal to the current version at tolerance 0", () => {
  const d = promotionDecision(BASE);
  assert.equal(d.accept, true);
  assert.equal(d.decision, "promoted");
  assert.equal(
    d.reason,
    "candidate log loss 0.6900 vs current 0.6900: equal, within the tolerance 0",
  );
});

Deno.test("promotionDecision promotes a better candidate and says by how much", () => {
  const d = promotionDecision({ ...BASE, candidate: 0.68, current: 0.7 });
  assert.equal(d.decision, "promoted");
  assert.match(d.reason, /better by 0\.0200, within the tolerance 0$/);
});

Deno.test("promotionDecision rejects a candidate worse by more than the tolerance", () => {
  const d = promotionDecision({ ...BASE, tolerance: 0.005, candidate: 0.70, current: 0.69 });
  assert.equal(d.accept, false);
  assert.equal(d.decision, "rejected");
  assert.match(d.reason, /worse by 0\.0100, beyond the tolerance 0\.005$/);
});

Deno.test("promotionDecision accepts a candidate worse by less than the tolerance", () => {
  const d = promotionDecision({ ...BASE, tolerance: 0.02, candidate: 0.70, current: 0.69 });
  assert.equal(d.decision, "promoted");
  assert.match(d.reason, /worse by 0\.0100, within the tolerance 0\.02$/);
});

Deno.test("promotionDecision reads a higher-is-better metric the other way round", () => {
  assert.equal(RETRAIN_METRICS.auc.lowerIsBetter, false);
  const worse = promotionDecision({ ...BASE, metric: "auc", candidate: 0.51, current: 0.55 });
  assert.equal(worse.decision, "rejected");
  assert.match(worse.reason, /^candidate AUC 0\.5100 vs current 0\.5500: worse by 0\.0400/);
  const better = promotionDecision({ ...BASE, metric: "auc", candidate: 0.55, current: 0.51 });
  assert.equal(better.decision, "promoted");
});

Deno.test("a negative tolerance demands an improvement", () => {
  const d = promotionDecision({ ...BASE, tolerance: -0.01, candidate: 0.685, current: 0.69 });
  assert.equal(d.decision, "rejected");
  assert.match(d.reason, /better by 0\.0050, beyond the tolerance -0\.01$/);
});

Deno.test("promotionDecision rejects when the metric is NaN for either version", () => {
  for (const [candidate, current] of [[NaN, 0.5], [0.5, NaN], [NaN, NaN]]) {
    const d = promotionDecision({ ...BASE, metric: "auc", candidate, current });
    assert.equal(d.accept, false);
    assert.equal(d.decision, "rejected");
    assert.equal(
      d.reason,
      "AUC is undefined on the holdout (one class only?): the versions cannot be compared on it",
    );
  }
});

Deno.test("promotionDecision makes the candidate the first version when there is no current one", () => {
  const d = promotionDecision({ ...BASE, current: null, candidate: NaN });
  assert.equal(d.accept, true);
  assert.equal(d.decision, "first-version");
  assert.equal(
    d.reason,
    "no current version in models/m: the candidate becomes the first (holdout log loss –)",
  );
});

Deno.test("promotionDecision never promotes an interrupted candidate, even the first one", () => {
  for (const current of [null, 0.9]) {
    const d = promotionDecision({ ...BASE, interrupted: true, candidate: 0.5, current });
    assert.equal(d.accept, false);
    assert.equal(d.decision, "rejected");
    assert.equal(d.reason, "training was interrupted, so the candidate is not promoted");
  }
});

Deno.test("a dry run decides as the real run does, says would-, and that nothing is written", () => {
  const cases: [PromotionInput, string][] = [
    [BASE, "would-promote"],
    [{ ...BASE, candidate: 0.8 }, "would-reject"],
    [{ ...BASE, current: null }, "would-promote"],
    [{ ...BASE, interrupted: true }, "would-reject"],
  ];
  for (const [input, expected] of cases) {
    const real = promotionDecision(input);
    const dry = promotionDecision({ ...input, dryRun: true });
    assert.equal(dry.accept, real.accept);
    assert.equal(dry.decision, expected);
    assert.ok(dry.reason.endsWith("; --dry-run: nothing written under models/m"), dry.reason);
  }
  assert.match(
    promotionDecision({ ...BASE, current: null, dryRun: true }).reason,
    /the candidate would become the first/,
  );
});
