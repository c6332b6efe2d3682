/**
 * The sweep leaderboard's page on a hand-built leaderboard: a chart of every
 * configuration's skill with its interval and the winner marked, what the
 * `p` column means, and the multiple-testing verdict in words.
 */

import assert from "node:assert/strict";
import type { Leaderboard, LeaderboardEntry, Winner } from "../src/sweep/leaderboard.ts";
import {
  leaderboardHtml,
  leaderboardText,
  multipleTestingVerdict,
} from "../src/views/leaderboard.ts";

function entry(rank: number, skill: number, p: number): LeaderboardEntry {
  return {
    rank,
    id: `${rank}`.repeat(16),
    label: `lstm-units=${8 * rank}`,
    data: { source: "synthetic" },
    flags: { "lstm-units": String(8 * rank) },
    rows: 500,
    brierSkill: { estimate: skill, lower: skill - 0.004, upper: skill + 0.004 },
    logLossSkill: { estimate: skill, lower: skill - 0.004, upper: skill + 0.004 },
    auc: 0.5,
    accuracy: 0.52,
    alwaysUp: 0.51,
    pValueVsAlwaysUp: p,
    foldSkills: [skill],
    wallSeconds: 1,
    worker: "local-1",
  };
}

/** Four configurations; the winner's skill interval lies above zero. */
function board(winner: Partial<Winner>): Leaderboard {
  const ranking = [
    entry(1, 0.006, 0.004),
    entry(2, 0.002, 0.03),
    entry(3, 0, 0.4),
    entry(4, -0.003, 0.9),
  ];
  const w: Winner = {
    id: ranking[0].id,
    label: ranking[0].label,
    brierSkill: ranking[0].brierSkill,
    aboveZero: true,
    runnerUp: null,
    pAlone: 0.002,
    pBestOfN: 0.01,
    pBonferroni: 0.016,
    noBetterThanChance: false,
    holdout: null,
    trainCommand: "deno task train --lstm-units 8",
    ...winner,
  };
  return {
    sweep: "toy",
    protocol: null,
    tried: 4,
    scored: 4,
    failed: [],
    notRun: [],
    periods: [],
    ranking,
    winner: w,
    statements: ["4 configurations tried: 4 scored, 0 failed"],
  };
}

Deno.test("the leaderboard page charts every configuration's skill with its interval, the winner marked", () => {
  const html = leaderboardHtml(board({}));
  const svg = html.match(/<svg data-chart="sweep-skill"[\s\S]*?<\/svg>/)?.[0];
  assert.ok(svg, "a skill chart");
  assert.match(svg, /data-series="configurations" data-points="4"/);
  assert.match(svg, new RegExp(`data-winner="${"1".repeat(16)}"`));
  // One whisker per configuration, with its interval in the tooltip.
  assert.equal(svg.match(/<circle /g)?.length, 4);
  assert.match(svg, /#2 lstm-units=16: Brier skill 0\.0020 \[-0\.0020, 0\.0060\]/);
  // Self-contained: no scripts, nothing fetched.
  assert.doesNotMatch(html, /<script|\bsrc\s*=|\bhref\s*=|https?:/i);
  // The winner's holdout is drawn beside it once confirmed.
  const confirmed = leaderboardHtml(board({
    holdout: {
      first: "2024-01-01",
      last: "2024-06-01",
      rows: 100,
      brierSkill: { estimate: 0.001, lower: -0.002, upper: 0.004 },
      logLossSkill: { estimate: 0.001, lower: -0.002, upper: 0.004 },
      accuracy: 0.5,
      alwaysUp: 0.5,
      pValueVsAlwaysUp: 0.5,
      confirmed: false,
      verdict: "not confirmed",
    },
  }));
  assert.match(confirmed, /data-series="holdout" data-points="1"/);
});

Deno.test("the leaderboard explains its p column and whether the winner survives the number tried", () => {
  const survives = board({});
  const lines = multipleTestingVerdict(survives);
  assert.match(
    lines[0],
    /^p is each configuration's own one-sided p-value .* not corrected for the 4 configurations scored/,
  );
  assert.match(lines[0], /about 0\.20 would show p < 0\.05 by luck/);
  // p = 0.004 and 0.03 pass 0.05; only 0.004 passes 0.05 / 4 = 0.0125.
  assert.equal(
    lines[1],
    "2 of 4 have p < 0.05 uncorrected; 1 of 4 after Bonferroni's correction for 4 (p × 4 < 0.05, that is p < 0.013).",
  );
  assert.match(
    lines[2],
    /best of 4 .*: p = 0\.01 \(alone, uncorrected: p = 0\.002\)\. Its accuracy against always-up: p = 0\.004; after Bonferroni for 4: p = 0\.02\.$/,
  );
  assert.equal(
    lines[3],
    "Verdict: its skill survives the number of configurations tried (p = 0.01, below 0.05); its edge over always-up survives Bonferroni's correction too.",
  );
  const html = leaderboardHtml(survives);
  assert.match(html, /<th>p \(uncorrected\)<\/th>/);
  assert.match(html, /<p class="verdict">Verdict: its skill survives/);
  assert.match(html, /<p>p is each configuration&#39;s own one-sided p-value/);

  const chance = multipleTestingVerdict(
    board({ pBestOfN: 0.31, pBonferroni: 0.2, noBetterThanChance: true }),
  );
  assert.match(
    chance[3],
    /^Verdict: its skill does not survive the number of configurations tried: the best of 4 without any skill scores this well by luck \(p = 0\.31, not below 0\.05\); its edge over always-up does not survive Bonferroni's correction\.$/,
  );
  assert.match(
    leaderboardText(survives),
    /p: each configuration's one-sided p-value against always-up, not corrected for the 4 scored/,
  );
  const empty = { ...board({}), ranking: [], scored: 0, winner: null };
  assert.deepEqual(multipleTestingVerdict(empty), []);
  assert.match(leaderboardHtml(empty), /No configuration was scored/);
  assert.doesNotMatch(leaderboardHtml(empty), /sweep-skill/);
});
