/**
 * One self-contained HTML report page: inline SVG charts (training curves,
 * ROC, calibration, probability histogram, equity against buy-and-hold,
 * drawdown) and a metrics table. No external scripts, styles, fonts or
 * images; all text is escaped. Every chart is an `<svg data-chart="…">` and
 * every drawn series carries `data-series` and `data-points` (its point
 * count) so tests and people can check what was plotted.
 *
 * @module
 */

import type { EpochRecord } from "../model/train.ts";
import type { CalibrationBin, ConfidenceInterval, RocPoint } from "../eval/metrics.ts";

/** The curves of the training charts, as keys of an {@linkcode EpochRecord}. */
type Curve = "loss" | "accuracy" | "val_loss" | "val_accuracy";

/**
 * What {@linkcode renderReport} can show; every part but the title is optional.
 *
 * @example
 * ```ts
 * const input: ReportInput = { title: "SPY", probabilities: [0.4, 0.6] };
 * ```
 */
export interface ReportInput {
  /** Page title and heading. */
  title: string;
  /** Plain-text paragraphs under the heading (e.g. the verdict against always-up). */
  summary?: string[];
  /** A table of figures: header row and rows of cells. */
  metricsTable?: { headers: string[]; rows: (string | number | null)[][] };
  /** Training history, one entry per epoch (a missing figure is left out of its curve). */
  history?: EpochRecord[];
  /** ROC curve points (the chart states the area under them). */
  roc?: RocPoint[];
  /**
   * The reliability diagram's bins, drawn as points sized and labelled by their row counts
   * (empty bins are not plotted). Its axes zoom in when every point sits near 0.5.
   */
  calibration?: CalibrationBin[];
  /** What the reliability diagram states beside its points: the base rate and the skill scores. */
  reliability?: {
    /** The base rate (climatology's forecast), drawn as a line. */
    baseRate?: number;
    /** Brier skill against the base rate, with its interval. */
    brierSkill?: ConfidenceInterval;
    /** Log-loss skill against the base rate, with its interval. */
    logLossSkill?: ConfidenceInterval;
  };
  /** Predicted probabilities, shown as a 20-bin histogram (zoomed in like the reliability diagram). */
  probabilities?: ArrayLike<number>;
  /**
   * Equity of the strategy and of buy-and-hold at each date, drawn with a reference line at
   * 1.0 (the starting equity); optionally the strategy's positions (shaded behind the curves),
   * its trades (marked on its curve) and further arms on the same dates (e.g. the A/B test's).
   */
  equity?: {
    strategy: number[];
    buyAndHold: number[];
    dates: string[];
    /** The strategy's name in legends (default `strategy`). */
    strategyName?: string;
    /** The strategy's position during each date: 1 long, −1 short, 0 flat. */
    positions?: number[];
    /** The strategy's round trips: entries and exits marked on its curve. */
    trades?: TradeMark[];
    /** More strategies on the same dates, drawn beside the strategy, with their drawdowns. */
    arms?: EquityArm[];
  };
  /**
   * Drawdown of the strategy at each date (positive fractions); drawn beside buy-and-hold's
   * and every arm's, computed from their equity.
   */
  drawdown?: number[];
  /**
   * A walk-forward evaluation's folds: the per-fold table, a chart of each fold's accuracy
   * against always-up and its Brier skill against the base rate, and each fold's own training
   * curves.
   */
  folds?: {
    /** One row per fold (and a pooled row). */
    table: { headers: string[]; rows: (string | number | null)[][] };
    /** Each fold's scores, in time order. */
    scores: FoldScore[];
    /** The pooled Brier skill, drawn as a line across the folds. */
    pooledBrierSkill?: number;
    /** Each fold's training history, in fold order. */
    histories?: { name: string; history: EpochRecord[]; bestEpoch?: number }[];
  };
}

/** A round trip to mark on an equity curve (the shape of a backtest's `Trade`). */
export interface TradeMark {
  /** Long or short. */
  side: "long" | "short";
  /** The date of the entry fill (one of the chart's dates). */
  entryTime: string;
  /** The date of the exit fill (the last date for a trade still open). */
  exitTime: string;
  /** Still open at the end: no exit is marked. */
  open?: boolean;
}

