/**
 * `models ensemble --name E --members a,b [--weights 2,1]` and
 * `models regime --name R --rule preset|FILE --models bull=a,bear=b,general=c`:
 * the flags read and checked here; the new version of <model-dir>/<name>
 * holding composite.json (members pinned to their current versions,
 * promoted unless --no-promote) is made by `composeModel`.
 *
 * @module
 */

import { join } from "node:path";
import { stringFlag } from "../common.ts";
import { printResult, progress } from "../output.ts";
import { composeModel, type ComposeOptions } from "../../model/compose.ts";
import { readRegimeRule, type RegimeName, REGIMES } from "../../model/composite.ts";
import { UsageError } from "../../util/errors.ts";
import { type Flags, onlyWith } from "./flags.ts";

/** The members of an ensemble: `--members` with their `--weights` (default 1 each). */
function ensembleMembers(
  flags: Flags,
  list: (flag: string) => string[],
): ComposeOptions["members"] {
  onlyWith(flags, { rule: 0, models: 0 }, "regime", "ensemble");
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
  return names.map((root, i) => ({ root, weight: weights[i] }));
}

/** The members of a regime model: `--models regime=MODEL,...`, one per regime, general among them. */
function regimeMembers(flags: Flags, list: (flag: string) => string[]): ComposeOptions["members"] {
  onlyWith(flags, { members: 0, weights: 0 }, "ensemble", "regime");
  const members: ComposeOptions["members"] = [];
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
    members.push({ root: member, regime: regime as RegimeName });
  }
  if (!members.some((m) => m.regime === "general")) {
    throw new UsageError(
      "Expected a general=MODEL in --models (it serves bars no other regime takes), found none",
    );
  }
  return members;
}

/** `models ensemble|regime`. */
export async function makeComposite(
  kind: "ensemble" | "regime",
  flags: Flags,
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
  const list = (flag: string): string[] => {
    const value = stringFlag(flags, flag);
    const items = (value ?? "").split(",").map((x) => x.trim()).filter((x) => x !== "");
    if (!items.length) throw new UsageError(`Expected --${flag} for ${kind}, found none`);
    return items;
  };
  const named = kind === "ensemble" ? ensembleMembers(flags, list) : regimeMembers(flags, list);
  const members = named.map((m) => ({
    ...m,
    root: m.root.includes("/") ? m.root : join(modelDir, m.root),
  }));
  const rule = kind === "regime"
    ? await readRegimeRule(stringFlag(flags, "rule") ?? "trend-volatility")
    : undefined;
  const root = join(modelDir, name);
  const made = await composeModel(root, {
    kind,
    members,
    ...(rule ? { rule } : {}),
    noPromote: flags["no-promote"] === true,
    log: progress,
  });
  printResult(
    flags,
    {
      modelDir: made.dir,
      version: made.version,
      current: made.promoted,
      kind,
      members: made.composite.spec.members,
      rule: rule ?? null,
    },
    () =>
      `Saved ${made.dir}: ${made.composite.description}${
        made.promoted ? `, now the current version of ${root}` : ", not promoted"
      }`,
  );
  return 0;
}
