/**
 * The SVG primitives every chart of the HTML pages is drawn with: a frame (title, subtitle,
 * legend, plot area, round ticks and grid lines), polylines, reference lines and point series.
 * Every chart is an `<svg data-chart="…">` and every drawn series carries `data-series` and
 * `data-points` (its point count) so tests and people can check what was plotted. All text is
 * escaped with {@linkcode escapeHtml}.
 *
 * @example
 * ```ts
 * import { lineChart } from "./charts.ts";
 * const svg = lineChart("loss", "Loss per epoch", [{ name: "loss", xs: [1, 2], ys: [0.7, 0.69] }], {
 *   x: "epoch",
 *   y: "loss",
 * });
 * ```
 *
 * @module
 */

export const WIDTH = 640;
const HEIGHT = 320;
const PAD = { left: 60, right: 18, bottom: 40 };
const LINE = 15;
export const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e"];
/** Ten distinguishable colours for many series (one per fold). */
export const PALETTE = [
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
export const BUY_AND_HOLD = "#555";

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

export interface Series {
  name: string;
  xs: number[];
  ys: number[];
}

/** One legend entry: a line (solid or dashed) or a point, in a colour. */
export interface LegendItem {
  name: string;
  color: string;
  style?: "line" | "dashed" | "dotted" | "point" | "box";
}

/** How an axis is ticked: numbers (nice steps) or labels at chosen positions. */
export type Ticks =
  | { kind: "numbers"; integer?: boolean; percent?: boolean }
  | { kind: "labels"; at: number[]; label: (v: number) => string };

export interface Frame {
  x: (v: number) => number;
  y: (v: number) => number;
  top: number;
  bottom: number;
  left: number;
  right: number;
  svg: string[];
}

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));

export function extent(values: number[], fallback: [number, number]): [number, number] {
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
export function niceTicks(lo: number, hi: number, target = 5, integer = false): number[] {
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
export function frame(
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

export function polyline(f: Frame, s: Series, color: string, dash = ""): string {
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
export function diagonal(f: Frame, range: [number, number]): string {
  return `<line x1="${f.x(range[0])}" y1="${f.y(range[0])}" x2="${f.x(range[1])}" y2="${
    f.y(range[1])
  }" class="reference"/>`;
}

export function lineChart(
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

/** The line at 1.0 (the starting equity) across a chart. */
export function referenceAt(f: Frame, value: number): string {
  const py = f.y(value).toFixed(2);
  return `<line x1="${f.left}" y1="${py}" x2="${f.right}" y2="${py}" class="reference" data-reference="${value}"/>`;
}

/** About five evenly spaced index positions of `n` points, labelled with `names`. */
export function indexTicks(n: number, names: (i: number) => string): Ticks {
  const at = n <= 1 ? [0] : niceTicks(0, n - 1, 5, true);
  return { kind: "labels", at, label: (v) => names(v) };
}

/** Points joined by a line, grouped with their count (`data-series`, `data-points`). */
export function pointSeries(
  f: Frame,
  name: string,
  xs: number[],
  ys: number[],
  color: string,
  dash = "",
): string {
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