/** A further strategy on an equity chart's dates. */
export interface EquityArm {
  /** Its name in legends. */
  name: string;
  /** Equity at each date (NaN where it has none). */
  equity: number[];
  /** Position during each date: 1 long, −1 short, 0 flat (shown in the positions chart). */
  positions?: number[];
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

const WIDTH = 640;
const HEIGHT = 320;
const PAD = { left: 60, right: 18, bottom: 40 };
const LINE = 15;
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e"];
/** Ten distinguishable colours for many series (one per fold). */
const PALETTE = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];
const BUY_AND_HOLD = "#555";

/**
 * Escapes text for HTML element content and attribute values.
 *
 * @example
 * ```ts
 * escapeHtml('<a href="x">'); // "&lt;a href=&quot;x&quot;&gt;"
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

interface Series {
  name: string;
  xs: number[];
  ys: number[];
}

/** One legend entry: a line (solid or dashed) or a point, in a colour. */
interface LegendItem {
  name: string;
  color: string;
  style?: "line" | "dashed" | "dotted" | "point" | "box";
}

/** How an axis is ticked: numbers (nice steps) or labels at chosen positions. */
type Ticks =
  | { kind: "numbers"; integer?: boolean; percent?: boolean }
  | { kind: "labels"; at: number[]; label: (v: number) => string };

interface Frame {
  x: (v: number) => number;
  y: (v: number) => number;
  top: number;
  bottom: number;
  left: number;
  right: number;
  svg: string[];
}

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));

function extent(values: number[], fallback: [number, number]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return fallback;
  let lo = finite.reduce((a, b) => Math.min(a, b)), hi = finite.reduce((a, b) => Math.max(a, b));
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
  return [lo, hi];
}

/**
 * About `target` round tick values inside [lo, hi]: steps of 1, 2, 2.5 or 5
 * times a power of ten (whole numbers only when `integer`).
 */
function niceTicks(lo: number, hi: number, target = 5, integer = false): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw * 0.999)!;
  if (integer) step = Math.max(1, Math.round(step));
  const ticks: number[] = [];
  const eps = step * 1e-9;
  for (let v = Math.ceil((lo - eps) / step) * step; v <= hi + eps; v += step) {
    ticks.push(Math.abs(v) < eps ? 0 : Number(v.toPrecision(12)));
  }
  return ticks;
}

/** A tick label with as many decimals as the tick step needs. */
function tickLabel(v: number, ticks: number[]): string {
  if (ticks.length < 2) return fmt(v);
  const step = Number(Math.abs(ticks[1] - ticks[0]).toPrecision(12));
  if (Math.abs(v) >= 1000) return v.toFixed(0);
  const decimals = Math.max(
    0,
    Math.min(6, Math.ceil(-Math.log10(step) + 1e-9) + (/\.\d*[25]$/.test(String(step)) ? 1 : 0)),
  );
  return v.toFixed(step >= 1 && Number.isInteger(step) ? 0 : decimals);
}

/** The legend's swatch and name, laid out left to right from `x` on the line `y`. */
function legendRow(items: LegendItem[], x: number, y: number): string {
  let at = x;
  return items.map((item) => {
    const swatch = item.style === "point"
      ? `<circle cx="${at + 7}" cy="${y - 4}" r="4" fill="${item.color}"/>`
      : item.style === "box"
      ? `<rect x="${at + 2}" y="${y - 8}" width="10" height="8" fill="${item.color}"/>`
      : `<line x1="${at}" y1="${y - 4}" x2="${at + 16}" y2="${
        y - 4
      }" stroke="${item.color}" stroke-width="2"${
        item.style === "dashed"
          ? ' stroke-dasharray="5 3"'
          : item.style === "dotted"
          ? ' stroke-dasharray="2 2"'
          : ""
      }/>`;
    const text = `<text x="${at + 20}" y="${y}" fill="#333">${escapeHtml(item.name)}</text>`;
    at += legendWidth(item);
    return swatch + text;
  }).join("");
}

/** The legend's width of one item, as {@linkcode legendRow} lays it out. */
const legendWidth = (item: LegendItem): number => 20 + 6.2 * item.name.length + 16;

