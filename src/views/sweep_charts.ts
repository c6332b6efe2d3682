/**
 * The sweep leaderboard's chart: every scored configuration's pooled Brier
 * skill with its 95% interval, in rank order, the winner marked (and its
 * holdout score beside it once confirmed), against the zero line of the base
 * rate.
 *
 * @example
 * ```ts
 * import { skillChart } from "./sweep_charts.ts";
 * const svg = skillChart(board);
 * ```
 *
 * @module
 */

import { type ConfidenceInterval, formatPValue } from "../eval/metrics.ts";
import type { Leaderboard } from "../sweep/leaderboard.ts";
import { COLORS, escapeHtml, extent, frame, referenceAt } from "./charts.ts";

const WINNER = "#2ca02c";
const HOLDOUT = "#ff7f0e";

/** A point with its interval's whisker at x (hollow when the interval includes zero). */
function whisker(
  f: ReturnType<typeof frame>,
  x: number,
  ci: ConfidenceInterval,
  color: string,
  tip: string,
): string {
  const px = f.x(x).toFixed(2);
  const bar = Number.isFinite(ci.lower) && Number.isFinite(ci.upper)
    ? `<line x1="${px}" y1="${f.y(ci.lower).toFixed(2)}" x2="${px}" y2="${
      f.y(ci.upper).toFixed(2)
    }" stroke="${color}" stroke-width="2"/>` +
      [ci.lower, ci.upper].map((v) =>
        `<line x1="${(f.x(x) - 4).toFixed(2)}" y1="${f.y(v).toFixed(2)}" x2="${
          (f.x(x) + 4).toFixed(2)
        }" y2="${f.y(v).toFixed(2)}" stroke="${color}" stroke-width="2"/>`
      ).join("")
    : "";
  const above = ci.lower > 0;
  return `${bar}<circle cx="${px}" cy="${f.y(ci.estimate).toFixed(2)}" r="4.5" fill="${
    above ? color : "#fff"
  }" stroke="${color}" stroke-width="2"><title>${escapeHtml(tip)}</title></circle>`;
}

const f4 = (v: number): string => (Number.isFinite(v) ? v.toFixed(4) : "–");

/**
 * Every scored configuration's pooled Brier skill against climatology with
 * its 95% block-bootstrap interval, rank 1 (the winner, marked) on the left;
 * the winner's holdout skill beside it once confirmed. The configurations'
 * whiskers are one `data-series="configurations"` with `data-points` their
 * count. Empty string when nothing was scored.
 *
 * @example
 * ```ts
 * const svg = skillChart(board); // "<svg data-chart=\"sweep-skill\" …"
 * ```
 */
export function skillChart(board: Leaderboard): string {
  const ranking = board.ranking;
  if (ranking.length === 0) return "";
  const holdout = board.winner?.holdout ?? null;
  const values = ranking.flatMap((
    e,
  ) => [e.brierSkill.lower, e.brierSkill.upper, e.brierSkill.estimate]);
  if (holdout) values.push(holdout.brierSkill.lower, holdout.brierSkill.upper);
  const [lo, hi] = extent([...values, 0], [-0.01, 0.01]);
  const pad = 0.08 * (hi - lo);
  const n = ranking.length;
  const step = Math.max(1, Math.ceil(n / 25));
  const at = ranking.map((e) => e.rank).filter((r) => r === 1 || r % step === 0);
  const w = board.winner;
  const legend = [
    { name: "configuration: pooled skill, 95% interval", color: COLORS[0] },
    { name: "winner (rank 1)", color: WINNER },
    ...(holdout ? [{ name: "winner on the holdout", color: HOLDOUT }] : []),
    { name: "0 = the base rate", color: "#999", style: "dashed" as const },
  ];
  const f = frame(
    "sweep-skill",
    "Brier skill of every configuration against climatology",
    [0.3, n + 0.7],
    [lo - pad, hi + pad],
    {
      x: "rank (1 = best pooled skill; hover a point for its configuration)",
      y: "Brier skill",
      xTicks: { kind: "labels", at, label: (v) => `#${v}` },
      subtitle: [
        `${board.scored} of ${board.tried} configurations scored; filled: interval above zero, hollow: it includes zero`,
        ...(w
          ? [
            w.noBetterThanChance
              ? `the winner is no better than chance as the best of ${board.scored} (reality check, ${
                formatPValue(w.pBestOfN)
              })`
              : `the winner's skill survives the correction for ${board.scored} configurations (reality check, ${
                formatPValue(w.pBestOfN)
              })`,
          ]
          : []),
      ],
      legend,
    },
    { height: 360 },
  );
  f.svg.push(referenceAt(f, 0));
  const points = ranking.map((e) =>
    whisker(
      f,
      e.rank,
      e.brierSkill,
      e.rank === 1 ? WINNER : COLORS[0],
      `#${e.rank} ${e.label}: Brier skill ${f4(e.brierSkill.estimate)} [${
        f4(e.brierSkill.lower)
      }, ${f4(e.brierSkill.upper)}]`,
    )
  );
  f.svg.push(
    `<g data-series="configurations" data-points="${n}">${points.join("")}</g>`,
  );
  if (w) {
    const x = f.x(1).toFixed(2);
    f.svg.push(
      `<text x="${x}" y="${(f.top + 12).toFixed(2)}" text-anchor="middle" data-winner="${
        escapeHtml(w.id)
      }" fill="${WINNER}">winner</text>`,
    );
  }
  if (holdout) {
    f.svg.push(
      `<g data-series="holdout" data-points="1">${
        whisker(
          f,
          1.45,
          holdout.brierSkill,
          HOLDOUT,
          `the winner on the holdout (${holdout.rows} rows ${holdout.first} to ${holdout.last}): ${
            f4(holdout.brierSkill.estimate)
          } [${f4(holdout.brierSkill.lower)}, ${f4(holdout.brierSkill.upper)}]`,
        )
      }</g>`,
    );
  }
  f.svg.push("</svg>");
  return f.svg.join("\n");
}
