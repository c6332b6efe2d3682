/**
 * `deno task backtest`: replay bars one at a time through the LSTM signal
 * plugin (the same plugin and host loop a bot runs), trade on its
 * probability with fills at the next bar's open, and report the result beside
 * buy-and-hold; `--compare` runs the seed's A/B test.
 *
 * @module
 */

import {
  choiceFlag,
  type Command,
  dateFlag,
  numberFlag,
  parseFlags,
  printResult,
  progress,
  stringFlag,
} from "./common.ts";
import { type SourceName, SOURCES } from "../data/types.ts";
import { loadSeries, validateTicker } from "../data/mod.ts";
import { BACKENDS, selectBackend } from "../model/backend.ts";
import { loadEvaluationModel, type ModelInfo } from "../eval/run.ts";
import {
  type BacktestResult,
  type ComparisonResult,
  runBacktest,
  runComparison,
} from "../eval/backtest.ts";
import { backtestReport, formatBacktest } from "../eval/summary.ts";
import { renderReport } from "../eval/report.ts";
import { assertReportWritable } from "./evaluate.ts";
import { createLstmSignal } from "../../plugins/lstm_signal.ts";
import { atomicWriteFile } from "../util/fs.ts";
import { DataError, UsageError } from "../util/errors.ts";

const HELP = `Usage: deno task backtest [--model DIR] [--ticker SYMBOL | --csv FILE] [flags]

Replay the bars one at a time through the LSTM signal plugin, the same
plugin and host loop a trading bot runs. A decision made on a bar's close is
filled at the next bar's open, so no decision uses a price it could not have
known. Long when the probability is above threshold + hysteresis, flat (or
short with --short) below threshold - hysteresis, unchanged in between; a
signal that is not ok (warming up, out of distribution) means flat. Reports
total and annual return, volatility, Sharpe, Sortino, maximum drawdown, hit
rate, exposure, turnover and trades beside buy-and-hold on the same period.
On the model's own ticker only bars after its validation range trade unless
--start/--end are given.

Flags:
  --model DIR        a model folder or a versioned root (default models/lstm)
  --ticker SYMBOL    the ticker (default: the model's own, or the --csv file's name)
  --csv FILE         replay the bars of a CSV file
  --source NAME      ${SOURCES.join(" | ")} (default: the model's own source
                     on its own ticker, else the data cache)
  --data-dir DIR     data cache folder (default data)
  --start DATE       first decision date, YYYY-MM-DD (earlier bars warm up)
  --end DATE         last bar replayed
  --seed N           seed of synthetic data (default: the model's)
  --threshold P      probability threshold (default 0.5)
  --hysteresis H     half-width of the no-change band (default 0)
  --short            long/short instead of long/flat
  --cost-bps N       cost per unit of position change, basis points (default 0)
  --compare          the A/B test: a moving-average crossover rule alone and
                     filtered by the model (long only when both say up)
  --fast N, --slow N crossover SMA lengths for --compare (default 20, 50)
  --backend NAME     ${BACKENDS.join(" | ")} (default wasm)
  --report FILE      write a self-contained HTML report with the equity curve
                     against buy-and-hold and the drawdown; the deno task
                     may write inside the working directory only
  --json             print one JSON object
  --verbose, -v      progress, and a stack trace on errors
  --help, -h         this text

Exit codes: 0 ok, 1 failed (missing or corrupted model, too little data),
2 usage.

Examples:
  deno task backtest --model models/lstm --ticker SPY
  deno task backtest --ticker SPY --threshold 0.55 --hysteresis 0.02 --cost-bps 5 --compare
  deno task backtest --ticker AAPL --csv ../shared/data/AAPL.csv --short --report reports/aapl_bt.html`;

const FLAGS = {
  model: { type: "string" },
  ticker: { type: "string" },
  csv: { type: "string" },
  source: { type: "string" },
  "data-dir": { type: "string" },
  start: { type: "string" },
  end: { type: "string" },
  seed: { type: "string" },
  threshold: { type: "string" },
  hysteresis: { type: "string" },
  short: { type: "boolean" },
  "cost-bps": { type: "string" },
  compare: { type: "boolean" },
  fast: { type: "string" },
  slow: { type: "string" },
  backend: { type: "string" },
  report: { type: "string" },
} as const;

