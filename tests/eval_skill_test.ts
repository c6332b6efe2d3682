/**
 * Climatology (the training base rate as a constant probability) as a
 * baseline, and the Brier and log-loss skill scores against it, on rows built
 * by hand: the hand-computed climatology scores, zero skill for the base rate
 * itself, negative skill and the "worse" verdict for noise around 0.5 when
 * the base rate is 0.6, positive skill and the "beat" verdict for
 * probabilities that carry signal, the walk-forward folds' own
 * climatology pooled, and the pooled AUC beside the mean of per-fold AUCs.
 */
import assert from "node:assert/strict";
import {
  climatologyForecast,
  earliestHalfClimatology,
  type EvaluationRows,
  summarizeEvaluation,
  summarizeWalkForward,
} from "../src/eval/summary.ts";
import { evaluationReport, formatEvaluation, formatWalkForward } from "../src/views/mod.ts";
import {
  skillScore,
  skillVerdict,
  skillWithIntervals,
  withIntervals,
} from "../src/eval/metrics.ts";
import { brierScore, logLoss } from "../src/eval/scores.ts";
import { createRng } from "../src/util/random.ts";
import { foldAuc } from "../src/pipeline/walk_forward.ts";

const WORSE =
  "the probabilities are worse than the base rate: a bot should not size positions on them";
const NO_BETTER =
  "the probabilities are no better than the base rate: a bot should not size positions on them";
const BEAT = "the probabilities beat the base rate (Brier skill ";

/** `n` rows whose labels are up with probability `upRate`, probabilities from `probability`. */
function rows(
  n: number,
  upRate: number,
  probability: (label: number, rng: ReturnType<typeof createRng>) => number,
  seed = 11,
): EvaluationRows & { labels: number[]; probabilities: number[]; previousUp: number[] } {
  const rng = createRng(seed);
  const labels = Array.from({ length: n }, () => (rng.next() < upRate ? 1 : 0));
  return {
    probabilities: labels.map((y) => Math.min(1, Math.max(0, probability(y, rng)))),
    labels,
    refTimes: labels.map((_, i) => `2020-${String(i).padStart(5, "0")}`),
    previousUp: labels.map(() => (rng.next() < 0.5 ? 1 : 0)),
  };
}

/** Training labels with exactly `ups` of `n` up. */
const training = (ups: number, n: number): number[] =>
  Array.from({ length: n }, (_, i) => (i < ups ? 1 : 0));

function assertContains(interval: { estimate: number; lower: number; upper: number }): void {
  assert.ok(
    interval.lower <= interval.estimate && interval.estimate <= interval.upper,
    `${interval.estimate} in [${interval.lower}, ${interval.upper}]`,
  );
}

Deno.test("climatology's Brier and log loss equal the hand computation at the training base rate", () => {
  // 7 of 10 scored rows up; the training rows are 60% up.
  const labels = [1, 1, 0, 1, 0, 1, 1, 0, 1, 1];
  const r: EvaluationRows = {
    probabilities: labels.map((y) => (y ? 0.7 : 0.4)),
    labels,
    refTimes: labels.map((_, i) => `2024-01-${String(i + 10)}`),
    previousUp: labels.map(() => 0),
    climatology: climatologyForecast(training(3, 5), labels.length, "5 training rows"),
  };
  const s = summarizeEvaluation(r, { seed: 1, resamples: 200 });
  const c = s.baselines.climatology;
  assert.equal(c.baseRate, 0.6);
  assert.equal(c.fittedOn, "5 training rows");
  // q(1 − p)² + (1 − q)p² with q = 0.7 up in the scored rows, p = 0.6.
  assert.ok(Math.abs(c.brier - (0.7 * 0.4 ** 2 + 0.3 * 0.6 ** 2)) < 1e-12, `${c.brier}`);
  assert.ok(Math.abs(c.brier - 0.22) < 1e-12);
  assert.ok(Math.abs(c.logLoss - -(0.7 * Math.log(0.6) + 0.3 * Math.log(0.4))) < 1e-12);
  // The model: 0.7 on the 7 up rows, 0.4 on the 3 down rows.
  const modelBrier = (7 * 0.3 ** 2 + 3 * 0.4 ** 2) / 10;
  assert.ok(Math.abs(s.metrics.brier - modelBrier) < 1e-12);
  assert.ok(Math.abs(s.metrics.brierSkill - (1 - modelBrier / 0.22)) < 1e-12);
  const modelLogLoss = -(7 * Math.log(0.7) + 3 * Math.log(0.6)) / 10;
  assert.ok(Math.abs(s.metrics.logLossSkill - (1 - modelLogLoss / c.logLoss)) < 1e-12);
  assert.equal(s.baselines.baseRate, 0.7, "the scored rows' own share up is kept beside it");
});

