/**
 * The charts of a model's scores: its training curves, the ROC curve, the reliability diagram,
 * the histogram of its probabilities, and a walk-forward evaluation's per-fold scores and
 * training curves.
 *
 * @example
 * ```ts
 * import { histogram, rocChart } from "./score_charts.ts";
 * const svg = rocChart(rocCurve(probs, labels)) + histogram(probs);
 * ```
 *
 * @module
 */

import type { EpochRecord } from "../model/train.ts";
import type { CalibrationBin, ConfidenceInterval, RocPoint } from "../eval/metrics.ts";
import {
  BUY_AND_HOLD,
  coincidenceNote,
  COLORS,
  diagonal,
  escapeHtml,
  extent,
  frame,
  type LegendItem,
  lineChart,
  PALETTE,
  pointSeries,
  polyline,
  referenceAt,
  type Series,
  type Ticks,
} from "./charts.ts";

/** The curves of the training charts, as keys of an {@linkcode EpochRecord}. */
type Curve = "loss" | "accuracy" | "val_loss" | "val_accuracy";

/** What the reliability diagram states beside its points: the base rate and the skill scores. */
export interface ReliabilityContext {
  /** The base rate of the scored rows (their share of the label's 1s), drawn as a line. */
  baseRate?: number;
  /** Brier skill against the base rate, with its interval. */
  brierSkill?: ConfidenceInterval;
  /** Log-loss skill against the base rate, with its interval. */
  logLossSkill?: ConfidenceInterval;
  /** The label kind the probabilities are of (default `up`), for the axes' wording. */
  label?: "up" | "beats-median";
}

/** What a probability is of, in words: `up` or beating the universe's median return. */
function outcome(label: "up" | "beats-median" | undefined): string {
  return label === "beats-median" ? "beating the median" : "up";
}

/** One walk-forward fold's scores for the per-fold chart. */
export interface FoldScore {
  /** The fold's label, e.g. `1`. */
  name: string;
  /** The model's accuracy on the fold. */
  accuracy: number;
  /** Always-up's accuracy on the fold (its share of up). */
  alwaysUp: number;
  /** Brier skill against the base rate (climatology), with its 95% interval. */
  brierSkill: ConfidenceInterval;
}

/**
 * A walk-forward evaluation's folds: the per-fold table, a chart of each fold's accuracy
 * against always-up and its Brier skill against the base rate, and each fold's own training
 * curves.
 */
export interface FoldsInput {
  /** One row per fold (and a pooled row). */
  table: { headers: string[]; rows: (string | number | null)[][] };
  /** Each fold's scores, in time order. */
  scores: FoldScore[];
  /** The pooled Brier skill, drawn as a line across the folds. */
  pooledBrierSkill?: number;
  /** Each fold's training history, in fold order. */
  histories?: { name: string; history: EpochRecord[]; bestEpoch?: number }[];
}

/**
 * The loss and accuracy per epoch of one training history (a missing figure is left out of its
 * curve).
 *
 * @example
 * ```ts
 * const svg = trainingCharts([{ epoch: 1, loss: 0.7, accuracy: 0.5, val_loss: 0.69, val_accuracy: 0.52 }]);
 * ```
 */
export function trainingCharts(h: EpochRecord[]): string {
  const epochs = h.map((_, i) => i + 1);
  // `?? NaN`: a history read back from an older training_history.json may lack a figure.
  const pick = (key: Curve): number[] => h.map((e) => e[key] ?? NaN);
  const ticks: Ticks = { kind: "numbers", integer: true };
  const range: [number, number] = h.length > 1 ? [1, h.length] : [0.5, 1.5];
  const curves = (names: [Curve, Curve]): Series[] =>
    names.map((name) => ({ name, xs: epochs, ys: pick(name) }))
      .filter((s) => s.ys.some(Number.isFinite));
  return lineChart("loss", "Loss per epoch", curves(["loss", "val_loss"]), {
    x: "epoch",
    y: "loss",
    xTicks: ticks,
  }, { x: range }) + "\n" +
    lineChart("accuracy", "Accuracy per epoch", curves(["accuracy", "val_accuracy"]), {
      x: "epoch",
      y: "accuracy",
      xTicks: ticks,
    }, { x: range });
}

