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
import type { CalibrationBin, RocPoint } from "./metrics.ts";

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
  /** ROC curve points. */
  roc?: RocPoint[];
  /** Calibration table (empty bins are not plotted). */
  calibration?: CalibrationBin[];
  /** Predicted probabilities, shown as a 20-bin histogram. */
  probabilities?: ArrayLike<number>;
  /** Equity of the strategy and of buy-and-hold at each date. */
  equity?: { strategy: number[]; buyAndHold: number[]; dates: string[] };
  /** Drawdown of the strategy at each date (positive fractions). */
  drawdown?: number[];
}

const WIDTH = 640;
const HEIGHT = 300;
const PAD = { left: 56, right: 16, top: 28, bottom: 36 };
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

interface Frame {
  x: (v: number) => number;
  y: (v: number) => number;
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

/** Opens a chart: frame, title, axis labels and min/max ticks. */
function frame(
  id: string,
  title: string,
  xr: [number, number],
  yr: [number, number],
  labels: { x: string; y: string; xTicks?: [string, string] },
): Frame {
  const iw = WIDTH - PAD.left - PAD.right, ih = HEIGHT - PAD.top - PAD.bottom;
  const x = (v: number): number => PAD.left + ((v - xr[0]) / (xr[1] - xr[0])) * iw;
  const y = (v: number): number => PAD.top + ih - ((v - yr[0]) / (yr[1] - yr[0])) * ih;
  const [x0, x1] = labels.xTicks ?? [fmt(xr[0]), fmt(xr[1])];
  const svg = [
    `<svg data-chart="${id}" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${
      escapeHtml(title)
    }">`,
    `<text x="${WIDTH / 2}" y="18" text-anchor="middle" class="title">${escapeHtml(title)}</text>`,
    `<rect x="${PAD.left}" y="${PAD.top}" width="${iw}" height="${ih}" class="plot"/>`,
    `<text x="${PAD.left}" y="${HEIGHT - 20}" text-anchor="start">${escapeHtml(x0)}</text>`,
    `<text x="${WIDTH - PAD.right}" y="${HEIGHT - 20}" text-anchor="end">${escapeHtml(x1)}</text>`,
    `<text x="${WIDTH / 2}" y="${HEIGHT - 6}" text-anchor="middle">${escapeHtml(labels.x)}</text>`,
    `<text x="${PAD.left - 4}" y="${PAD.top + 10}" text-anchor="end">${fmt(yr[1])}</text>`,
    `<text x="${PAD.left - 4}" y="${PAD.top + ih}" text-anchor="end">${fmt(yr[0])}</text>`,
    `<text x="14" y="${PAD.top + ih / 2}" text-anchor="middle" transform="rotate(-90 14 ${
      PAD.top + ih / 2
    })">${escapeHtml(labels.y)}</text>`,
  ];
  return { x, y, svg };
}

function polyline(f: Frame, s: Series, color: string): string {
  const pts: string[] = [];
  for (let i = 0; i < s.xs.length; i++) {
    if (Number.isFinite(s.xs[i]) && Number.isFinite(s.ys[i])) {
      pts.push(`${f.x(s.xs[i]).toFixed(2)},${f.y(s.ys[i]).toFixed(2)}`);
    }
  }
  return `<polyline data-series="${escapeHtml(s.name)}" data-points="${pts.length}" points="${
    pts.join(" ")
  }" fill="none" stroke="${color}" stroke-width="1.5"/>`;
}

function legend(series: Series[]): string {
  return series.map((s, i) =>
    `<text x="${PAD.left + 8}" y="${PAD.top + 16 + 14 * i}" fill="${COLORS[i % COLORS.length]}">${
      escapeHtml(s.name)
    }</text>`
  ).join("");
}

function lineChart(
  id: string,
  title: string,
  series: Series[],
  labels: { x: string; y: string; xTicks?: [string, string] },
  ranges: { x?: [number, number]; y?: [number, number]; diagonal?: boolean } = {},
): string {
  const xr = ranges.x ?? extent(series.flatMap((s) => s.xs), [0, 1]);
  const yr = ranges.y ?? extent(series.flatMap((s) => s.ys), [0, 1]);
  const f = frame(id, title, xr, yr, labels);
  if (ranges.diagonal) {
    f.svg.push(
      `<line x1="${f.x(0)}" y1="${f.y(0)}" x2="${f.x(1)}" y2="${f.y(1)}" class="reference"/>`,
    );
  }
  series.forEach((s, i) => f.svg.push(polyline(f, s, COLORS[i % COLORS.length])));
  f.svg.push(legend(series), "</svg>");
  return f.svg.join("\n");
}

function histogram(probabilities: ArrayLike<number>): string {
  const bins = 20;
  const counts = new Array(bins).fill(0);
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i];
    if (p >= 0 && p <= 1) counts[Math.min(bins - 1, Math.floor(p * bins))]++;
  }
  const f = frame("histogram", "Predicted probability of up", [0, 1], [
    0,
    counts.reduce((a, b) => Math.max(a, b), 1),
  ], {
    x: "probability",
    y: "rows",
  });
  const rects = counts.map((c, b) => {
    const x0 = f.x(b / bins), x1 = f.x((b + 1) / bins);
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
svg text{font-size:11px;font-family:inherit}svg .title{font-size:13px;font-weight:600}
svg .plot{fill:#fafafa;stroke:#ccc}svg .reference{stroke:#999;stroke-dasharray:4 3}
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
    const ticks: [string, string] = ["1", String(h.length)];
    const curves = (names: [Curve, Curve]): Series[] =>
      names.map((name) => ({ name, xs: epochs, ys: pick(name) }))
        .filter((s) => s.ys.some(Number.isFinite));
    parts.push(section(
      "Training",
      lineChart("loss", "Loss per epoch", curves(["loss", "val_loss"]), {
        x: "epoch",
        y: "loss",
        xTicks: ticks,
      }) + "\n" +
        lineChart("accuracy", "Accuracy per epoch", curves(["accuracy", "val_accuracy"]), {
          x: "epoch",
          y: "accuracy",
          xTicks: ticks,
        }),
    ));
  }
  const scoring: string[] = [];
  if (input.roc) {
    const roc = { name: "model", xs: input.roc.map((p) => p.fpr), ys: input.roc.map((p) => p.tpr) };
    scoring.push(
      lineChart("roc", "ROC curve", [roc], { x: "false-positive rate", y: "true-positive rate" }, {
        x: [0, 1],
        y: [0, 1],
        diagonal: true,
      }),
    );
  }
  if (input.calibration) {
    const bins = input.calibration.filter((b) => b.count > 0);
    const s = {
      name: "observed",
      xs: bins.map((b) => b.meanPredicted!),
      ys: bins.map((b) => b.observedRate!),
    };
    scoring.push(
      lineChart("calibration", "Calibration", [s], { x: "mean predicted", y: "observed up rate" }, {
        x: [0, 1],
        y: [0, 1],
        diagonal: true,
      }),
    );
  }
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
    const ticks: [string, string] = [dates[0] ?? "", dates[dates.length - 1] ?? ""];
    trading.push(lineChart("equity", "Equity against buy-and-hold", [
      { name: "strategy", xs, ys: strategy },
      { name: "buy-and-hold", xs, ys: buyAndHold },
    ], { x: "date", y: "equity", xTicks: ticks }));
  }
  if (input.drawdown) {
    const dd = input.drawdown;
    const ticks: [string, string] | undefined = input.equity?.dates.length === dd.length
      ? [input.equity.dates[0], input.equity.dates[dd.length - 1]]
      : undefined;
    trading.push(lineChart("drawdown", "Drawdown", [{
      name: "drawdown",
      xs: dd.map((_, i) => i),
      ys: dd.map((d) => -d),
    }], { x: ticks ? "date" : "bar", y: "drawdown", xTicks: ticks }));
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
