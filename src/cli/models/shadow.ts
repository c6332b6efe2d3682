/**
 * `models shadow [VERSION...]` and `models shadow --clear`: the versions a
 * signal plugin on the root runs beside the current one (`shadow.json`).
 *
 * @module
 */

import { printResult } from "../output.ts";
import { checkVersionLoads, readShadow, writeShadow } from "../../model/versions.ts";
import { UsageError } from "../../util/errors.ts";
import { type Flags, GATE_FLAGS, onlyWith } from "./flags.ts";

/** `models shadow [VERSION...]`, `models shadow --clear`. */
export async function shadow(root: string, flags: Flags, versions: string[]): Promise<number> {
  onlyWith(flags, GATE_FLAGS, "promote --from-shadow", "shadow");
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
  for (const v of versions) await checkVersionLoads(root, v);
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
