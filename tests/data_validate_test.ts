import assert from "node:assert/strict";
import { parseBarsCsv } from "../src/data/csv.ts";
import { summarizeReport, validateBars } from "../src/data/validate.ts";
import { DataError } from "../src/util/errors.ts";

async function fixture(name: string): Promise<ReturnType<typeof validateBars>> {
  const url = new URL(`../fixtures/providers/${name}`, import.meta.url);
  return validateBars(parseBarsCsv(await Deno.readTextFile(url), { name }));
}

Deno.test("validateBars sorts rows by time", async () => {
  const { bars, report } = await fixture("problem_unsorted.csv");
  assert.deepEqual(bars.map((b) => b.time), ["2024-01-02", "2024-01-03", "2024-01-04"]);
  assert.equal(report.problems.length, 0);
});

Deno.test("validateBars drops an exact duplicate and counts it", async () => {
  const { bars, report } = await fixture("problem_exact_duplicate.csv");
  assert.equal(bars.length, 3);
  assert.equal(report.counts.exact_duplicate, 1);
  assert.equal(report.dropped, 1);
});

Deno.test("validateBars keeps the last of conflicting duplicates and reports it", async () => {
  const { bars, report } = await fixture("problem_conflicting_duplicate.csv");
  assert.equal(bars.length, 3);
  assert.equal(bars[1].close, 10.9);
  assert.equal(report.counts.conflicting_duplicate, 1);
  assert.equal(report.problems[0].time, "2024-01-03");
});

Deno.test("validateBars drops a row with a non-positive price", async () => {
  const { bars, report } = await fixture("problem_non_positive_price.csv");
  assert.deepEqual(bars.map((b) => b.time), ["2024-01-02", "2024-01-04"]);
  assert.equal(report.counts.non_positive_price, 1);
  assert.equal(report.problems[0].row, 3);
});

Deno.test("validateBars drops a row whose high is below its low", async () => {
  const { bars, report } = await fixture("problem_high_below_low.csv");
  assert.equal(bars.length, 2);
  assert.equal(report.counts.high_below_low, 1);
});

Deno.test("validateBars widens the range when the close lies above the high", async () => {
  const { bars, report } = await fixture("problem_price_outside_range.csv");
  assert.equal(bars.length, 3);
  assert.equal(bars[1].high, 10.8);
  assert.equal(report.counts.price_outside_range, 1);
  assert.equal(report.repaired, 1);
});

Deno.test("validateBars drops a row with a missing value", async () => {
  const { bars, report } = await fixture("problem_missing_value.csv");
  assert.equal(bars.length, 2);
  assert.equal(report.counts.missing_value, 1);
  assert.match(report.problems[0].detail, /Expected a number for low, found an empty cell/);
});

Deno.test("validateBars drops a row with a non-numeric price", async () => {
  const { bars, report } = await fixture("problem_non_numeric.csv");
  assert.equal(bars.length, 2);
  assert.equal(report.counts.non_numeric, 1);
  assert.match(report.problems[0].detail, /found "abc"/);
  assert.match(summarizeReport(report), /1 non numeric; 1 of 3 rows dropped/);
});

Deno.test("validateBars drops a row with negative volume", async () => {
  const { bars, report } = await fixture("problem_negative_volume.csv");
  assert.equal(bars.length, 2);
  assert.equal(report.counts.negative_volume, 1);
});

Deno.test("validateBars drops a row whose date cannot be read", async () => {
  const { bars, report } = await fixture("problem_invalid_time.csv");
  assert.equal(bars.length, 2);
  assert.equal(report.counts.invalid_time, 1);
});

Deno.test("validateBars reports an implausible jump and keeps the row", async () => {
  const { bars, report } = await fixture("problem_implausible_jump.csv");
  assert.equal(bars.length, 3);
  assert.equal(report.counts.implausible_jump, 1);
  assert.equal(report.problems[0].time, "2024-01-03");
});

Deno.test("validateBars does not report a split that the adjusted close explains", async () => {
  const { report } = await fixture("split_explained_by_adj_close.csv");
  assert.equal(report.counts.implausible_jump, undefined);
});

Deno.test("validateBars in strict mode throws a DataError listing the counts", async () => {
  const url = new URL("../fixtures/providers/problem_non_numeric.csv", import.meta.url);
  const raw = parseBarsCsv(await Deno.readTextFile(url), { name: "x.csv" });
  assert.throws(
    () => validateBars(raw, { strict: true, label: "x.csv" }),
    (error: unknown) =>
      error instanceof DataError && /in x\.csv \(--strict\), found 1 non numeric; first: row 3/
        .test(error.message),
  );
});

Deno.test("validateBars in strict mode accepts an implausible jump", async () => {
  const url = new URL("../fixtures/providers/problem_implausible_jump.csv", import.meta.url);
  const raw = parseBarsCsv(await Deno.readTextFile(url));
  assert.equal(validateBars(raw, { strict: true }).bars.length, 3);
});

Deno.test("validateBars treats a provider's NaN as a missing value", () => {
  const { bars, report } = validateBars([
    { time: "2024-01-02", open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 },
    { time: "2024-01-03", open: NaN, high: 2, low: 0.5, close: 1.5, volume: 10 },
  ]);
  assert.equal(bars.length, 1);
  assert.equal(report.counts.missing_value, 1);
});

Deno.test("the real SPY file imports with no problems", async () => {
  const path = new URL("../../shared/data/SPY.csv", import.meta.url);
  const raw = parseBarsCsv(await Deno.readTextFile(path));
  const { bars, report } = validateBars(raw);
  assert.equal(bars[0].time, "2000-01-03");
  assert.equal(bars[bars.length - 1].time, "2024-02-13");
  assert.equal(report.problems.length, 0);
});
