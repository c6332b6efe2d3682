/**
 * The SVG primitives every chart of the HTML pages is drawn with: a frame (title, subtitle,
 * legend, plot area, round ticks and grid lines; round calendar ticks for dates), the line chart,
 * the heatmap, polylines, reference lines and point series, the note naming series that
 * coincide, and the HTML table.
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

export const WIDTH = 960;
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

/**
 * The smallest and largest finite value (widened by 0.5 each way when equal), or `fallback`.
 *
 * @example
 * ```ts
 * extent([3, NaN, 1], [0, 1]); // [1, 3]
 * ```
 */
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
  if (ticks.length < 2) return Number.isInteger(v) ? String(v) : fmt(v);
  const step = Number(Math.abs(ticks[1] - ticks[0]).toPrecision(12));
  if (Math.abs(v) >= 1000) return v.toFixed(0);
  // Steps are 1, 2, 2.5 or 5 times a power of ten: its decimals, one more for 2.5.
  const power = Math.floor(Math.log10(step) + 1e-9);
  const extra = Math.abs(step / 10 ** power - 2.5) < 1e-9 ? 1 : 0;
  const decimals = Math.max(0, Math.min(6, -power + extra));
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
    `<svg data-chart="${id}" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${
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

/**
 * One series as a polyline in a frame (non-finite points left out), carrying `data-series` and
 * `data-points`.
 *
 * @example
 * ```ts
 * f.svg.push(polyline(f, { name: "model", xs: [0, 1], ys: [1, 1.1] }, COLORS[0]));
 * ```
 */
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

/**
 * Series drawn as lines in the palette's colours, with a legend when there are several; optional
 * dashed reference lines (e.g. at 0) and a note under the chart naming series that coincide.
 *
 * @example
 * ```ts
 * lineChart("sharpe", "Rolling Sharpe", [{ name: "63 bars", xs: [0, 1], ys: [0.1, 0.2] }], {
 *   x: "date",
 *   y: "Sharpe",
 * }, { references: [0] });
 * ```
 */
export function lineChart(
  id: string,
  title: string,
  series: Series[],
  labels: { x: string; y: string; xTicks?: Ticks; yTicks?: Ticks; subtitle?: string[] },
  ranges: { x?: [number, number]; y?: [number, number]; references?: number[] } = {},
): string {
  const xr = ranges.x ?? extent(series.flatMap((s) => s.xs), [0, 1]);
  const [lo, hi] = extent([...series.flatMap((s) => s.ys), ...(ranges.references ?? [])], [0, 1]);
  // 4% of headroom, so a curve's extremes do not run along the plot's edge.
  const yr = ranges.y ?? [lo - 0.04 * (hi - lo), hi + 0.04 * (hi - lo)];
  const legend = series.length > 1
    ? series.map((s, i) => ({ name: s.name, color: COLORS[i % COLORS.length] }))
    : [];
  const f = frame(id, title, xr, yr, { ...labels, legend });
  for (const r of ranges.references ?? []) f.svg.push(referenceAt(f, r));
  series.forEach((s, i) => f.svg.push(polyline(f, s, COLORS[i % COLORS.length])));
  f.svg.push("</svg>");
  return f.svg.join("\n") + coincidenceNote(series.map((s) => ({ name: s.name, ys: s.ys })));
}

/**
 * The pairs of series whose values are all equal (NaN where the other is NaN, within 1e-12), as
 * sentences "X coincides with Y": one line hides the other on a chart, so the page says so.
 *
 * @example
 * ```ts
 * coincidences([{ name: "a", ys: [1, 2] }, { name: "b", ys: [1, 2] }]); // ["a coincides with b"]
 * ```
 */
export function coincidences(series: { name: string; ys: ArrayLike<number> }[]): string[] {
  const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => {
    if (a.length !== b.length || a.length === 0) return false;
    for (let i = 0; i < a.length; i++) {
      const x = a[i], y = b[i];
      if (Number.isNaN(x) !== Number.isNaN(y)) return false;
      if (!Number.isNaN(x) && Math.abs(x - y) > 1e-12) return false;
    }
    return true;
  };
  const found: string[] = [];
  const covered = new Set<number>();
  for (let i = 0; i < series.length; i++) {
    if (covered.has(i)) continue;
    const twins = series.map((_, j) => j).filter((j) =>
      j > i && !covered.has(j) && same(series[i].ys, series[j].ys)
    );
    twins.forEach((j) => covered.add(j));
    if (twins.length) {
      found.push(
        `${series[i].name} coincides with ${twins.map((j) => series[j].name).join(" and ")}`,
      );
    }
  }
  return found;
}

/** A note under a chart naming the series that coincide (see {@linkcode coincidences}), or `""`. */
export function coincidenceNote(series: { name: string; ys: ArrayLike<number> }[]): string {
  const found = coincidences(series);
  return found.length
    ? `\n<p class="note" data-coincides="${found.length}">${
      escapeHtml(`${found.join("; ")} (drawn on top of each other).`)
    }</p>`
    : "";
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const HOUR = 3_600_000, DAY = 24 * HOUR;

/** The calendar steps of date ticks, finest first, with their approximate length. */
const DATE_STEPS: { unit: "hour" | "day" | "month" | "year"; count: number; ms: number }[] = [
  ...[1, 2, 3, 6, 12].map((count) => ({ unit: "hour" as const, count, ms: count * HOUR })),
  ...[1, 2, 7, 14].map((count) => ({ unit: "day" as const, count, ms: count * DAY })),
  ...[1, 2, 3, 6].map((count) => ({ unit: "month" as const, count, ms: count * 30.44 * DAY })),
  ...[1, 2, 5, 10, 20, 50].map((count) => ({
    unit: "year" as const,
    count,
    ms: count * 365.25 * DAY,
  })),
];

/**
 * Round date ticks for a chart whose x axis is the index of `dates` (ascending ISO times, UTC):
 * the finest calendar step (hours, days, months, years) that gives at most `target` ticks over
 * the span, each placed at the first bar on or after its boundary and labelled by the step:
 * `2019` for years, `Mar 2020` for months, `2 Mar 2020` for days, `2 Mar 14:00` for hours.
 * Dates that do not parse fall back to about five evenly spaced indices labelled with the dates.
 *
 * @example
 * ```ts
 * const ticks = dateTicks(["2019-05-02", "2020-01-02", "2021-01-04", "2021-06-30"]);
 * // { kind: "labels", at: [1, 2], label } with labels "2020" and "2021"
 * ```
 */
export function dateTicks(dates: readonly string[], target = 8): Ticks {
  const times = dates.map((d) => Date.parse(d));
  const n = dates.length;
  if (n < 2 || times.some((t) => !Number.isFinite(t)) || !(times[n - 1] > times[0])) {
    return indexTicks(n, (i) => dates[i] ?? "");
  }
  const first = times[0], last = times[n - 1];
  const step = DATE_STEPS.find((s) => (last - first) / s.ms <= target) ??
    DATE_STEPS[DATE_STEPS.length - 1];
  const boundaries: number[] = [];
  const start = new Date(first);
  const y = start.getUTCFullYear();
  let m = start.getUTCMonth();
  if (step.unit === "year") {
    for (let year = Math.floor(y / step.count) * step.count;; year += step.count) {
      const t = Date.UTC(year, 0, 1);
      if (t > last) break;
      boundaries.push(t);
    }
  } else if (step.unit === "month") {
    for (m = Math.floor(m / step.count) * step.count;; m += step.count) {
      const t = Date.UTC(y, m, 1);
      if (t > last) break;
      boundaries.push(t);
    }
  } else if (step.unit === "day") {
    const limit = step.count === 1 ? 31 : 28;
    for (;; m++) {
      if (Date.UTC(y, m, 1) > last) break;
      for (let d = 1; d <= limit; d += step.count) {
        const t = Date.UTC(y, m, d);
        if (new Date(t).getUTCMonth() === ((m % 12) + 12) % 12) boundaries.push(t);
      }
    }
  } else {
    const day = Date.UTC(y, m, start.getUTCDate());
    for (let t = day; t <= last; t += step.count * HOUR) boundaries.push(t);
  }
  const label = (t: number): string => {
    const d = new Date(t);
    const month = MONTHS[d.getUTCMonth()];
    if (step.unit === "year") return String(d.getUTCFullYear());
    if (step.unit === "month") return `${month} ${d.getUTCFullYear()}`;
    if (step.unit === "day") return `${d.getUTCDate()} ${month} ${d.getUTCFullYear()}`;
    return `${d.getUTCDate()} ${month} ${String(d.getUTCHours()).padStart(2, "0")}:00`;
  };
  const names = new Map<number, string>();
  let i = 0;
  for (const t of boundaries) {
    if (t < first) continue;
    while (i < n && times[i] < t) i++;
    if (i >= n) break;
    if (!names.has(i)) names.set(i, label(t));
  }
  return { kind: "labels", at: [...names.keys()], label: (v) => names.get(v) ?? "" };
}

/**
 * A grid of values drawn as coloured cells with each value printed in its cell: colour diverging
 * around 0 (green above, red below, white at 0, full colour at the largest magnitude); `null`
 * cells are left blank. Rows are labelled on the left, columns above.
 *
 * @example
 * ```ts
 * heatmap("monthly", "Monthly returns", {
 *   rows: ["2024"],
 *   columns: ["Jan", "Feb"],
 *   values: [[0.012, -0.03]],
 * }, { format: (v) => `${(100 * v).toFixed(1)}%` });
 * ```
 */
export function heatmap(
  id: string,
  title: string,
  grid: { rows: string[]; columns: string[]; values: (number | null)[][] },
  options: { format: (v: number) => string; subtitle?: string[] },
): string {
  const { rows, columns, values } = grid;
  const subtitle = options.subtitle ?? [];
  const left = PAD.left, right = WIDTH - PAD.right;
  const top = 24 + LINE * subtitle.length + 22;
  const cellW = (right - left) / Math.max(1, columns.length), cellH = 24;
  const height = top + cellH * rows.length + 10;
  const finite = values.flat().filter((v): v is number => v !== null && Number.isFinite(v));
  const scale = finite.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
  const colour = (v: number): string => {
    const t = Math.min(1, Math.abs(v) / scale);
    const [r, g, b] = v >= 0 ? [44, 160, 44] : [214, 39, 40];
    const mix = (c: number): number => Math.round(255 + (c - 255) * 0.75 * t);
    return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
  };
  const svg = [
    `<svg data-chart="${id}" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="${
      escapeHtml(title)
    }">`,
    `<text x="${WIDTH / 2}" y="18" text-anchor="middle" class="title">${escapeHtml(title)}</text>`,
    ...subtitle.map((line, i) =>
      `<text x="${WIDTH / 2}" y="${18 + LINE * (i + 1)}" text-anchor="middle" class="subtitle">${
        escapeHtml(line)
      }</text>`
    ),
    ...columns.map((c, j) =>
      `<text x="${(left + cellW * (j + 0.5)).toFixed(2)}" y="${top - 6}" text-anchor="middle">${
        escapeHtml(c)
      }</text>`
    ),
  ];
  let cells = 0;
  rows.forEach((row, i) => {
    const y = top + cellH * i;
    svg.push(
      `<text x="${left - 6}" y="${y + cellH / 2 + 4}" text-anchor="end">${escapeHtml(row)}</text>`,
    );
    values[i].forEach((v, j) => {
      const x = left + cellW * j;
      const box = `x="${x.toFixed(2)}" y="${y}" width="${(cellW - 1).toFixed(2)}" height="${
        cellH - 1
      }"`;
      if (v === null || !Number.isFinite(v)) {
        svg.push(`<rect ${box} fill="#fafafa"/>`);
        return;
      }
      cells++;
      svg.push(
        `<rect ${box} fill="${colour(v)}" data-cell="${escapeHtml(`${row} ${columns[j]}`)}"/>` +
          `<text x="${(x + cellW / 2).toFixed(2)}" y="${y + cellH / 2 + 4}" text-anchor="middle">${
            escapeHtml(options.format(v))
          }</text>`,
      );
    });
  });
  svg.push(`<g data-series="cells" data-points="${cells}"></g>`, "</svg>");
  return svg.join("\n");
}

