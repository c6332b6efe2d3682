/**
 * `deno task models list | show [VERSION] | promote VERSION | rollback`:
 * the seed's model versioning and rollback. Versions are never modified;
 * only the `current.json` pointer moves, atomically.
 *
 * @module
 */

import { join } from "node:path";
import { type Command, parseFlags, printResult, stringFlag } from "./common.ts";
import { type ModelCard, readCard } from "../model/card.ts";
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
  createdAt: string;
  arch: string;
  ticker: string;
  train: string;
  test: string;
  testAccuracy: number | null;
  testBaseRate: number | null;
  /** The A/B decision of `deno task retrain` that made this version, if it did. */
  retrain: string | null;
}

function range(card: ModelCard, split: "train" | "test"): string {
  const r = card.data.ranges[split];
  return `${r.first}..${r.last} (${r.rows})`;
}

async function summarize(
  root: string,
  version: string,
  current: string | null,
): Promise<VersionSummary> {
  const card = await readCard(join(root, version));
  return {
    version,
    current: version === current,
    createdAt: card.createdAt,
    arch: card.arch,
    ticker: card.data.ticker,
    train: range(card, "train"),
    test: range(card, "test"),
    testAccuracy: card.metrics.test.accuracy,
    testBaseRate: card.testBaseRate,
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
            `${r.current ? "*" : " "} ${
              r.version.padEnd(4)
            } ${r.createdAt}  ${r.arch} ${r.ticker}  train ${r.train}  test ${r.test}  test acc ${
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
      const card = await readCard(join(root, v));
      printResult(
        flags,
        { version: v, current: v === pointer?.current, config: card },
        () => `${v}${v === pointer?.current ? " (current)" : ""}\n${JSON.stringify(card, null, 2)}`,
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