function tickerOf(flag: string | undefined, csv: string | undefined, info: ModelInfo): string {
  if (flag !== undefined) return validateTicker(flag);
  if (csv !== undefined) {
    const stem = csv.split("/").pop()!.replace(/\.[^.]*$/, "");
    return validateTicker(stem.toUpperCase());
  }
  if (info.ticker === undefined) {
    throw new UsageError(
      "Expected --ticker SYMBOL (the model's config names no ticker), found none",
    );
  }
  return info.ticker;
}

/**
 * The `backtest` command.
 *
 * @example
 * ```ts
 * const code = await backtest(["--model", "models/lstm", "--ticker", "SPY", "--json"]);
 * ```
 */
export const backtest: Command = async (args: string[]): Promise<number> => {
  const { flags } = parseFlags(args, FLAGS);
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const csv = stringFlag(flags, "csv");
  const sourceFlag = flags.source === undefined
    ? undefined
    : choiceFlag(flags, "source", SOURCES, "synthetic");
  if (csv && sourceFlag !== undefined && sourceFlag !== "csv") {
    throw new UsageError(
      `Expected --source csv (or no --source) with --csv, found "${sourceFlag}"`,
    );
  }
  if (sourceFlag === "csv" && !csv) {
    throw new UsageError("Expected --csv FILE with --source csv, found none");
  }
  const start = dateFlag(flags, "start");
  const end = dateFlag(flags, "end");
  if (start && end && start > end) {
    throw new UsageError(`Expected --start before --end, found ${start} and ${end}`);
  }
  const threshold = numberFlag(flags, "threshold", 0.5, { min: 0, max: 1 });
  const hysteresis = numberFlag(flags, "hysteresis", 0, { min: 0, max: 0.5 });
  const costBps = numberFlag(flags, "cost-bps", 0, { min: 0, max: 10_000 });
  const allowShort = Boolean(flags.short);
  const compare = Boolean(flags.compare);
  for (const name of ["fast", "slow"]) {
    if (!compare && flags[name] !== undefined) {
      throw new UsageError(`Expected --${name} only with --compare, found it without`);
    }
  }
  const fast = numberFlag(flags, "fast", 20, { min: 1, integer: true });
  const slow = numberFlag(flags, "slow", 50, { min: 2, integer: true });
  if (fast >= slow) {
    throw new UsageError(`Expected --fast below --slow, found ${fast} and ${slow}`);
  }
  const backendName = choiceFlag(flags, "backend", BACKENDS, "wasm");
  const report = stringFlag(flags, "report");
  if (report) assertReportWritable(report);
  const dataDir = stringFlag(flags, "data-dir", "data");
  const modelDir = stringFlag(flags, "model", "models/lstm");
  const verbose = Boolean(flags.verbose);

  await selectBackend(backendName, { verbose, log: progress });
  // Loading here checks every file and the feature list with one clear error each.
  const checked = await loadEvaluationModel(modelDir);
  checked.dispose();
  const { info } = checked;
  const ticker = tickerOf(stringFlag(flags, "ticker"), csv, info);
  const own = info.ticker !== undefined && ticker === info.ticker.toUpperCase();
  const source: SourceName | undefined = csv
    ? "csv"
    : sourceFlag ?? (own ? info.source as SourceName | undefined : undefined);
  const seed = numberFlag(flags, "seed", own ? info.dataSeed ?? 42 : 42, {
    min: 0,
    max: 4294967295,
    integer: true,
  });
  const series = await loadSeries({
    ticker,
    source: source === "csv" && !csv ? undefined : source,
    csv,
    dataDir,
    seed,
  });
  const bars = series.bars.filter((b) => end === undefined || b.time.slice(0, 10) <= end);

  const outOfSample = own && start === undefined && end === undefined;
  const plugin = createLstmSignal({ modelDir, warn: progress });
  await plugin.init();
  // The first bar whose signal can be ok: warm-up of the features plus one window.
  const firstSignal = plugin.warmupBars - 1;
  const from = outOfSample
    ? bars.findIndex((b) => b.time > info.ranges.validation.last)
    : start === undefined
    ? 0
    : bars.findIndex((b) => b.time.slice(0, 10) >= start);
  const startIndex = Math.max(firstSignal, from < 0 ? bars.length : from);
  if (startIndex > bars.length - 2) {
    plugin.dispose();
    throw new DataError(
      `Expected at least ${
        Math.max(firstSignal, from < 0 ? 0 : from) + 2
      } bars of ${ticker} (${plugin.warmupBars} to warm up the model's features and window, then a decision bar and a bar to fill at${
        outOfSample ? `, after the validation range ending ${info.ranges.validation.last}` : ""
      }), found ${bars.length}`,
    );
  }
  const scope = outOfSample
    ? `out of sample: ${ticker} is the model's training series, so decisions start after its validation range (${info.ranges.validation.last}); --start/--end override`
    : `decisions from ${bars[startIndex].time} (earlier bars warm the model up)${
      own && bars[startIndex].time <= info.ranges.validation.last
        ? `; bars up to ${info.ranges.validation.last} were seen in training or early stopping`
        : ""
    }`;
  if (verbose) progress(`backtest: ${ticker}, ${bars.length} bars; ${scope}`);
  const options = { symbol: ticker, threshold, hysteresis, costBps, startIndex };
  let result: BacktestResult;
  try {
    result = await runBacktest(bars, plugin, { ...options, allowShort });
  } finally {
    plugin.dispose();
  }
  let comparison: ComparisonResult | undefined;
  if (compare) {
    const second = createLstmSignal({ modelDir, warn: progress });
    await second.init();
    try {
      comparison = await runComparison(bars, second, { ...options, fast, slow });
    } finally {
      second.dispose();
    }
  }
  const rule = `SMA ${fast}/${slow} crossover`;
  const json = {
    ticker,
    model: { dir: info.dir, version: info.version },
    scope,
    rows: result.times.length,
    first: result.times[0],
    last: result.times[result.times.length - 1],
    settings: { threshold, hysteresis, short: allowShort, costBps },
    strategy: result.stats,
    buyAndHold: result.buyAndHold.stats,
    trades: result.trades,
    ...(comparison
      ? {
        comparison: {
          rule: `${rule}, long/flat`,
          ruleAlone: comparison.rule.stats,
          ruleWithModel: comparison.filtered.stats,
        },
      }
      : {}),
  };
  const arms: [string, typeof result.stats][] = [
    ["model", result.stats],
    ["buy-and-hold", result.buyAndHold.stats],
    ...(comparison
      ? [["rule alone", comparison.rule.stats], ["rule + model", comparison.filtered.stats]] as [
        string,
        typeof result.stats,
      ][]
      : []),
  ];
  const headline =
    `${ticker}: ${json.rows} bars, ${json.first} to ${json.last}; threshold ${threshold}, hysteresis ${hysteresis}, ${
      allowShort ? "long/short" : "long/flat"
    }, cost ${costBps} bps`;
  if (report) {
    const input = backtestReport(result, {
      title: `Backtest of ${info.dir} on ${ticker}`,
      summary: [
        `${headline}.`,
        `Scope: ${scope}.`,
        ...(comparison
          ? [
            `A/B test (${rule}, long/flat): total return ${
              comparison.rule.stats.totalReturn.toFixed(4)
            } alone, ${
              comparison.filtered.stats.totalReturn.toFixed(4)
            } filtered by the model; Sharpe ${comparison.rule.stats.sharpe.toFixed(2)} and ${
              comparison.filtered.stats.sharpe.toFixed(2)
            }.`,
          ]
          : []),
      ],
    });
    await atomicWriteFile(report, renderReport(input));
    if (verbose) progress(`report written to ${report}`);
  }
  printResult(flags, json, () =>
    [
      headline,
      `scope: ${scope}`,
      formatBacktest(arms),
      ...(comparison
        ? [
          `A/B test: "rule" is the ${rule}; "rule + model" is long only when the model also says up`,
        ]
        : []),
    ].join("\n"));
  return 0;
};
