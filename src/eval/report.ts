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
import type { CalibrationBin, ConfidenceInterval, RocPoint } from "./metrics.ts";

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
  /** Equity of the strategy and of buy-and-hold at each date. */
  equity?: { strategy: number[]; buyAndHold: number[]; dates: string[] };
  /** Drawdown of the strategy at each date (positive fractions). */
  drawdown?: number[];
}

const WIDTH = 640;
const HEIGHT = 320;
const PAD = { left: 60, right: 18, bottom: 40 };
const LINE = 15;
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e"];

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
  | { kind: "numbers"; integer?: boolean }
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
  const step = Math.abs(ticks[1] - ticks[0]);
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
    at += 20 + 6.2 * item.name.length + 16;
    return swatch + text;
  }).join("");
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
  const top = 24 + LINE * subtitle.length + (legend.length ? LINE : 0) + 8;
  const left = PAD.left, right = width - PAD.right, bottom = height - PAD.bottom;
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
    legend.length ? legendRow(legend, left, 18 + LINE * (subtitle.length + 1)) : "",
    `<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" class="plot"/>`,
  ];
  const axis = (ticks: Ticks | undefined, range: [number, number]): [number, string][] => {
    if (ticks?.kind === "labels") {
      return ticks.at.filter((v) => v >= range[0] && v <= range[1]).map((v) => [v, ticks.label(v)]);
    }
    const values = niceTicks(range[0], range[1], 5, ticks?.integer ?? false);
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
  const lo = Math.min(...finite), hi = Math.max(...finite);
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

function table(t: NonNullable<ReportInput["metricsTable"]>): string {
  const cell = (v: string | number | null): string =>
    v === null ? "–" : typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : v;
  const head = t.headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const body = t.rows.map((r) =>
    `<tr>${r.map((v) => `<td>${escapeHtml(cell(v))}</td>`).join("")}</tr>`
  );
  return `<table><thead><tr>${head}</tr></thead><tbody>${body.join("")}</tbody></table>`;
}

function section(title: string, body: string): string {
  return `<section><h2>${escapeHtml(title)}</h2>\n${body}\n</section>`;
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:2em auto;max-width:720px;color:#222}
svg{display:block;margin:0 0 1.5em}
svg text{font-size:11px;font-family:inherit;fill:#333}svg .title{font-size:13px;font-weight:600}
svg .subtitle{fill:#555}svg .count{font-size:10px;fill:#1f4e79}
svg .plot{fill:#fafafa;stroke:#ccc}svg .grid{stroke:#e4e4e4;stroke-width:1}
svg .reference{stroke:#999;stroke-dasharray:5 3;stroke-width:1.5}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
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
    const xs = dates.map((_, i) => i);
    trading.push(lineChart("equity", "Equity against buy-and-hold", [
      { name: "strategy", xs, ys: strategy },
      { name: "buy-and-hold", xs, ys: buyAndHold },
    ], { x: "date", y: "equity", xTicks: indexTicks(dates.length, (i) => dates[i] ?? "") }));
  }
  if (input.drawdown) {
    const dd = input.drawdown;
    const dates = input.equity?.dates.length === dd.length ? input.equity.dates : undefined;
    trading.push(lineChart("drawdown", "Drawdown", [{
      name: "drawdown",
      xs: dd.map((_, i) => i),
      ys: dd.map((d) => -d),
    }], {
      x: dates ? "date" : "bar",
      y: "drawdown",
      xTicks: dates ? indexTicks(dd.length, (i) => dates[i]) : { kind: "numbers", integer: true },
    }));
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
