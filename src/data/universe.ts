/**
 * The bars of a universe: many symbols, read from a folder of per-symbol
 * CSVs, a long-format CSV with a symbol column, or the data cache (a list of
 * tickers, written inline or in a tickers file, one per line), or generated
 * by the seeded synthetic market. Every symbol's rows go through the one CSV
 * reader and validator of `src/data/` (`readCsvBars`, `parseBarsCsv`,
 * `validateBars`, `loadSeries`); what they found is summarised as one line per
 * symbol with problems and a total, not one screen per symbol.
 *
 * @example
 * ```ts
 * import { loadUniverse, resolveUniverse } from "./data.ts";
 * const spec = await resolveUniverse("../shared/data/universe");
 * const { members, text } = await loadUniverse(spec, { dataDir: "data" });
 * console.error(text); // one line per problem symbol, then the total
 * ```
 *
 * @module
 */

import { basename, extname, join } from "node:path";
import { parse } from "csv-parse/sync";
import { loadSeries, validateTicker } from "./prepare.ts";
import { symbolOfFileStem } from "./cache.ts";
import type { Venue } from "./calendar.ts";
import { parseBarsCsv } from "./csv.ts";
import { readCsvBars } from "./providers/csv.ts";
import { summarizeReport, validateBars } from "./validate.ts";
import type { Bar, Interval, Series, SourceName } from "./types.ts";
import type { RawBar, ValidationReport } from "./validate.ts";
import { DataError, UsageError } from "../util/errors.ts";

/**
 * Where a universe's bars come from.
 *
 * - `list`: tickers whose bars `prepare` cached (or the synthetic market
 *   generates), named inline (`AAPL,MSFT`) or in a tickers file (`file`).
 * - `csv-dir`: a folder of `<SYMBOL>.csv` files, read directly.
 * - `long-csv`: one CSV with a symbol column (`symbol`, `ticker` or `name`).
 *
 * @example
 * ```ts
 * const spec: UniverseSpec = { kind: "list", name: "mega", symbols: ["AAPL", "MSFT"] };
 * ```
 */
export type UniverseSpec =
  | { kind: "list"; name: string; symbols: string[]; file?: string }
  | { kind: "csv-dir"; name: string; path: string }
  | { kind: "long-csv"; name: string; path: string };

/** Header names (lower case, letters only) taken for the symbol column of a long CSV. */
const SYMBOL_COLUMNS = ["symbol", "ticker", "name", "sym"];

const letters = (name: string): string => name.toLowerCase().replace(/[^a-z]/g, "");

/**
 * Reads a tickers file: one ticker per line; blank lines and text after `#`
 * are ignored; duplicates are kept once, in first-seen order. Each ticker is
 * checked as `--ticker` checks it (a `UsageError` naming the line).
 *
 * @example
 * ```ts
 * parseTickers("AAPL\n# tech\nmsft\nAAPL\n", "t.txt"); // ["AAPL", "MSFT"]
 * ```
 */
export function parseTickers(text: string, name = "the tickers file"): string[] {
  // A binary file (NUL or other control bytes, or bytes that are not UTF-8) is said in one line.
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u0008\u000e-\u001f\u007f\ufffd]/.test(text)) {
    throw new UsageError(
      `Expected a text file of tickers (one per line) at ${name}, found binary content`,
    );
  }
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((line, i) => {
    const value = line.replace(/#.*$/, "").trim();
    if (value === "") return;
    try {
      seen.add(validateTicker(value));
    } catch {
      const shown = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
      throw new UsageError(
        `Expected one ticker per line in ${name} (like SPY, BRK.B or ^GSPC), found ${shown} on line ${
          i + 1
        }`,
      );
    }
  });
  if (seen.size === 0) throw new UsageError(`Expected at least one ticker in ${name}, found none`);
  return [...seen];
}

/**
 * Reads a tickers file (see {@linkcode parseTickers}); a missing file is a
 * `DataError`.
 *
 * @example
 * ```ts
 * const tickers = await readTickersFile("universe.txt");
 * ```
 */
export async function readTickersFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DataError(`Expected a tickers file at ${path}, found nothing there`);
    }
    throw error;
  }
  return parseTickers(text, path);
}

