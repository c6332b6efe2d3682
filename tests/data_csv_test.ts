import assert from "node:assert/strict";
import { formatBarsCsv, parseBarsCsv } from "../src/data/csv.ts";
import { validateBars } from "../src/data/validate.ts";
import { DataError } from "../src/util/errors.ts";

const EXPECTED_CLOSES = [472.65, 468.79, 467.28];

async function load(name: string): Promise<ReturnType<typeof validateBars>> {
  const url = new URL(`../fixtures/providers/${name}`, import.meta.url);
  return validateBars(parseBarsCsv(await Deno.readTextFile(url), { name }));
}

Deno.test("parseBarsCsv reads the Yahoo dialect with its adjusted close and CRLF lines", async () => {
  const { bars } = await load("dialect_yahoo.csv");
  assert.deepEqual(bars.map((b) => b.close), EXPECTED_CLOSES);
  assert.equal(bars[0].adjClose, 466.43);
  assert.equal(bars[2].time, "2024-01-04");
});

Deno.test("parseBarsCsv reads the Stooq dialect without an adjusted close", async () => {
  const { bars } = await load("dialect_stooq.csv");
  assert.deepEqual(bars.map((b) => b.close), EXPECTED_CLOSES);
  assert.equal(bars[0].adjClose, undefined);
});

Deno.test("parseBarsCsv reads Stooq's Polish headers", async () => {
  const { bars } = await load("dialect_stooq_pl.csv");
  assert.deepEqual(bars.map((b) => b.close), EXPECTED_CLOSES);
  assert.equal(bars[1].volume, 103585900);
});

Deno.test("parseBarsCsv reads the lowercase dialect with a timestamp column", async () => {
  const { bars } = await load("dialect_lowercase.csv");
  assert.deepEqual(bars.map((b) => b.close), EXPECTED_CLOSES);
  assert.equal(bars[2].adjClose, 461.13);
});

Deno.test("parseBarsCsv names the file and the columns it found when close is missing", async () => {
  const url = new URL("../fixtures/providers/no_close_column.csv", import.meta.url);
  const text = await Deno.readTextFile(url);
  assert.throws(
    () => parseBarsCsv(text, { name: "no_close_column.csv" }),
    (error: unknown) =>
      error instanceof DataError &&
      error.message.includes("in no_close_column.csv, found Date, Open, High, Low, Volume") &&
      error.message.includes("missing close"),
  );
});

Deno.test("formatBarsCsv output parses back to the same bars", () => {
  const bars = [
    { time: "2024-01-02", open: 1.25, high: 2, low: 0.5, close: 1.5, volume: 100, adjClose: 1.4 },
    { time: "2024-01-03", open: 1.5, high: 2.5, low: 1, close: 2, volume: 0, adjClose: 1.9 },
  ];
  const again = validateBars(parseBarsCsv(formatBarsCsv(bars))).bars;
  assert.deepEqual(again, bars);
});