/** Area under an ROC curve by the trapezoid rule (ties are diagonal steps, as average ranks give). */
function rocArea(points: RocPoint[]): number {
  let area = 0;
  for (let i = 1; i < points.length; i++) {
    area += (points[i].fpr - points[i - 1].fpr) * (points[i].tpr + points[i - 1].tpr) / 2;
  }
  return area;
}

/**
 * The ROC curve against chance, titled with its AUC; a note says when it lies on the diagonal.
 *
 * @example
 * ```ts
 * const svg = rocChart(rocCurve(probabilities, labels));
 * ```
 */
export function rocChart(points: RocPoint[]): string {
  const auc = rocArea(points);
  const f = frame("roc", `ROC curve (AUC ${auc.toFixed(3)})`, [0, 1], [0, 1], {
    x: "false-positive rate",
    y: "true-positive rate",
    legend: [
      { name: `model (AUC ${auc.toFixed(3)})`, color: COLORS[0] },
      { name: "chance (AUC 0.5)", color: "#999", style: "dashed" },
    ],
  }, { height: 400 });
  f.svg.push(
    diagonal(f, [0, 1]),
    polyline(
      f,
      { name: "model", xs: points.map((p) => p.fpr), ys: points.map((p) => p.tpr) },
      COLORS[0],
    ),
    "</svg>",
  );
  const fpr = points.map((p) => p.fpr);
  return f.svg.join("\n") + coincidenceNote([
    { name: "the model's curve", ys: points.map((p) => p.tpr) },
    { name: "the chance diagonal", ys: fpr },
  ]);
}

/**
 * The range both axes of the reliability diagram (and the histogram) show:
 * [0, 1], or a zoom onto the values (padded, on a 0.05 grid) when they all
 * sit within a span of 0.5 around the middle.
 */
function zoomRange(values: number[]): { range: [number, number]; zoomed: boolean } {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { range: [0, 1], zoomed: false };
  // A loop, not Math.min(...finite): a universe's 250 000 probabilities overflow the call stack.
  const lo = finite.reduce((m, v) => Math.min(m, v), Infinity);
  const hi = finite.reduce((m, v) => Math.max(m, v), -Infinity);
  const pad = Math.max(0.02, 0.1 * (hi - lo));
  const a = Math.max(0, Math.floor((lo - pad) * 20) / 20);
  const b = Math.min(1, Math.ceil((hi + pad) * 20) / 20);
  if (b - a > 0.5) return { range: [0, 1], zoomed: false };
  return { range: [a, b], zoomed: true };
}

const signed = (v: number): string => (Number.isNaN(v) ? "–" : v.toFixed(4));
const intervalText = (c: ConfidenceInterval): string =>
  `${signed(c.estimate)} [${signed(c.lower)}, ${signed(c.upper)}]`;

/**
 * The reliability diagram: observed rate against mean predicted probability per bin, points sized
 * and labelled by their row counts, the scored rows' base rate as a line, the skill scores in the
 * subtitle, axes zoomed in when every point sits near 0.5, worded for the label kind.
 *
 * @example
 * ```ts
 * const svg = reliabilityChart(reliabilityBins(probabilities, labels), { baseRate: 0.53 });
 * ```
 */
