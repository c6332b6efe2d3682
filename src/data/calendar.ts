/**
 * The NYSE trading calendar as a small rule table (no npm package keeps the
 * exchange's calendar: the US holiday packages follow the federal calendar,
 * which closes on Columbus and Veterans Day and opens on Good Friday).
 *
 * A day is a trading day when it is a weekday and not one of:
 *
 * | holiday                   | rule                                                           |
 * | ------------------------- | -------------------------------------------------------------- |
 * | New Year's Day            | 1 January; a Sunday moves to Monday, a Saturday is not made up |
 * | Martin Luther King Jr Day | third Monday of January, from 1998                             |
 * | Washington's Birthday     | third Monday of February                                       |
 * | Good Friday               | the Friday before Easter Sunday (Gregorian computus)           |
 * | Memorial Day              | last Monday of May                                             |
 * | Juneteenth                | 19 June, from 2022; Saturday → Friday, Sunday → Monday         |
 * | Independence Day          | 4 July; Saturday → Friday, Sunday → Monday                     |
 * | Labor Day                 | first Monday of September                                      |
 * | Thanksgiving              | fourth Thursday of November                                    |
 * | Christmas                 | 25 December; Saturday → Friday, Sunday → Monday                |
 *
 * and the special closures {@linkcode SPECIAL_CLOSURES} (hurricanes, 11
 * September 2001, national days of mourning). The rules hold from 1990 on;
 * earlier years had other holidays (election days, until 1980) and are not
 * checked.
 *
 * @module
 */

/**
 * Days the NYSE closed outside its regular holidays, with the reason.
 *
 * @example
 * ```ts
 * SPECIAL_CLOSURES["2012-10-29"]; // "Hurricane Sandy"
 * ```
 */
export const SPECIAL_CLOSURES: Readonly<Record<string, string>> = {
  "1994-04-27": "national day of mourning (Richard Nixon)",
  "2001-09-11": "attacks of 11 September",
  "2001-09-12": "attacks of 11 September",
  "2001-09-13": "attacks of 11 September",
  "2001-09-14": "attacks of 11 September",
  "2004-06-11": "national day of mourning (Ronald Reagan)",
  "2007-01-02": "national day of mourning (Gerald Ford)",
  "2012-10-29": "Hurricane Sandy",
  "2012-10-30": "Hurricane Sandy",
  "2018-12-05": "national day of mourning (George H. W. Bush)",
  "2025-01-09": "national day of mourning (Jimmy Carter)",
};

import { UsageError } from "../util/errors.ts";

/** The first year the rule table describes. */
export const CALENDAR_FIRST_YEAR = 1990;

const DAY_MS = 86_400_000;

function iso(year: number, month: number, day: number): string {
  return new Date(Date.UTC(year, month - 1, day)).toISOString().slice(0, 10);
}

function weekday(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/** The n-th (1-based) `dow` of a month, or the last one for `n = -1`. */
function nthWeekday(year: number, month: number, dow: number, n: number): string {
  if (n > 0) {
    const first = weekday(year, month, 1);
    return iso(year, month, 1 + ((dow - first + 7) % 7) + 7 * (n - 1));
  }
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const last = weekday(year, month, lastDay);
  return iso(year, month, lastDay - ((last - dow + 7) % 7));
}

/** A fixed-date holiday moved off the weekend (Saturday → Friday unless `noFriday`). */
function observed(year: number, month: number, day: number, noFriday = false): string | undefined {
  const dow = weekday(year, month, day);
  if (dow === 0) return iso(year, month, day + 1);
  if (dow === 6) return noFriday ? undefined : iso(year, month, day - 1);
  return iso(year, month, day);
}

/** Easter Sunday as [month, day] (anonymous Gregorian algorithm). */
function easter(year: number): [number, number] {
  const a = year % 19, b = Math.floor(year / 100), c = year % 100;
  const d = Math.floor(b / 4), e = b % 4, f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3), h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4), k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return [month, day];
}

const holidayCache = new Map<number, ReadonlyMap<string, string>>();

/**
 * The NYSE's full-day closures in `year` that fall on weekdays, date → name.
 *
 * @example
 * ```ts
 * nyseHolidays(2024).get("2024-03-29"); // "Good Friday"
 * ```
 */
export function nyseHolidays(year: number): ReadonlyMap<string, string> {
  const cached = holidayCache.get(year);
  if (cached) return cached;
  const days = new Map<string, string>();
  const add = (date: string | undefined, name: string): void => {
    if (date && date.startsWith(String(year))) days.set(date, name);
  };
  add(observed(year, 1, 1, true), "New Year's Day");
  if (year >= 1998) add(nthWeekday(year, 1, 1, 3), "Martin Luther King Jr. Day");
  add(nthWeekday(year, 2, 1, 3), "Washington's Birthday");
  const [easterMonth, easterDay] = easter(year);
  add(iso(year, easterMonth, easterDay - 2), "Good Friday");
  add(nthWeekday(year, 5, 1, -1), "Memorial Day");
  if (year >= 2022) add(observed(year, 6, 19), "Juneteenth");
  add(observed(year, 7, 4), "Independence Day");
  add(nthWeekday(year, 9, 1, 1), "Labor Day");
  add(nthWeekday(year, 11, 4, 4), "Thanksgiving Day");
  add(observed(year, 12, 25), "Christmas Day");
  for (const [date, why] of Object.entries(SPECIAL_CLOSURES)) {
    if (date.startsWith(`${year}-`)) add(date, why);
  }
  holidayCache.set(year, days);
  return days;
}