/** Splits legend items into lines no wider than `width`. */
function wrapLegend(items: LegendItem[], width: number): LegendItem[][] {
  const lines: LegendItem[][] = [];
  let used = Infinity;
  for (const item of items) {
    const w = legendWidth(item);
    if (used + w > width) {
      lines.push([]);
      used = 0;
    }
    lines[lines.length - 1].push(item);
    used += w;
  }
  return lines;
}

/**
 * Opens a chart: title, optional subtitle lines and legend in the header
 * (never over the plot), the plot area, ticks with grid lines on both axes,
 * and the axis labels.
 */
function frame(
  id: string,
  title: string,
  xr: [number, number],
  yr: [number, number],
  labels: {
    x: string;
    y: string;
    xTicks?: Ticks;
    yTicks?: Ticks;
    subtitle?: string[];
    legend?: LegendItem[];
  },
  size: { width?: number; height?: number } = {},
): Frame {
  const width = size.width ?? WIDTH, height = size.height ?? HEIGHT;
  const subtitle = labels.subtitle ?? [];
  const legend = labels.legend ?? [];
  const left = PAD.left, right = width - PAD.right, bottom = height - PAD.bottom;
  const legendLines = wrapLegend(legend, right - left);
  const top = 24 + LINE * (subtitle.length + legendLines.length) + 8;
  const x = (v: number): number => left + ((v - xr[0]) / (xr[1] - xr[0])) * (right - left);
  const y = (v: number): number => bottom - ((v - yr[0]) / (yr[1] - yr[0])) * (bottom - top);
  const svg = [
    `<svg data-chart="${id}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${
      escapeHtml(title)
    }">`,
    `<text x="${width / 2}" y="18" text-anchor="middle" class="title">${escapeHtml(title)}</text>`,
    ...subtitle.map((line, i) =>
      `<text x="${width / 2}" y="${18 + LINE * (i + 1)}" text-anchor="middle" class="subtitle">${
        escapeHtml(line)
      }</text>`
    ),
    ...legendLines.map((items, i) => legendRow(items, left, 18 + LINE * (subtitle.length + 1 + i))),
    `<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" class="plot"/>`,
  ];
  const axis = (ticks: Ticks | undefined, range: [number, number]): [number, string][] => {
    if (ticks?.kind === "labels") {
      return ticks.at.filter((v) => v >= range[0] && v <= range[1]).map((v) => [v, ticks.label(v)]);
    }
    const values = niceTicks(range[0], range[1], 5, ticks?.integer ?? false);
    if (ticks?.kind === "numbers" && ticks.percent) {
      const scaled = values.map((v) => v * 100);
      return values.map((v, i) => [v, `${tickLabel(scaled[i], scaled)}%`]);
    }
    return values.map((v) => [v, tickLabel(v, values)]);
  };
  const xt = axis(labels.xTicks, xr);
  const yt = axis(labels.yTicks, yr);
  svg.push(
    `<g class="ticks" data-axis="x" data-ticks="${xt.length}">${
      xt.map(([v, text]) => {
        const px = x(v).toFixed(2);
        return `<line x1="${px}" y1="${top}" x2="${px}" y2="${bottom}" class="grid"/>` +
          `<text x="${px}" y="${bottom + 14}" text-anchor="middle">${escapeHtml(text)}</text>`;
      }).join("")
    }</g>`,
    `<g class="ticks" data-axis="y" data-ticks="${yt.length}">${
      yt.map(([v, text]) => {
        const py = y(v).toFixed(2);
        return `<line x1="${left}" y1="${py}" x2="${right}" y2="${py}" class="grid"/>` +
          `<text x="${left - 5}" y="${(y(v) + 4).toFixed(2)}" text-anchor="end">${
            escapeHtml(text)
          }</text>`;
      }).join("")
    }</g>`,
    `<text x="${(left + right) / 2}" y="${height - 8}" text-anchor="middle">${
      escapeHtml(labels.x)
    }</text>`,
    `<text x="14" y="${(top + bottom) / 2}" text-anchor="middle" transform="rotate(-90 14 ${
      (top + bottom) / 2
    })">${escapeHtml(labels.y)}</text>`,
  );
  return { x, y, top, bottom, left, right, svg };
}

