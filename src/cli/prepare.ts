/**
 * `deno task prepare`: fetch or import daily bars, validate them and write
 * the data cache.
 *
 * @module
 */

import { choiceFlag, dateFlag, numberFlag, parseFlags, stringFlag } from "./common.ts";
import { type Command, printResult, progress } from "./output.ts";
import { INTERVALS, SOURCES } from "../data/types.ts";
import { VENUES } from "../data/calendar.ts";
import {
  type ImportProgress,
  type PrepareOptions,
  type PrepareResult,
  prepareTicker,
  validateTicker,
} from "../data/mod.ts";
import { isLongCsvImport, prepareJson, prepareUniverse } from "../pipeline/prepare.ts";
import { prepareText, problemWarning, universeJson, universeText } from "../views/prepare.ts";
import { UsageError } from "../util/errors.ts";
import { sweepStaleTemps } from "../util/fs.ts";
import { checkFolder } from "../util/paths.ts";

const HELP = `Usage: deno task prepare --ticker SPY[,QQQ...] [flags]

Fetch or import daily bars, validate and clean them, and write the cache:
<data-dir>/<TICKER>_<interval>.csv and <TICKER>_<interval>.meta.json.
New bars are merged into a cache of real bars: bars at new dates are added,
bars at cached dates are compared, and conflicting ones keep the cached
values (--replace takes the new ones and drops what the new bars lack).
A second run with the same live source fetches only the days after the
cached last bar. Synthetic bars replace a synthetic cache and are refused
over real bars without --replace.

Flags:
  --ticker LIST     one ticker or a comma-separated list (required)
  --source NAME     yahoo | alpaca | stooq | csv | synthetic (default: synthetic,
                    a seeded offline generator; its bars are not real prices),
                    or ccxt: a crypto exchange through CCXT (with --exchange)
  --exchange NAME   the exchange of --source ccxt, as CCXT names it (binance,
                    kraken, okx, coinbase …); tickers are its pairs (BTC/USDT,
                    a perpetual BTC/USDT:USDT)
  --venue NAME      nyse | crypto: whose calendar the bars follow (default nyse;
                    crypto for --source ccxt and SYNTH-CRYPTO tickers). crypto
                    never closes: every interval is expected (gaps reported),
                    365 days a year; use it for a CSV of crypto bars
  --csv FILE        import a local CSV (implies --source csv); Yahoo, Stooq
                    and lowercase headers are recognised; the whole file is
                    imported unless --start/--end are given
  --years N         years of history before --end when --start is absent (default 5;
                    with --csv the whole file unless given: the last N years of it)
  --start DATE      first date, YYYY-MM-DD
  --end DATE        last date (default: today; 2024-12-31 for synthetic data,
                    so the offline default is the same everywhere)
  --interval I      ${INTERVALS.join(" | ")} (default 1d)
  --data-dir DIR    cache folder (default data)
  --seed N          seed of synthetic data (default 42)
  --strict          fail on any data problem instead of repairing it
  --replace         make the new bars the whole cache (overwrite conflicting
                    bars, remove cached bars the new ones lack)
  --json            print one JSON object per ticker (an array for several)
  --verbose, -v     more detail, and a stack trace on errors
  --help, -h        this text

Dates: YYYY-MM-DD, optionally with a time (2024-01-02T00:00:00Z); intraday
bars take an ISO timestamp (2024-01-02T14:30:00Z). Anything else, a date
after today or before 1800 is a problem. Numbers: plain decimals (1234.5,
1.2e3), no thousands separators.

Data problems: rows are sorted and exact duplicates dropped; conflicting
duplicates keep the last row; a bad print (a one-bar spike in the close
beyond ±0.5 log return that the next bar reverts) gets the geometric mean
of its neighbours' closes, or is dropped when its open/high/low are off
too; open/close outside [low, high] widens the range; rows with a bad
date, cells beyond the header's columns, a missing or non-numeric field,
a non-positive price, negative volume or high < low are dropped. Each is
counted and reported (a warning line on stderr) and the command exits 0.
With --strict any of them fails with exit code 1. Implausible jumps
(|log return| > 0.5 not explained by the adjusted close) and, for daily
bars, NYSE trading days with no row (weekends, NYSE holidays and special
closures excepted) are only reported. When no row is usable the error
says how many rows were rejected for which reason and quotes the first.

Temporary files that killed runs left in the data folder are removed first.
Prepares writing in one data folder take turns: a second one waits (and
says so), then merges into what the first wrote.

Universe (many symbols at once; one line per symbol with problems, then a total):
  --csv-dir DIR       import every <SYMBOL>.csv of a folder (--ticker or
                      --tickers-file: only those)
  --tickers-file F    the tickers to prepare, one per line (any --source)
  --csv LONG.csv      without --ticker: a long-format CSV with a symbol
                      column (symbol, ticker or name), one cache per symbol
  The imported symbols are listed in <data-dir>/<name>.tickers.txt, for
  train --universe. Two sources of one symbol (AAPL.csv and aapl.csv) are
  refused before anything is written.

Alpaca needs APCA_API_KEY_ID and APCA_API_SECRET_KEY in the environment.

Exit codes: 0 ok, 1 failed (data, network, file), 2 usage.

Examples:
  deno task prepare --ticker SPY --years 5
  deno task prepare --ticker SPY,QQQ --source yahoo --start 2015-01-01
  deno task prepare --ticker SPY --csv ../shared/data/SPY.csv --json
  deno task prepare --source ccxt --exchange binance --ticker BTC/USDT --interval 1h`;

