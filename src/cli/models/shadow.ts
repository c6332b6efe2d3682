/**
 * `models shadow [VERSION...]` and `models shadow --clear`: the versions a
 * signal plugin on the root runs beside the current one (`shadow.json`).
 *
 * @module
 */

import { printResult } from "../output.ts";
import { checkVersionLoads, listVersions, readShadow, writeShadow } from "../../model/versions.ts";
import { checkVersionName, versionProblem } from "../../model/layout.ts";
import { DataError, UsageError } from "../../util/errors.ts";
import { type Flags, GATE_FLAGS, onlyWith } from "./flags.ts";

/** `models shadow [VERSION...]`, `models shadow --clear`. */
export async function shadow(root: string, flags: Flags, versions: string[]): Promise<number> {
  onlyWith(flags, GATE_FLAGS, "promote --from-shadow", "shadow");
  if (flags.clear && versions.length) {
    throw new UsageError(`Expected either versions or --clear, found both (${versions.join(" ")})`);
  }
  if (!flags.clear && !versions.length) {
    const list = await readShadow(root);
    for (const v of list) await refuseAbsent(root, v, `${root}/shadow.json names`);
    printResult(
      flags,
      { model: root, shadow: list },
      () => list.length ? `${root}: shadow ${list.join(", ")}` : `${root}: no shadow version`,
    );
    return 0;
  }
  for (const v of versions) {
    checkVersionName(v);
    await refuseAbsent(root, v, "Expected a version to shadow, found");
    await checkVersionLoads(root, v);
  }
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

/** A shadow version that is no complete version folder of `root`, in one line (issue 23 #18). */
async function refuseAbsent(root: string, version: string, lead: string): Promise<void> {
  const problem = await versionProblem(root, version);
  if (problem === null) return;
  const known = await listVersions(root).catch(() => []);
  throw new DataError(
    `${lead} ${version}, which is ${problem} in ${root} (versions: ${
      known.join(", ") || "none"
    }); plugins run no such shadow`,
  );
}