/** The first line of a file (at most 64 KiB read), or "" for an empty one. */
async function firstLine(path: string): Promise<string> {
  const file = await Deno.open(path, { read: true });
  try {
    const buffer = new Uint8Array(65536);
    const n = await file.read(buffer) ?? 0;
    return new TextDecoder().decode(buffer.subarray(0, n)).split(/\r?\n/)[0] ?? "";
  } finally {
    file.close();
  }
}

/**
 * The index of the symbol column in a CSV header line, or -1.
 *
 * @example
 * ```ts
 * symbolColumn("date,open,high,low,close,volume,Name"); // 6
 * ```
 */
export function symbolColumn(header: string): number {
  let cells: string[] = [];
  try {
    cells = (parse(header, { bom: true, trim: true }) as string[][])[0] ?? [];
  } catch {
    return -1;
  }
  return symbolColumnOf(cells);
}

/**
 * The index of the symbol column among a CSV header's cells, or -1.
 *
 * @example
 * ```ts
 * symbolColumnOf(["Date", "Close", "Ticker"]); // 2
 * ```
 */
export function symbolColumnOf(cells: readonly string[]): number {
  return cells.findIndex((c) => SYMBOL_COLUMNS.includes(letters(c)));
}

/**
 * Whether the file at `path` is a long-format CSV: its header has a symbol
 * column (`symbol`, `ticker` or `name`).
 *
 * @example
 * ```ts
 * if (await isLongCsv("all_stocks.csv")) console.log("one file, many symbols");
 * ```
 */
export async function isLongCsv(path: string): Promise<boolean> {
  return symbolColumn(await firstLine(path)) >= 0;
}

/**
 * Whether a value with a `/` that names no file is a list of exchange pairs (`BTC/USDT,ETH/USDT`,
 * `BTC/USDT:USDT`): every item a pair, written in upper case as CCXT writes them; anything else
 * with a `/` (like `data/universe`) is a path.
 */
