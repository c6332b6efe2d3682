import assert from "node:assert/strict";
import { parseBarsCsv } from "../src/data/csv.ts";
import { isTradingDay, missingTradingDays, nyseHolidays } from "../src/data/calendar.ts";
import { type RawBar, validateBars } from "../src/data/validate.ts";
import { DataError } from "../src/util/errors.ts";

const HEADER = "Date,Open,High,Low,Close,Adj Close,Volume";
const NOW = new Date("2024-06-28T12:00:00Z");

function bar(time: string, close = 10.5): RawBar {
  return { time, open: 10, high: 11, low: 9, close, adjClose: close, volume: 100 };
}

// ---- Strict dates -------------------------------------------------------------------------

Deno.test("a date with stray Windows-1252 bytes is an invalid time, counted", () => {
  const bytes = new TextEncoder().encode(`${HEADER}\n2000-01-11 caf`);
  const text = new TextDecoder().decode(
    new Uint8Array([...bytes, 0xe9, ...new TextEncoder().encode(",1,2,0.5,1.5,1.5,100\n")]),
  );
  const { bars, report } = validateBars(parseBarsCsv(text), { now: NOW });
  assert.equal(bars.length, 0);
  assert.equal(report.counts.invalid_time, 1);
  assert.match(
    report.problems[0].detail,
    /^Expected a date as YYYY-MM-DD \(like 2024-01-31\), found "2000-01-11 caf\uFFFD" \(with bytes that are not UTF-8\); row dropped$/,
  );
});

Deno.test("daily bars take exactly YYYY-MM-DD, optionally with a time of day", () => {
  const good = ["2024-01-02", "2024-01-03T00:00:00Z", "2024-01-04 16:00:00-05:00"];
  const bad = [
    "2024-01-05junk",
    "2024-1-8",
    "01/09/2024",
    "20240110",
    "2024-01-11 25:00",
    "Jan 12 2024",
  ];
  const { bars, report } = validateBars([...good, ...bad].map((t) => bar(t)), { now: NOW });
  assert.deepEqual(bars.map((b) => b.time), ["2024-01-02", "2024-01-03", "2024-01-04"]);
  assert.equal(report.counts.invalid_time, bad.length);
});

Deno.test("intraday bars take ISO timestamps only, a zone-less one as UTC", () => {
  const { bars, report } = validateBars(
    [
      bar("2024-01-02T14:30:00Z"),
      bar("2024-01-02 14:31"),
      bar("2024-01-02T09:32:00-05:00"),
      bar("Jan 2 2024 14:33"),
      bar("2024-01-02T14:34:00 UTC"),
    ],
    { interval: "1m", now: NOW },
  );
  assert.deepEqual(bars.map((b) => b.time), [
    "2024-01-02T14:30:00Z",
    "2024-01-02T14:31:00Z",
    "2024-01-02T14:32:00Z",
  ]);
  assert.equal(report.counts.invalid_time, 2);
});

Deno.test("dates in the future or before 1800 are rejected", () => {
  const { bars, report } = validateBars(
    [bar("2024-06-28"), bar("2024-06-29"), bar("2024-07-01"), bar("9999-01-02"), bar("1024-01-02")],
    { now: NOW },
  );
  // Today and tomorrow (a bar dated in a time zone ahead of UTC) are fine.
  assert.deepEqual(bars.map((b) => b.time), ["2024-06-28", "2024-06-29"]);
  assert.equal(report.counts.invalid_time, 3);
  assert.match(
    report.problems[1].detail,
    /not in the future \(2024-06-29 at the latest\), found "9999-01-02"/,
  );
  assert.match(report.problems[2].detail, /from 1800-01-01 on, found "1024-01-02"/);
});

// ---- Numbers and cells --------------------------------------------------------------------

