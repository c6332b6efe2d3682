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
  coincidenceNote,
  COLORS,
  dateTicks,
  escapeHtml,
  extent,
  type Frame,
  frame,
  type LegendItem,
  niceTicks,
  polyline,
  referenceAt,
  type Ticks,
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
/** The equity chart's y axis is logarithmic when its highest value is more than this times its lowest. */
export const LOG_AXIS_GROWTH = 3;

/**
 * Ticks of a logarithmic equity axis drawn in `ln` units: powers of two inside the range (0.25,
 * 0.5, 1, 2, 4, …), or round values where fewer than three powers fall inside.
 */
function logTicks(lo: number, hi: number): Ticks {
  const powers: number[] = [];
  for (let k = Math.ceil(Math.log2(lo)); k <= Math.floor(Math.log2(hi)); k++) powers.push(2 ** k);
  const values = powers.length >= 3 ? powers : niceTicks(lo, hi, 5).filter((v) => v > 0);
  const label = (v: number): string => (v >= 10 ? v.toFixed(0) : String(Number(v.toFixed(3))));
  return { kind: "labels", at: values.map(Math.log), label: (v) => label(Math.exp(v)) };
}

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

/**
 * Equity of the strategy, its arms and buy-and-hold on round date ticks (a log axis when the
 * highest value exceeds {@linkcode LOG_AXIS_GROWTH} times the lowest), positions shaded, trades
 * marked, and a note under the chart naming curves that coincide.
 *
 * @example
 * ```ts
 * const svg = equityChart({ strategy: [1, 1.01], buyAndHold: [1, 1.02], dates: ["2024-01-02", "2024-01-03"] });
 * ```
 */
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
  // Growth beyond LOG_AXIS_GROWTH times: a log axis, so equal returns are equal heights.
  const log = lo > 0 && hi / lo > LOG_AXIS_GROWTH;
  const ty = (v: number): number => (log ? Math.log(v) : v);
  const pad = 0.04 * (ty(hi) - ty(lo));
  const yr: [number, number] = [ty(lo) - pad, ty(hi) + pad];
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
  if (log) {
    subtitle.push(
      `log scale: the highest equity is ${
        (hi / lo).toFixed(1)
      } times the lowest, so equal returns rise equally`,
    );
  }
  const f = frame("equity", "Equity against buy-and-hold", xr, yr, {
    x: "date",
    y: `equity (starts at 1${log ? ", log scale" : ""})`,
    xTicks: dateTicks(dates),
    yTicks: log ? logTicks(lo, hi) : undefined,
    subtitle,
    legend,
  }, { height: 400 });
  if (log) f.svg[0] = f.svg[0].replace("<svg ", '<svg data-scale="log" ');
  const line = (name: string, ys: number[], color: string): string =>
    polyline(f, { name, xs, ys: log ? ys.map((v) => Math.log(v)) : ys }, color);
  if (positions) f.svg.push(shading(f, positions, xr, "strategy"));
  f.svg.push(referenceAt(f, ty(1)).replace(`data-reference="${ty(1)}"`, 'data-reference="1"'));
  f.svg.push(line("buy-and-hold", buyAndHold, BUY_AND_HOLD));
  arms.forEach((a, i) => f.svg.push(line(a.name, a.equity, ARM_COLORS[i % ARM_COLORS.length])));
  f.svg.push(line("strategy", strategy, COLORS[0]));
  if (trades.length && marked) {
    const mark = (time: string, up: boolean): string => {
      const i = index.get(time);
      if (i === undefined || !Number.isFinite(strategy[i])) return "";
      const cx = f.x(i), cy = f.y(ty(strategy[i]));
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
  return f.svg.join("\n") + coincidenceNote([
    { name, ys: strategy },
    ...arms.map((a) => ({ name: a.name, ys: a.equity })),
    { name: "buy-and-hold", ys: buyAndHold },
  ]);
}

/**
 * The underwater plot: the drawdown from the running peak of the strategy (shaded) and, with
 * matching equity, of every arm and of buy-and-hold; the subtitle gives each one's deepest fall
 * and says it is after costs (the same figure as the table's max drawdown).
 *
 * @example
 * ```ts
 * const svg = drawdownChart(result.drawdown, undefined, { costBps: 5 });
 * ```
 */
export function drawdownChart(
  dd: number[],
  eq: EquityInput | undefined,
  options: { costBps?: number } = {},
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
    xTicks: matched ? dateTicks(matched.dates) : { kind: "numbers", integer: true },
    yTicks: { kind: "numbers", percent: true },
    subtitle: [
      `deepest: ${
        series.map((s, i) => `${s.label} ${(100 * worst[i]).toFixed(1)}%`).join(", ")
      } (after costs${
        options.costBps === undefined ? "" : ` of ${options.costBps} bps per side`
      }, as the table's max drawdown)`,
    ],
    legend: series.length > 1 ? series.map((s) => ({ name: s.label, color: s.color })) : [],
  });
  // The strategy's area under water, shaded from 0.
  const finite = xs.filter((i) => Number.isFinite(dd[i]));
  if (finite.length > 1) {
    const pts = finite.map((i) => `${f.x(i).toFixed(2)},${f.y(-dd[i]).toFixed(2)}`);
    f.svg.push(
      `<polygon points="${f.x(finite[0]).toFixed(2)},${f.y(0).toFixed(2)} ${pts.join(" ")} ${
        f.x(finite[finite.length - 1]).toFixed(2)
      },${f.y(0).toFixed(2)}" fill="${COLORS[0]}" fill-opacity="0.15"/>`,
    );
  }
  // Buy-and-hold first, the strategy last (on top).
  for (const s of [...series].reverse()) {
    f.svg.push(polyline(f, { name: s.name, xs, ys: s.ys.map((d) => -d) }, s.color));
  }
  f.svg.push("</svg>");
  return f.svg.join("\n") + coincidenceNote(series.map((s) => ({ name: s.label, ys: s.ys })));
}

/**
 * One lane per strategy with positions: long spans green, short spans red.
 *
 * @example
 * ```ts
 * const svg = positionsChart({ strategy: [1, 1.01], buyAndHold: [1, 1.02], dates, positions: [1, 0] });
 * ```
 */
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
    xTicks: dateTicks(eq.dates),
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
