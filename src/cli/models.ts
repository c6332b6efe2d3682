/**
 * `deno task models list | show [VERSION] | promote VERSION | rollback |
 * shadow [VERSION...]`, and `promote --from-shadow`: the seed's model
 * versioning and rollback, and shadow deployment. Model files are never
 * modified; only the `current.json` pointer and `shadow.json` move,
 * atomically, and decisions are recorded beside the model files.
 *
 * @module
 */

import { join } from "node:path";
import {
  type Command,
  numberFlag,
  parseFlags,
  printResult,
  progress,
  stringFlag,
} from "./common.ts";
import { DATA_FLAGS, dataRequest } from "./flags.ts";
import type { SkillPair } from "../model/calibration.ts";
import { type ModelCard, readCard } from "../model/card.ts";
import { checkModelFolder } from "../model/store.ts";
import {
  inspectModelRoot,
  type ModelRootHealth,
  promote,
  readPointer,
  readShadow,
  rollback,
  SHADOW_FILE,
  sweepModelRoot,
  type VersionHealth,
  writeShadow,
} from "../model/versions.ts";
import { SHADOW_METRICS, shadowComparisonText } from "../pipeline/monitor.ts";
import {
  DEFAULT_MIN_LIVE_BARS,
  promoteFromShadow,
  readShadowDecisions,
  SHADOW_PROMOTION_FILE,
  type ShadowDecisionRecord,
  type ShadowPromotionResult,
} from "../pipeline/shadow.ts";
import { exists } from "../util/fs.ts";
import { DataError, messageOf, UsageError } from "../util/errors.ts";

const HELP = `Usage: deno task models <list | show [VERSION] | promote VERSION | rollback> [flags]
       deno task models shadow [VERSION...] | shadow --clear
       deno task models promote --from-shadow [VERSION] [gate flags] [data flags]

Model versions live in <model-dir>/<name>/v1, v2, ...; current.json names the one
plugins load. Versions are never modified; promote and rollback move the pointer.

  list              every version: creation time, data ranges, test metrics,
                    and its health (ok, or what is wrong); marks versions never
                    promoted, shadow versions and their last gate decision, and
                    temporary folders of interrupted writes; exit 1 when
                    current.json names a missing or broken version
  show [VERSION]    one version's model_config.json (default: the current one)
  promote VERSION   make VERSION current (refused for a broken version)
  rollback          return to the version that was current before
  shadow VERSION... run these versions as shadows: ${SHADOW_FILE} beside current.json
                    names them; a signal plugin on the folder scores them on every
                    bar beside the current version, logs them, never acts on them
                    (reload() or a restart picks the change up)
  shadow --clear    no shadow any more
  shadow            the shadow versions now

Promotion from the shadow record (promote --from-shadow [VERSION], default the
only shadow): recomputes, from the predictions log, the comparison of the shadow
with the current version on the live bars both scored ok whose outcome is known
(what deno task monitor shows), refuses (exit 1, nothing written) with fewer than
--min-bars of them, and otherwise promotes only when the shadow is not worse on
--metric by more than --tolerance (the gate deno task retrain applies to its
holdout). The decision and its numbers are appended to the shadow version's
${SHADOW_PROMOTION_FILE}; models list shows the last one. Exit 1 when rejected.

Flags:
  --model DIR       the versioned model folder (default models/lstm)
  --clear           with shadow: remove every shadow version
  --from-shadow     with promote: gate the shadow version on its live record
  --metric NAME     brier | logloss | accuracy (default brier)
  --tolerance X     how much worse the shadow may be, in the metric's units
                    (default 0: not worse)
  --min-bars N      compared live bars needed before deciding (default ${DEFAULT_MIN_LIVE_BARS})
  --dry-run         decide and print, write nothing
  --log FILE        the predictions log (default <model>/predictions.jsonl)
  --ticker SYMBOL   the ticker of the live bars (default the current version's)
  --csv FILE        realised prices from a CSV file
  --source NAME     realised prices from a source (default: the cache prepare
                    wrote, or the model's own synthetic series)
  --data-dir DIR    cache folder (default data)
  --seed N          seed of synthetic prices
  --json            print JSON
  -h, --help        this text`;

