/**
 * The positive control: the pipeline can learn. On the synthetic market with a
 * planted edge (`SYNTH.EDGE35`: each bar's shock carries 0.35 of the previous
 * one, visible in the last bar's return), walk-forward evaluation finds it:
 * pooled AUC at least 0.60 and a Brier skill interval above 0. On the default
 * synthetic market, and on the planted market with every fold's labels
 * shuffled, the verdict says there is no edge. A tiny LSTM (8 units, 10-bar
 * windows, at most 8 epochs), 2 expanding folds, Platt calibration with
 * shrinkage toward the base rate: the one pipeline (`walkForward` →
 * `fitModel` → calibration on each fold's validation rows). The planted market
 * runs 20 years of seeded bars (so the first fold's calibration has about 290
 * validation rows to find the edge on), the no-edge runs 10 years.
 */
import assert from "node:assert/strict";
import { loadSeries } from "../src/data/mod.ts";
import { generateSyntheticBars, syntheticEdge } from "../src/data/providers/synthetic.ts";
import { DEFAULT_FEATURES, featureNames } from "../src/features/mod.ts";
import { selectBackend } from "../src/model/backend.ts";
import { modelInfo } from "../src/pipeline/score.ts";
import { walkForward, type WalkForwardEvaluation } from "../src/pipeline/walk_forward.ts";
import { cardDraft } from "./model_fixtures.ts";

/** The documented strength of the planted edge (README: "A positive control"). */
const PLANTED = "SYNTH.EDGE35";

await selectBackend("cpu");

/** The template a walk-forward retrains per fold: a tiny LSTM over the default features. */
const template = {
  info: modelInfo(
    "(positive control)",
    "template",
    cardDraft({
      features: DEFAULT_FEATURES,
      nFeatures: featureNames(DEFAULT_FEATURES).length,
      sequenceLength: 10,
      hyperparameters: {
        lstmUnits: 8,
        dropout: 0.2,
        l2: 0,
        learningRate: 0.01,
        seed: 42,
        epochs: 8,
        batchSize: 64,
        patience: 10,
      },
    }),
  ),
};

async function walk(
  ticker: string,
  start: string,
  shuffleLabels?: number,
): Promise<WalkForwardEvaluation> {
  const { bars } = await loadSeries({ ticker, source: "synthetic", start, seed: 42 });
  const { evaluation } = await walkForward(template, bars, {
    ticker,
    folds: 2,
    calibration: "platt",
    shuffleLabels,
    seed: 42,
  });
  return evaluation;
}

// One walk-forward per market, shared by the tests below.
const planted = await walk(PLANTED, "2005-01-01");
const plain = await walk("SYNTH", "2015-01-01");
const shuffled = await walk(PLANTED, "2015-01-01", 7);

Deno.test("walk-forward finds the planted edge: pooled AUC at least 0.60 and a Brier skill interval above 0", () => {
  assert.ok(planted.metrics.auc >= 0.6, `pooled AUC ${planted.metrics.auc}`);
  assert.ok(
    planted.intervals.brierSkill.lower > 0,
    `Brier skill interval ${JSON.stringify(planted.intervals.brierSkill)}`,
  );
  assert.match(planted.probabilityVerdict, /^the probabilities beat the base rate/);
  assert.match(planted.verdict, /^evidence of an edge over always-up/);
  // Every fold's calibration saw the edge on its own validation rows and kept the model's signal.
  for (const fold of planted.folds) {
    assert.equal(fold.calibration?.method, "platt");
    assert.ok(fold.calibration!.shrinkage < 1, fold.calibration!.reason);
  }
});

Deno.test("on the default synthetic market the verdict says there is no edge", () => {
  assert.match(plain.verdict, /^no evidence of an edge over always-up/);
  assert.match(plain.probabilityVerdict, /^the probabilities are (no better than|worse than)/);
  assert.ok(!(plain.intervals.brierSkill.lower > 0));
  // Calibration kept the probabilities at least as good as the base rate on every fold's rows.
  for (const fold of plain.folds) {
    assert.ok(
      fold.metrics.brier <= fold.baselines.climatology.brier + 1e-12,
      fold.calibration!.reason,
    );
  }
});

Deno.test("with every fold's labels shuffled the planted market shows no edge", () => {
  assert.match(shuffled.scope, /labels shuffled \(seed 7\): a permutation control/);
  assert.match(shuffled.verdict, /^no evidence of an edge over always-up/);
  assert.match(shuffled.probabilityVerdict, /^the probabilities are (no better than|worse than)/);
  assert.ok(shuffled.metrics.auc < 0.56, `pooled AUC ${shuffled.metrics.auc}`);
  for (const fold of shuffled.folds) {
    assert.ok(
      fold.metrics.brier <= fold.baselines.climatology.brier + 1e-12,
      fold.calibration!.reason,
    );
  }
});

Deno.test("the raw network beside the calibrated probabilities: calibration never costs the planted edge its AUC", () => {
  const raw = planted.baselines.rawNetwork!;
  assert.equal(typeof raw.auc, "number");
  // A monotone calibrator keeps each fold's ranking, so pooled AUC moves only through the folds' mix.
  assert.ok(
    Math.abs(planted.metrics.auc - raw.auc!) < 0.03,
    `${planted.metrics.auc} vs ${raw.auc}`,
  );
});

Deno.test("the planted edge is off by default: the default market is byte-identical to the one before it existed", async () => {
  const bars = generateSyntheticBars("SPY", { start: "2020-01-01", end: "2024-12-31", seed: 42 });
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(JSON.stringify(bars)),
  );
  // The SHA-256 of these bars as the generator wrote them before the positive control existed.
  assert.equal(
    Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join(""),
    "e8625da21cc40d06929a2978c29531402696729c0694b70d928a5b41a52092e8",
  );
  assert.deepEqual(
    generateSyntheticBars("SPY", { start: "2020-01-01", end: "2024-12-31", seed: 42, edge: 0 }),
    bars,
  );
});

Deno.test("a synthetic ticker ending in .EDGE and two digits plants that much of each shock into the next", () => {
  assert.equal(syntheticEdge("SYNTH.EDGE35"), 0.35);
  assert.equal(syntheticEdge("synth.edge05"), 0.05);
  assert.equal(syntheticEdge("SYNTH"), 0);
  assert.equal(syntheticEdge("EDGE35"), 0, "the suffix, not a name");
  const lagOne = (ticker: string): number => {
    const bars = generateSyntheticBars(ticker, {
      start: "2005-01-01",
      end: "2024-12-31",
      seed: 42,
    });
    const r = bars.slice(1).map((b, i) => Math.log(b.close / bars[i].close));
    const mean = r.reduce((a, b) => a + b) / r.length;
    let num = 0, den = 0;
    for (let i = 0; i < r.length; i++) {
      den += (r[i] - mean) ** 2;
      if (i > 0) num += (r[i] - mean) * (r[i - 1] - mean);
    }
    return num / den;
  };
  assert.ok(Math.abs(lagOne("SYNTH.EDGE35") - 0.35) < 0.05, `lag-1 ${lagOne("SYNTH.EDGE35")}`);
  assert.ok(Math.abs(lagOne("SYNTH")) < 0.05, `lag-1 ${lagOne("SYNTH")}`);
});