/**
 * A table of figures as HTML: a header row and rows of cells. Numbers print with four decimals
 * (counts are passed as strings, so no figure prints as a bare `1` beside `0.5083`); `null` is a
 * dash. `wrap` lets a figure with its interval (`0.0123 [-0.004, 0.03]`) break before its
 * bracket, and headers between words, instead of widening the table.
 *
 * @example
 * ```ts
 * tableHtml({ headers: ["metric", "model"], rows: [["accuracy", 0.53]] }); // … <td>0.5300</td> …
 * ```
 */
export function tableHtml(
  t: { headers: string[]; rows: (string | number | null)[][] },
  options: { wrap?: boolean } = {},
): string {
  const cell = (v: string | number | null): string =>
    v === null ? "–" : typeof v === "number" ? (Number.isNaN(v) ? "–" : v.toFixed(4)) : v;
  const head = t.headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  // Wrapping: only a figure with its interval breaks, before the bracket (never inside a date).
  const td = (text: string): string =>
    options.wrap && text.includes(" [")
      ? `<td class="w">${escapeHtml(text.slice(0, text.indexOf(" [")))} <span>${
        escapeHtml(text.slice(text.indexOf(" [") + 1))
      }</span></td>`
      : `<td>${escapeHtml(text)}</td>`;
  const body = t.rows.map((r) => `<tr>${r.map((v) => td(cell(v))).join("")}</tr>`);
  return `<div class="table"><table${
    options.wrap ? ' class="wrap"' : ""
  }><thead><tr>${head}</tr></thead><tbody>${body.join("")}</tbody></table></div>`;
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
