/**
 * Validation and cleaning of bars on every path into the cache: parse the
 * dates and numbers strictly, sort by time, drop exact duplicates, then find
 * and count what is wrong. By default what can be repaired unambiguously is
 * repaired, rows that cannot be repaired are dropped and counted; with
 * `strict` any error fails.
 *
 * Dates: daily and weekly bars take `YYYY-MM-DD`, optionally followed by a
 * time (`2024-01-02T00:00:00Z`, `2024-01-02 09:30:00-05:00`); intraday bars
 * take an ISO timestamp `YYYY-MM-DDTHH:MM[:SS[.fff]]` with `Z` or an offset
 * (none means UTC). Anything else, a date after today or before 1800 is an
 * `invalid_time`.
 *
 * @module
 */

import type { Bar, Interval } from "./types.ts";
import { DataError } from "../util/errors.ts";
import { isContinuous, missingRuns, missingTradingDays, type Venue } from "./calendar.ts";
import { checkIntervalOfTimes, intervalMs } from "./interval.ts";

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
  /** Non-empty cells beyond the header's columns (a CSV row that split a number in two). */
  extraCells?: string[];
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
  "extra_cells",
  "missing_value",
  "non_numeric",
  "non_positive_price",
  "negative_volume",
  "high_below_low",
  "bad_print",
  "price_outside_range",
  "implausible_jump",
  "missing_trading_day",
  "missing_bars",
] as const;
/** A kind of problem found in bars. */
export type ProblemKind = typeof PROBLEM_KINDS[number];

/**
 * Kinds that are only reported, never a failure, even with `strict`: exact
 * duplicates carry no ambiguity, a large move may be a real crash, and a
 * missing day cannot be made up.
 */
const NOTICE_KINDS: ReadonlySet<ProblemKind> = new Set([
  "exact_duplicate",
  "implausible_jump",
  "missing_trading_day",
  "missing_bars",
]);

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
  /** Today, for rejecting dates in the future (default: now; tests fix it). */
  now?: Date;
  /** `repair` (default) repairs or drops one-bar spikes that revert; `ignore` leaves them. */
  badPrints?: "repair" | "ignore";
  /**
   * Count the bars the venue's calendar expects and the source lacks (default `true`): on the
   * NYSE the trading days daily bars miss, on a continuous venue every gap of any interval.
   */
  calendar?: boolean;
  /** Whose calendar the bars follow (default `nyse`; `crypto`: every interval, every day). */
  venue?: Venue;
  /**
   * Refuse bars whose spacing looks like another interval (default `true`):
   * daily bars taken as `1h`, minute bars taken as `1d`.
   */
  checkInterval?: boolean;
}

const PRICE_FIELDS = ["open", "high", "low", "close"] as const;
/** A date, optionally with a time of day (seconds, fraction) and a zone. */
const DATE_TIME_RE =
  /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
/** The earliest date accepted: older ones are typos (0001-01-01, 1024 for 2024). */
const EARLIEST_DATE = "1800-01-01";
const DAILY_FORMAT = "YYYY-MM-DD (like 2024-01-31)";
const INTRADAY_FORMAT =
  "an ISO timestamp YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM] (like 2024-01-31T14:30:00Z)";