function polyline(f: Frame, s: Series, color: string, dash = ""): string {
  const pts: string[] = [];
  for (let i = 0; i < s.xs.length; i++) {
    if (Number.isFinite(s.xs[i]) && Number.isFinite(s.ys[i])) {
      pts.push(`${f.x(s.xs[i]).toFixed(2)},${f.y(s.ys[i]).toFixed(2)}`);
    }
  }
  return `<polyline data-series="${escapeHtml(s.name)}" data-points="${pts.length}" points="${
    pts.join(" ")
  }" fill="none" stroke="${color}" stroke-width="1.5"${
    dash ? ` stroke-dasharray="${dash}"` : ""
  }/>`;
}

/** The diagonal y = x across a square range, as a dashed reference line. */
function diagonal(f: Frame, range: [number, number]): string {
  return `<line x1="${f.x(range[0])}" y1="${f.y(range[0])}" x2="${f.x(range[1])}" y2="${
    f.y(range[1])
  }" class="reference"/>`;
}

function lineChart(
  id: string,
  title: string,
  series: Series[],
  labels: { x: string; y: string; xTicks?: Ticks; subtitle?: string[] },
  ranges: { x?: [number, number]; y?: [number, number] } = {},
): string {
  const xr = ranges.x ?? extent(series.flatMap((s) => s.xs), [0, 1]);
  const yr = ranges.y ?? extent(series.flatMap((s) => s.ys), [0, 1]);
  const legend = series.length > 1
    ? series.map((s, i) => ({ name: s.name, color: COLORS[i % COLORS.length] }))
    : [];
  const f = frame(id, title, xr, yr, { ...labels, legend });
  series.forEach((s, i) => f.svg.push(polyline(f, s, COLORS[i % COLORS.length])));
  f.svg.push("</svg>");
  return f.svg.join("\n");
}

/** Area under an ROC curve by the trapezoid rule (ties are diagonal steps, as average ranks give). */
function rocArea(points: RocPoint[]): number {
  let area = 0;
  for (let i = 1; i < points.length; i++) {
    area += (points[i].fpr - points[i - 1].fpr) * (points[i].tpr + points[i - 1].tpr) / 2;
  }
  return area;
}

function rocChart(points: RocPoint[]): string {
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
  return f.svg.join("\n");
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

function reliabilityChart(
  bins: CalibrationBin[],
  context: NonNullable<ReportInput["reliability"]>,
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
      } (95%, against the base rate)`,
    );
  }
  const total = shown.reduce((sum, b) => sum + b.count, 0);
  subtitle.push(
    `${shown.length} bins of ${total} rows, each point labelled with its row count${
      zoomed ? `; axes zoomed to ${range[0].toFixed(2)}–${range[1].toFixed(2)}` : ""
    }`,
  );
  const legend: LegendItem[] = [
    { name: "observed up rate per bin", color: COLORS[0], style: "point" },
    { name: "perfect calibration", color: "#999", style: "dashed" },
  ];
  if (context.baseRate !== undefined) {
    legend.push({
      name: `base rate ${context.baseRate.toFixed(3)}`,
      color: COLORS[2],
      style: "dotted",
    });
  }
  const f = frame("calibration", "Reliability diagram", range, range, {
    x: "mean predicted probability of up",
    y: "observed share of up",
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

function histogram(probabilities: ArrayLike<number>): string {
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
    "Predicted probability of up",
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

/** About five evenly spaced index positions of `n` points, labelled with `names`. */
function indexTicks(n: number, names: (i: number) => string): Ticks {
  const at = n <= 1 ? [0] : niceTicks(0, n - 1, 5, true);
  return { kind: "labels", at, label: (v) => names(v) };
}

const ARM_COLORS = ["#ff7f0e", "#9467bd", "#2ca02c", "#8c564b"];
const LONG_FILL = "#2ca02c";
const SHORT_FILL = "#d62728";
/** More trades than this are counted in the legend but not marked (the marks would hide the curve). */
const MAX_TRADE_MARKS = 150;

/** Drawdown (positive fractions of the running peak) of an equity curve that starts at 1. */
function drawdownOf(equity: readonly number[]): number[] {
  let peak = 1;
  return equity.map((e) => {
    if (!Number.isFinite(e)) return NaN;
    peak = Math.max(peak, e);
    return 1 - e / peak;
  });
}

/** The runs of equal non-zero positions: [first index, last index, sign]. */
function positionRuns(positions: readonly number[]): [number, number, number][] {
  const runs: [number, number, number][] = [];
  for (let i = 0; i < positions.length; i++) {
    const p = Math.sign(positions[i] || 0);
    if (p === 0) continue;
    const last = runs[runs.length - 1];
    if (last && last[1] === i - 1 && last[2] === p) last[1] = i;
    else runs.push([i, i, p]);
  }
  return runs;
}

/** Shaded spans behind a chart's plot, one per run of long (green) or short (red) positions. */
function shading(f: Frame, positions: readonly number[], xr: [number, number], name: string) {
  const runs = positionRuns(positions);
  const rects = runs.map(([a, b, p]) => {
    const x0 = f.x(Math.max(xr[0], a - 0.5)), x1 = f.x(Math.min(xr[1], b + 0.5));
    return `<rect x="${x0.toFixed(2)}" y="${f.top}" width="${(x1 - x0).toFixed(2)}" height="${
      f.bottom - f.top
    }" fill="${p > 0 ? LONG_FILL : SHORT_FILL}" fill-opacity="0.1"/>`;
  });
  return `<g data-shading="${escapeHtml(name)}" data-spans="${runs.length}">${rects.join("")}</g>`;
}

