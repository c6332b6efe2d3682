/**
 * `deno task models list | show [VERSION] | promote VERSION | rollback`:
 * the seed's model versioning and rollback. Versions are never modified;
 * only the `current.json` pointer moves, atomically.
 *
 * @module
 */

import { join } from "node:path";
import { type Command, parseFlags, printResult, stringFlag } from "./common.ts";
import { listVersions, promote, readPointer, rollback } from "../model/versions.ts";
import { DataError, UsageError } from "../util/errors.ts";

const HELP = `Usage: deno task models <list | show [VERSION] | promote VERSION | rollback> [flags]

Model versions live in <model-dir>/<name>/v1, v2, ...; current.json names the one
plugins load. Versions are never modified; promote and rollback move the pointer.

  list              every version: creation time, data ranges, test metrics
  show [VERSION]    one version's model_config.json (default: the current one)
  promote VERSION   make VERSION current
  rollback          return to the version that was current before

Flags:
  --model DIR       the versioned model folder (default models/lstm)
  --json            print JSON
  -h, --help        this text`;

interface VersionSummary {
  version: string;
  current: boolean;
  createdAt: string | null;
  arch: string | null;
  ticker: string | null;
  train: string | null;
  test: string | null;
  testAccuracy: number | null;
  testBaseRate: number | null;
  /** The A/B decision of `deno task retrain` that made this version, if it did. */
  retrain: string | null;
}

async function readConfig(dir: string): Promise<Record<string, unknown>> {
  const path = join(dir, "model_config.json");
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new DataError(`Missing ${path}`);
    throw new DataError(`Expected JSON in ${path}, found a file that does not parse`);
  }
}

// deno-lint-ignore no-explicit-any
function pick(value: any, path: string[]): any {
  return path.reduce((v, key) => (v === null || v === undefined ? undefined : v[key]), value);
}

function range(config: Record<string, unknown>, split: string): string | null {
  const r = pick(config, ["data", "ranges", split]);
  return r?.first ? `${r.first}..${r.last} (${r.rows})` : null;
}

async function summarize(
  root: string,
  version: string,
  current: string | null,
): Promise<VersionSummary> {
  const config = await readConfig(join(root, version));
  const num = (v: unknown): number | null => (typeof v === "number" ? v : null);
  return {
    version,
    current: version === current,
    createdAt: (config.createdAt as string) ?? null,
    arch: pick(config, ["arch"]) ?? null,
    ticker: pick(config, ["data", "ticker"]) ?? null,
    train: range(config, "train"),
    test: range(config, "test"),
    testAccuracy: num(pick(config, ["metrics", "test", "accuracy"])),
    testBaseRate: num(config.testBaseRate),
    retrain: await retrainDecision(join(root, version)),
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

/** Runs `deno task models`. */
export const models: Command = async (args: string[]): Promise<number> => {
  const { flags, positionals } = parseFlags(args, { model: { type: "string" } }, {
    positionals: true,
  });
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const root = stringFlag(flags, "model", "models/lstm");
  const [action, version, ...extra] = positionals;
  if (extra.length) {
    throw new UsageError(`Expected at most one version, found ${positionals.slice(1).join(" ")}`);
  }
  const pointer = action === undefined ? null : await readPointer(root);
  switch (action) {
    case "list": {
      const versions = await listVersions(root);
      if (!versions.length) {
        throw new DataError(`No model versions in ${root}; run deno task train first`);
      }
      const rows: VersionSummary[] = [];
      for (const v of versions) rows.push(await summarize(root, v, pointer?.current ?? null));
      printResult(
        flags,
        { model: root, current: pointer?.current ?? null, versions: rows },
        () =>
          rows.map((r) =>
            `${r.current ? "*" : " "} ${r.version.padEnd(4)} ${r.createdAt ?? "?"}  ${
              r.arch ?? "?"
            } ${r.ticker ?? "?"}  train ${r.train ?? "?"}  test ${r.test ?? "?"}  test acc ${
              r.testAccuracy?.toFixed(3) ?? "?"
            } (base rate ${r.testBaseRate?.toFixed(3) ?? "?"})${
              r.retrain ? `  retrain: ${r.retrain}` : ""
            }`
          ).join("\n"),
      );
      return 0;
    }
    case "show": {
      const v = version ?? pointer?.current;
      if (!v) throw new DataError(`No current version in ${root}; name one: models show v1`);
      const config = await readConfig(join(root, v));
      printResult(
        flags,
        { version: v, current: v === pointer?.current, config },
        () =>
          `${v}${v === pointer?.current ? " (current)" : ""}\n${JSON.stringify(config, null, 2)}`,
      );
      return 0;
    }
    case "promote": {
      if (!version) throw new UsageError("Expected a version to promote, e.g. models promote v2");
      const next = await promote(root, version);
      printResult(flags, next, () => `${root}: current is now ${next.current}`);
      return 0;
    }
    case "rollback": {
      const next = await rollback(root);
      printResult(flags, next, () => `${root}: rolled back to ${next.current}`);
      return 0;
    }
    default:
      throw new UsageError(
        `Expected list, show, promote or rollback, found ${
          action === undefined ? "nothing" : `"${action}"`
        }`,
      );
  }
};