/**
 * Whether the NYSE trades on `date` (`YYYY-MM-DD`): a weekday that is not a
 * holiday or special closure.
 *
 * @example
 * ```ts
 * isTradingDay("2024-07-04"); // false
 * isTradingDay("2024-07-05"); // true
 * ```
 */
export function isTradingDay(date: string): boolean {
  const ms = Date.parse(`${date}T00:00:00Z`);
  const dow = new Date(ms).getUTCDay();
  if (dow === 0 || dow === 6) return false;
  return !nyseHolidays(Number(date.slice(0, 4))).has(date);
}

/**
 * The NYSE trading days strictly between `after` and `before` that are not
 * in `present` (dates as `YYYY-MM-DD`); days before
 * {@linkcode CALENDAR_FIRST_YEAR} are not checked.
 *
 * @example
 * ```ts
 * missingTradingDays(new Set(["2024-01-02", "2024-01-04"]), "2024-01-02", "2024-01-04");
 * // ["2024-01-03"]
 * ```
 */
export function missingTradingDays(
  present: ReadonlySet<string>,
  after: string,
  before: string,
): string[] {
  const missing: string[] = [];
  const from = Math.max(
    Date.parse(`${after}T00:00:00Z`),
    Date.UTC(CALENDAR_FIRST_YEAR, 0, 1) - DAY_MS,
  );
  const to = Date.parse(`${before}T00:00:00Z`);
  for (let ms = from + DAY_MS; ms < to; ms += DAY_MS) {
    const date = new Date(ms).toISOString().slice(0, 10);
    if (!present.has(date) && isTradingDay(date)) missing.push(date);
  }
  return missing;
}

/**
 * The venues whose calendars the module knows: `nyse` (the default: US
 * stocks, the rule table above, 252 sessions a year) and `crypto` (a market
 * that never closes: every interval of every day is expected, 365 days a
 * year).
 *
 * @example
 * ```ts
 * VENUES.includes("crypto"); // true
 * ```
 */
export const VENUES = ["nyse", "crypto"] as const;
/**
 * A venue: whose calendar a series follows (see {@linkcode VENUES}).
 *
 * @example
 * ```ts
 * const venue: Venue = "crypto";
 * ```
 */
export type Venue = typeof VENUES[number];

/** Calendar days in a year of a venue that never closes. */
export const CONTINUOUS_DAYS_PER_YEAR = 365;

/**
 * The venue named by a flag, a card or a cache, checked; `undefined` is the
 * default, `nyse`. A name the module does not know is a `RangeError` naming
 * the venues.
 *
 * @example
 * ```ts
 * parseVenue("crypto"); // "crypto"
 * parseVenue(undefined); // "nyse"
 * ```
 */
export function parseVenue(name: string | undefined): Venue {
  if (name === undefined) return "nyse";
  if (!(VENUES as readonly string[]).includes(name)) {
    throw new UsageError(`Expected a venue (${VENUES.join(", ")}), found "${name}"`);
  }
  return name as Venue;
}

/**
 * Whether a venue trades around the clock, every day (`crypto`): every
 * interval is expected, weekends and holidays included.
 *
 * @example
 * ```ts
 * isContinuous("crypto"); // true
 * isContinuous("nyse"); // false
 * ```
 */
export function isContinuous(venue: Venue | undefined): boolean {
  return venue === "crypto";
}

/**
 * Whether `venue` trades on `date` (`YYYY-MM-DD`): every day for `crypto`,
 * {@linkcode isTradingDay} for `nyse`.
 *
 * @example
 * ```ts
 * venueTradesOn("2024-07-06", "crypto"); // true: a Saturday
 * venueTradesOn("2024-07-06", "nyse"); // false
 * ```
 */
export function venueTradesOn(date: string, venue: Venue = "nyse"): boolean {
  return isContinuous(venue) || isTradingDay(date);
}

/**
 * One stretch of a continuous series with no bar: the last bar before it,
 * the first after it, and how many bars of the interval are missing between.
 */
export interface MissingRun {
  /** Time of the last bar before the gap. */
  after: string;
  /** Time of the first bar after the gap. */
  before: string;
  /** Bars of the interval expected in between and not found. */
  bars: number;
}

/**
 * The gaps of a continuous venue's series: wherever two consecutive bar
 * times (sorted, as validation leaves them) are more than one interval of
 * `stepMs` apart, one {@linkcode MissingRun} with the bars expected in
 * between. Daily times (`YYYY-MM-DD`) are read as midnight UTC.
 *
 * @example
 * ```ts
 * missingRuns(["2024-01-01T00:00:00Z", "2024-01-01T03:00:00Z"], 3_600_000);
 * // [{ after: "2024-01-01T00:00:00Z", before: "2024-01-01T03:00:00Z", bars: 2 }]
 * ```
 */
export function missingRuns(times: readonly string[], stepMs: number): MissingRun[] {
  const ms = (t: string): number => Date.parse(t.length <= 10 ? `${t}T00:00:00Z` : t);
  const runs: MissingRun[] = [];
  for (let i = 1; i < times.length; i++) {
    const steps = Math.round((ms(times[i]) - ms(times[i - 1])) / stepMs);
    if (steps > 1) runs.push({ after: times[i - 1], before: times[i], bars: steps - 1 });
  }
  return runs;
}