/** The line at 1.0 (the starting equity) across a chart. */
function referenceAt(f: Frame, value: number): string {
  const py = f.y(value).toFixed(2);
  return `<line x1="${f.left}" y1="${py}" x2="${f.right}" y2="${py}" class="reference" data-reference="${value}"/>`;
}

function equityChart(eq: NonNullable<ReportInput["equity"]>): string {
  const { dates, strategy, buyAndHold } = eq;
  const n = dates.length;
  const xs = dates.map((_, i) => i);
  const arms = eq.arms ?? [];
  for (const arm of arms) {
    if (arm.equity.length !== n) {
      throw new RangeError(
        `Expected one equity value per date, found ${arm.equity.length} for ${arm.name} and ${n} dates`,
      );
    }
  }
  const xr: [number, number] = n > 1 ? [0, n - 1] : [-0.5, 0.5];
  const [lo, hi] = extent([...strategy, ...buyAndHold, ...arms.flatMap((a) => a.equity), 1], [
    0.5,
    1.5,
  ]);
  const pad = 0.04 * (hi - lo);
  const yr: [number, number] = [lo - pad, hi + pad];
  const positions = eq.positions?.length === n ? eq.positions : undefined;
  const index = new Map(dates.map((d, i) => [d, i]));
  const trades = (eq.trades ?? []).filter((t) => index.has(t.entryTime));
  const marked = trades.length <= MAX_TRADE_MARKS;
  const name = eq.strategyName ?? "strategy";
  const legend: LegendItem[] = [
    { name, color: COLORS[0] },
    ...arms.map((a, i) => ({ name: a.name, color: ARM_COLORS[i % ARM_COLORS.length] })),
    { name: "buy-and-hold", color: BUY_AND_HOLD },
    { name: "1.0 (start)", color: "#999", style: "dashed" },
  ];
  if (positions?.some((p) => p > 0)) {
    legend.push({ name: `${name} long`, color: LONG_FILL + "55", style: "box" });
  }
  if (positions?.some((p) => p < 0)) {
    legend.push({ name: `${name} short`, color: SHORT_FILL + "55", style: "box" });
  }
  const subtitle = trades.length
    ? [
      marked
        ? `${trades.length} ${name} trades: ▲ entry, ▼ exit on its curve`
        : `${trades.length} ${name} trades (too many to mark)`,
    ]
    : [];
  const f = frame("equity", "Equity against buy-and-hold", xr, yr, {
    x: "date",
    y: "equity (starts at 1)",
    xTicks: indexTicks(n, (i) => dates[i] ?? ""),
    subtitle,
    legend,
  }, { height: 400 });
  if (positions) f.svg.push(shading(f, positions, xr, "strategy"));
  f.svg.push(referenceAt(f, 1));
  f.svg.push(polyline(f, { name: "buy-and-hold", xs, ys: buyAndHold }, BUY_AND_HOLD));
  arms.forEach((a, i) =>
    f.svg.push(polyline(f, { name: a.name, xs, ys: a.equity }, ARM_COLORS[i % ARM_COLORS.length]))
  );
  f.svg.push(polyline(f, { name: "strategy", xs, ys: strategy }, COLORS[0]));
  if (trades.length && marked) {
    const mark = (time: string, up: boolean): string => {
      const i = index.get(time);
      if (i === undefined || !Number.isFinite(strategy[i])) return "";
      const cx = f.x(i), cy = f.y(strategy[i]);
      const d = up
        ? `M${cx.toFixed(1)},${(cy - 2).toFixed(1)}l-4,7h8z`
        : `M${cx.toFixed(1)},${(cy + 2).toFixed(1)}l-4,-7h8z`;
      return `<path d="${d}" fill="${up ? "#1a7f1a" : "#b22222"}"><title>${up ? "entry" : "exit"} ${
        escapeHtml(time)
      }</title></path>`;
    };
    const entries = trades.map((t) => mark(t.entryTime, true)).filter(Boolean);
    const exits = trades.filter((t) => !t.open).map((t) => mark(t.exitTime, false)).filter(
      Boolean,
    );
    f.svg.push(
      `<g data-trades="strategy" data-entries="${entries.length}" data-exits="${exits.length}">${
        entries.join("")
      }${exits.join("")}</g>`,
    );
  }
  f.svg.push("</svg>");
  return f.svg.join("\n");
}

