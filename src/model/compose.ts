/**
 * Making a composite model on disk (what `deno task models ensemble|regime`
 * does once its flags are read): each member pinned to the version that is
 * current in its versioned folder, a new version of the composite's root
 * holding `composite.json`, loaded back through the one loader (removed
 * again if it does not load), then promoted unless asked not to.
 *
 * @example
 * ```ts
 * import { composeModel } from "./compose.ts";
 * const made = await composeModel("models/ens", {
 *   kind: "ensemble",
 *   members: [{ root: "models/a", weight: 2 }, { root: "models/b", weight: 1 }],
 * });
 * console.log(made.composite.description);
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { DataError, UsageError } from "../util/errors.ts";
import {
  type Composite,
  readComposite,
  type RegimeName,
  type RegimeRule,
  writeComposite,
} from "./composite.ts";
import { checkModelFolder } from "./store.ts";
import { promote, readyModelRoot, resolveModelDir } from "./versions.ts";

/** What {@linkcode composeModel} makes. */
export interface ComposeOptions {
  /** An ensemble (weighted average) or a regime model (one member per regime). */
  kind: "ensemble" | "regime";
  /** The members' versioned folders, with their weight (ensemble) or regime. */
  members: { root: string; weight?: number; regime?: RegimeName }[];
  /** The regime rule (regime models). */
  rule?: RegimeRule;
  /** Leave the new version unpromoted (default false). */
  noPromote?: boolean;
  /** Where to say what killed runs left and was removed. */
  log?: (line: string) => void;
}

/** The new composite version. */
export interface ComposedModel {
  /** Its version folder. */
  dir: string;
  /** Its version. */
  version: string;
  /** Whether it is now the root's current version. */
  promoted: boolean;
  /** It, loaded back. */
  composite: Composite;
}

/** The version current in a member's versioned folder (a version folder itself is refused). */
async function pin(root: string): Promise<string> {
  const where = await resolveModelDir(root);
  if (!where) throw new DataError(`Expected a model in ${root} (current.json), found none`);
  if (where.dir === root) {
    throw new UsageError(
      `Expected a versioned model folder as a member, found the version folder ${root}`,
    );
  }
  return where.version;
}

/**
 * Writes a new version of the composite root `root` whose members are
 * pinned to their current versions, checks that it loads, and promotes it
 * (unless `noPromote`).
 *
 * @example
 * ```ts
 * await composeModel("models/reg", {
 *   kind: "regime",
 *   rule: TREND_VOLATILITY,
 *   members: [{ root: "models/a", regime: "bull" }, { root: "models/b", regime: "general" }],
 * });
 * ```
 */
export async function composeModel(root: string, options: ComposeOptions): Promise<ComposedModel> {
  const members = [];
  for (const m of options.members) members.push({ ...m, version: await pin(m.root) });
  const version = await readyModelRoot(root, options.log);
  const dir = join(root, version);
  await writeComposite(dir, {
    kind: options.kind,
    members,
    ...(options.rule ? { rule: options.rule } : {}),
  });
  let composite: Composite | null;
  try {
    composite = await readComposite(dir, checkModelFolder);
  } catch (error) {
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
  const promoted = options.noPromote !== true;
  if (promoted) await promote(root, version);
  return { dir, version, promoted, composite: composite! };
}