export function reliabilityChart(
  bins: CalibrationBin[],
  context: ReliabilityContext,
): string {
  const shown = bins.filter((b) => b.count > 0);
  const xs = shown.map((b) => b.meanPredicted!), ys = shown.map((b) => b.observedRate!);
  const { range, zoomed } = zoomRange([
    ...xs,
    ...ys,
    ...(context.baseRate === undefined ? [] : [context.baseRate]),
  ]);
  const subtitle: string[] = [];
  if (context.brierSkill && context.logLossSkill) {
    subtitle.push(
      `Brier skill ${intervalText(context.brierSkill)}, log-loss skill ${
        intervalText(context.logLossSkill)
      } (95%, against climatology: the training rows' base rate as a constant probability)`,
    );
  }
  const total = shown.reduce((sum, b) => sum + b.count, 0);
  subtitle.push(
    `${shown.length} bin${
      shown.length === 1 ? "" : "s"
    } of ${total} rows, each point labelled with its row count${
      zoomed ? `; axes zoomed to ${range[0].toFixed(2)}–${range[1].toFixed(2)}` : ""
    }`,
  );
  const legend: LegendItem[] = [
    {
      name: `observed rate of ${outcome(context.label)} per bin`,
      color: COLORS[0],
      style: "point",
    },
    { name: "perfect calibration", color: "#999", style: "dashed" },
  ];
  if (context.baseRate !== undefined) {
    legend.push({
      name: `base rate ${context.baseRate.toFixed(3)} (of the scored rows)`,
      color: COLORS[2],
      style: "dotted",
    });
  }
  const f = frame("calibration", "Reliability diagram", range, range, {
    x: `mean predicted probability of ${outcome(context.label)}`,
    y: `observed share of ${outcome(context.label)}`,
    subtitle,
    legend,
  }, { height: 460 });
  f.svg.push(diagonal(f, range));
  if (context.baseRate !== undefined) {
    const py = f.y(context.baseRate).toFixed(2);
    f.svg.push(
      `<line x1="${f.left}" y1="${py}" x2="${f.right}" y2="${py}" stroke="${
        COLORS[2]
      }" stroke-width="1.5" stroke-dasharray="2 2"/>`,
    );
  }
  const most = shown.reduce((m, b) => Math.max(m, b.count), 1);
  const points = shown.map((b, i) => {
    const cx = f.x(xs[i]), cy = f.y(ys[i]);
    const r = 3 + 5 * Math.sqrt(b.count / most);
    // Count labels alternate above and below the points, so neighbours do not collide.
    const ly = i % 2 === 0 ? cy - r - 4 : cy + r + 11;
    return `<circle cx="${cx.toFixed(2)}" cy="${cy.toFixed(2)}" r="${r.toFixed(2)}" fill="${
      COLORS[0]
    }" fill-opacity="0.75"><title>${b.count} rows: predicted ${xs[i].toFixed(3)}, observed ${
      ys[i].toFixed(3)
    }</title></circle><text x="${cx.toFixed(2)}" y="${
      ly.toFixed(2)
    }" text-anchor="middle" class="count">${b.count}</text>`;
  });
  f.svg.push(
    `<g data-series="observed" data-points="${shown.length}" data-counts="${
      shown.map((b) => b.count).join(",")
    }">${points.join("")}</g>`,
    "</svg>",
  );
  return f.svg.join("\n");
}

/**
 * A 20-bin histogram of the predicted probabilities (zoomed like the reliability diagram),
 * titled with what they are the probability of.
 *
 * @example
 * ```ts
 * const svg = histogram([0.48, 0.52, 0.55], "beats-median");
 * ```
 */
export function histogram(
  probabilities: ArrayLike<number>,
  label: "up" | "beats-median" = "up",
): string {
  const bins = 20;
  const values = Array.from(probabilities).filter((p) => p >= 0 && p <= 1);
  const { range, zoomed } = zoomRange(values);
  const [lo, hi] = range;
  const counts = new Array(bins).fill(0);
  for (const p of values) {
    counts[Math.max(0, Math.min(bins - 1, Math.floor(((p - lo) / (hi - lo)) * bins)))]++;
  }
  const f = frame(
    "histogram",
    `Predicted probability of ${outcome(label)}`,
    range,
    [0, counts.reduce((a, b) => Math.max(a, b), 1)],
    {
      x: `probability${zoomed ? ` (zoomed to ${lo.toFixed(2)}–${hi.toFixed(2)})` : ""}`,
      y: "rows",
      yTicks: { kind: "numbers", integer: true },
    },
  );
  const rects = counts.map((c, b) => {
    const x0 = f.x(lo + (b / bins) * (hi - lo)), x1 = f.x(lo + ((b + 1) / bins) * (hi - lo));
    return `<rect x="${x0.toFixed(2)}" y="${f.y(c).toFixed(2)}" width="${
      (x1 - x0 - 1).toFixed(2)
    }" height="${(f.y(0) - f.y(c)).toFixed(2)}" fill="${COLORS[0]}"><title>${c}</title></rect>`;
  });
  f.svg.push(
    `<g data-series="bins" data-points="${bins}" data-count="${probabilities.length}">${
      rects.join("")
    }</g>`,
    "</svg>",
  );
  return f.svg.join("\n");
}