function drawdownChart(
  dd: number[],
  eq: ReportInput["equity"] | undefined,
): string {
  const matched = eq?.dates.length === dd.length ? eq : undefined;
  const xs = dd.map((_, i) => i);
  const series: { name: string; label: string; ys: number[]; color: string }[] = [
    { name: "drawdown", label: matched?.strategyName ?? "strategy", ys: dd, color: COLORS[0] },
  ];
  if (matched) {
    (matched.arms ?? []).forEach((a, i) =>
      series.push({
        name: a.name,
        label: a.name,
        ys: drawdownOf(a.equity),
        color: ARM_COLORS[i % ARM_COLORS.length],
      })
    );
    series.push({
      name: "buy-and-hold",
      label: "buy-and-hold",
      ys: drawdownOf(matched.buyAndHold),
      color: BUY_AND_HOLD,
    });
  }
  const worst = series.map((s) =>
    s.ys.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, v) : m), 0)
  );
  const deepest = Math.max(...worst, 0.01);
  const xr: [number, number] = dd.length > 1 ? [0, dd.length - 1] : [-0.5, 0.5];
  const f = frame("drawdown", "Drawdown from the running peak", xr, [-deepest * 1.05, 0], {
    x: matched ? "date" : "bar",
    y: "drawdown",
    xTicks: matched
      ? indexTicks(dd.length, (i) => matched.dates[i])
      : { kind: "numbers", integer: true },
    yTicks: { kind: "numbers", percent: true },
    subtitle: [
      `deepest: ${series.map((s, i) => `${s.label} ${(100 * worst[i]).toFixed(1)}%`).join(", ")}`,
    ],
    legend: series.length > 1 ? series.map((s) => ({ name: s.label, color: s.color })) : [],
  });
  // Buy-and-hold first, the strategy last (on top).
  for (const s of [...series].reverse()) {
    f.svg.push(polyline(f, { name: s.name, xs, ys: s.ys.map((d) => -d) }, s.color));
  }
  f.svg.push("</svg>");
  return f.svg.join("\n");
}

