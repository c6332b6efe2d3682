/**
 * The page of `deno task models list`: one line per version (creation time,
 * data ranges, the raw network's test accuracy, the calibrated model's skill
 * or, in words, that it has none, and marks: BROKEN, never promoted,
 * shadow, the last gate decisions), then what killed runs left behind and
 * the pointer's state.
 *
 * @example
 * ```ts
 * import { modelsListText } from "./models.ts";
 * console.log(modelsListText(health, rows));
 * ```
 *
 * @module
 */

import type { SkillPair } from "../model/calibration.ts";
import type { ModelRootHealth } from "../model/versions.ts";

/**
 * One row of `models list` (`--json` prints these).
 *
 * @example
 * ```ts
 * const row: VersionSummary = rows[0];
 * console.log(row.version, row.health);
 * ```
 */
export interface VersionSummary {
  version: string;
  /** For an ensemble or regime model: what it is (`ensemble of a v1 (weight 1), b v1 (weight 1)`). */
  composite: string | null;
  current: boolean;
  /** Whether it is or was current; false for a candidate never promoted, null without current.json. */
  promoted: boolean | null;
  /** `ok`, or what is wrong (a missing or truncated file, a bad card, a SHA-256 mismatch). */
  health: string;
  createdAt: string | null;
  arch: string | null;
  ticker: string | null;
  train: string | null;
  test: string | null;
  /** The raw network's accuracy on the test rows (before calibration), from its card. */
  testAccuracy: number | null;
  /** The share of up labels in the test rows. */
  testBaseRate: number | null;
  /**
   * The calibration and the skill of the probabilities it hands out against the training base
   * rate (Brier and log-loss skill, calibrated) on the validation rows (cross-fitted) and the
   * test rows; null for a card without calibration.
   */
  skill: {
    calibration: string;
    shrinkage: number;
    /**
     * No validated skill: the calibration hands out the base rate (weight 1 on it, see
     * `withoutSkill`), so the plugin's signals have status `no-skill` and direction `flat`.
     */
    noSkill: boolean;
    validation: SkillPair | null;
    test: SkillPair | null;
  } | null;
  /** Whether training was interrupted (Ctrl-C) and the version holds the best weights so far. */
  interruptedTraining: boolean;
  /** The A/B decision of `deno task retrain` that made this version, if it did. */
  retrain: string | null;
  /** Whether `shadow.json` names it: it runs beside the current version, never acted on. */
  shadow: boolean;
  /** The last shadow-promotion decision about it (`shadow_promotion.json`), if any. */
  shadowDecision: {
    decision: string;
    decidedAt: string;
    metric: string;
    candidate: number;
    current: number;
    currentVersion: string;
    rows: number;
  } | null;
}

/**
 * The skill column: the calibrated model's Brier / log-loss skill on the test rows, or in words
 * that it has no validated skill (it hands out the base rate; its signals are `no-skill`).
 */
function skillText(skill: VersionSummary["skill"]): string {
  if (!skill) return "calibrated skill ? (no calibration recorded)";
  const f = (v: number | null | undefined): string =>
    v === null || v === undefined ? "?" : v.toFixed(4);
  const figures = `${f(skill.test?.brierSkill)} / ${f(skill.test?.logLossSkill)}`;
  const how = `${skill.calibration}, weight ${skill.shrinkage.toFixed(2)} on the base rate`;
  return skill.noSkill
    ? `no validated skill: the calibrated model hands out the base rate, signals no-skill (${how}; test skill ${figures})`
    : `calibrated test skill (Brier / log loss) ${figures} (${how})`;
}

/** The columns of one `models list` line, left to right (a new column is one more entry). */
function columns(r: VersionSummary): string[] {
  const marks = [
    r.health === "ok" ? "" : `BROKEN: ${r.health}`,
    r.promoted === false ? "never promoted" : "",
    r.interruptedTraining ? "training interrupted" : "",
    r.retrain ? `retrain: ${r.retrain}` : "",
    r.shadow ? "shadow" : "",
    r.shadowDecision
      ? `shadow gate: ${r.shadowDecision.decision} ${
        r.shadowDecision.decidedAt.slice(0, 10)
      } (${r.shadowDecision.metric} ${
        r.shadowDecision.candidate.toFixed(4)
      } vs ${r.shadowDecision.currentVersion} ${
        r.shadowDecision.current.toFixed(4)
      } on ${r.shadowDecision.rows} live bars)`
      : "",
  ].filter((m) => m !== "");
  const info = r.createdAt === null ? [] : [
    r.createdAt,
    r.composite ? ` ${r.composite}` : ` ${r.arch} ${r.ticker}`,
    ` train ${r.train}`,
    ` test ${r.test}`,
    ` raw network test accuracy ${r.testAccuracy?.toFixed(3) ?? "?"} (test base rate ${
      r.testBaseRate?.toFixed(3) ?? "?"
    })`,
    ` ${skillText(r.skill)}`,
  ];
  return [
    `${r.current ? "*" : " "} ${r.version.padEnd(4)}`,
    ...info,
    ...(marks.length ? [` [${marks.join("; ")}]`] : []),
  ];
}

/**
 * The text of `models list`: one line per version, then what killed runs
 * left and the pointer.
 *
 * @example
 * ```ts
 * console.log(modelsListText(await inspectModelRoot("models/lstm"), rows));
 * ```
 */
export function modelsListText(health: ModelRootHealth, rows: VersionSummary[]): string {
  const lines = rows.map((r) => columns(r).join(" "));
  for (const name of health.interrupted) {
    lines.push(
      `  ${name}  [interrupted write: left by a killed run; the next train, retrain or promote removes it]`,
    );
  }
  for (const name of health.strays) {
    lines.push(`  ${name}  [not a version: versions are folders named v1, v2, ...]`);
  }
  if (!health.pointer && !health.pointerProblem) {
    lines.push(`no current version (no current.json): plugins load nothing; models promote vN`);
  }
  return lines.join("\n");
}
