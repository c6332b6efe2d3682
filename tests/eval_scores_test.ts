import assert from "node:assert/strict";
import { generateSyntheticBars } from "../src/data/mod.ts";
import { buildDataset } from "../src/dataset/mod.ts";
import { scoreProbabilities } from "../src/eval/metrics.ts";
import {
  accuracy,
  brierScore,
  LOG_LOSS_EPSILON,
  logLoss,
  predictsUp,
  quantile,
} from "../src/eval/scores.ts";
import { buildModel } from "../src/model/architectures.ts";
import { selectBackend } from "../src/model/backend.ts";
import { measureModel, predictProbabilities, trainModel } from "../src/model/train.ts";
import { formatTable } from "../src/util/table.ts";

const close = (a: number, b: number, eps = 1e-12): void =>
  assert.ok(Math.abs(a - b) < eps, `expected ${b}, found ${a}`);

Deno.test("logLoss clips the true class's probability at 1e-7, like Keras", () => {
  assert.equal(LOG_LOSS_EPSILON, 1e-7);
  assert.equal(logLoss([0], [1]), -Math.log(1e-7));
  assert.equal(logLoss([1], [0]), -Math.log(1e-7));
  // The upper clip too: a certain right call costs about 1e-7, not 0.
  assert.equal(logLoss([1], [1]), -Math.log(1 - 1e-7));
  assert.equal(logLoss([0], [0]), -Math.log(1 - 1e-7));
  close(logLoss([0, 1], [1, 0]), -Math.log(1e-7));
});

Deno.test("logLoss is the mean binary cross-entropy by hand", () => {
  close(logLoss([0.8, 0.4], [1, 0]), -(Math.log(0.8) + Math.log(0.6)) / 2);
  close(logLoss(new Float32Array([0.5, 0.5]), new Uint8Array([1, 0])), Math.log(2));
});

Deno.test("the primitives reject mismatched lengths and labels other than 0 or 1", () => {
  for (const score of [logLoss, brierScore, accuracy]) {
    assert.throws(
      () => score([0.5], [1, 0]),
      /Expected as many probabilities as labels, found 1 probabilities and 2 labels/,
    );
    assert.throws(() => score([0.5, 0.5], [1, 2]), /Expected labels 0 or 1, found 2 at row 1/);
    assert.ok(Number.isNaN(score([], [])), "zero rows score NaN");
  }
});

Deno.test("brierScore is the mean squared error of the probability", () => {
  close(brierScore([0.8, 0.4], [1, 0]), (0.04 + 0.16) / 2);
  assert.equal(brierScore([0.5, 0.5, 0.5], [1, 0, 1]), 0.25);
  assert.equal(brierScore([1, 0], [1, 0]), 0);
  assert.equal(brierScore([0, 1], [1, 0]), 1);
});

Deno.test("accuracy calls up strictly above the threshold: exactly 0.5 calls down", () => {
  assert.equal(predictsUp(0.5), false);
  assert.equal(predictsUp(0.5000001), true);
  assert.equal(predictsUp(0.55, 0.55), false);
  assert.equal(accuracy([0.5], [0]), 1);
  assert.equal(accuracy([0.5], [1]), 0);
  assert.equal(accuracy([0.9, 0.5, 0.2], [1, 1, 0]), 2 / 3);
  assert.equal(accuracy([0.9, 0.5, 0.2], [1, 1, 0], 0.4), 1);
  assert.equal(accuracy([0.9, 0.6, 0.2], [1, 0, 0], 0.6), 1);
  // The evaluation's confusion matrix follows the same rule.
  const s = scoreProbabilities([0.5, 0.5, 0.7], [0, 1, 1]);
  assert.deepEqual(s.confusion, { tp: 1, fp: 0, tn: 1, fn: 1 });
  assert.equal(s.accuracy, accuracy([0.5, 0.5, 0.7], [0, 1, 1]));
});

Deno.test("quantile interpolates linearly between order statistics (type 7)", () => {
  assert.equal(quantile([4, 1, 3, 2], 0.5), 2.5);
  assert.equal(quantile([3, 1, 2], 0.5), 2);
  assert.equal(quantile([1, 2, 3, 4], 0), 1);
  assert.equal(quantile([1, 2, 3, 4], 1), 4);
  close(quantile([1, 2, 3, 4], 0.99), 3.97);
  // R: quantile(c(1, 3, 6, 10), 0.3) is 2.8.
  close(quantile([10, 6, 3, 1], 0.3), 2.8);
  close(quantile([10, 20, 30], 0.25, { sorted: true }), 15);
  assert.equal(quantile([7], 0.9), 7);
  assert.ok(Number.isNaN(quantile([], 0.5)));
  assert.throws(() => quantile([1, 2], 1.5), /Expected a quantile in \[0, 1\], found 1.5/);
  assert.throws(() => quantile([1, 2], NaN), RangeError);
  const values = [3, 1, 2];
  quantile(values, 0.5);
  assert.deepEqual(values, [3, 1, 2], "the input is not sorted in place");
});

Deno.test("formatTable pads columns, aligns, indents and trims trailing spaces", () => {
  const rows = [["metric", "model", "note"], ["accuracy", "0.53", ""], ["auc", "0.5", "x"]];
  assert.equal(
    formatTable(rows),
    ["metric    model  note", "accuracy  0.53", "auc       0.5    x"].join("\n"),
  );
  assert.equal(
    formatTable(rows, { indent: "  ", align: ["left", "right"] }),
    ["  metric    model  note", "  accuracy   0.53", "  auc         0.5  x"].join("\n"),
  );
  assert.equal(formatTable([["a", "bb"], ["ccc"]], { align: ["right", "right"] }), "  a  bb\nccc");
  assert.equal(formatTable([]), "");
});

Deno.test("training's loss and accuracy are logLoss and accuracy of the same probabilities", async () => {
  await selectBackend("cpu");
  const bars = generateSyntheticBars("TEST", { start: "2020-01-01", end: "2020-12-31", seed: 3 });
  const ds = buildDataset(bars, { sequenceLength: 8 });
  assert.ok(ds.validation.n > 0 && ds.test.n > 0, "non-empty validation and test windows");
  const model = buildModel("lstm", {
    inputShape: [8, ds.train.nFeatures],
    lstmUnits: 4,
    seed: 3,
  });
  try {
    const result = await trainModel(model, ds, { epochs: 1, seed: 3 });
    const validation = predictProbabilities(model, ds.validation);
    assert.equal(result.history[0].val_loss, logLoss(validation, ds.validation.y));
    assert.equal(result.history[0].val_accuracy, accuracy(validation, ds.validation.y));

    const measured = await measureModel(model, ds.test);
    assert.ok(Number.isFinite(measured.loss) && Number.isFinite(measured.accuracy));
    const probs = predictProbabilities(model, ds.test);
    assert.equal(measured.loss, logLoss(probs, ds.test.y));
    assert.equal(measured.accuracy, accuracy(probs, ds.test.y));
    // The test loss training saves is the log loss evaluation reports on the same rows.
    const scores = scoreProbabilities(probs, ds.test.y);
    assert.equal(scores.logLoss, measured.loss);
    assert.equal(scores.accuracy, measured.accuracy);
  } finally {
    model.dispose();
  }
});