const FLAGS = {
  ticker: { type: "string" },
  source: { type: "string" },
  csv: { type: "string" },
  years: { type: "string" },
  start: { type: "string" },
  end: { type: "string" },
  interval: { type: "string" },
  "data-dir": { type: "string" },
  seed: { type: "string" },
  strict: { type: "boolean" },
  replace: { type: "boolean" },
  "csv-dir": { type: "string" },
  "tickers-file": { type: "string" },
  exchange: { type: "string" },
  venue: { type: "string" },
} as const;

/**
 * A universe import's progress lines on stderr: `prepare: imported 150/505 symbols` (fetched,
 * for a live source) every 50 symbols or when 2 s have passed since the last line, then the
 * same for the caches written; the last count of a phase only when a line of it was said. A
 * short import says nothing.
 *
 * @example
 * ```ts
 * const onProgress = importProgress("csv");
 * onProgress({ phase: "read", done: 50, total: 505 }); // prepare: imported 50/505 symbols
 * ```
 */
export function importProgress(
  source: string,
  options: { every?: number; seconds?: number; now?: () => number; say?: (line: string) => void } =
    {},
): (p: ImportProgress) => void {
  const every = options.every ?? 50;
  const ms = (options.seconds ?? 2) * 1000;
  const now = options.now ?? (() => performance.now());
  const say = options.say ?? progress;
  const verb = { read: source === "csv" ? "imported" : "fetched", write: "wrote" };
  let since = now();
  let phase: ImportProgress["phase"] = "read";
  let said = false;
  return (p) => {
    if (p.phase !== phase) [phase, said, since] = [p.phase, false, now()];
    const last = p.done === p.total;
    if (last ? said : p.done % every === 0 || now() - since >= ms) {
      const what = p.phase === "write" ? "caches" : "symbols";
      say(`prepare: ${verb[p.phase]} ${p.done}/${p.total} ${what}`);
      [said, since] = [true, now()];
    }
  };
}

/**
 * The `prepare` command.
 *
 * @example
 * ```ts
 * const code = await prepare(["--ticker", "SPY", "--source", "synthetic", "--json"]);
 * ```
 */
