/**
 * Validation and cleaning of bars on every path into the cache: parse the
 * numbers, sort by time, drop exact duplicates, then find and count what is
 * wrong. By default what can be repaired unambiguously is repaired, rows that
 * cannot be repaired are dropped and counted; with `strict` any error fails.
 *
 * @module
 */

import type { Bar, Interval } from "./types.ts";
import { DataError } from "../util/errors.ts";

/**
 * A numeric field as it arrives from a file or an API: maybe text, maybe absent.
 *
 * @example
 * ```ts
 * const cells: RawNumber[] = [1.5, "1.5", "", null];
 * ```
 */
export type RawNumber = number | string | null | undefined;

/**
 * A bar before validation. A {@linkcode Bar} is a `RawBar`; files give text
 * cells, APIs may give `null` for missing values. `row` is the source line.
 *
 * @example
 * ```ts
 * const raw: RawBar = { time: "2024-01-02", open: "1", high: "2", low: "0.5", close: "abc", volume: "10", row: 2 };
 * ```
 */
export interface RawBar {
  /** Date or timestamp text. */
  time: string | null | undefined;
  /** Opening price. */
  open: RawNumber;
  /** Highest price. */
  high: RawNumber;
  /** Lowest price. */
  low: RawNumber;
  /** Closing price. */
  close: RawNumber;
  /** Traded volume. */
  volume: RawNumber;
  /** Adjusted close; `undefined` when the source has none. */
  adjClose?: RawNumber;
  /** Line number in the source file, for messages. */
  row?: number;
}

/**
 * Kinds of problem validation reports, in the order summaries list them.
 *
 * @example
 * ```ts
 * PROBLEM_KINDS.includes("non_numeric"); // true
 * ```
 */
export const PROBLEM_KINDS = [
  "exact_duplicate",
  "conflicting_duplicate",
  "invalid_time",
  "missing_value",
  "non_numeric",
  "non_positive_price",
  "negative_volume",
  "high_below_low",
  "price_outside_range",
  "implausible_jump",
] as const;
/** A kind of problem found in bars. */
export type ProblemKind = typeof PROBLEM_KINDS[number];

/**
 * Kinds that are only reported, never a failure, even with `strict`: exact
 * duplicates carry no ambiguity and a large move may be a real crash.
 */
const NOTICE_KINDS: ReadonlySet<ProblemKind> = new Set(["exact_duplicate", "implausible_jump"]);

/** One problem found in the bars. */
export interface Problem {
  /** What is wrong. */
  kind: ProblemKind;
  /** The bar's time, when known. */
  time?: string;
  /** The source line, when known. */
  row?: number;
  /** What was expected and what was found, and what was done about it. */
  detail: string;
}

/** What validation found and did. */
export interface ValidationReport {
  /** Rows received. */
  input: number;
  /** Rows kept. */
  output: number;
  /** Rows dropped because they could not be repaired (exact duplicates included). */
  dropped: number;
  /** Rows changed by a repair. */
  repaired: number;
  /** Problems by kind. */
  counts: Partial<Record<ProblemKind, number>>;
  /** Every problem, in row order. */
  problems: Problem[];
}

/** Options of {@linkcode validateBars}. */
export interface ValidateOptions {
  /** Fail with a {@linkcode DataError} on any problem that is not a notice. */
  strict?: boolean;
  /** Interval of the bars; daily and weekly times are cut to their date (default `1d`). */
  interval?: Interval;
  /** Where the bars came from, for error messages (a file name, a provider). */
  label?: string;
  /** Absolute log return above which a move is reported as implausible (default 0.5). */
  jumpThreshold?: number;
}

const PRICE_FIELDS = ["open", "high", "low", "close"] as const;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

