/**
 * `models list` (every version with its health, the pointer's state, exit 1
 * when current.json names a missing or broken version) and `models show
 * [VERSION]` (one version's card or composite.json).
 *
 * @module
 */

import { join } from "node:path";
import { printResult, progress } from "../output.ts";
import type { ModelCard } from "../../model/card.ts";
import { readCard } from "../../model/card.ts";
import { withoutSkill } from "../../model/calibration.ts";
import { checkModelFolder } from "../../model/store.ts";
import { readComposite } from "../../model/composite.ts";
import { checkVersionName, versionProblem } from "../../model/layout.ts";
import { inspectModelRoot, readPointer, type VersionHealth } from "../../model/versions.ts";
import { readShadowDecisions, type ShadowDecisionRecord } from "../../pipeline/shadow.ts";
import { modelsListText, type VersionSummary } from "../../views/models.ts";
import { DataError } from "../../util/errors.ts";
import type { Flags } from "./flags.ts";

function range(card: ModelCard, split: "train" | "test"): string {
  const r = card.data.ranges[split];
  return `${r.first}..${r.last} (${r.rows})`;
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

/** The decision in a version's `retrain.json` (written by `deno task retrain`), or null. */
async function retrainDecision(dir: string): Promise<string | null> {
  try {
    const record = JSON.parse(await Deno.readTextFile(join(dir, "retrain.json")));
    return typeof record.decision === "string" ? record.decision : null;
  } catch {
    return null;
  }
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
        noSkill: withoutSkill(card.calibration),
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

/** `models list`. */
export async function list(root: string, flags: Flags): Promise<number> {
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
    () => modelsListText(health, rows),
  );
  if (health.pointerProblem) {
    progress(`error: ${health.pointerProblem}`);
    return 1;
  }
  return 0;
}

/** `models show [VERSION]`: a version name of a complete version folder of the root only. */
export async function show(
  root: string,
  version: string | undefined,
  flags: Flags,
): Promise<number> {
  if (version !== undefined) checkVersionName(version);
  const pointer = await readPointer(root);
  const v = version ?? pointer?.current;
  if (!v) throw new DataError(`No current version in ${root}; name one: models show v1`);
  const problem = await versionProblem(root, v);
  if (problem) {
    throw new DataError(`Expected ${v} in ${root} to be a version folder, found ${problem}`);
  }
  const composite = await readComposite(join(root, v), checkModelFolder);
  const card = composite ? composite.spec : await readCard(join(root, v));
  printResult(
    flags,
    { version: v, current: v === pointer?.current, config: card },
    () => `${v}${v === pointer?.current ? " (current)" : ""}\n${JSON.stringify(card, null, 2)}`,
  );
  return 0;
}