export const prepare: Command = async (args: string[]): Promise<number> => {
  const { flags } = parseFlags(args, FLAGS);
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const csv = stringFlag(flags, "csv");
  const csvDir = stringFlag(flags, "csv-dir");
  const tickersFile = stringFlag(flags, "tickers-file");
  const longCsv = csv !== undefined && csvDir === undefined && await isLongCsvImport(csv);
  const universe = csvDir !== undefined || tickersFile !== undefined || longCsv;
  const tickerList = stringFlag(flags, "ticker");
  if (tickerList === undefined && !universe) {
    throw new UsageError("Expected --ticker SYMBOL (for example --ticker SPY), found none");
  }
  const tickers = tickerList?.split(",").map((t) => t.trim()).filter(Boolean).map(validateTicker);
  if (csvDir !== undefined && csv !== undefined) {
    throw new UsageError("Expected --csv-dir or --csv, found both");
  }
  const fromFiles = csv !== undefined || csvDir !== undefined;
  const source = choiceFlag(flags, "source", SOURCES, fromFiles ? "csv" : "synthetic");
  if (fromFiles && source !== "csv") {
    const with_ = csvDir !== undefined ? "--csv-dir" : "--csv";
    throw new UsageError(`Expected --source csv (or no --source) with ${with_}, found "${source}"`);
  }
  if (source === "csv" && !fromFiles) {
    throw new UsageError("Expected --csv FILE with --source csv, found none");
  }
  const exchange = stringFlag(flags, "exchange");
  if (source === "ccxt" && exchange === undefined) {
    throw new UsageError("Expected --exchange NAME with --source ccxt (like binance), found none");
  }
  if (exchange !== undefined && source !== "ccxt") {
    throw new UsageError(`Expected --source ccxt with --exchange, found --source ${source}`);
  }
  const venue = flags.venue === undefined ? undefined : choiceFlag(flags, "venue", VENUES, "nyse");
  if (source === "ccxt" && venue === "nyse") {
    throw new UsageError("Expected --venue crypto (or none) with --source ccxt, found nyse");
  }
  if (csv && !universe && tickers!.length > 1) {
    throw new UsageError(`Expected one --ticker with --csv, found ${tickers!.length}`);
  }
  const options: PrepareOptions & { dataDir: string } = {
    source,
    // A CSV import keeps the whole file unless --years, --start or --end narrows it.
    years: flags.years === undefined
      ? undefined
      : numberFlag(flags, "years", 5, { min: 1, max: 100, integer: true }),
    seed: numberFlag(flags, "seed", 42, { min: 0, max: 4294967295, integer: true }),
    start: dateFlag(flags, "start"),
    end: dateFlag(flags, "end"),
    interval: choiceFlag(flags, "interval", INTERVALS, "1d"),
    dataDir: stringFlag(flags, "data-dir", "data"),
    strict: Boolean(flags.strict),
    replace: Boolean(flags.replace),
    fetch: globalThis.fetch,
    ...(exchange !== undefined ? { exchange } : {}),
    ...(venue !== undefined ? { venue } : {}),
    onWait: (message) => progress(`prepare: ${message}`),
  };
  checkFolder(options.dataDir, "the data cache"); // a file there: one line naming it
  const swept = await sweepStaleTemps(options.dataDir);
  if (swept.length > 0) {
    progress(
      `prepare: removed ${swept.length} temporary file${
        swept.length === 1 ? "" : "s"
      } left in ${options.dataDir} by killed runs`,
    );
  }
  if (universe) {
    const result = await prepareUniverse(
      { csvDir, longCsv: longCsv ? csv : undefined, tickersFile, tickers },
      {
        ...options,
        onSymbol: (symbol, k, n) => flags.verbose && progress(`prepare: ${symbol} (${k + 1}/${n})`),
        // A long import says how far it is (every 50 symbols or 2 s); verbose says every symbol.
        onProgress: flags.verbose ? undefined : importProgress(source),
      },
    );
    printResult(flags, universeJson(result), () => universeText(result));
    if (result.failures.length === 0) return 0;
    // The report is on stdout; the failure is also the one error line a script watching stderr sees.
    console.error(
      `error: ${result.failures.length} of ${result.attempted} symbols could not be imported, so nothing was written (see the lines above; fix or remove those files)`,
    );
    return 1;
  }
  const results: PrepareResult[] = [];
  for (const ticker of tickers!) {
    if (flags.verbose) progress(`prepare: ${ticker} from ${source}`);
    const result = await prepareTicker(ticker, { ...options, csv });
    const { report } = result;
    const warning = problemWarning(result);
    if (warning) progress(warning);
    if (flags.verbose) {
      for (const p of report.problems) {
        progress(`  ${p.kind} row ${p.row ?? "-"} ${p.time ?? ""}: ${p.detail}`);
      }
      if (result.fetched) progress(`  fetched ${result.fetched.start} .. ${result.fetched.end}`);
    }
    results.push(result);
  }
  const value = results.length === 1 ? prepareJson(results[0]) : results.map(prepareJson);
  printResult(flags, value, () => results.map(prepareText).join("\n"));
  return 0;
};
