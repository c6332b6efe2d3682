/**
 * CSV import and export of bars with `csv-parse` and `csv-stringify`.
 * Import recognises three dialects by their header: Yahoo
 * (`Date,Open,High,Low,Close,Adj Close,Volume`), Stooq (`Date,Open,High,Low,
 * Close,Volume`, or its Polish `Data,Otwarcie,Najwyzszy,Najnizszy,Zamkniecie,
 * Wolumen`) and lowercase (`date|time|timestamp,open,high,low,close,volume
 * [,adj_close]`, the cache's own format). Cells are kept as text so that
 * validation can tell a missing value from a non-numeric one. Empty cells
 * after the last column (trailing commas) are ignored; non-empty ones are
 * handed to validation as `extraCells`, which drops the row.
 *
 * @module
 */

import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import type { Bar } from "./types.ts";
import type { RawBar } from "./validate.ts";
import { DataError } from "../util/errors.ts";

/**
 * The cache's column order.
 *
 * @example
 * ```ts
 * CACHE_COLUMNS.join(","); // "time,open,high,low,close,adj_close,volume"
 * ```
 */
export const CACHE_COLUMNS = ["time", "open", "high", "low", "close", "adj_close", "volume"];

type Field = "time" | "open" | "high" | "low" | "close" | "volume" | "adjClose";

const ALIASES: Record<string, Field> = {
  date: "time",
  time: "time",
  timestamp: "time",
  datetime: "time",
  data: "time",
  open: "open",
  otwarcie: "open",
  high: "high",
  najwyzszy: "high",
  low: "low",
  najnizszy: "low",
  close: "close",
  zamkniecie: "close",
  volume: "volume",
  vol: "volume",
  wolumen: "volume",
  adjclose: "adjClose",
  adjustedclose: "adjClose",
};

const REQUIRED: readonly Field[] = ["time", "open", "high", "low", "close", "volume"];

function headerKey(name: string): string {
  return name.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/ł/g, "l")
    .toLowerCase().replace(/[^a-z]/g, "");
}

/**
 * Parses CSV text into raw bars (cells as text, `row` = line number). Throws a
 * {@linkcode DataError} naming `name` and the columns found when a required
 * column (time, open, high, low, close, volume) is missing.
 *
 * @example
 * ```ts
 * const raw = parseBarsCsv("Date,Open,High,Low,Close,Volume\n2024-01-02,1,2,0.5,1.5,100\n", { name: "x.csv" });
 * raw[0].close; // "1.5"
 * ```
 */
export function parseBarsCsv(text: string, options: { name?: string } = {}): RawBar[] {
  const name = options.name ?? "the CSV text";
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DataError(`Expected valid CSV in ${name}, found a syntax error: ${reason}`);
  }
  if (records.length === 0) {
    throw new DataError(`Expected a header row in ${name}, found an empty file`);
  }
  const header = records[0].record;
  const index: Partial<Record<Field, number>> = {};
  header.forEach((column, i) => {
    const field = ALIASES[headerKey(column)];
    if (!field) return;
    const first = index[field];
    // Two columns of one field: which one holds the bars cannot be told (issue 23 #18).
    if (first !== undefined) {
      throw new DataError(
        `Expected one ${field} column in ${name}, found two: "${header[first]}" (column ${
          first + 1
        }) and "${column}" (column ${i + 1}); remove or rename one`,
      );
    }
    index[field] = i;
  });
  const missing = REQUIRED.filter((f) => index[f] === undefined);
  if (missing.length > 0) {
    throw new DataError(
      `Expected columns date, open, high, low, close, volume in ${name}, found ${
        header.length > 0 ? header.join(", ") : "none"
      } (missing ${missing.join(", ")})`,
    );
  }
  const cell = (record: string[], field: Field): string | undefined => {
    const i = index[field];
    return i === undefined ? undefined : record[i] ?? "";
  };
  return records.slice(1).map(({ record, info }) => {
    // Cells beyond the header's columns: empty ones are trailing commas, the
    // others a value split in two (an unquoted "1,234.5").
    const extra = record.slice(header.length).filter((c) => c !== "");
    return {
      time: cell(record, "time"),
      open: cell(record, "open"),
      high: cell(record, "high"),
      low: cell(record, "low"),
      close: cell(record, "close"),
      volume: cell(record, "volume"),
      ...(index.adjClose !== undefined ? { adjClose: cell(record, "adjClose") } : {}),
      row: info.lines,
      ...(extra.length > 0 ? { extraCells: extra } : {}),
    };
  });
}

/**
 * Formats bars as the cache's CSV (`time,open,high,low,close,adj_close,volume`,
 * `adj_close` empty when absent). Numbers use their shortest exact text, so
 * the same bars always give the same bytes.
 *
 * @example
 * ```ts
 * formatBarsCsv([{ time: "2024-01-02", open: 1, high: 2, low: 0.5, close: 1.5, volume: 100 }]);
 * // "time,open,high,low,close,adj_close,volume\n2024-01-02,1,2,0.5,1.5,,100\n"
 * ```
 */
export function formatBarsCsv(bars: readonly Bar[]): string {
  const rows = bars.map((b) => [
    b.time,
    String(b.open),
    String(b.high),
    String(b.low),
    String(b.close),
    b.adjClose === undefined ? "" : String(b.adjClose),
    String(b.volume),
  ]);
  return stringify([CACHE_COLUMNS, ...rows]);
}