function isPairList(value: string): boolean {
  return value.split(",").map((t) => t.trim()).filter((t) => t !== "").every((t) => {
    if (!t.includes("/") || t !== t.toUpperCase()) return false;
    try {
      validateTicker(t);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * What `--universe VALUE` names: a folder (of per-symbol CSVs), a long-format
 * CSV (a file whose header has a symbol column), a tickers file (any other
 * file), or else a comma-separated list of tickers or exchange pairs (`BTC/USDT,ETH/USDT`,
 * in upper case: a lower-case value with a `/` is a path). The universe's name is the
 * folder's or file's name without extension, or `list` for an inline list.
 *
 * @example
 * ```ts
 * await resolveUniverse("AAPL,MSFT"); // { kind: "list", name: "list", symbols: ["AAPL", "MSFT"] }
 * await resolveUniverse("BTC/USDT,ETH/USDT"); // { kind: "list", …, symbols: ["BTC/USDT", "ETH/USDT"] }
 * await resolveUniverse("../shared/data/universe"); // { kind: "csv-dir", name: "universe", … }
 * ```
 */
export async function resolveUniverse(value: string): Promise<UniverseSpec> {
  const trimmed = value.trim();
  if (trimmed === "") throw new UsageError("Expected --universe to name a universe, found none");
  let info: Deno.FileInfo | undefined;
  try {
    info = await Deno.stat(trimmed);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const name = basename(trimmed, extname(trimmed)).replace(/\.tickers$/, "") || "universe";
  if (info?.isDirectory) return { kind: "csv-dir", name, path: trimmed };
  if (info?.isFile) {
    if (await isLongCsv(trimmed)) return { kind: "long-csv", name, path: trimmed };
    return { kind: "list", name, symbols: await readTickersFile(trimmed), file: trimmed };
  }
  if ((/[\/\\]/.test(trimmed) && !isPairList(trimmed)) || /\.(csv|txt)$/i.test(trimmed)) {
    throw new DataError(`Expected a universe file or folder at ${trimmed}, found nothing there`);
  }
  const symbols = [...new Set(trimmed.split(",").map((t) => t.trim()).filter((t) => t !== ""))];
  if (symbols.length === 0) throw new UsageError("Expected --universe to name tickers, found none");
  return { kind: "list", name: "list", symbols: symbols.map(validateTicker) };
}

/**
 * One symbol's validation outcome in a universe import.
 *
 * @example
 * ```ts
 * const r: MemberReport = { symbol: "LNT", rows: 1259, report };
 * ```
 */
export interface MemberReport {
  /** The symbol. */
  symbol: string;
  /** Bars kept. */
  rows: number;
  /** What validation found (absent for bars read back from the cache, validated when cached). */
  report?: ValidationReport;
  /** Why the symbol could not be used, when it could not. */
  error?: string;
}

/**
 * The bars of a universe and what reading them found.
 *
 * @example
 * ```ts
 * const { members, reports, text } = await loadUniverse(spec);
 * ```
 */
export interface LoadedUniverse {
  /** The universe's name (its folder or file name, or `list`). */
  name: string;
  /** Each usable symbol's series, in symbol order. */
  members: Series[];
  /** One entry per symbol asked for, usable or not. */
  reports: MemberReport[];
  /** One line per symbol with problems or errors, then the total line. */
  text: string;
  /** The bars' interval. */
  interval: Interval;
  /**
   * Whose calendar every member's bars follow (`crypto` for pairs from an exchange): sets a
   * universe's bars per year (8,760 hourly bars on `crypto`) and its default costs.
   */
  venue: Venue;
}

/** Options of {@linkcode loadUniverse}. */
export interface LoadUniverseOptions {
  /** The data cache folder for a `list` universe (default `data`). */
  dataDir?: string;
  /** The source of a `list` universe: `synthetic` generates, else the cache is read. */
  source?: SourceName;
  /** Seed of synthetic bars (default 42). */
  seed?: number;
  /** First date kept (inclusive). */
  start?: string;
  /** Last date kept (inclusive). */
  end?: string;
  /** Bar interval (default `1d`). */
  interval?: Interval;
  /** Fail on any data problem of a CSV (as `prepare --strict`). */
  strict?: boolean;
  /** Only these symbols of the universe (default all). */
  only?: readonly string[];
  /**
   * Whose calendar the bars of a folder or long CSV follow (default `nyse`; `crypto`: every
   * interval expected, no weekend missing), and of synthetic bars (default: each symbol's own,
   * `crypto` for a pair); a cached symbol's cache says its own.
   */
  venue?: Venue;
}

const inRange = (bar: Bar, start?: string, end?: string): boolean => {
  const day = bar.time.slice(0, 10);
  return (start === undefined || day >= start) && (end === undefined || day <= end);
};

/**
 * Validates one symbol's raw rows (the one validator) into a member, or says
 * why it cannot be one.
 */
function member(
  symbol: string,
  raw: RawBar[],
  label: string,
  options: LoadUniverseOptions,
): { series?: Series; report: MemberReport } {
  try {
    const venue = options.venue ?? "nyse";
    const { bars, report } = validateBars(raw, {
      strict: options.strict,
      interval: options.interval ?? "1d",
      label,
      venue,
    });
    const kept = bars.filter((b) => inRange(b, options.start, options.end));
    if (kept.length === 0) {
      return { report: { symbol, rows: 0, report, error: `no bars in range in ${label}` } };
    }
    return {
      series: {
        symbol,
        interval: options.interval ?? "1d",
        source: "csv",
        bars: kept,
        ...(venue !== "nyse" ? { venue } : {}),
      },
      report: { symbol, rows: kept.length, report },
    };
  } catch (error) {
    return { report: { symbol, rows: 0, error: messageOf(error) } };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0] : String(error);
}

/**
 * The `*.csv` file names in `dir`, sorted; a missing folder or one without
 * CSV files is a {@linkcode DataError}.
 *
 * @example
 * ```ts
 * const files = await listCsvFiles("../shared/data/universe"); // ["A.csv", "AAL.csv", …]
 * ```
 */
export async function listCsvFiles(dir: string): Promise<string[]> {
  const files = (await csvEntries(dir)).filter((e) => e.problem === undefined).map((e) => e.name);
  if (files.length === 0) {
    throw new DataError(`Expected CSV files (<SYMBOL>.csv) in ${dir}, found none`);
  }
  return files;
}

/**
 * Every `*.csv` entry of `dir`, sorted, with why it is no CSV file when it is not (a folder, a
 * link to a folder, a link that leads nowhere or to itself): said, never skipped in silence.
 */
async function csvEntries(dir: string): Promise<{ name: string; problem?: string }[]> {
  const found: { name: string; problem?: string }[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!/\.csv$/i.test(entry.name)) continue;
      const path = join(dir, entry.name);
      // A symlink counts when it leads to a file (a folder of links into a data store).
      const kind = entry.isFile ? "file" : entry.isSymlink
        ? await Deno.stat(path).then(
          (s) => s.isFile ? "file" : s.isDirectory ? "a link to a folder" : "a link to no file",
          () => "a link that leads nowhere (a missing target or a loop)",
        )
        : entry.isDirectory
        ? "a folder"
        : "no regular file";
      found.push(
        kind === "file"
          ? { name: entry.name }
          : { name: entry.name, problem: `Expected ${path} to be a CSV file, found ${kind}` },
      );
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DataError(`Expected a folder of CSV files at ${dir}, found nothing there`);
    }
    throw error;
  }
  if (found.length === 0) {
    throw new DataError(`Expected CSV files (<SYMBOL>.csv) in ${dir}, found none`);
  }
  return found.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/**
 * One symbol's source in a universe folder or long CSV: its path (a file of
 * a folder) or its raw rows (a long CSV's group), or why its name is no
 * ticker.
 *
 * @example
 * ```ts
 * const source: SymbolSource = { symbol: "AAPL", path: "u/AAPL.csv", label: "u/AAPL.csv" };
 * ```
 */
export interface SymbolSource {
  /** The symbol (upper case), or the name as found when it is no ticker. */
  symbol: string;
  /** What error lines call the source: the file, or `long.csv (AAPL)`. */
  label: string;
  /** The CSV file of a folder's symbol. */
  path?: string;
  /** A long CSV's rows of the symbol. */
  raw?: RawBar[];
  /** Why the name is not a ticker, or the entry no CSV file (then no path or rows). */
  error?: string;
  /** Whether `error` says the entry is no CSV file (a folder, a broken link), not a bad name. */
  notFile?: boolean;
}

/** Refuses two sources that name one symbol: one line naming both. */
function refuseDuplicate(where: string, first: string, second: string, symbol: string): never {
  throw new DataError(
    `Expected one source per symbol in ${where}, found ${first} and ${second} both naming ${symbol}: rename or remove one`,
  );
}

/**
 * The symbols of a folder of `<SYMBOL>.csv` files, sorted by file name: the
 * file name without extension, upper-cased (`aapl.csv` is AAPL), an exchange
 * pair's written as the cache writes it (`BTC_USDT.csv` is BTC/USDT,
 * `BTC_USDT+USDT.csv` the perpetual BTC/USDT:USDT; see `fileStemOf`). Two files
 * that name one symbol (`AAPL.csv` and `aapl.csv`, or `AAPL.CSV`) are a
 * {@linkcode DataError} naming both, so one stock's bars never land under
 * another's name.
 *
 * @example
 * ```ts
 * const sources = await csvDirSources("../shared/data/universe");
 * sources[0]; // { symbol: "A", path: "../shared/data/universe/A.csv", label: … }
 * ```
 */
export async function csvDirSources(dir: string): Promise<SymbolSource[]> {
  const sources: SymbolSource[] = [];
  const seen = new Map<string, string>();
  for (const { name: file, problem } of await csvEntries(dir)) {
    const path = join(dir, file);
    if (problem !== undefined) {
      sources.push({ symbol: file, label: path, error: problem, notFile: true });
      continue;
    }
    let symbol: string;
    try {
      // An exchange pair's file is named as the cache names it: BTC_USDT+USDT.csv is BTC/USDT:USDT.
      symbol = validateTicker(symbolOfFileStem(basename(file, extname(file))));
    } catch (error) {
      sources.push({ symbol: file, label: path, error: messageOf(error) });
      continue;
    }
    const other = seen.get(symbol);
    if (other !== undefined) refuseDuplicate(dir, other, file, symbol);
    seen.set(symbol, file);
    sources.push({ symbol, label: path, path });
  }
  return sources;
}

/**
 * The symbols of a long-format CSV's text (see {@linkcode splitLongCsv}),
 * sorted: each symbol's raw rows, or why its name is no ticker. Two
 * spellings of one symbol (`AAA` and `aaa`) are a {@linkcode DataError}
 * naming both.
 *
 * @example
 * ```ts
 * const sources = longCsvSources(await Deno.readTextFile("all.csv"), "all.csv");
 * ```
 */
export function longCsvSources(text: string, path: string): SymbolSource[] {
  const groups = [...splitLongCsv(text, path)].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
  const sources: SymbolSource[] = [];
  const seen = new Map<string, string>();
  for (const [name, raw] of groups) {
    let symbol: string;
    try {
      symbol = validateTicker(name);
    } catch (error) {
      sources.push({
        symbol: name || "(empty)",
        label: `${path} (symbol "${name}")`,
        error: messageOf(error),
      });
      continue;
    }
    const other = seen.get(symbol);
    if (other !== undefined) {
      refuseDuplicate(path, `symbol "${other}"`, `symbol "${name}"`, symbol);
    }
    seen.set(symbol, name);
    sources.push({ symbol, label: `${path} (${symbol})`, raw });
  }
  return sources;
}

/**
 * Reads a long-format CSV file's text; a missing file is a {@linkcode DataError}.
 *
 * @example
 * ```ts
 * const sources = longCsvSources(await readLongCsvText("all.csv"), "all.csv");
 * ```
 */
export async function readLongCsvText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DataError(`Expected a CSV file at ${path}, found nothing there`);
    }
    throw error;
  }
}

/**
 * Reads every `*.csv` of a folder as one symbol each (the file name without
 * extension, upper-cased, is the symbol), through `readCsvBars` and
 * `validateBars`.
 */
async function readCsvDir(
  dir: string,
  options: LoadUniverseOptions,
): Promise<{ members: Series[]; reports: MemberReport[] }> {
  const only = options.only ? new Set(options.only) : undefined;
  const members: Series[] = [];
  const reports: MemberReport[] = [];
  for (const source of await csvDirSources(dir)) {
    const symbol = source.symbol;
    if (source.error !== undefined) {
      reports.push({ symbol, rows: 0, error: source.error });
      continue;
    }
    if (only && !only.has(symbol)) continue;
    const path = source.path!;
    let raw: RawBar[];
    try {
      raw = await readCsvBars(path);
    } catch (error) {
      reports.push({ symbol, rows: 0, error: messageOf(error) });
      continue;
    }
    const m = member(symbol, raw, path, options);
    if (m.series) members.push(m.series);
    reports.push(m.report);
  }
  return { members, reports };
}

/**
 * Splits the rows of a long-format CSV by its symbol column: the raw bars of
 * each symbol (as `parseBarsCsv` reads them, line numbers kept), in
 * first-seen symbol order. Throws a `DataError` when the header has no symbol
 * column.
 *
 * @example
 * ```ts
 * const groups = splitLongCsv(text, "all.csv"); // Map { "AAPL" => RawBar[], … }
 * ```
 */
export function splitLongCsv(text: string, name: string): Map<string, RawBar[]> {
  const raw = parseBarsCsv(text, { name });
  const records = parse(text, {
    bom: true,
    trim: true,
    skip_empty_lines: true,
    relax_column_count: true,
    info: true,
  }) as unknown as { record: string[]; info: { lines: number } }[];
  const column = records.length > 0 ? symbolColumnOf(records[0].record) : -1;
  if (column < 0) {
    throw new DataError(
      `Expected a symbol column (symbol, ticker or name) in ${name}, found ${
        records[0]?.record.join(", ") ?? "no header"
      }`,
    );
  }
  const symbolAt = new Map<number, string>();
  for (const { record, info } of records.slice(1)) {
    symbolAt.set(info.lines, (record[column] ?? "").trim());
  }
  const groups = new Map<string, RawBar[]>();
  for (const bar of raw) {
    const symbol = symbolAt.get(bar.row ?? -1) ?? "";
    let group = groups.get(symbol);
    if (!group) groups.set(symbol, group = []);
    group.push(bar);
  }
  return groups;
}

async function readLongCsv(
  path: string,
  options: LoadUniverseOptions,
): Promise<{ members: Series[]; reports: MemberReport[] }> {
  const only = options.only ? new Set(options.only) : undefined;
  const members: Series[] = [];
  const reports: MemberReport[] = [];
  for (const source of longCsvSources(await readLongCsvText(path), path)) {
    const symbol = source.symbol;
    if (source.error !== undefined) {
      reports.push({ symbol, rows: 0, error: source.error });
      continue;
    }
    if (only && !only.has(symbol)) continue;
    const m = member(symbol, source.raw!, source.label, options);
    if (m.series) members.push(m.series);
    reports.push(m.report);
  }
  return { members, reports };
}

async function readList(
  symbols: readonly string[],
  options: LoadUniverseOptions,
): Promise<{ members: Series[]; reports: MemberReport[] }> {
  const members: Series[] = [];
  const reports: MemberReport[] = [];
  const only = options.only ? new Set(options.only) : undefined;
  for (const symbol of symbols) {
    if (only && !only.has(symbol)) continue;
    try {
      const series = await loadSeries({
        ticker: symbol,
        source: options.source,
        dataDir: options.dataDir,
        start: options.start,
        end: options.end,
        interval: options.interval,
        seed: options.seed,
        venue: options.venue,
      });
      members.push(series);
      reports.push({ symbol, rows: series.bars.length });
    } catch (error) {
      reports.push({ symbol, rows: 0, error: messageOf(error) });
    }
  }
  return { members, reports };
}

/**
 * One line per symbol with problems or an error, then the total: symbols
 * read, rows, date range, and how many had problems or failed.
 *
 * @example
 * ```ts
 * console.error(universeSummary("sp500", reports, members));
 * ```
 */
export function universeSummary(
  name: string,
  reports: readonly MemberReport[],
  members: readonly Series[],
): string {
  const lines: string[] = [];
  let withProblems = 0;
  for (const r of reports) {
    if (r.error !== undefined) lines.push(`${r.symbol}: failed: ${r.error}`);
    else if (r.report && r.report.problems.length > 0) {
      withProblems++;
      lines.push(`${r.symbol}: ${summarizeReport(r.report)}`);
    }
  }
  const failed = reports.filter((r) => r.error !== undefined).length;
  const rows = members.reduce((sum, m) => sum + m.bars.length, 0);
  const first = members.map((m) => m.bars[0]?.time).filter(Boolean).sort()[0] ?? "–";
  const last = members.map((m) => m.bars.at(-1)?.time).filter(Boolean).sort().at(-1) ?? "–";
  lines.push(
    `${name}: ${members.length} symbols, ${rows} rows, ${first} .. ${last}; ${withProblems} with data problems, ${failed} failed`,
  );
  return lines.join("\n");
}

/**
 * Reads the bars of every symbol of a universe (see {@linkcode UniverseSpec}).
 * A symbol that cannot be read (a missing cache, an unreadable file, no bars
 * in range, a `--strict` problem) is left out and reported; when none can be
 * read at all this throws a `DataError` with the first reason.
 *
 * @example
 * ```ts
 * const universe = await loadUniverse({ kind: "list", name: "two", symbols: ["AAA", "BBB"] }, {
 *   source: "synthetic",
 * });
 * universe.members.length; // 2
 * ```
 */
export async function loadUniverse(
  spec: UniverseSpec,
  options: LoadUniverseOptions = {},
): Promise<LoadedUniverse> {
  const { members, reports } = spec.kind === "csv-dir"
    ? await readCsvDir(spec.path, options)
    : spec.kind === "long-csv"
    ? await readLongCsv(spec.path, options)
    : await readList(spec.symbols, options);
  if (members.length === 0) {
    const first = reports.find((r) => r.error !== undefined);
    throw new DataError(
      `Expected bars for at least one symbol of universe ${spec.name}, found none${
        first ? ` (${first.symbol}: ${first.error})` : ""
      }`,
    );
  }
  members.sort((a, b) => a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0);
  return {
    name: spec.name,
    members,
    reports,
    text: universeSummary(spec.name, reports, members),
    interval: options.interval ?? "1d",
    venue: venueOfMembers(spec.name, members),
  };
}

/**
 * The one venue of a universe's members; members on two venues (crypto pairs beside NYSE stocks)
 * are a {@linkcode DataError} naming one of each, since their bars keep different calendars.
 */
function venueOfMembers(name: string, members: readonly Series[]): Venue {
  const first = members[0];
  const venue = first.venue ?? "nyse";
  const other = members.find((m) => (m.venue ?? "nyse") !== venue);
  if (other) {
    throw new DataError(
      `Expected the symbols of universe ${name} on one venue, found ${first.symbol} on ${venue} and ${other.symbol} on ${
        other.venue ?? "nyse"
      }: prepare them as one venue (--venue) or split the universe`,
    );
  }
  return venue;
}
