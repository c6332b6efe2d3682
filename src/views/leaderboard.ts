/**
 * The sweep leaderboard's pages: a text table with the conclusions (what
 * `deno task sweep` prints and writes to `leaderboard.txt`) and one
 * self-contained HTML page (`leaderboard.html`). The leaderboard itself (the
 * ranking, the best-of-N test, the holdout confirmation) is data built by
 * `src/sweep/leaderboard.ts`.
 *
 * @example
 * ```ts
 * import { leaderboardText } from "./leaderboard.ts";
 * console.log(leaderboardText(board));
 * ```
 *
 * @module
 */

import { formatPValue } from "../eval/metrics.ts";
import type { Leaderboard } from "../sweep/leaderboard.ts";
import { formatTable } from "../util/table.ts";
import { bracketed, fixed } from "./format.ts";
import { escapeHtml } from "./charts.ts";
import { skillChart } from "./sweep_charts.ts";

/** Level of the verdicts (the leaderboard's tests are at 5%). */
const ALPHA = 0.05;

/**
 * What the ranking's `p` column means, and how the N configurations tried
 * weigh on it: how many pass 0.05 uncorrected and after Bonferroni's
 * correction for N, and whether the winner's edge survives the number
 * tried (its best-of-N reality check, and its Bonferroni-adjusted test
 * against always-up). One sentence per line; empty when nothing was scored.
 *
 * @example
 * ```ts
 * multipleTestingVerdict(board).join("\n");
 * // "p is each configuration's own one-sided p-value …"
 * ```
 */
export function multipleTestingVerdict(board: Leaderboard): string[] {
  const w = board.winner;
  const n = board.scored;
  if (!w || n === 0) return [];
  const ps = board.ranking.map((e) => e.pValueVsAlwaysUp);
  const bonferroni = ALPHA / n;
  const raw = ps.filter((p) => p < ALPHA).length;
  const corrected = ps.filter((p) => p < bonferroni).length;
  const winner = board.ranking.find((e) => e.id === w.id);
  const lines = [
    `p is each configuration's own one-sided p-value for "its accuracy beats always-up on the same rows" (a circular block bootstrap of the paired per-row differences), not corrected for the ${n} configuration${
      n === 1 ? "" : "s"
    } scored: among ${n} configurations without any edge, about ${
      (n * ALPHA).toFixed(n * ALPHA < 1 ? 2 : 1)
    } would show p < 0.05 by luck alone.`,
    `${raw} of ${n} have p < 0.05 uncorrected; ${corrected} of ${n} after Bonferroni's correction for ${n} (p × ${n} < 0.05, that is p < ${
      bonferroni.toPrecision(2)
    }).`,
  ];
  const pAgainstUp = winner ? formatPValue(winner.pValueVsAlwaysUp) : "p = –";
  lines.push(
    `The winner ${
      w.id.slice(0, 8)
    } (${w.label}) was chosen as the best of ${n} on Brier skill. Corrected for that choice (White's reality check, studentized: how often the best of ${n} configurations without skill scores this well on the same resampled rows): ${
      formatPValue(w.pBestOfN)
    } (alone, uncorrected: ${
      formatPValue(w.pAlone)
    }). Its accuracy against always-up: ${pAgainstUp}; after Bonferroni for ${n}: ${
      formatPValue(w.pBonferroni)
    }.`,
  );
  const skill = w.noBetterThanChance
    ? `its skill does not survive the number of configurations tried: the best of ${n} without any skill scores this well by luck (${
      formatPValue(w.pBestOfN)
    }, not below 0.05)`
    : `its skill survives the number of configurations tried (${
      formatPValue(w.pBestOfN)
    }, below 0.05)`;
  const accuracy = w.pBonferroni < ALPHA
    ? "its edge over always-up survives Bonferroni's correction too"
    : "its edge over always-up does not survive Bonferroni's correction";
  lines.push(`Verdict: ${skill}; ${accuracy}.`);
  return lines;
}

function tableRows(board: Leaderboard): string[][] {
  return [
    [
      "rank",
      "id",
      "configuration",
      "brier skill [95%]",
      "log-loss skill",
      "auc",
      "accuracy",
      "always-up",
      "p",
      "secs",
      "worker",
    ],
    ...board.ranking.map((e) => [
      String(e.rank),
      e.id.slice(0, 8),
      e.label,
      `${fixed(e.brierSkill.estimate)} ${bracketed(e.brierSkill)}`,
      fixed(e.logLossSkill.estimate),
      fixed(e.auc),
      fixed(e.accuracy),
      fixed(e.alwaysUp),
      e.pValueVsAlwaysUp.toFixed(3),
      e.wallSeconds.toFixed(1),
      e.worker,
    ]),
  ];
}

