/**
 * The page of `deno task prepare`: one ticker's rows, merge and problems, or
 * a universe import's line per symbol with problems or a failure and its
 * total (and the JSON object `--json` prints for it).
 *
 * @example
 * ```ts
 * import { prepareUniverse } from "../pipeline/prepare.ts";
 * import { universeText } from "./prepare.ts";
 * console.log(universeText(await prepareUniverse({ csvDir: "u" }, { dataDir: "data" })));
 * ```
 *
 * @module
 */

import { type PrepareResult, summarizeReport } from "../data/mod.ts";
import type { UniverseImportResult } from "../pipeline/prepare.ts";

/**
 * One ticker's prepare in lines: rows and range, the merge and the problems,
 * the first conflict, the cache.
 *
 * @example
 * ```ts
 * console.log(prepareText(await prepareTicker("SPY")));
 * ```
 */
export function prepareText(result: PrepareResult): string {
  const note = result.meta.synthetic
    ? `synthetic data, seed ${result.meta.seed}, not real prices`
    : `source ${result.source}`;
  return [
    `${result.ticker}: ${result.rows} rows ${result.first} .. ${result.last} (${note})`,
    `  ${mergeText(result)}; problems: ${summarizeReport(result.report)}`,
    ...(result.conflicts.length > 0 ? [`  first conflict: ${conflictText(result)}`] : []),
    `  cache: ${result.path}`,
  ].join("\n");
}

/** "added N, unchanged M, conflicting K", and what happened to the conflicts. */
function mergeText(result: PrepareResult): string {
  const parts = [
    `added ${result.added}`,
    `unchanged ${result.unchanged}`,
    `conflicting ${result.conflicting}`,
  ];
  if (result.removed > 0) parts.push(`removed ${result.removed}`);
  const text = parts.join(", ");
  if (result.mode === "current") return `${text} (the cache is current)`;
  if (result.conflicting === 0) return text;
  return result.mode === "merged"
    ? `${text} (kept the cached bars; --replace takes the new ones)`
    : `${text} (replaced by the new bars)`;
}

function conflictText(result: PrepareResult): string {
  const { time, cached, incoming } = result.conflicts[0];
  const fields = (["open", "high", "low", "close", "adjClose", "volume"] as const)
    .filter((f) => cached[f] !== incoming[f])
    .map((f) => `${f === "adjClose" ? "adj close" : f} ${cached[f]} cached, ${incoming[f]} new`);
  return `${time}: ${fields.join("; ")}`;
}

/**
 * The warning line for one ticker's repaired or dropped rows (the first
 * problem quoted), or `undefined` when nothing was repaired or dropped.
 *
 * @example
 * ```ts
 * const line = problemWarning(result); // "warning: SPY: 1 non numeric; 1 rows dropped; first at …"
 * ```
 */
export function problemWarning(result: PrepareResult): string | undefined {
  const { report } = result;
  if (report.dropped === 0 && report.repaired === 0) return undefined;
  const first = report.problems.find((p) =>
    p.kind !== "implausible_jump" && p.kind !== "missing_trading_day"
  );
  const at = first
    ? `; first at ${
      [`row ${first.row ?? "?"}`, first.time].filter(Boolean).join(" ")
    }: ${first.detail}`
    : "";
  return `warning: ${result.ticker}: ${
    summarizeReport(report)
  }${at} (--strict makes this an error)`;
}

/** Rows, range and problem count of a universe import's cached symbols. */
function totals(r: UniverseImportResult): {
  rows: number;
  first: string;
  last: string;
  withProblems: PrepareResult[];
} {
  return {
    rows: r.results.reduce((sum, x) => sum + x.rows, 0),
    first: r.results.map((x) => x.first).sort()[0] ?? "–",
    last: r.results.map((x) => x.last).sort().at(-1) ?? "–",
    withProblems: r.results.filter((x) => x.report.problems.length > 0),
  };
}

/**
 * A universe import in lines: one per symbol with problems or a failure,
 * then the total.
 *
 * @example
 * ```ts
 * console.log(universeText(result)); // "u5: prepared 5 of 5 symbols into data/: …"
 * ```
 */
export function universeText(r: UniverseImportResult): string {
  const { rows, first, last, withProblems } = totals(r);
  return [
    ...withProblems.map((x) => `${x.ticker}: ${summarizeReport(x.report)}`),
    ...r.failures.map((f) => `${f.ticker}: failed: ${f.error}`),
    `${r.name}: prepared ${r.results.length} of ${r.attempted} symbols into ${r.dataDir}/: ${rows} rows, ${first} .. ${last}; ${withProblems.length} with data problems, ${r.failures.length} failed${
      r.tickersFile ? `; tickers in ${r.tickersFile}` : ""
    }`,
  ].join("\n");
}

/**
 * The JSON object `prepare --json` prints for a universe import.
 *
 * @example
 * ```ts
 * console.log(JSON.stringify(universeJson(result)));
 * ```
 */
export function universeJson(r: UniverseImportResult): Record<string, unknown> {
  const { rows, first, last, withProblems } = totals(r);
  return {
    universe: r.name,
    dataDir: r.dataDir,
    tickersFile: r.tickersFile,
    symbols: r.results.length,
    failed: r.failures,
    rows,
    first,
    last,
    withProblems: withProblems.length,
    results: r.results.map((x) => ({
      ticker: x.ticker,
      rows: x.rows,
      first: x.first,
      last: x.last,
      problems: x.report.problems.length,
      summary: summarizeReport(x.report),
    })),
  };
}