/** One lane per strategy with positions: long spans green, short spans red. */
function positionsChart(eq: NonNullable<ReportInput["equity"]>): string {
  const n = eq.dates.length;
  const lanes = [
    ...(eq.positions?.length === n
      ? [{ name: eq.strategyName ?? "strategy", positions: eq.positions }]
      : []),
    ...(eq.arms ?? []).filter((a) => a.positions?.length === n).map((a) => ({
      name: a.name,
      positions: a.positions!,
    })),
  ];
  const xr: [number, number] = n > 1 ? [0, n - 1] : [-0.5, 0.5];
  const f = frame("positions", "Positions held", xr, [0, lanes.length], {
    x: "date",
    y: "",
    xTicks: indexTicks(n, (i) => eq.dates[i] ?? ""),
    yTicks: { kind: "labels", at: [], label: String },
    legend: [
      { name: "long", color: LONG_FILL, style: "box" },
      { name: "short", color: SHORT_FILL, style: "box" },
      { name: "flat (blank)", color: "#fafafa", style: "box" },
    ],
  }, { height: 70 + 40 * lanes.length + 30 });
  lanes.forEach((lane, k) => {
    const y0 = f.y(lanes.length - k), y1 = f.y(lanes.length - k - 1);
    const runs = positionRuns(lane.positions);
    const exposure = lane.positions.filter((p) => p !== 0).length / Math.max(1, n);
    const rects = runs.map(([a, b, p]) => {
      const x0 = f.x(Math.max(xr[0], a - 0.5)), x1 = f.x(Math.min(xr[1], b + 0.5));
      return `<rect x="${x0.toFixed(2)}" y="${(y0 + 15).toFixed(2)}" width="${
        Math.max(0.5, x1 - x0).toFixed(2)
      }" height="${(y1 - y0 - 18).toFixed(2)}" fill="${
        p > 0 ? LONG_FILL : SHORT_FILL
      }" fill-opacity="0.6"/>`;
    });
    f.svg.push(
      `<g data-lane="${escapeHtml(lane.name)}" data-spans="${runs.length}">${rects.join("")}` +
        `<text x="${f.left + 4}" y="${(y0 + 12).toFixed(2)}" class="lane">${
          escapeHtml(`${lane.name}: in the market ${(100 * exposure).toFixed(0)}% of bars`)
        }</text></g>`,
    );
  });
  f.svg.push("</svg>");
  return f.svg.join("\n");
}

/** Labels the folds' x axis: one tick per fold (about ten at most). */
function foldTicks(names: string[]): Ticks {
  const step = Math.max(1, Math.ceil(names.length / 10));
  const at = names.map((_, i) => i).filter((i) => i % step === 0);
  return { kind: "labels", at, label: (v) => `fold ${names[v]}` };
}

/** Points joined by a line, grouped with their count (`data-series`, `data-points`). */
function pointSeries(f: Frame, name: string, xs: number[], ys: number[], color: string, dash = "") {
  const dots = xs.map((x, i) =>
    Number.isFinite(ys[i])
      ? `<circle cx="${f.x(x).toFixed(2)}" cy="${
        f.y(ys[i]).toFixed(2)
      }" r="3.5" fill="${color}"><title>${
        escapeHtml(`${name}: ${ys[i].toFixed(4)}`)
      }</title></circle>`
      : ""
  );
  return polyline(f, { name, xs, ys }, color, dash) + `<g>${dots.join("")}</g>`;
}

function foldScoreCharts(folds: NonNullable<ReportInput["folds"]>): string {
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
  return a.svg.join("\n") + "\n" + b.svg.join("\n");
}

