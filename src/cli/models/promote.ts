/**
 * `models promote VERSION`, `models rollback` and `models promote
 * --from-shadow [VERSION]` (the gate on the shadow's live record). A
 * version that would not load is refused before the pointer moves; the
 * temporary entries of killed runs are swept only once the request is known
 * to be good.
 *
 * @module
 */

import { numberFlag, stringFlag } from "../common.ts";
import { printResult, progress } from "../output.ts";
import { dataRequest } from "../flags.ts";
import { checkVersionName } from "../../model/layout.ts";
import {
  checkVersionLoads,
  promote,
  rollback,
  rollbackTarget,
  sweepModelRoot,
} from "../../model/versions.ts";
import { SHADOW_METRICS } from "../../pipeline/shadow_comparison.ts";
import {
  DEFAULT_MIN_LIVE_BARS,
  promoteFromShadow,
  type ShadowPromotionResult,
} from "../../pipeline/shadow.ts";
import { shadowComparisonText } from "../../views/monitor.ts";
import { UsageError } from "../../util/errors.ts";
import type { Flags } from "./flags.ts";

/** `models promote VERSION` (or `--from-shadow`). */
export async function promoteVersion(
  root: string,
  version: string | undefined,
  flags: Flags,
): Promise<number> {
  if (flags["from-shadow"]) return await promoteShadow(root, version, flags);
  if (!version) throw new UsageError("Expected a version to promote, e.g. models promote v2");
  checkVersionName(version);
  await checkVersionLoads(root, version);
  const next = await promote(root, version);
  // What killed runs left goes only once the command has succeeded: a failing one changes
  // nothing (issue 23 #19).
  await sweepModelRoot(root, progress);
  printResult(flags, next, () => `${root}: current is now ${next.current}`);
  return 0;
}

/** `models rollback`: refused when the version before is missing, out of the root or broken. */
export async function rollbackVersion(root: string, flags: Flags): Promise<number> {
  const previous = await rollbackTarget(root);
  await checkVersionLoads(root, previous);
  const next = await rollback(root);
  await sweepModelRoot(root, progress);
  printResult(flags, next, () => `${root}: rolled back to ${next.current}`);
  return 0;
}

/** `models promote --from-shadow [VERSION]`: the gate on the live record. */
async function promoteShadow(
  root: string,
  version: string | undefined,
  flags: Flags,
): Promise<number> {
  const metricFlag = stringFlag(flags, "metric", "brier");
  const metric = SHADOW_METRICS[metricFlag];
  if (!metric) {
    throw new UsageError(
      `Expected --metric to be one of brier, logloss, accuracy, found "${metricFlag}"`,
    );
  }
  const request = dataRequest(flags);
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
  const ok = result.accept || result.dryRun;
  if (ok && !result.dryRun) await sweepModelRoot(root, progress);
  printResult(flags, result, () => promotionText(result));
  return ok ? 0 : 1;
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