Deno.test("a model that outputs the training base rate has skill exactly 0 and is no better than it", () => {
  const r = rows(300, 0.6, () => 0.6);
  const s = summarizeEvaluation(
    { ...r, climatology: climatologyForecast(training(60, 100), 300, "100 training rows") },
    { seed: 3, resamples: 200 },
  );
  assert.equal(s.metrics.brierSkill, 0);
  assert.equal(s.metrics.logLossSkill, 0);
  assert.deepEqual(s.intervals.brierSkill, { estimate: 0, lower: 0, upper: 0 });
  assert.deepEqual(s.intervals.logLossSkill, { estimate: 0, lower: 0, upper: 0 });
  assert.equal(s.baselines.climatology.brier, s.metrics.brier);
  assert.ok(s.probabilityVerdict.startsWith(NO_BETTER), s.probabilityVerdict);
});

Deno.test("noisy probabilities around 0.5 when the base rate is 0.6 have negative skill and the 'worse' verdict", () => {
  const r = rows(500, 0.6, (_, rng) => 0.5 + 0.1 * rng.normal());
  const s = summarizeEvaluation(
    { ...r, climatology: climatologyForecast(training(60, 100), 500, "100 training rows") },
    { seed: 4, resamples: 500 },
  );
  assert.ok(s.metrics.brier > s.baselines.climatology.brier);
  assert.ok(s.metrics.logLoss > s.baselines.climatology.logLoss);
  assert.ok(s.metrics.brierSkill < 0 && s.metrics.logLossSkill < 0);
  assert.ok(s.intervals.brierSkill.upper < 0, `upper ${s.intervals.brierSkill.upper}`);
  assertContains(s.intervals.brierSkill);
  assertContains(s.intervals.logLossSkill);
  assert.ok(s.probabilityVerdict.startsWith(WORSE), s.probabilityVerdict);
  // The accuracy sentence stays first; the probability sentence follows it.
  assert.match(s.verdict, /^(no )?evidence of an edge over always-up \(p [=<] [\d.]+\); /);
  assert.ok(s.verdict.endsWith(s.probabilityVerdict));
  assert.ok(formatEvaluation(s).endsWith(s.verdict));
});

Deno.test("probabilities that carry signal have positive skill and the 'beat' verdict with the interval", () => {
  const r = rows(400, 0.6, (y, rng) => 0.6 + (y ? 0.15 : -0.2) + 0.05 * rng.normal());
  const s = summarizeEvaluation(
    { ...r, climatology: climatologyForecast(training(60, 100), 400, "100 training rows") },
    { seed: 5, resamples: 500 },
  );
  assert.ok(s.intervals.brierSkill.lower > 0, `lower ${s.intervals.brierSkill.lower}`);
  assert.ok(s.metrics.logLossSkill > 0);
  assertContains(s.intervals.brierSkill);
  assertContains(s.intervals.logLossSkill);
  const b = s.intervals.brierSkill;
  assert.equal(
    s.probabilityVerdict,
    `${BEAT}${b.estimate.toFixed(4)} [${b.lower.toFixed(4)}, ${b.upper.toFixed(4)}])`,
  );
});

Deno.test("skillWithIntervals resamples the same rows as withIntervals and recomputes the constant's score on each", () => {
  const r = rows(250, 0.55, (y, rng) => 0.5 + (y ? 0.05 : -0.05) + 0.1 * rng.normal());
  const climatology = new Float64Array(250).fill(0.55);
  const options = { seed: 8, resamples: 300 };
  const skill = skillWithIntervals(r.probabilities, r.labels, climatology, options);
  assert.deepEqual(skillWithIntervals(r.probabilities, r.labels, climatology, options), skill);
  assert.equal(
    skill.brierSkill.estimate,
    skillScore(brierScore(r.probabilities, r.labels), brierScore(climatology, r.labels)),
  );
  assert.equal(
    skill.logLossSkill.estimate,
    skillScore(logLoss(r.probabilities, r.labels), logLoss(climatology, r.labels)),
  );
  // Against itself a forecast has zero skill on every resample.
  const self = skillWithIntervals(r.probabilities, r.labels, r.probabilities, options);
  assert.deepEqual(self.brierSkill, { estimate: 0, lower: 0, upper: 0 });
  // The same resamples: the interval of a skill whose reference is a constant 0.25 Brier
  // (the 0.5 coin) is 1 − Brier/0.25, an increasing map of the Brier's own interval.
  const coin = skillWithIntervals(
    r.probabilities,
    r.labels,
    new Float64Array(250).fill(0.5),
    options,
  );
  const brier = withIntervals(r.probabilities, r.labels, options).brier;
  assert.ok(Math.abs(coin.brierSkill.lower - (1 - brier.upper / 0.25)) < 1e-12);
  assert.ok(Math.abs(coin.brierSkill.upper - (1 - brier.lower / 0.25)) < 1e-12);
  assert.ok(Number.isNaN(skillScore(0.1, 0)), "no skill against a perfect reference");
});

