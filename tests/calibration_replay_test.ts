/**
 * The calibration replay (issue 23, "Probabilities that never hurt"): many
 * folds whose network carries no information go through `fitCalibration` on
 * their held-out validation rows, and the calibrated probabilities are
 * scored on their own test rows against the training base rate. The share of
 * folds worse than the base rate by more than 0.001 in Brier score stays
 * under 1 %. The raw outputs vary as real ones do: offset (a network whose
 * mean output is far from the up rate), scale (from nearly constant to
 * saturated), smoothness (independent draws to a slow drift) and a shift of
 * the whole output between the held-out and test rows; the up rate itself
 * drifts between the training, held-out and test rows. Beside them, folds
 * with a planted edge must keep the model's signal and beat the base rate
 * out of sample: the rule is not a closed gate. Offline, seeded, a few
 * seconds; the planted edge through the whole pipeline is
 * tests/positive_control_test.ts.
 */
import assert from "node:assert/strict";
import {
  calibrateAll,
  EVIDENCE_Z,
  evidenceTrust,
  fitCalibration,
} from "../src/model/calibration.ts";
import { brierScore } from "../src/eval/scores.ts";
import { createRng, type Rng } from "../src/util/random.ts";

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

interface Rows {
  raw: number[];
  labels: number[];
}

interface Fold {
  /** The training split's up rate, the base rate shrunk toward. */
  baseRate: number;
  /** Held-out validation rows: what the calibration is fitted on. */
  heldOut: Rows;
  /** The fold's test rows, never seen by the calibration. */
  test: Rows;
}

/**
 * One simulated fold. `edge` is how much of the network's output (in logit)
 * the true up-probability follows: 0 is no information at all.
 */
function simulateFold(rng: Rng, edge = 0): Fold {
  const q = 0.44 + 0.16 * rng.next();
  const drift = 0.045 * rng.next();
  const clamp = (p: number): number => Math.min(0.7, Math.max(0.3, p));
  const heldOutRate = clamp(q + drift * rng.normal());
  const testRate = clamp(q + drift * rng.normal());
  const trainRows = 300 + rng.int(4700);
  let ups = 0;
  for (let i = 0; i < trainRows; i++) if (rng.next() < q) ups++;
  const offset = -1.2 + 2.4 * rng.next();
  const scale = Math.exp(Math.log(0.005) + rng.next() * Math.log(2 / 0.005));
  const rho = [0, 0.5, 0.9, 0.99][rng.int(4)];
  const shift = rng.normal() * 0.5 * scale;
  let state = rng.normal();
  const rows = (n: number, rate: number, level: number): Rows => {
    const out: Rows = { raw: [], labels: [] };
    for (let i = 0; i < n; i++) {
      state = rho * state + Math.sqrt(1 - rho * rho) * rng.normal();
      out.raw.push(sigmoid(level + scale * state));
      const logit = Math.log(rate / (1 - rate)) + edge * state;
      out.labels.push(rng.next() < sigmoid(logit) ? 1 : 0);
    }
    return out;
  };
  return {
    baseRate: ups / trainRows,
    heldOut: rows(40 + rng.int(660), heldOutRate, offset),
    test: rows(100 + rng.int(1400), testRate, offset + shift),
  };
}

/** Out-of-sample Brier score of the calibrated probabilities minus the base rate's, on test rows. */
function harm(fold: Fold, method: "platt" | "isotonic"): { harm: number; shrinkage: number } {
  const cal = fitCalibration(fold.heldOut.raw, fold.heldOut.labels, {
    method,
    baseRate: fold.baseRate,
  });
  const p = calibrateAll(cal, fold.test.raw);
  const base = new Float64Array(fold.test.labels.length).fill(fold.baseRate);
  return {
    harm: brierScore(p, fold.test.labels) - brierScore(base, fold.test.labels),
    shrinkage: cal.shrinkage,
  };
}

const FOLDS = 2000;

