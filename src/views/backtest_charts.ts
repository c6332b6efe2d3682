/**
 * The charts of a backtest: equity against buy-and-hold (positions shaded behind the curves,
 * trades marked on the strategy's), drawdown from the running peak, and the positions held.
 *
 * @example
 * ```ts
 * import { equityChart } from "./backtest_charts.ts";
 * const svg = equityChart({ strategy: [1, 1.01], buyAndHold: [1, 1.02], dates: ["2024-01-02", "2024-01-03"] });
 * ```
 *
 * @module
 */

import {
  BUY_AND_HOLD,
  COLORS,
  escapeHtml,
  extent,
  type Frame,
  frame,
  indexTicks,
  type LegendItem,
  polyline,
  referenceAt,
} from "./charts.ts";

/**
 * Equity of the strategy and of buy-and-hold at each date, drawn with a reference line at
 * 1.0 (the starting equity); optionally the strategy's positions (shaded behind the curves),
 * its trades (marked on its curve) and further arms on the same dates (e.g. the A/B test's).
 */
export interface EquityInput {
  /** The strategy's equity at each date (starts at 1). */
  strategy: number[];
  /** Buy-and-hold's equity at each date (starts at 1). */
  buyAndHold: number[];
  /** The dates, one per equity value. */
  dates: string[];
  /** The strategy's name in legends (default `strategy`). */
  strategyName?: string;
  /** The strategy's position during each date: 1 long, −1 short, 0 flat. */
  positions?: number[];
  /** The strategy's round trips: entries and exits marked on its curve. */
  trades?: TradeMark[];
  /** More strategies on the same dates, drawn beside the strategy, with their drawdowns. */
  arms?: EquityArm[];
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

export function equityChart(eq: EquityInput): string {
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

export function drawdownChart(
  dd: number[],
  eq: EquityInput | undefined,
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
export function positionsChart(eq: EquityInput): string {
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
