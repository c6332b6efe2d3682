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

import type { Leaderboard } from "../sweep/leaderboard.ts";
import { formatTable } from "../util/table.ts";
import { bracketed, fixed } from "./format.ts";
import { escapeHtml } from "./charts.ts";

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
    lines.push("", formatTable(tableRows(board)), "");
  }
  for (const f of board.failed) lines.push(`failed ${f.id.slice(0, 8)} (${f.label}): ${f.error}`);
  for (const n of board.notRun) lines.push(`not run ${n.id.slice(0, 8)} (${n.label}): ${n.why}`);
  lines.push(...board.statements);
  return lines.join("\n");
}

/**
 * The leaderboard as one self-contained HTML page (no scripts, no fonts).
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
    ? `<table><thead><tr>${rows[0].map((h) => cell("th", h)).join("")}</tr></thead><tbody>${
      rows.slice(1).map((r, i) =>
        `<tr${i === 0 ? ' class="winner"' : ""}>${r.map((c) => cell("td", c)).join("")}</tr>`
      ).join("")
    }</tbody></table>`
    : "<p>No configuration was scored.</p>";
  const list = (items: string[]): string =>
    items.length ? `<ul>${items.map((s) => cell("li", s)).join("")}</ul>` : "";
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(`Sweep ${board.sweep}`)}</title>`,
    "<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}" +
    "table{border-collapse:collapse}th,td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}" +
    "td:nth-child(3),th:nth-child(3){text-align:left}tr.winner{background:#eef6ee}" +
    "li{margin:.3em 0}</style></head><body>",
    cell("h1", `Sweep ${board.sweep}`),
    list(board.periods.map((p) => `${p.data}: selection ${p.selection}; holdout ${p.holdout}`)),
    cell("h2", "Conclusions"),
    list(board.statements),
    cell("h2", "Ranking (pooled walk-forward Brier skill against climatology)"),
    table,
    board.failed.length ? cell("h2", "Failed") : "",
    list(board.failed.map((f) => `${f.id} (${f.label}): ${f.error}`)),
    board.notRun.length ? cell("h2", "Could not run") : "",
    list(board.notRun.map((n) => `${n.id} (${n.label}): ${n.why}`)),
    "</body></html>",
    "",
  ].join("\n");
}