for (const method of ["platt", "isotonic"] as const) {
  Deno.test(`${method}: under 1 % of ${FOLDS} no-edge folds end worse than the base rate by more than 0.001`, () => {
    const rng = createRng(method === "platt" ? 23 : 24);
    let worse = 0, moved = 0;
    for (let k = 0; k < FOLDS; k++) {
      const r = harm(simulateFold(rng), method);
      if (r.harm > 0.001) worse++;
      if (r.shrinkage < 1) moved++;
    }
    assert.ok(worse / FOLDS < 0.01, `${worse} of ${FOLDS} no-edge folds worse by more than 0.001`);
    // The rule is not just closed: some no-edge folds pass z > Z₀ by chance and get a little weight.
    assert.ok(moved > 0 && moved / FOLDS < 0.03, `${moved} of ${FOLDS} no-edge folds moved`);
  });

  Deno.test(`${method}: folds with a planted edge keep the model's signal and beat the base rate out of sample`, () => {
    const rng = createRng(method === "platt" ? 35 : 36);
    let kept = 0, gain = 0;
    const n = 300;
    for (let k = 0; k < n; k++) {
      const r = harm(simulateFold(rng, 0.6), method);
      if (r.shrinkage < 1) kept++;
      gain -= r.harm;
    }
    assert.ok(kept / n > 0.6, `${kept} of ${n} edge folds kept a weight on the model`);
    assert.ok(gain / n > 0.002, `mean out-of-sample Brier gain ${gain / n}`);
  });
}

Deno.test("the weight on the model follows the evidence: none up to Z₀, then 1 − (Z₀ / z)²", () => {
  assert.equal(evidenceTrust(NaN), 0);
  assert.equal(evidenceTrust(-3), 0);
  assert.equal(evidenceTrust(EVIDENCE_Z), 0);
  assert.ok(Math.abs(evidenceTrust(2 * EVIDENCE_Z) - 0.75) < 1e-12);
  for (let z = EVIDENCE_Z; z < 20; z += 0.5) {
    assert.ok(evidenceTrust(z + 0.5) > evidenceTrust(z), `increasing at ${z}`);
  }
});

Deno.test("a short slice with the same ranking moves the output less than a long one", () => {
  // The same process (AUC about 0.6) seen on 120 and on 1,200 held-out rows.
  const rows = (n: number, seed: number): Rows => {
    const rng = createRng(seed);
    const out: Rows = { raw: [], labels: [] };
    for (let i = 0; i < n; i++) {
      const x = rng.normal();
      out.raw.push(sigmoid(0.3 * x));
      out.labels.push(rng.next() < sigmoid(0.1 + 0.5 * x) ? 1 : 0);
    }
    return out;
  };
  const short = rows(120, 5), long = rows(1200, 5);
  const fit = (r: Rows) => fitCalibration(r.raw, r.labels, { method: "platt", baseRate: 0.52 });
  const [a, b] = [fit(short), fit(long)];
  assert.ok(b.shrinkage < 0.5, b.reason);
  assert.ok(a.shrinkage > b.shrinkage, `${a.reason} / ${b.reason}`);
});

Deno.test("the calibrator is centred on the base rate: a held-out slice's own up rate does not move the level", () => {
  const rng = createRng(9);
  const raw: number[] = [], labels: number[] = [];
  for (let i = 0; i < 600; i++) {
    const x = rng.normal();
    raw.push(sigmoid(x));
    labels.push(rng.next() < sigmoid(0.8 + x) ? 1 : 0); // the slice's up rate is about 0.66
  }
  for (const method of ["platt", "isotonic"] as const) {
    const cal = fitCalibration(raw, labels, { method, baseRate: 0.53 });
    assert.ok(cal.shrinkage < 1, cal.reason);
    const p = calibrateAll(cal, raw);
    const meanP = p.reduce((s, v) => s + v, 0) / p.length;
    assert.ok(Math.abs(meanP - 0.53) < 0.005, `${method}: mean ${meanP}`);
  }
});