Deno.test("numbers are plain decimals: separators, hex and overflow are named", () => {
  const rows = [
    { ...bar("2024-01-02"), open: "1,234.5" },
    { ...bar("2024-01-03"), open: "0x10" },
    { ...bar("2024-01-04"), open: "1e400" },
    { ...bar("2024-01-05"), open: " 1.2e1 " },
  ];
  const { bars, report } = validateBars(rows, { now: NOW });
  assert.deepEqual(bars.map((b) => b.open), [12]);
  assert.equal(report.counts.non_numeric, 3);
  assert.match(report.problems[0].detail, /found "1,234.5" \(a thousands separator: write 1234.5/);
  assert.match(report.problems[1].detail, /found "0x10"; row dropped/);
  assert.match(report.problems[2].detail, /found "1e400" \(too large for a number\)/);
});

Deno.test("an unquoted 1,234.5 splits a row: counted as extra cells, the row dropped", () => {
  const text = `${HEADER}\n2024-01-02,1,234.5,1,240,1,200,1,230,1230,100\n`;
  const { bars, report } = validateBars(parseBarsCsv(text), { now: NOW });
  assert.equal(bars.length, 0);
  assert.equal(report.counts.extra_cells, 1);
  assert.match(report.problems[0].detail, /found 4 more \("1", "230", "1230", "100"\)/);
});

Deno.test("trailing commas on every line are empty cells and import cleanly", () => {
  const text =
    `${HEADER},\n2024-01-02,10,11,9,10.5,10.5,100,\n2024-01-03,10.5,11,10,10.8,10.8,120,\n`;
  const { bars, report } = validateBars(parseBarsCsv(text), { now: NOW });
  assert.equal(bars.length, 2);
  assert.deepEqual(report.problems, []);
});

// ---- Bad prints ----------------------------------------------------------------------------

// LNT around 2016-05-19 in the universe data set: the close alone is at half the price.
const LNT = `${HEADER}
2016-05-17,36.9,36.925,35.82,35.99,35.99,1356858
2016-05-18,35.76,36.25,35.19,35.35,35.35,1061648
2016-05-19,35.19,35.785,35.085,17.87,17.87,1231722
2016-05-20,35.8,36.32,35.55,35.91,35.91,997954
2016-05-23,35.91,36.09,35.74,35.75,35.75,1090320
`;

Deno.test("a one-bar spike in the close that reverts is a bad print, repaired from its neighbours", () => {
  const { bars, report } = validateBars(parseBarsCsv(LNT), { now: NOW });
  assert.equal(bars.length, 5);
  assert.equal(bars[2].close, 35.63); // sqrt(35.35 * 35.91), within the day's [35.085, 35.785]
  assert.equal(bars[2].adjClose, 35.63);
  assert.deepEqual([bars[2].low, bars[2].high], [35.085, 35.785]); // the range is not widened
  assert.deepEqual(report.counts, { bad_print: 1 });
  assert.equal(report.repaired, 1);
  assert.equal(report.problems[0].row, 4);
  assert.match(
    report.problems[0].detail,
    /one-bar spike that reverts \(close 35.35 -> 17.87 -> 35.91\); close repaired to 35.63/,
  );
  for (let i = 1; i < bars.length; i++) {
    assert.ok(Math.abs(Math.log(bars[i].close / bars[i - 1].close)) < 0.05);
  }
});

Deno.test("a bad print whose whole bar is off is dropped, and counted", () => {
  const text = LNT.replace(
    "2016-05-19,35.19,35.785,35.085,17.87",
    "2016-05-19,17.5,17.9,17.4,17.87",
  );
  const { bars, report } = validateBars(parseBarsCsv(text), { now: NOW });
  assert.deepEqual(bars.map((b) => b.time), [
    "2016-05-17",
    "2016-05-18",
    "2016-05-20",
    "2016-05-23",
  ]);
  assert.equal(report.counts.bad_print, 1);
  assert.equal(report.dropped, 1);
  assert.match(report.problems[0].detail, /in open, high, low, close; row dropped/);
});

Deno.test("a large move that does not revert is a jump, kept, not a bad print", () => {
  const text = LNT.replace(
    "2016-05-20,35.8,36.32,35.55,35.91,35.91",
    "2016-05-20,17.8,18.3,17.5,17.9,17.9",
  )
    .replace("2016-05-23,35.91,36.09,35.74,35.75,35.75", "2016-05-23,17.91,18.09,17.74,17.75,17.75")
    .replace("2016-05-19,35.19,35.785,35.085,17.87", "2016-05-19,35.19,35.785,17.8,17.87");
  const { bars, report } = validateBars(parseBarsCsv(text), { now: NOW });
  assert.equal(bars.length, 5);
  assert.equal(report.counts.bad_print, undefined);
  assert.equal(report.counts.implausible_jump, 1);
});

Deno.test("strict mode fails on a bad print", () => {
  assert.throws(
    () => validateBars(parseBarsCsv(LNT), { strict: true, label: "lnt.csv", now: NOW }),
    (error: unknown) =>
      error instanceof DataError &&
      /in lnt\.csv \(--strict\), found 1 bad print; first: row 4/.test(error.message),
  );
});

// ---- Missing trading days -----------------------------------------------------------------

Deno.test("daily bars count the NYSE trading days they miss, not holidays or weekends", () => {
  // Good Friday 2024-03-29 is a holiday; 2024-04-02 (a Tuesday) is missing.
  const days = ["2024-03-27", "2024-03-28", "2024-04-01", "2024-04-03", "2024-04-04"];
  const { bars, report } = validateBars(days.map((d) => bar(d)), { now: NOW });
  assert.equal(bars.length, 5);
  assert.deepEqual(report.counts, { missing_trading_day: 1 });
  assert.equal(report.problems[0].time, "2024-04-02");
  assert.equal(report.dropped, 0);
});

Deno.test("special closures are no gaps: 11 September 2001, Sandy, national days of mourning", () => {
  for (
    const [before, after] of [
      ["2001-09-10", "2001-09-17"],
      ["2012-10-26", "2012-10-31"],
      ["2004-06-10", "2004-06-14"],
      ["2006-12-29", "2007-01-03"],
      ["2018-12-04", "2018-12-06"],
      ["2025-01-08", "2025-01-10"],
    ]
  ) {
    assert.deepEqual(missingTradingDays(new Set([before, after]), before, after), [], before);
  }
});

Deno.test("a row dropped for its values is no missing day, and intraday bars are not checked", () => {
  const rows = [bar("2024-01-02"), { ...bar("2024-01-03"), close: "abc" }, bar("2024-01-04")];
  assert.deepEqual(validateBars(rows, { now: NOW }).report.counts, { non_numeric: 1 });
  const intraday = validateBars([bar("2024-01-02T14:30:00Z"), bar("2024-01-05T14:30:00Z")], {
    interval: "1h",
    now: NOW,
  });
  assert.deepEqual(intraday.report.problems, []);
});

Deno.test("the NYSE rule table: observed dates, Juneteenth from 2022, no Saturday New Year", () => {
  assert.deepEqual(
    [...nyseHolidays(2022).keys()],
    [
      "2022-01-17",
      "2022-02-21",
      "2022-04-15",
      "2022-05-30",
      "2022-06-20",
      "2022-07-04",
      "2022-09-05",
      "2022-11-24",
      "2022-12-26",
    ],
  );
  assert.equal(isTradingDay("2021-12-31"), true); // New Year 2022 fell on a Saturday
  assert.equal(isTradingDay("2021-12-24"), false); // Christmas 2021 on a Saturday
  assert.equal(isTradingDay("2021-06-18"), true); // no Juneteenth before 2022
  assert.equal(isTradingDay("2020-07-03"), false); // 4 July 2020 on a Saturday
  assert.equal(isTradingDay("2025-04-18"), false); // Good Friday 2025
  assert.equal(isTradingDay("2024-10-14"), true); // Columbus Day: the NYSE trades
});