function foldHistoryCharts(histories: NonNullable<NonNullable<ReportInput["folds"]>["histories"]>) {
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

function table(t: NonNullable<ReportInput["metricsTable"]>): string {
  const cell = (v: string | number | null): string =>
    v === null ? "–" : typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : v;
  const head = t.headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const body = t.rows.map((r) =>
    `<tr>${r.map((v) => `<td>${escapeHtml(cell(v))}</td>`).join("")}</tr>`
  );
  return `<div class="table"><table><thead><tr>${head}</tr></thead><tbody>${
    body.join("")
  }</tbody></table></div>`;
}

function section(title: string, body: string): string {
  return `<section><h2>${escapeHtml(title)}</h2>\n${body}\n</section>`;
}

const STYLE =
  `body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1040px;padding:0 1em;color:#222}
svg{display:block;margin:0 0 1.5em}
svg text{font-size:11px;font-family:inherit;fill:#333}svg .title{font-size:13px;font-weight:600}
svg .subtitle{fill:#555}svg .count{font-size:10px;fill:#1f4e79}
svg .plot{fill:#fafafa;stroke:#ccc}svg .grid{stroke:#e4e4e4;stroke-width:1}
svg .reference{stroke:#999;stroke-dasharray:5 3;stroke-width:1.5}svg .lane{font-size:11px;fill:#222}
.table{overflow-x:auto;margin:1em 0}table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}`;

// Counts the charts once the page has loaded, so a headless check can see the script ran.
const SCRIPT =
  `document.body.dataset.charts=String(document.querySelectorAll("svg[data-chart]").length);`;

/**
 * Renders the report as one self-contained HTML string; parts that are not
 * given are left out.
 *
 * @example
 * ```ts
 * const html = renderReport({ title: "AAPL", roc: rocCurve(probs, labels), probabilities: probs });
 * await atomicWriteFile("reports/aapl.html", html);
 * ```
 */
export function renderReport(input: ReportInput): string {
  const parts: string[] = [];
  for (const p of input.summary ?? []) parts.push(`<p>${escapeHtml(p)}</p>`);
  if (input.metricsTable) parts.push(section("Metrics", table(input.metricsTable)));
  if (input.folds) {
    const f = input.folds;
    parts.push(section(
      "Walk-forward folds",
      table(f.table) + "\n" + (f.scores.length ? foldScoreCharts(f) : ""),
    ));
    if (f.histories?.some((h) => h.history.length > 0)) {
      parts.push(section("Training of each fold", foldHistoryCharts(f.histories)));
    }
  }
  if (input.history && input.history.length > 0) {
    const h = input.history;
    const epochs = h.map((_, i) => i + 1);
    // `?? NaN`: a history read back from an older training_history.json may lack a figure.
    const pick = (key: Curve): number[] => h.map((e) => e[key] ?? NaN);
    const ticks: Ticks = { kind: "numbers", integer: true };
    const range: [number, number] = h.length > 1 ? [1, h.length] : [0.5, 1.5];
    const curves = (names: [Curve, Curve]): Series[] =>
      names.map((name) => ({ name, xs: epochs, ys: pick(name) }))
        .filter((s) => s.ys.some(Number.isFinite));
    parts.push(section(
      "Training",
      lineChart("loss", "Loss per epoch", curves(["loss", "val_loss"]), {
        x: "epoch",
        y: "loss",
        xTicks: ticks,
      }, { x: range }) + "\n" +
        lineChart("accuracy", "Accuracy per epoch", curves(["accuracy", "val_accuracy"]), {
          x: "epoch",
          y: "accuracy",
          xTicks: ticks,
        }, { x: range }),
    ));
  }
  const scoring: string[] = [];
  if (input.roc) scoring.push(rocChart(input.roc));
  if (input.calibration) scoring.push(reliabilityChart(input.calibration, input.reliability ?? {}));
  if (input.probabilities) scoring.push(histogram(input.probabilities));
  if (scoring.length) parts.push(section("Scores", scoring.join("\n")));
  const trading: string[] = [];
  if (input.equity) {
    const { strategy, buyAndHold, dates } = input.equity;
    if (strategy.length !== dates.length || buyAndHold.length !== dates.length) {
      throw new RangeError(
        `Expected one equity value per date, found ${strategy.length} strategy and ${buyAndHold.length} buy-and-hold values for ${dates.length} dates`,
      );
    }
    trading.push(equityChart(input.equity));
  }
  if (input.drawdown) trading.push(drawdownChart(input.drawdown, input.equity));
  const eq = input.equity;
  if (
    eq && (eq.arms ?? []).some((a) => a.positions?.length === eq.dates.length) &&
    eq.positions?.length === eq.dates.length
  ) {
    trading.push(positionsChart(eq));
  }
  if (trading.length) parts.push(section("Backtest", trading.join("\n")));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(input.title)}</h1>
${parts.join("\n")}
<script>${SCRIPT}</script>
</body>
</html>
`;
}