/** Labels the folds' x axis: one tick per fold (about ten at most). */
function foldTicks(names: string[]): Ticks {
  const step = Math.max(1, Math.ceil(names.length / 10));
  const at = names.map((_, i) => i).filter((i) => i % step === 0);
  return { kind: "labels", at, label: (v) => `fold ${names[v]}` };
}

/**
 * Two charts of a walk-forward's folds: accuracy against always-up (a note when they coincide) and
 * Brier skill with its interval against the base rate, with the pooled skill as a line.
 *
 * @example
 * ```ts
 * const svg = foldScoreCharts(walkForwardReport(rows, summary, { title: "SPY" }).folds!);
 * ```
 */
export function foldScoreCharts(folds: FoldsInput): string {
  const scores = folds.scores;
  const names = scores.map((s) => s.name);
  const xs = scores.map((_, i) => i);
  const xr: [number, number] = [-0.5, Math.max(0.5, scores.length - 0.5)];
  const acc = scores.map((s) => s.accuracy), up = scores.map((s) => s.alwaysUp);
  const [alo, ahi] = extent([...acc, ...up, 0.5], [0, 1]);
  const apad = Math.max(0.01, 0.1 * (ahi - alo));
  const a = frame("fold-accuracy", "Accuracy per fold against always-up", xr, [
    alo - apad,
    ahi + apad,
  ], {
    x: "test fold (in time order)",
    y: "accuracy",
    xTicks: foldTicks(names),
    subtitle: [
      `the model beats always-up in ${
        scores.filter((s) => s.accuracy > s.alwaysUp).length
      } of ${scores.length} folds; always-up's accuracy is the fold's share of up bars`,
    ],
    legend: [
      { name: "model", color: COLORS[0] },
      { name: "always-up", color: BUY_AND_HOLD, style: "dashed" },
      { name: "0.5 (coin flip)", color: "#999", style: "dashed" },
    ],
  });
  a.svg.push(
    referenceAt(a, 0.5),
    pointSeries(a, "always-up", xs, up, BUY_AND_HOLD, "5 3"),
    pointSeries(a, "model", xs, acc, COLORS[0]),
    "</svg>",
  );
  const skill = scores.map((s) => s.brierSkill);
  const values = skill.flatMap((c) => [c.estimate, c.lower, c.upper]);
  const [slo, shi] = extent([
    ...values,
    0,
    ...(folds.pooledBrierSkill === undefined ? [] : [folds.pooledBrierSkill]),
  ], [-0.1, 0.1]);
  const spad = Math.max(0.002, 0.08 * (shi - slo));
  const legend: LegendItem[] = [
    { name: "model, with 95% interval", color: COLORS[0] },
    { name: "0 = the base rate (climatology)", color: "#999", style: "dashed" },
  ];
  if (folds.pooledBrierSkill !== undefined) {
    legend.push({
      name: `pooled ${folds.pooledBrierSkill.toFixed(4)}`,
      color: COLORS[3],
      style: "dotted",
    });
  }
  const b = frame("fold-skill", "Brier skill per fold against the base rate", xr, [
    slo - spad,
    shi + spad,
  ], {
    x: "test fold (in time order)",
    y: "Brier skill",
    xTicks: foldTicks(names),
    subtitle: [
      `above 0: better probabilities than the fold's training base rate; ${
        skill.filter((c) => c.lower > 0).length
      } of ${scores.length} folds' intervals lie wholly above 0`,
    ],
    legend,
  });
  b.svg.push(referenceAt(b, 0));
  if (folds.pooledBrierSkill !== undefined) {
    const py = b.y(folds.pooledBrierSkill).toFixed(2);
    b.svg.push(
      `<line x1="${b.left}" y1="${py}" x2="${b.right}" y2="${py}" stroke="${
        COLORS[3]
      }" stroke-width="1.5" stroke-dasharray="2 2" data-pooled="${folds.pooledBrierSkill}"/>`,
    );
  }
  const whiskers = skill.map((c, i) =>
    Number.isFinite(c.lower) && Number.isFinite(c.upper)
      ? `<line x1="${b.x(i).toFixed(2)}" y1="${b.y(c.lower).toFixed(2)}" x2="${
        b.x(i).toFixed(2)
      }" y2="${b.y(c.upper).toFixed(2)}" stroke="${COLORS[0]}" stroke-width="1.5"/>`
      : ""
  );
  b.svg.push(
    `<g data-intervals="${whiskers.filter(Boolean).length}">${whiskers.join("")}</g>`,
    pointSeries(b, "brier skill", xs, skill.map((c) => c.estimate), COLORS[0]),
    "</svg>",
  );
  const aNote = coincidenceNote([{ name: "model", ys: acc }, { name: "always-up", ys: up }]);
  return a.svg.join("\n") + aNote + "\n" + b.svg.join("\n");
}