/** One row of `models list` (`--json` prints these). */
interface VersionSummary {
  version: string;
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
  testAccuracy: number | null;
  testBaseRate: number | null;
  /**
   * The calibration and the skill of the probabilities it hands out against the training base
   * rate (Brier and log-loss skill, calibrated) on the validation rows (cross-fitted) and the
   * test rows; null for a card without calibration.
   */
  skill: {
    calibration: string;
    shrinkage: number;
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

function range(card: ModelCard, split: "train" | "test"): string {
  const r = card.data.ranges[split];
  return `${r.first}..${r.last} (${r.rows})`;
}

async function summarize(
  root: string,
  v: VersionHealth,
  shadows: readonly string[],
): Promise<VersionSummary> {
  const card = v.card;
  const last = (await readShadowDecisions(join(root, v.version))).at(-1);
  return {
    version: v.version,
    current: v.current,
    promoted: v.promoted,
    health: v.problem ?? "ok",
    createdAt: card?.createdAt ?? null,
    arch: card?.arch ?? null,
    ticker: card?.data.ticker ?? null,
    train: card ? range(card, "train") : null,
    test: card ? range(card, "test") : null,
    testAccuracy: card?.metrics.test.accuracy ?? null,
    testBaseRate: card?.testBaseRate ?? null,
    skill: card?.calibration
      ? {
        calibration: card.calibration.method,
        shrinkage: card.calibration.shrinkage,
        validation: card.calibration.validation?.calibrated ?? null,
        test: card.calibration.test?.calibrated ?? null,
      }
      : null,
    interruptedTraining: card?.interrupted ?? false,
    retrain: await retrainDecision(join(root, v.version)),
    shadow: shadows.includes(v.version),
    shadowDecision: last ? decisionSummary(last) : null,
  };
}

function decisionSummary(d: ShadowDecisionRecord): VersionSummary["shadowDecision"] {
  return {
    decision: d.decision,
    decidedAt: d.decidedAt,
    metric: d.metric.name,
    candidate: d.candidate.metrics[d.metric.key],
    current: d.current.metrics[d.metric.key],
    currentVersion: d.current.version,
    rows: d.live.rows,
  };
}

/** The skill column: the test rows' Brier / log-loss skill of the calibrated probabilities. */
function skillText(skill: VersionSummary["skill"]): string {
  if (!skill) return "skill ? (no calibration recorded)";
  const f = (v: number | null | undefined): string =>
    v === null || v === undefined ? "?" : v.toFixed(4);
  return `test skill ${f(skill.test?.brierSkill)} / ${
    f(skill.test?.logLossSkill)
  } (${skill.calibration}, weight ${skill.shrinkage.toFixed(2)} on the base rate)`;
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
    ` ${r.arch} ${r.ticker}`,
    ` train ${r.train}`,
    ` test ${r.test}`,
    ` test acc ${r.testAccuracy?.toFixed(3) ?? "?"} (base rate ${
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

/** The text of `models list`: one line per version, then what killed runs left and the pointer. */
function listText(health: ModelRootHealth, rows: VersionSummary[]): string {
  const lines = rows.map((r) => columns(r).join(" "));
  for (const name of health.interrupted) {
    lines.push(
      `  ${name}  [interrupted write: left by a killed run; the next train, retrain or promote removes it]`,
    );
  }
  for (const name of health.strays) {
    lines.push(`  ${name}  [not a version: a file where a version folder would be]`);
  }
  if (!health.pointer && !health.pointerProblem) {
    lines.push(`no current version (no current.json): plugins load nothing; models promote vN`);
  }
  return lines.join("\n");
}

/** The decision in a version's `retrain.json` (written by `deno task retrain`), or null. */
async function retrainDecision(dir: string): Promise<string | null> {
  try {
    const record = JSON.parse(await Deno.readTextFile(join(dir, "retrain.json")));
    return typeof record.decision === "string" ? record.decision : null;
  } catch {
    return null;
  }
}

/** Refuses to point `current.json` at a version that would not load. */
async function checkTarget(root: string, version: string): Promise<void> {
  const dir = join(root, version);
  if (!(await exists(dir))) return; // promote says which versions exist
  try {
    await checkModelFolder(dir);
  } catch (error) {
    throw new DataError(
      `Expected ${version} in ${root} to be a complete model, found: ${messageOf(error)}`,
    );
  }
}

/** Runs `deno task models`. */
export const models: Command = async (args: string[]): Promise<number> => {
  const { flags, positionals } = parseFlags(args, FLAGS, { positionals: true });
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const root = stringFlag(flags, "model", "models/lstm");
  const [action, version, ...extra] = positionals;
  if (action === "shadow") return await shadow(root, flags, positionals.slice(1));
  for (const name of Object.keys(GATE_FLAGS)) {
    if (flags[name] !== undefined && !(action === "promote" && flags["from-shadow"])) {
      throw new UsageError(
        `Expected --${name} only with promote --from-shadow, found it with ${action ?? "nothing"}`,
      );
    }
  }
  if (flags.clear) {
    throw new UsageError(`Expected --clear only with shadow, found it with ${action ?? "nothing"}`);
  }
  if (extra.length) {
    throw new UsageError(`Expected at most one version, found ${positionals.slice(1).join(" ")}`);
  }
  switch (action) {
    case "list": {
      const health = await inspectModelRoot(root);
      if (!health.versions.length && !health.interrupted.length && !health.pointer) {
        if (health.pointerProblem) throw new DataError(health.pointerProblem);
        throw new DataError(`No model versions in ${root}; run deno task train first`);
      }
      const rows: VersionSummary[] = [];
      for (const v of health.versions) rows.push(await summarize(root, v, health.shadow));
      printResult(
        flags,
        {
          model: root,
          current: health.pointer?.current ?? null,
          shadow: health.shadow,
          problem: health.pointerProblem,
          versions: rows,
          interrupted: health.interrupted,
          strays: health.strays,
        },
        () => listText(health, rows),
      );
      if (health.pointerProblem) {
        progress(`error: ${health.pointerProblem}`);
        return 1;
      }
      return 0;
    }
    case "show": {
      const pointer = await readPointer(root);
      const v = version ?? pointer?.current;
      if (!v) throw new DataError(`No current version in ${root}; name one: models show v1`);
      const card = await readCard(join(root, v));
      printResult(
        flags,
        { version: v, current: v === pointer?.current, config: card },
        () => `${v}${v === pointer?.current ? " (current)" : ""}\n${JSON.stringify(card, null, 2)}`,
      );
      return 0;
    }
    case "promote": {
      if (flags["from-shadow"]) return await promoteShadow(root, version, flags);
      if (!version) throw new UsageError("Expected a version to promote, e.g. models promote v2");
      await sweepModelRoot(root, progress);
      await checkTarget(root, version);
      const next = await promote(root, version);
      printResult(flags, next, () => `${root}: current is now ${next.current}`);
      return 0;
    }
    case "rollback": {
      await sweepModelRoot(root, progress);
      const pointer = await readPointer(root);
      const previous = pointer?.history[pointer.history.length - 1];
      if (previous) await checkTarget(root, previous);
      const next = await rollback(root);
      printResult(flags, next, () => `${root}: rolled back to ${next.current}`);
      return 0;
    }
    default:
      throw new UsageError(
        `Expected list, show, promote, rollback or shadow, found ${
          action === undefined ? "nothing" : `"${action}"`
        }`,
      );
  }
};

/** Flags of promote --from-shadow only. */
const GATE_FLAGS = {
  ...DATA_FLAGS,
  "from-shadow": { type: "boolean" },
  metric: { type: "string" },
  tolerance: { type: "string" },
  "min-bars": { type: "string" },
  "dry-run": { type: "boolean" },
  log: { type: "string" },
} as const;

const FLAGS = {
  model: { type: "string" },
  clear: { type: "boolean" },
  ...GATE_FLAGS,
} as const;

/** `models shadow [VERSION...]`, `models shadow --clear`. */
async function shadow(
  root: string,
  flags: Record<string, string | boolean | undefined>,
  versions: string[],
): Promise<number> {
  for (const name of Object.keys(GATE_FLAGS)) {
    if (flags[name] !== undefined) {
      throw new UsageError(
        `Expected --${name} only with promote --from-shadow, found it with shadow`,
      );
    }
  }
  if (flags.clear && versions.length) {
    throw new UsageError(`Expected either versions or --clear, found both (${versions.join(" ")})`);
  }
  if (!flags.clear && !versions.length) {
    const list = await readShadow(root);
    printResult(
      flags,
      { model: root, shadow: list },
      () => list.length ? `${root}: shadow ${list.join(", ")}` : `${root}: no shadow version`,
    );
    return 0;
  }
  for (const v of versions) await checkTarget(root, v);
  const list = await writeShadow(root, flags.clear ? [] : versions);
  printResult(
    flags,
    { model: root, shadow: list },
    () =>
      list.length
        ? `${root}: shadow ${list.join(", ")} (plugins on ${root} run ${
          list.length === 1 ? "it" : "them"
        } beside the current version from their next init or reload)`
        : `${root}: no shadow version`,
  );
  return 0;
}

/** `models promote --from-shadow [VERSION]`: the gate on the live record. */
async function promoteShadow(
  root: string,
  version: string | undefined,
  flags: Record<string, string | boolean | undefined>,
): Promise<number> {
  const metricFlag = stringFlag(flags, "metric", "brier");
  const metric = SHADOW_METRICS[metricFlag];
  if (!metric) {
    throw new UsageError(
      `Expected --metric to be one of brier, logloss, accuracy, found "${metricFlag}"`,
    );
  }
  const request = dataRequest(flags);
  await sweepModelRoot(root, progress);
  const result = await promoteFromShadow({
    modelRoot: root,
    shadow: version,
    ticker: request.ticker,
    logPath: stringFlag(flags, "log"),
    request,
    metric,
    tolerance: numberFlag(flags, "tolerance", 0),
    minBars: numberFlag(flags, "min-bars", DEFAULT_MIN_LIVE_BARS, { min: 1, integer: true }),
    dryRun: flags["dry-run"] === true,
    warn: progress,
  });
  printResult(flags, result, () => promotionText(result));
  return result.accept || result.dryRun ? 0 : 1;
}

function promotionText(r: ShadowPromotionResult): string {
  const lines = [
    shadowComparisonText(r.comparison),
    `gate: ${r.metric.name}, tolerance ${r.metric.tolerance}, at least ${r.metric.minBars} live bars`,
    `decision: ${r.decision}: ${r.reason}`,
  ];
  if (r.record) lines.push(`recorded in ${r.record}`);
  if (r.promoted) lines.push(`${r.model}: current is now ${r.pointer?.current}`);
  return lines.join("\n");
}