function isRealDate(text: string): boolean {
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

function validClock(match: RegExpExecArray): boolean {
  const [hours, minutes, seconds] = [match[2], match[3], match[4]].map((v) => Number(v ?? 0));
  return hours <= 23 && minutes <= 59 && seconds <= 59;
}

/** A cell as it may be quoted in a message: stray bytes shown, long text cut. */
function quote(text: string): string {
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  const escaped = JSON.stringify(shown);
  return text.includes("\uFFFD") ? `${escaped} (with bytes that are not UTF-8)` : escaped;
}

type TimeResult = { ok: true; time: string } | { ok: false; expected: string };

function normalizeTime(text: string, interval: Interval, today: string): TimeResult {
  const daily = interval === "1d" || interval === "1wk";
  const format = `a date as ${daily ? DAILY_FORMAT : INTRADAY_FORMAT}`;
  const match = DATE_TIME_RE.exec(text);
  if (!match || !isRealDate(match[1]) || !validClock(match)) return { ok: false, expected: format };
  const [, date, hours, minutes, seconds, fraction, zone] = match;
  if (date > today) {
    return { ok: false, expected: `a date not in the future (${today} at the latest)` };
  }
  if (date < EARLIEST_DATE) return { ok: false, expected: `a date from ${EARLIEST_DATE} on` };
  if (daily) return { ok: true, time: date };
  if (hours === undefined) return { ok: true, time: `${date}T00:00:00Z` };
  const offset = zone === undefined || zone === "Z" ? "Z" : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const ms = Date.parse(
    `${date}T${hours}:${minutes}:${seconds ?? "00"}${(fraction ?? "").slice(0, 4)}${offset}`,
  );
  if (Number.isNaN(ms)) return { ok: false, expected: format };
  return { ok: true, time: new Date(ms).toISOString().replace(".000Z", "Z") };
}

/** The instant a valid time text names (a date alone: its midnight UTC). */
function instantOf(text: string): number {
  const match = DATE_TIME_RE.exec(text)!;
  const [, date, hours, minutes, seconds, fraction, zone] = match;
  if (hours === undefined) return Date.parse(`${date}T00:00:00Z`);
  const offset = zone === undefined || zone === "Z" ? "Z" : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  return Date.parse(
    `${date}T${hours}:${minutes}:${seconds ?? "00"}${(fraction ?? "").slice(0, 4)}${offset}`,
  );
}

type Parsed = { ok: true; value: number } | { ok: false; kind: ProblemKind; found: string };

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function parseNumber(raw: RawNumber): Parsed {
  if (raw === null || raw === undefined) return { ok: false, kind: "missing_value", found: "none" };
  if (typeof raw === "number") {
    return Number.isFinite(raw)
      ? { ok: true, value: raw }
      : { ok: false, kind: "missing_value", found: String(raw) };
  }
  const text = raw.trim();
  if (text === "" || /^(null|nan|n\/a|na|-)$/i.test(text)) {
    return { ok: false, kind: "missing_value", found: text === "" ? "an empty cell" : quote(text) };
  }
  if (!NUMBER_RE.test(text)) {
    const hint = /^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$/.test(text)
      ? " (a thousands separator: write 1234.5, not 1,234.5)"
      : "";
    return { ok: false, kind: "non_numeric", found: `${quote(text)}${hint}` };
  }
  const value = Number(text);
  return Number.isFinite(value)
    ? { ok: true, value }
    : { ok: false, kind: "non_numeric", found: `${quote(text)} (too large for a number)` };
}

function sameValues(a: Bar, b: Bar): boolean {
  return a.open === b.open && a.high === b.high && a.low === b.low && a.close === b.close &&
    a.volume === b.volume && a.adjClose === b.adjClose;
}

function describe(bar: Bar): string {
  const adj = bar.adjClose === undefined ? "" : ` adj ${bar.adjClose}`;
  return `O ${bar.open} H ${bar.high} L ${bar.low} C ${bar.close}${adj} V ${bar.volume}`;
}

/** Decimal places of a number's shortest text (at most 6). */
function decimals(value: number): number {
  const text = String(value);
  const dot = text.indexOf(".");
  return dot < 0 || text.includes("e") ? 0 : Math.min(6, text.length - dot - 1);
}

function roundTo(value: number, places: number): number {
  return Number(value.toFixed(places));
}

/**
 * Whether `cur` is a bad print between `prev` and `next`: its close jumps by
 * more than `threshold` (log return) and the next close jumps back, to within
 * a quarter of the threshold of `prev`'s (and the adjusted close, when given,
 * does the same). Returns the repaired bar when only the close (and adjusted
 * close) is off: the close becomes the geometric mean of the neighbours'
 * closes, kept within the bar's own [low, high]; otherwise the fields that
 * are off, and the bar is to be dropped.
 */
function badPrint(
  prev: Bar,
  cur: Bar,
  next: Bar,
  threshold: number,
): { repaired: Bar } | { repaired?: undefined; fields: string } | undefined {
  const spikes = (a: number, b: number, c: number): boolean => {
    const up = Math.log(b / a), down = Math.log(c / b);
    return Math.abs(up) > threshold && Math.abs(down) > threshold &&
      Math.sign(up) !== Math.sign(down) &&
      Math.abs(Math.log(c / a)) <= threshold / 4;
  };
  if (!spikes(prev.close, cur.close, next.close)) return undefined;
  const adjusted = prev.adjClose !== undefined && cur.adjClose !== undefined &&
    next.adjClose !== undefined;
  if (adjusted && !spikes(prev.adjClose!, cur.adjClose!, next.adjClose!)) return undefined;
  const reference = Math.sqrt(prev.close * next.close);
  const off = (["open", "high", "low"] as const)
    .filter((f) => Math.abs(Math.log(cur[f] / reference)) > threshold);
  if (off.length > 0) return { fields: [...off, "close"].join(", ") };
  const places = Math.max(decimals(prev.close), decimals(next.close));
  const close = roundTo(Math.min(cur.high, Math.max(cur.low, reference)), places);
  const repaired: Bar = { ...cur, close };
  if (adjusted) {
    const ratio = Math.sqrt((prev.adjClose! / prev.close) * (next.adjClose! / next.close));
    repaired.adjClose = roundTo(
      close * ratio,
      Math.max(decimals(prev.adjClose!), decimals(next.adjClose!)),
    );
  }
  return { repaired };
}

/**
 * Validates one live bar the way an import validates a row (the same checks
 * and repairs as {@linkcode validateBars}: a bad or future time, a missing or
 * non-numeric field, a non-positive price, negative volume and high < low are
 * refused; open or close outside [low, high] widens the range; a time after
 * `now` is refused only when `now` is given). Returns the
 * clean bar (its time normalised for the interval) or throws one
 * {@linkcode DataError} naming `label` and the first problem. A `Date` time
 * is taken as its ISO instant.
 *
 * @example
 * ```ts
 * validateBar({ time: "2024-01-02", open: 10, high: 9, low: 9.5, close: 9.8, volume: 1 }, {
 *   label: "SPY",
 * }); // DataError: Expected high >= low, found high 9 < low 9.5 in the bar of SPY at 2024-01-02
 * ```
 */
export function validateBar(
  bar: Omit<RawBar, "time"> & { time: string | Date | RawNumber },
  options: { label: string; interval?: Interval; now?: Date },
): Bar {
  const time = bar.time instanceof Date ? bar.time.toISOString() : bar.time;
  const raw = { ...bar, time: typeof time === "string" ? time : String(time ?? "") } as RawBar;
  const { bars, report } = validateBars([raw], {
    interval: options.interval,
    // The live path does not judge the bot's clock (a replay may run ahead of today).
    now: options.now ?? new Date("9999-12-30T00:00:00Z"),
    badPrints: "ignore",
    calendar: false,
    checkInterval: false,
  });
  if (bars.length === 1) return bars[0];
  const detail = report.problems[0]?.detail.replace(/; row dropped$/, "") ?? "an unusable bar";
  // A bad time is quoted by the detail; any other problem says the bar's time.
  const when = report.problems[0]?.time;
  const at = when === undefined ? "" : ` at ${when}`;
  throw new DataError(`${detail} in the bar of ${options.label}${at}`);
}

/**
 * Validates and cleans bars. Returns the clean bars (sorted, one per time)
 * and a report. Repairs: a bad print (a one-bar spike in the close that the
 * next bar reverts, beyond the jump threshold both ways) gets the geometric
 * mean of its neighbours' closes when its open, high and low agree with them,
 * and is dropped when they do not; open or close outside [low, high] widens
 * the range; a conflicting duplicate keeps the last row. Drops: invalid or
 * future times, rows with cells beyond the header's columns, missing or
 * non-numeric fields, non-positive prices, negative volume, high < low.
 * Reported only: exact duplicates (dropped), implausible jumps (|log return|
 * above the threshold not explained by the adjusted close) and, for daily
 * bars, the NYSE trading days between the first and last row that have no
 * row at all; on a continuous venue (`venue: "crypto"`), each stretch of
 * any interval with no bar (`missing_bars`, one problem per gap).
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
  // An adjusted-close column counts when any row fills it (a cache of bars
  // without one has the column, empty).
  const hasAdj = bars.some((b) =>
    b.adjClose !== undefined && b.adjClose !== null &&
    !(typeof b.adjClose === "string" && b.adjClose.trim() === "")
  );
  const today = new Date((options.now ?? new Date()).getTime() + 86_400_000)
    .toISOString().slice(0, 10);
  const parsed: { bar: Bar; row?: number }[] = [];
  const sourceDates = new Set<string>();
  // Each usable row's instant as written (before a daily time is cut to its date), to check
  // that the bars are of the interval they are taken as.
  const instants: number[] = [];
  for (const raw of bars) {
    const text = typeof raw.time === "string" ? raw.time.trim() : "";
    const daily = interval === "1d" || interval === "1wk";
    if (text === "") {
      add("missing_value", `Expected a date in the time field, found none; row dropped`, {
        row: raw.row,
      });
      continue;
    }
    const parsedTime = normalizeTime(text, interval, today);
    if (!parsedTime.ok) {
      add("invalid_time", `Expected ${parsedTime.expected}, found ${quote(text)}; row dropped`, {
        row: raw.row,
      });
      continue;
    }
    const time = parsedTime.time;
    if (daily) sourceDates.add(time);
    const at = { time, row: raw.row };
    if (raw.extraCells && raw.extraCells.length > 0) {
      const cells = raw.extraCells.map((c) => quote(c)).join(", ");
      add(
        "extra_cells",
        `Expected one cell per header column, found ${raw.extraCells.length} more (${cells}): a number written with a thousands separator, like 1,234.5, splits in two; row dropped`,
        at,
      );
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
    instants.push(instantOf(text));
  }
  if (options.checkInterval !== false) {
    checkIntervalOfTimes(instants, interval, options.label ?? "the bars");
  }

  // 2. Sort (stable, so "last" means last in the source) and resolve duplicates.
  parsed.sort((a, b) => (a.bar.time < b.bar.time ? -1 : a.bar.time > b.bar.time ? 1 : 0));
  const unique: { bar: Bar; row?: number }[] = [];
  let conflicts = 0;
  for (const item of parsed) {
    const prev = unique[unique.length - 1];
    if (prev && prev.bar.time === item.bar.time) {
      if (!sameValues(prev.bar, item.bar)) conflicts++;
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

  // Most rows sharing a time with different prices is not dirt but another interval (minute bars
  // read as daily) or a broken file: refused, rather than collapsed onto a few bars.
  if (options.checkInterval !== false && parsed.length >= 10 && 2 * conflicts > parsed.length) {
    throw new DataError(
      `Expected one ${interval} bar per time in ${
        options.label ?? "the bars"
      }, found ${parsed.length} rows on ${unique.length} distinct times (${conflicts} with other prices for a time already seen): a finer interval read as ${interval}, or a broken file`,
    );
  }

  // 3. Drop bars whose values cannot be right.
  const checked: { bar: Bar; row?: number }[] = [];
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
    checked.push({ bar, row });
  }

  // 4. Bad prints: a one-bar spike in the close that the next bar reverts.
  const printed: { bar: Bar; row?: number }[] = [];
  for (let i = 0; i < checked.length; i++) {
    const item = checked[i];
    const prev = printed[printed.length - 1]?.bar;
    const next = checked[i + 1]?.bar;
    const spike = options.badPrints !== "ignore" && prev && next
      ? badPrint(prev, item.bar, next, threshold)
      : undefined;
    if (!spike) {
      printed.push(item);
      continue;
    }
    const at = { time: item.bar.time, row: item.row };
    const found = `close ${prev!.close} -> ${item.bar.close} -> ${next!.close}`;
    if (spike.repaired) {
      add(
        "bad_print",
        `Expected a close near its neighbours', found a one-bar spike that reverts (${found}); close repaired to ${spike.repaired.close} from the neighbours`,
        at,
      );
      repaired++;
      printed.push({ bar: spike.repaired, row: item.row });
    } else {
      add(
        "bad_print",
        `Expected a bar near its neighbours, found a one-bar spike that reverts (${found}) in ${spike.fields}; row dropped`,
        at,
      );
    }
  }

  // 5. Repair the range when open or close lies outside [low, high].
  const clean: Bar[] = [];
  const cleanRows: (number | undefined)[] = [];
  for (const { bar, row } of printed) {
    const high = Math.max(bar.high, bar.open, bar.close);
    const low = Math.min(bar.low, bar.open, bar.close);
    if (high !== bar.high || low !== bar.low) {
      add(
        "price_outside_range",
        `Expected open and close within [low, high], found ${
          describe(bar)
        }; range widened to [${low}, ${high}]`,
        { time: bar.time, row },
      );
      repaired++;
      clean.push({ ...bar, high, low });
    } else {
      clean.push(bar);
    }
    cleanRows.push(row);
  }

  // 6. Report implausible jumps (kept: they may be real).
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

  // 7. A continuous venue: every interval is expected, so each gap is reported once.
  if (isContinuous(options.venue) && options.calendar !== false) {
    for (const run of missingRuns(clean.map((b) => b.time), intervalMs(interval))) {
      add(
        "missing_bars",
        `Expected a bar every ${interval} on a ${options.venue} venue (it never closes), found none between ${run.after} and ${run.before} (${run.bars} bar${
          run.bars === 1 ? "" : "s"
        } missing); not filled`,
        { time: run.after },
      );
    }
  }
  // 7. Daily bars: the NYSE trading days the source has no row for.
  if (
    interval === "1d" && options.calendar !== false && !isContinuous(options.venue) &&
    sourceDates.size > 1
  ) {
    const dates = [...sourceDates].sort();
    const weekend = dates.filter((d) => [0, 6].includes(new Date(`${d}T00:00:00Z`).getUTCDay()));
    // A series that trades at weekends (crypto) follows no exchange calendar.
    if (weekend.length <= dates.length * 0.05) {
      for (const day of missingTradingDays(sourceDates, dates[0], dates[dates.length - 1])) {
        add(
          "missing_trading_day",
          `Expected a bar on every NYSE trading day, found none on ${day}; not filled`,
          { time: day },
        );
      }
    }
  }

  // Rows in source order, then the days with no row, by date.
  problems.sort((a, b) =>
    a.row !== undefined && b.row !== undefined
      ? a.row - b.row
      : a.row !== undefined
      ? -1
      : b.row !== undefined
      ? 1
      : (a.time ?? "") < (b.time ?? "")
      ? -1
      : (a.time ?? "") > (b.time ?? "")
      ? 1
      : 0
  );
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
