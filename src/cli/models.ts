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
  readComposite,
  readRegimeRule,
  type RegimeName,
  type RegimeRule,
  REGIMES,
  writeComposite,
} from "../model/composite.ts";
import {
  inspectModelRoot,
  type ModelRootHealth,
  promote,
  readPointer,
  readShadow,
  readyModelRoot,
  resolveModelDir,
  rollback,
  SHADOW_FILE,
  sweepModelRoot,
  type VersionHealth,
  writeShadow,
} from "../model/versions.ts";
import { SHADOW_METRICS } from "../pipeline/monitor.ts";
import { shadowComparisonText } from "../views/monitor.ts";
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
       deno task models ensemble --name E --members a,b[,c] [--weights 2,1[,1]]
       deno task models regime --name R --rule trend-volatility|FILE --models bull=a,bear=b,general=c
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

Ensembles and regime models are models on disk: a new version <model-dir>/<name>/vN
holding composite.json (members pinned to their current versions), versioned,
promoted and listed like any model; evaluate, backtest, predict, monitor and the
plugin load it by its folder. An ensemble averages its members' probabilities
(weighted); a regime model hands each bar to the member of the regime its rule
gives that bar from past bars only. The trend-volatility preset: bull when the
close is above its 200-bar average and the 20-bar realised volatility at or below
its median so far, bear when below the average and above the median, else general.
A rule FILE is JSON: {"preset":"trend-volatility","trendPeriod":200,"volatilityPeriod":20}.
Members are names under --model-dir (default models) or paths.

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
  const composite = await readComposite(join(root, v.version), checkModelFolder).catch(() => null);
  return {
    version: v.version,
    composite: composite?.description ?? null,
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
    r.composite ? ` ${r.composite}` : ` ${r.arch} ${r.ticker}`,
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
  if (action === "ensemble" || action === "regime") {
    return await makeComposite(action, flags, positionals.slice(1));
  }
  for (const name of Object.keys(COMPOSITE_FLAGS)) {
    if (flags[name] !== undefined) {
      throw new UsageError(
        `Expected --${name} only with ensemble or regime, found it with ${action ?? "nothing"}`,
      );
    }
  }
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
      const composite = await readComposite(join(root, v), checkModelFolder);
      const card = composite ? composite.spec : await readCard(join(root, v));
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

/** Flags of ensemble and regime only. */
const COMPOSITE_FLAGS = {
  name: { type: "string" },
  "model-dir": { type: "string" },
  members: { type: "string" },
  weights: { type: "string" },
  rule: { type: "string" },
  models: { type: "string" },
  "no-promote": { type: "boolean" },
} as const;

const FLAGS = {
  model: { type: "string" },
  clear: { type: "boolean" },
  ...GATE_FLAGS,
  ...COMPOSITE_FLAGS,
} as const;

/**
 * `models ensemble --name E --members a,b [--weights 2,1]` and
 * `models regime --name R --rule preset|FILE --models bull=a,bear=b,general=c`:
 * a new version of <model-dir>/<name> holding composite.json, its members
 * pinned to their current versions; promoted unless --no-promote.
 */
async function makeComposite(
  kind: "ensemble" | "regime",
  flags: Record<string, string | boolean | undefined>,
  extra: string[],
): Promise<number> {
  if (extra.length) {
    throw new UsageError(`Expected no more words after ${kind}, found ${extra.join(" ")}`);
  }
  const name = stringFlag(flags, "name");
  if (!name || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    throw new UsageError(
      `Expected --name NAME (letters, digits, _ . -) for ${kind}, found ${name ?? "none"}`,
    );
  }
  const modelDir = stringFlag(flags, "model-dir", "models");
  const rootOf = (member: string): string => member.includes("/") ? member : join(modelDir, member);
  const list = (flag: string): string[] => {
    const value = stringFlag(flags, flag);
    const items = (value ?? "").split(",").map((x) => x.trim()).filter((x) => x !== "");
    if (!items.length) throw new UsageError(`Expected --${flag} for ${kind}, found none`);
    return items;
  };
  const members: { root: string; version: string; weight?: number; regime?: RegimeName }[] = [];
  let rule: RegimeRule | undefined;
  const pin = async (root: string): Promise<string> => {
    const where = await resolveModelDir(root);
    if (!where) throw new DataError(`Expected a model in ${root} (current.json), found none`);
    if (where.dir === root) {
      throw new UsageError(
        `Expected a versioned model folder as a member, found the version folder ${root}`,
      );
    }
    return where.version;
  };
  if (kind === "ensemble") {
    for (const flag of ["rule", "models"]) {
      if (flags[flag] !== undefined) {
        throw new UsageError(`Expected --${flag} only with regime, found it with ensemble`);
      }
    }
    const names = list("members");
    if (names.length < 2) {
      throw new UsageError(`Expected at least two --members, found ${names.length}`);
    }
    const weights = flags.weights === undefined ? names.map(() => 1) : list("weights").map(Number);
    if (
      weights.length !== names.length || weights.some((w) => !(w >= 0)) ||
      !weights.some((w) => w > 0)
    ) {
      throw new UsageError(
        `Expected ${names.length} non-negative --weights (not all 0), found ${
          stringFlag(flags, "weights")
        }`,
      );
    }
    for (const [i, member] of names.entries()) {
      const root = rootOf(member);
      members.push({ root, version: await pin(root), weight: weights[i] });
    }
  } else {
    for (const flag of ["members", "weights"]) {
      if (flags[flag] !== undefined) {
        throw new UsageError(`Expected --${flag} only with ensemble, found it with regime`);
      }
    }
    rule = await readRegimeRule(stringFlag(flags, "rule") ?? "trend-volatility");
    for (const pair of list("models")) {
      const [regime, member] = pair.split("=");
      if (!REGIMES.includes(regime as RegimeName) || !member) {
        throw new UsageError(
          `Expected --models as ${REGIMES.map((r) => `${r}=MODEL`).join(",")}, found ${pair}`,
        );
      }
      if (members.some((m) => m.regime === regime)) {
        throw new UsageError(`Expected one model per regime, found ${regime} twice`);
      }
      const root = rootOf(member);
      members.push({ root, version: await pin(root), regime: regime as RegimeName });
    }
    if (!members.some((m) => m.regime === "general")) {
      throw new UsageError(
        "Expected a general=MODEL in --models (it serves bars no other regime takes), found none",
      );
    }
  }
  const root = join(modelDir, name);
  const next = await readyModelRoot(root, progress);
  const dir = join(root, next);
  await writeComposite(dir, { kind, members, ...(rule ? { rule } : {}) });
  let composite;
  try {
    composite = await readComposite(dir, checkModelFolder);
  } catch (error) {
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
  const promoted = flags["no-promote"] !== true;
  if (promoted) await promote(root, next);
  printResult(
    flags,
    {
      modelDir: dir,
      version: next,
      current: promoted,
      kind,
      members: composite!.spec.members,
      rule: rule ?? null,
    },
    () =>
      `Saved ${dir}: ${composite!.description}${
        promoted ? `, now the current version of ${root}` : ", not promoted"
      }`,
  );
  return 0;
}

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