/**
 * The leaderboard as text: the periods, the ranking, failures, then the
 * conclusions.
 *
 * @example
 * ```ts
 * console.log(leaderboardText(board));
 * ```
 */
export function leaderboardText(board: Leaderboard): string {
  const lines = [`sweep ${board.sweep}`];
  for (const p of board.periods) {
    lines.push(`${p.data}: selection ${p.selection}; holdout ${p.holdout} (kept for the winner)`);
  }
  if (board.ranking.length > 0) {
    lines.push(
      "",
      formatTable(tableRows(board)),
      `p: each configuration's one-sided p-value against always-up, not corrected for the ${board.scored} scored (the winner's corrected p-values are under "multiple testing")`,
      "",
    );
  }
  for (const f of board.failed) lines.push(`failed ${f.id.slice(0, 8)} (${f.label}): ${f.error}`);
  for (const n of board.notRun) lines.push(`not run ${n.id.slice(0, 8)} (${n.label}): ${n.why}`);
  lines.push(...board.statements);
  return lines.join("\n");
}

/** The page's style: the table's and the charts' (the classes `charts.ts` draws with). */
const STYLE =
  "body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:1040px;padding:0 1em;color:#222}" +
  "table{border-collapse:collapse;font-size:13px}th,td{padding:3px 6px;border-bottom:1px solid #ddd;text-align:right}" +
  "td{white-space:nowrap}td:nth-child(3),th:nth-child(3){text-align:left;white-space:normal}tr.winner{background:#eef6ee}" +
  ".table{overflow-x:auto;margin:1em 0}li{margin:.3em 0}p.verdict{font-weight:600}" +
  "svg{display:block;margin:0 0 1.5em;max-width:100%;height:auto}" +
  "svg text{font-size:11px;font-family:inherit;fill:#333}svg .title{font-size:13px;font-weight:600}" +
  "svg .subtitle{fill:#555}svg .plot{fill:#fafafa;stroke:#ccc}svg .grid{stroke:#e4e4e4;stroke-width:1}" +
  "svg .reference{stroke:#999;stroke-dasharray:5 3;stroke-width:1.5}";

/**
 * The leaderboard as one self-contained HTML page (no scripts, no fonts):
 * the periods, the multiple-testing verdict in words, a chart of every
 * configuration's skill with its interval (the winner marked), the
 * conclusions, the ranking with what its `p` column means, and the
 * configurations that failed or could not run.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("sweeps/spy/leaderboard.html", leaderboardHtml(board));
 * ```
 */
export function leaderboardHtml(board: Leaderboard): string {
  const rows = tableRows(board);
  const cell = (tag: string, text: string): string => `<${tag}>${escapeHtml(text)}</${tag}>`;
  const table = rows.length > 1
    ? `<div class="table"><table><thead><tr>${
      rows[0].map((h) => cell("th", h === "p" ? "p (uncorrected)" : h)).join("")
    }</tr></thead><tbody>${
      rows.slice(1).map((r, i) =>
        `<tr${i === 0 ? ' class="winner"' : ""}>${r.map((c) => cell("td", c)).join("")}</tr>`
      ).join("")
    }</tbody></table></div>`
    : "<p>No configuration was scored.</p>";
  const list = (items: string[]): string =>
    items.length ? `<ul>${items.map((s) => cell("li", s)).join("")}</ul>` : "";
  const verdict = multipleTestingVerdict(board);
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(`Sweep ${board.sweep}`)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    cell("h1", `Sweep ${board.sweep}`),
    list(board.periods.map((p) => `${p.data}: selection ${p.selection}; holdout ${p.holdout}`)),
    verdict.length ? cell("h2", "Does the winner survive the number tried?") : "",
    verdict.length ? `<p class="verdict">${escapeHtml(verdict[verdict.length - 1])}</p>` : "",
    ...verdict.slice(1, -1).map((v) => cell("p", v)),
    skillChart(board),
    cell("h2", "Conclusions"),
    list(board.statements),
    cell("h2", "Ranking (pooled walk-forward Brier skill against climatology)"),
    table,
    rows.length > 1 ? cell("p", verdict[0] ?? "") : "",
    board.failed.length ? cell("h2", "Failed") : "",
    list(board.failed.map((f) => `${f.id} (${f.label}): ${f.error}`)),
    board.notRun.length ? cell("h2", "Could not run") : "",
    list(board.notRun.map((n) => `${n.id} (${n.label}): ${n.why}`)),
    "</body></html>",
    "",
  ].join("\n");
}