function isRealDate(text: string): boolean {
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

function normalizeTime(raw: unknown, interval: Interval): string | undefined {
  const text = typeof raw === "string" ? raw.trim() : "";
  if (text === "") return undefined;
  const daily = interval === "1d" || interval === "1wk";
  if (daily) {
    const date = text.slice(0, 10);
    return DATE_RE.test(date) && isRealDate(date) ? date : undefined;
  }
  if (DATE_RE.test(text)) return isRealDate(text) ? `${text}T00:00:00Z` : undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString().replace(".000Z", "Z");
}

type Parsed = { ok: true; value: number } | { ok: false; kind: ProblemKind; found: string };

function parseNumber(raw: RawNumber): Parsed {
  if (raw === null || raw === undefined) return { ok: false, kind: "missing_value", found: "none" };
  if (typeof raw === "number") {
    return Number.isFinite(raw)
      ? { ok: true, value: raw }
      : { ok: false, kind: "missing_value", found: String(raw) };
  }
  const text = raw.trim();
  if (text === "" || /^(null|nan|n\/a|na|-)$/i.test(text)) {
    return { ok: false, kind: "missing_value", found: text === "" ? "an empty cell" : `"${text}"` };
  }
  const value = Number(text);
  return Number.isFinite(value)
    ? { ok: true, value }
    : { ok: false, kind: "non_numeric", found: `"${text}"` };
}

function sameValues(a: Bar, b: Bar): boolean {
  return a.open === b.open && a.high === b.high && a.low === b.low && a.close === b.close &&
    a.volume === b.volume && a.adjClose === b.adjClose;
}

function describe(bar: Bar): string {
  const adj = bar.adjClose === undefined ? "" : ` adj ${bar.adjClose}`;
  return `O ${bar.open} H ${bar.high} L ${bar.low} C ${bar.close}${adj} V ${bar.volume}`;
}

/**
 * Validates and cleans bars. Returns the clean bars (sorted, one per time)
 * and a report. Repairs: open or close outside [low, high] widens the range;
 * a conflicting duplicate keeps the last row. Drops: invalid times, missing
 * or non-numeric fields, non-positive prices, negative volume, high < low.
 * Reported only: exact duplicates (dropped) and implausible jumps (|log
 * return| above the threshold not explained by the adjusted close).
 *
 * @example
 * ```ts
 * const { bars, report } = validateBars([
 *   { time: "2024-01-03", open: 2, high: 3, low: 1, close: 2.5, volume: 10 },
 *   { time: "2024-01-02", open: 2, high: 3, low: 1, close: "abc", volume: 10 },
 * ]);
 * bars.length; // 1
 * report.counts.non_numeric; // 1
 * ```
 */
export function validateBars(
  bars: readonly RawBar[],
  options: ValidateOptions = {},
): { bars: Bar[]; report: ValidationReport } {
  const interval = options.interval ?? "1d";
  const threshold = options.jumpThreshold ?? 0.5;
  const problems: Problem[] = [];
  let repaired = 0;
  const add = (kind: ProblemKind, detail: string, at: { time?: string; row?: number }): void => {
    problems.push({
      kind,
      ...(at.time !== undefined ? { time: at.time } : {}),
      ...(at.row !== undefined ? { row: at.row } : {}),
      detail,
    });
  };

  // 1. Parse each row; rows with unusable fields are dropped.
  const hasAdj = bars.some((b) => b.adjClose !== undefined);
  const parsed: { bar: Bar; row?: number }[] = [];
  for (const raw of bars) {
    const time = normalizeTime(raw.time, interval);
    const at = { time, row: raw.row };
    if (time === undefined) {
      const found = raw.time ? `"${raw.time}"` : "none";
      const kind: ProblemKind = raw.time ? "invalid_time" : "missing_value";
      add(kind, `Expected a date like 2024-01-31 in the time field, found ${found}; row dropped`, {
        row: raw.row,
      });
      continue;
    }
    const fields = [...PRICE_FIELDS, "volume", ...(hasAdj ? ["adjClose"] as const : [])] as const;
    const values: Record<string, number> = {};
    let bad = false;
    for (const field of fields) {
      const result = parseNumber(raw[field]);
      if (result.ok) {
        values[field] = result.value;
        continue;
      }
      bad = true;
      const name = field === "adjClose" ? "adj close" : field;
      add(result.kind, `Expected a number for ${name}, found ${result.found}; row dropped`, at);
    }
    if (bad) continue;
    const bar: Bar = {
      time,
      open: values.open,
      high: values.high,
      low: values.low,
      close: values.close,
      volume: values.volume,
      ...(hasAdj ? { adjClose: values.adjClose } : {}),
    };
    parsed.push({ bar, row: raw.row });
  }

  // 2. Sort (stable, so "last" means last in the source) and resolve duplicates.
  parsed.sort((a, b) => (a.bar.time < b.bar.time ? -1 : a.bar.time > b.bar.time ? 1 : 0));
  const unique: { bar: Bar; row?: number }[] = [];
  for (const item of parsed) {
    const prev = unique[unique.length - 1];
    if (prev && prev.bar.time === item.bar.time) {
      if (sameValues(prev.bar, item.bar)) {
        add("exact_duplicate", "Found the same row twice; the copy was dropped", {
          time: item.bar.time,
          row: item.row,
        });
      } else {
        add(
          "conflicting_duplicate",
          `Expected one bar per time, found two that differ (${describe(prev.bar)} vs ${
            describe(item.bar)
          }); kept the last`,
          { time: item.bar.time, row: item.row },
        );
      }
      unique[unique.length - 1] = item;
    } else {
      unique.push(item);
    }
  }

  // 3. Check each bar's values.
  const clean: Bar[] = [];
  const cleanRows: (number | undefined)[] = [];
  for (const { bar, row } of unique) {
    const at = { time: bar.time, row };
    const nonPositive = [...PRICE_FIELDS, ...(hasAdj ? ["adjClose"] as const : [])]
      .filter((f) => (bar[f] as number) <= 0);
    if (nonPositive.length > 0) {
      add(
        "non_positive_price",
        `Expected positive prices, found ${
          nonPositive.map((f) => `${f} ${bar[f]}`).join(", ")
        }; row dropped`,
        at,
      );
      continue;
    }
    if (bar.volume < 0) {
      add(
        "negative_volume",
        `Expected a volume of at least 0, found ${bar.volume}; row dropped`,
        at,
      );
      continue;
    }
    if (bar.high < bar.low) {
      add(
        "high_below_low",
        `Expected high >= low, found high ${bar.high} < low ${bar.low}; row dropped`,
        at,
      );
      continue;
    }
    const high = Math.max(bar.high, bar.open, bar.close);
    const low = Math.min(bar.low, bar.open, bar.close);
    if (high !== bar.high || low !== bar.low) {
      add(
        "price_outside_range",
        `Expected open and close within [low, high], found ${
          describe(bar)
        }; range widened to [${low}, ${high}]`,
        at,
      );
      repaired++;
      clean.push({ ...bar, high, low });
      cleanRows.push(row);
      continue;
    }
    clean.push(bar);
    cleanRows.push(row);
  }

  // 4. Report implausible jumps (kept: they may be real).
  for (let i = 1; i < clean.length; i++) {
    const prev = clean[i - 1], cur = clean[i];
    const move = Math.log(cur.close / prev.close);
    if (Math.abs(move) <= threshold) continue;
    const adjMove = cur.adjClose !== undefined && prev.adjClose !== undefined
      ? Math.log(cur.adjClose / prev.adjClose)
      : move;
    if (Math.abs(adjMove) <= threshold) continue;
    add(
      "implausible_jump",
      `Expected a close-to-close log return within ±${threshold}, found ${
        move.toFixed(3)
      } (close ${prev.close} -> ${cur.close}); kept`,
      { time: cur.time, row: cleanRows[i] },
    );
  }

  problems.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
  const counts: Partial<Record<ProblemKind, number>> = {};
  for (const p of problems) counts[p.kind] = (counts[p.kind] ?? 0) + 1;
  const report: ValidationReport = {
    input: bars.length,
    output: clean.length,
    dropped: bars.length - clean.length,
    repaired,
    counts,
    problems,
  };
  if (options.strict) {
    const errors = problems.filter((p) => !NOTICE_KINDS.has(p.kind));
    if (errors.length > 0) {
      const first = errors[0];
      const where = [first.row !== undefined ? `row ${first.row}` : "", first.time ?? ""]
        .filter(Boolean).join(" ");
      throw new DataError(
        `Expected clean bars${options.label ? ` in ${options.label}` : ""} (--strict), found ${
          countsText(report, false)
        }; first: ${where}: ${first.detail}`,
      );
    }
  }
  return { bars: clean, report };
}

function countsText(report: ValidationReport, notices: boolean): string {
  return PROBLEM_KINDS
    .filter((k) => report.counts[k] && (notices || !NOTICE_KINDS.has(k)))
    .map((k) => `${report.counts[k]} ${k.replaceAll("_", " ")}`)
    .join(", ");
}

/**
 * A one-line summary of a report: "no problems", or the counts by kind and
 * how many rows were dropped and repaired.
 *
 * @example
 * ```ts
 * const { report } = validateBars([]);
 * summarizeReport(report); // "no problems"
 * ```
 */
export function summarizeReport(report: ValidationReport): string {
  if (report.problems.length === 0) return "no problems";
  const parts = [countsText(report, true)];
  if (report.dropped > 0) parts.push(`${report.dropped} of ${report.input} rows dropped`);
  if (report.repaired > 0) parts.push(`${report.repaired} rows repaired`);
  return parts.join("; ");
}