Deno.test("skillVerdict reads the Brier skill interval in plain words", () => {
  assert.match(
    skillVerdict({ estimate: 0.02, lower: 0.001, upper: 0.04 }),
    /^the probabilities beat/,
  );
  assert.ok(skillVerdict({ estimate: 0.01, lower: -0.01, upper: 0.03 }).startsWith(NO_BETTER));
  assert.ok(skillVerdict({ estimate: -0.05, lower: -0.08, upper: -0.01 }).startsWith(WORSE));
  assert.ok(skillVerdict({ estimate: NaN, lower: NaN, upper: NaN }).startsWith(NO_BETTER));
});

Deno.test("without training labels, climatology is the earliest half's base rate and says so", () => {
  const r = rows(100, 0.5, (_, rng) => 0.5 + 0.05 * rng.normal());
  const s = summarizeEvaluation(r, { seed: 6, resamples: 100 });
  const half = r.labels.slice(0, 50);
  assert.equal(s.baselines.climatology.baseRate, half.filter((y) => y === 1).length / 50);
  assert.equal(
    s.baselines.climatology.fittedOn,
    `the earliest 50% of the evaluated rows (50 rows, to ${r.refTimes[49]}), in sample there`,
  );
  assert.match(
    earliestHalfClimatology(r.labels, r.refTimes, "SPY training data not available").fittedOn,
    /in sample there: SPY training data not available$/,
  );
});