/**
 * Each fold's loss and accuracy per epoch (training dashed, validation solid), with a dot at the
 * epoch whose weights scored the fold.
 *
 * @example
 * ```ts
 * const svg = foldHistoryCharts([{ name: "fold 1", history, bestEpoch: 3 }]);
 * ```
 */
export function foldHistoryCharts(histories: NonNullable<FoldsInput["histories"]>): string {
  const longest = histories.reduce((m, h) => Math.max(m, h.history.length), 1);
  const xr: [number, number] = longest > 1 ? [1, longest] : [0.5, 1.5];
  const chart = (id: string, title: string, train: Curve, val: Curve, y: string): string => {
    const all = histories.flatMap((h) => h.history.flatMap((e) => [e[train], e[val]]));
    const f = frame(id, title, xr, extent(all, [0, 1]), {
      x: "epoch",
      y,
      xTicks: { kind: "numbers", integer: true },
      subtitle: [
        "solid: validation rows; dashed: training rows; dot: the epoch whose weights scored the fold",
      ],
      legend: histories.map((h, i) => ({ name: h.name, color: PALETTE[i % PALETTE.length] })),
    }, { height: 360 });
    histories.forEach((h, i) => {
      const color = PALETTE[i % PALETTE.length];
      const xs = h.history.map((e, k) => e.epoch ?? k + 1);
      f.svg.push(
        polyline(
          f,
          { name: `${h.name} ${train}`, xs, ys: h.history.map((e) => e[train] ?? NaN) },
          color,
          "4 3",
        ),
        polyline(
          f,
          { name: `${h.name} ${val}`, xs, ys: h.history.map((e) => e[val] ?? NaN) },
          color,
        ),
      );
      const best = h.history.find((e) => e.epoch === h.bestEpoch);
      if (best && Number.isFinite(best[val])) {
        f.svg.push(
          `<circle cx="${f.x(best.epoch).toFixed(2)}" cy="${
            f.y(best[val]).toFixed(2)
          }" r="4" fill="${color}" data-best="${escapeHtml(h.name)}"/>`,
        );
      }
    });
    f.svg.push("</svg>");
    return f.svg.join("\n");
  };
  return chart("fold-loss", "Each fold's loss per epoch", "loss", "val_loss", "loss") + "\n" +
    chart(
      "fold-training-accuracy",
      "Each fold's accuracy per epoch",
      "accuracy",
      "val_accuracy",
      "accuracy",
    );
}
