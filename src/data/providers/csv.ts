/**
 * Import of a local CSV file (Yahoo, Stooq or lowercase dialect).
 *
 * @module
 */

import type { Bar, FetchOptions, FetchRange, Provider } from "../types.ts";
import { parseBarsCsv } from "../csv.ts";
import { type RawBar, validateBars } from "../validate.ts";
import { DataError } from "../../util/errors.ts";

/**
 * Reads `path` into raw bars, cells kept as text so validation can tell a
 * missing value from a non-numeric one. A missing file or column is a
 * {@linkcode DataError} naming the file.
 *
 * @example
 * ```ts
 * const raw = await readCsvBars("../shared/data/SPY.csv");
 * ```
 */
export async function readCsvBars(path: string): Promise<RawBar[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DataError(`Expected a CSV file at ${path}, found nothing there`);
    }
    if (error instanceof Deno.errors.IsADirectory) {
      throw new DataError(`Expected a CSV file at ${path}, found a folder`);
    }
    throw error;
  }
  return parseBarsCsv(text, { name: path });
}

/**
 * A provider over one CSV file, for code that wants the {@linkcode Provider}
 * interface. It returns numbers, so its rows are validated leniently first
 * (unusable rows dropped); use {@linkcode readCsvBars} and `validateBars`
 * for the report.
 *
 * @example
 * ```ts
 * const bars = await createCsvProvider("../shared/data/SPY.csv")
 *   .fetchBars("SPY", { start: "2020-01-01", end: "2020-12-31", interval: "1d" });
 * ```
 */
export function createCsvProvider(path: string): Provider {
  return {
    name: "csv",
    async fetchBars(_symbol: string, range: FetchRange, _options?: FetchOptions): Promise<Bar[]> {
      const { bars } = validateBars(await readCsvBars(path), { interval: range.interval });
      return bars.filter((b) =>
        b.time.slice(0, 10) >= range.start && b.time.slice(0, 10) <= range.end
      );
    },
  };
}