Deno.test("the text table and the report show the climatology column and the skill rows; always-up keeps '–'", () => {
  const r = rows(200, 0.6, (_, rng) => 0.5 + 0.1 * rng.normal());
  const s = summarizeEvaluation(
    { ...r, climatology: climatologyForecast(training(60, 100), 200, "100 training rows") },
    { seed: 7, resamples: 100 },
  );
  const text = formatEvaluation(s);
  assert.match(
    text,
    /metric\s+model\s+95% interval\s+logistic\s+climatology\s+always-up\s+yesterday/,
  );
  const line = (name: string) => text.split("\n").find((l) => l.startsWith(`${name} `))!;
  assert.match(line("brier"), new RegExp(`${s.baselines.climatology.brier.toFixed(4)}\\s+–\\s+–$`));
  assert.match(
    line("logLoss"),
    new RegExp(`${s.baselines.climatology.logLoss.toFixed(4)}\\s+–\\s+–$`),
  );
  assert.match(
    line("brierSkill"),
    new RegExp(
      `^brierSkill\\s+${s.metrics.brierSkill.toFixed(4)}\\s+\\[${
        s.intervals.brierSkill.lower.toFixed(4)
      }, ${s.intervals.brierSkill.upper.toFixed(4)}\\]\\s+–\\s+0\\.0000\\s+–\\s+–$`,
    ),
  );
  assert.match(line("logLossSkill"), /^logLossSkill\s+-0\.\d{4}\s+\[/);
  assert.match(
    text,
    /climatology: the training base rate 0\.600 as a constant probability, from 100 training rows/,
  );
  const report = evaluationReport(r, s, { title: "t" });
  assert.ok(
    report.metricsTable!.rows.some((row) =>
      row[0] === "brierSkill" && row[1] === s.metrics.brierSkill
    ),
  );
  assert.ok(report.summary!.some((p) => p.includes(s.probabilityVerdict)));
  assert.ok(report.summary!.some((p) => p.includes("log-loss skill")));
});

Deno.test("walk-forward folds carry their own climatology and skill; pooled climatology is each fold's forecast on its rows", () => {
  const all = rows(300, 0.6, (_, rng) => 0.5 + 0.1 * rng.normal());
  const ups = [50, 60, 70];
  const rates = ups.map((u) => u / 100);
  const bounds = [[0, 100], [100, 220], [220, 300]];
  const folds: EvaluationRows[] = bounds.map(([a, b], f) => ({
    probabilities: all.probabilities.slice(a, b),
    labels: all.labels.slice(a, b),
    refTimes: all.refTimes.slice(a, b),
    previousUp: all.previousUp.slice(a, b),
    climatology: climatologyForecast(
      training(ups[f], 100),
      b - a,
      `fold ${f + 1} training`,
    ),
  }));
  const wf = summarizeWalkForward(folds, { seed: 9, resamples: 100 });
  wf.folds.forEach((s, f) => {
    assert.equal(s.baselines.climatology.baseRate, rates[f]);
    assert.equal(s.baselines.climatology.fittedOn, `fold ${f + 1} training`);
    assert.equal(typeof s.metrics.brierSkill, "number");
    assertContains(s.intervals.brierSkill);
  });
  const forecast = bounds.flatMap(([a, b], f) => Array(b - a).fill(rates[f]));
  const pooled = wf.pooled.baselines.climatology;
  assert.ok(Math.abs(pooled.brier - brierScore(forecast, all.labels)) < 1e-12);
  assert.ok(Math.abs(pooled.logLoss - logLoss(forecast, all.labels)) < 1e-12);
  assert.ok(Math.abs(pooled.baseRate - (0.5 * 100 + 0.6 * 120 + 0.7 * 80) / 300) < 1e-12);
  assert.equal(pooled.fittedOn, "each fold's own training rows");
  assert.ok(
    Math.abs(wf.pooled.metrics.brierSkill - (1 - wf.pooled.metrics.brier / pooled.brier)) < 1e-12,
  );
  const text = formatWalkForward(wf);
  assert.match(
    text.split("\n")[0],
    /brier\s+climatology\s+brier skill \[95%\]\s+log-loss skill \[95%\]\s+p$/,
  );
  const first = wf.folds[0];
  assert.ok(
    text.split("\n")[1].includes(
      `${first.metrics.brierSkill.toFixed(4)} [${first.intervals.brierSkill.lower.toFixed(4)}, `,
    ),
  );
});

Deno.test("walk-forward folds that each hand out a constant: pooled AUC off 0.5 only through their base rates, and the text says so", () => {
  // Three folds whose up rates differ (0.45, 0.55, 0.65), each scored by its own constant.
  const rates = [0.45, 0.55, 0.65];
  const folds: EvaluationRows[] = rates.map((rate, f) => {
    const r = rows(200, rate, () => rate, 20 + f);
    return { ...r, refTimes: r.refTimes.map((t) => `${2020 + f}${t.slice(4)}`) };
  });
  const wf = summarizeWalkForward(folds, { seed: 9, resamples: 50 });
  for (const fold of wf.folds) assert.equal(fold.metrics.auc, 0.5, "a constant ranks nothing");
  const auc = foldAuc(wf);
  assert.equal(auc.foldMean, 0.5);
  assert.equal(auc.pooled, wf.pooled.metrics.auc);
  assert.ok(auc.pooled > 0.55, `pooled AUC ${auc.pooled}`);
  assert.equal(auc.baseRateDriven, true);
  assert.match(
    auc.note,
    /^pooled AUC 0\.\d{3}, mean of per-fold AUCs 0\.500: the pooled figure is driven by the folds' different base rates/,
  );
  // Said outright when every fold's calibration handed out its base rate.
  const constants = foldAuc({
    folds: wf.folds.map((f) => ({ ...f, calibration: { shrinkage: 1 } })),
    pooled: { metrics: { auc: 0.503 } },
  });
  assert.equal(constants.baseRateDriven, true, "even when the pooled AUC happens to sit near 0.5");
  assert.match(constants.note, /every fold hands out its base rate as a constant/);
  assert.ok(formatWalkForward(wf).includes(`auc: ${auc.note}`));

  // Folds whose probabilities rank within each fold, at one level: pooled and mean agree.
  const ranked: EvaluationRows[] = [0, 1].map((f) => {
    const r = rows(400, 0.5, (y, rng) => 0.5 + 0.1 * (y - 0.5) + 0.05 * rng.normal(), 40 + f);
    return { ...r, refTimes: r.refTimes.map((t) => `${2020 + f}${t.slice(4)}`) };
  });
  const even = foldAuc(summarizeWalkForward(ranked, { seed: 9, resamples: 50 }));
  assert.ok(even.foldMean > 0.6, `${even.foldMean}`);
  assert.equal(even.baseRateDriven, false, even.note);
  assert.match(even.note, /agrees with the ranking within the folds$/);
});
