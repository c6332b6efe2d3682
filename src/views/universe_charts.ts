/**
 * The charts of a universe page, drawn with the primitives of `charts.ts`: the rolling mean of the model's daily information coefficient,
 * the mean return of each score decile for every ranking, and the histogram
 * of the network's scores with the scored rows' base rate.
 *
 * @example
 * ```ts
 * import { decileChart } from "./universe_charts.ts";
 * const svg = decileChart([{ name: "model", deciles: new Array(10).fill(0.001) }]);
 * ```
 *
 * @module
 */

import {
  BUY_AND_HOLD,
  COLORS,
  dateTicks,
  escapeHtml,
  extent,
  frame,
  PALETTE,
  polyline,
  referenceAt,
} from "./charts.ts";

/**
 * One day's rank correlation between a score and the label across the
 * symbols scored that day.
 *
 * @example
 * ```ts
 * const d: DailyIc = { date: "2017-05-18", ic: 0.03, symbols: 20 };
 * ```
 */
export interface DailyIc {
  /** The reference date (the day the ranking was made). */
  date: string;
  /** Spearman correlation of the score with the label that day. */
  ic: number;
  /** Symbols ranked that day. */
  symbols: number;
}

/** Average ranks (1-based, ties share their mean rank) of `values`. */
function ranks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
  const out = new Array<number>(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]] === values[order[i]]) j++;
    for (let k = i; k <= j; k++) out[order[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

/** Pearson correlation; NaN when either side is constant. */
function correlation(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n, my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

/**
 * The daily information coefficient of `scores` with `labels` (realised
 * returns, or 0/1 labels): for each reference date with at least
 * `minSymbols` rows where both are finite, the Spearman correlation of the
 * score with the label across that day's rows. Days in date order.
 *
 * @example
 * ```ts
 * const days = dailyIc([0.4, 0.6, 0.5, 0.7], [0, 1, 0, 1], ["d1", "d1", "d2", "d2"], { minSymbols: 2 });
 * days.map((d) => d.ic); // [1, 1]
 * ```
 */
export function dailyIc(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  dates: readonly string[],
  options: { minSymbols?: number } = {},
): DailyIc[] {
  const minSymbols = options.minSymbols ?? 5;
  const byDay = new Map<string, number[]>();
  for (let i = 0; i < dates.length; i++) {
    if (!Number.isFinite(scores[i]) || !Number.isFinite(labels[i])) continue;
    const day = dates[i].slice(0, 10);
    let list = byDay.get(day);
    if (!list) byDay.set(day, list = []);
    list.push(i);
  }
  const out: DailyIc[] = [];
  for (const [date, list] of [...byDay].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (list.length < minSymbols) continue;
    const ic = correlation(
      ranks(list.map((i) => scores[i])),
      ranks(list.map((i) => labels[i])),
    );
    if (Number.isFinite(ic)) out.push({ date, ic, symbols: list.length });
  }
  return out;
}

/**
 * The trailing mean of `values` over `window` points; NaN until a whole
 * window has passed (a mean of a few first days would swing widely).
 *
 * @example
 * ```ts
 * rollingMean([1, 2, 3, 4], 2); // [NaN, 1.5, 2.5, 3.5]
 * ```
 */
export function rollingMean(values: readonly number[], window: number): number[] {
  let sum = 0;
  return values.map((v, i) => {
    sum += v;
    if (i >= window) sum -= values[i - window];
    return i + 1 >= window ? sum / window : NaN;
  });
}

/**
 * The mean and the t-statistic over days of a daily IC series.
 *
 * @example
 * ```ts
 * icSummary([0.1, 0.2, 0.3]); // { mean: 0.2, t: 3.46…, days: 3 }
 * ```
 */
export function icSummary(ics: readonly number[]): { mean: number; t: number; days: number } {
  const n = ics.length;
  if (n === 0) return { mean: NaN, t: NaN, days: 0 };
  const m = ics.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(ics.reduce((a, x) => a + (x - m) ** 2, 0) / (n - 1)) : NaN;
  return { mean: m, t: sd > 0 ? m / (sd / Math.sqrt(n)) : NaN, days: n };
}

/**
 * The rolling mean of the daily IC over time, with the zero line and the
 * whole period's mean; its subtitle gives the mean and its t.
 *
 * @example
 * ```ts
 * const svg = rollingIcChart(days, { what: "the label (1 = beat the median)" });
 * ```
 */
export function rollingIcChart(
  days: readonly DailyIc[],
  options: { window?: number; what: string },
): string {
  // Twenty days, or fewer when the period is short: at least three windows fit.
  const window = options.window ?? Math.max(1, Math.min(20, Math.floor(days.length / 3)));
  const ics = days.map((d) => d.ic);
  const rolling = rollingMean(ics, window);
  const s = icSummary(ics);
  const xs = days.map((_, i) => i);
  const xr: [number, number] = days.length > 1 ? [0, days.length - 1] : [-0.5, 0.5];
  const [lo, hi] = extent([...rolling, 0, s.mean], [-0.1, 0.1]);
  const pad = 0.08 * (hi - lo);
  const f = frame("rolling-ic", `Model's daily IC, rolling ${window}-day mean`, xr, [
    lo - pad,
    hi + pad,
  ], {
    x: "reference date",
    y: "IC",
    xTicks: dateTicks(days.map((d) => d.date)),
    subtitle: [
      `daily Spearman correlation of the network's score with ${options.what} across the symbols scored that day`,
      `mean ${fixedOrDash(s.mean, 4)} (t ${
        fixedOrDash(s.t, 2)
      } over ${s.days} days); above 0: higher scores went with higher returns`,
    ],
    legend: [
      { name: `rolling ${window}-day mean`, color: COLORS[0] },
      { name: "mean of the period", color: COLORS[1], style: "dotted" },
      { name: "0 (no ranking skill)", color: "#999", style: "dashed" },
    ],
  }, {});
  f.svg.push(referenceAt(f, 0));
  if (Number.isFinite(s.mean)) {
    f.svg.push(
      polyline(
        f,
        { name: "mean", xs: [xr[0], xr[1]], ys: [s.mean, s.mean] },
        COLORS[1],
        "2 2",
      ),
    );
  }
  f.svg.push(polyline(f, { name: "rolling IC", xs, ys: rolling }, COLORS[0]));
  f.svg.push("</svg>");
  return f.svg.join("\n");
}

const fixedOrDash = (v: number, digits: number): string =>
  Number.isFinite(v) ? v.toFixed(digits) : "–";

/**
 * Mean daily return of each score decile (1 = lowest score) as grouped bars,
 * one colour per ranking; each ranking's bars are a `data-series` with
 * `data-points` 10 (its deciles with a value).
 *
 * @example
 * ```ts
 * const svg = decileChart([{ name: "model", deciles: [-0.001, 0, 0, 0, 0, 0, 0, 0, 0, 0.001] }]);
 * ```
 */
export function decileChart(
  rankings: readonly { name: string; deciles: readonly number[] }[],
  options: { what?: string } = {},
): string {
  const groups = 10;
  const values = rankings.flatMap((r) => r.deciles).filter(Number.isFinite);
  const [lo, hi] = extent([...values, 0], [-0.001, 0.001]);
  const pad = 0.08 * (hi - lo);
  const colors = rankings.map((_, i) => PALETTE[i % PALETTE.length]);
  const f = frame("deciles", "Mean return by score decile", [0.5, groups + 0.5], [
    Math.min(0, lo - pad),
    Math.max(0, hi + pad),
  ], {
    x: "score decile (1 = lowest score, 10 = highest)",
    y: "mean return per day",
    xTicks: { kind: "labels", at: Array.from({ length: groups }, (_, q) => q + 1), label: String },
    yTicks: { kind: "numbers", percent: true },
    subtitle: [
      `each day the scored symbols are split into ten groups by score; the bars are the groups' mean ${
        options.what ?? "return"
      }, averaged over days`,
      "a ranking that works rises from decile 1 to decile 10",
    ],
    legend: rankings.map((r, i) => ({ name: r.name, color: colors[i], style: "box" as const })),
  }, { height: 360 });
  const slot = (f.x(1.5) - f.x(0.5)) * 0.8;
  const bar = slot / Math.max(1, rankings.length);
  const zero = f.y(0);
  rankings.forEach((r, k) => {
    const rects: string[] = [];
    for (let q = 0; q < groups; q++) {
      const v = r.deciles[q];
      if (!Number.isFinite(v)) continue;
      const x0 = f.x(q + 1) - slot / 2 + k * bar;
      const y = f.y(v);
      rects.push(
        `<rect x="${x0.toFixed(2)}" y="${Math.min(y, zero).toFixed(2)}" width="${
          Math.max(0.5, bar - 1).toFixed(2)
        }" height="${Math.abs(zero - y).toFixed(2)}" fill="${colors[k]}"><title>${
          escapeHtml(`${r.name}, decile ${q + 1}: ${(100 * v).toFixed(3)}% a day`)
        }</title></rect>`,
      );
    }
    f.svg.push(
      `<g data-series="${escapeHtml(r.name)}" data-points="${rects.length}">${rects.join("")}</g>`,
    );
  });
  f.svg.push(referenceAt(f, 0));
  f.svg.push("</svg>");
  return f.svg.join("\n");
}

/**
 * A 20-bin histogram of the network's scores (zoomed to where they lie),
 * titled by what the score is a probability of, with a vertical line at the
 * scored rows' base rate (their share of 1 labels).
 *
 * @example
 * ```ts
 * const svg = scoreHistogram([0.49, 0.51], { baseRate: 0.5, label: "beats-median" });
 * ```
 */
export function scoreHistogram(
  scores: ArrayLike<number>,
  options: { baseRate: number; label: "up" | "beats-median" },
): string {
  const bins = 20;
  const values = Array.from(scores).filter((p) => p >= 0 && p <= 1);
  const [vlo, vhi] = extent([...values, options.baseRate], [0, 1]);
  const pad = Math.max(0.005, 0.05 * (vhi - vlo));
  const lo = Math.max(0, vlo - pad), hi = Math.min(1, vhi + pad);
  const counts = new Array(bins).fill(0);
  for (const p of values) {
    counts[Math.max(0, Math.min(bins - 1, Math.floor(((p - lo) / (hi - lo)) * bins)))]++;
  }
  const what = options.label === "beats-median"
    ? "probability of beating the median"
    : "probability of up";
  const share = options.label === "beats-median" ? "share beating the median" : "share up";
  const f = frame(
    "histogram",
    `The network's ${what}`,
    [lo, hi],
    [0, counts.reduce((a, b) => Math.max(a, b), 1)],
    {
      x: `${what} (raw, before calibration; zoomed to ${lo.toFixed(3)}–${hi.toFixed(3)})`,
      y: "rows",
      yTicks: { kind: "numbers", integer: true },
      subtitle: [
        `${values.length} scored rows; the portfolio ranks them by this score within each day`,
      ],
      legend: [{
        name: `base rate of the scored rows (${share}) ${options.baseRate.toFixed(3)}`,
        color: BUY_AND_HOLD,
        style: "dashed",
      }],
    },
  );
  const rects = counts.map((c, b) => {
    const x0 = f.x(lo + (b / bins) * (hi - lo)), x1 = f.x(lo + ((b + 1) / bins) * (hi - lo));
    return `<rect x="${x0.toFixed(2)}" y="${f.y(c).toFixed(2)}" width="${
      (x1 - x0 - 1).toFixed(2)
    }" height="${(f.y(0) - f.y(c)).toFixed(2)}" fill="${COLORS[0]}"><title>${c}</title></rect>`;
  });
  const bx = f.x(options.baseRate).toFixed(2);
  f.svg.push(
    `<g data-series="bins" data-points="${bins}" data-count="${values.length}">${
      rects.join("")
    }</g>`,
    `<line x1="${bx}" y1="${f.top}" x2="${bx}" y2="${f.bottom}" stroke="${BUY_AND_HOLD}" stroke-width="1.5" stroke-dasharray="5 3" data-reference="base-rate" data-value="${
      options.baseRate.toFixed(4)
    }"/>`,
    "</svg>",
  );
  return f.svg.join("\n");
}
