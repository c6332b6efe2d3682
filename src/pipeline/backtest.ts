/**
 * Backtesting a saved model the way `deno task backtest` does: the ticker's
 * series as it goes with the model, decisions from the first out-of-sample
 * bar (on the model's own ticker) or the requested start, the bars replayed
 * one at a time through the signal plugin a bot runs, and optionally the A/B
 * test of a crossover rule alone and filtered by the model.
 *
 * @module
 */

import type { Bar } from "../data/types.ts";
import {
  type BacktestResult,
  type ComparisonResult,
  defaultCostBps,
  type PerformanceStats,
  runBacktest,
  runComparison,
  type SessionGaps,
} from "../eval/backtest.ts";
import type { SignalPlugin } from "../signal/types.ts";
import { DataError } from "../util/errors.ts";
import { isContinuous, parseVenue, type Venue } from "../data/calendar.ts";
import {
  barsPerSession as barsPerSessionOf,
  barsPerYear as barsPerYearOf,
  isIntraday,
  observedBarsPerSession,
  SESSIONS_PER_YEAR,
} from "../data/interval.ts";
import type { EvaluationModel } from "./score.ts";
import { loadModelSeries, scopeFor, type SeriesRequest } from "./series.ts";

/**
 * Options of {@linkcode backtestModel}.
 *
 * @example
 * ```ts
 * const options: BacktestModelOptions = { request: {}, threshold: 0.55, hysteresis: 0.02 };
 * ```
 */
export interface BacktestModelOptions {
  /** Where the bars come from. */
  request: SeriesRequest;
  /** First decision date (earlier bars warm up). */
  start?: string;
  /** Last bar replayed. */
  end?: string;
  /** Probability threshold (default 0.5). */
  threshold?: number;
  /** Half-width of the no-change band (default 0). */
  hysteresis?: number;
  /** Long/short instead of long/flat. */
  allowShort?: boolean;
  /**
   * Cost per side per unit of position change, basis points (default: the venue's, 0 on the
   * NYSE and a 10 bps taker fee on a crypto venue).
   */
  costBps?: number;
  /** The A/B test: SMA crossover lengths. */
  compare?: { fast: number; slow: number };
  /** Progress lines. */
  log?: (line: string) => void;
}

/**
 * A backtest in the `--json` shape of `deno task backtest`.
 *
 * @example
 * ```ts
 * const { json } = await backtestModel(loaded, "SPY", makePlugin, { request: {} });
 * json.strategy.sharpe;
 * ```
 */
export interface ModelBacktest {
  /** The ticker replayed. */
  ticker: string;
  /** The model folder and version. */
  model: { dir: string; version: string };
  /** Which bars made decisions and why. */
  scope: string;
  /** Bars with a decision. */
  rows: number;
  /** First decision bar. */
  first: string;
  /** Last bar. */
  last: string;
  /** The trading rule. */
  settings: { threshold: number; hysteresis: number; short: boolean; costBps: number };
  /** The model's strategy. */
  strategy: PerformanceStats;
  /** Buy-and-hold on the same bars. */
  buyAndHold: PerformanceStats;
  /** Round trips. */
  trades: BacktestResult["trades"];
  /**
   * The bars' interval, the bars per year the statistics are annualised with, and the venue
   * whose calendar gives them when it is not the NYSE (`crypto`: every interval of 365 days).
   */
  interval: { name: string; barsPerYear: number; venue?: Venue };
  /** Session gaps crossed (intraday bars): fills and positions across them. */
  sessions: SessionGaps;
  /** The A/B test, with `--compare`. */
  comparison?: { rule: string; ruleAlone: PerformanceStats; ruleWithModel: PerformanceStats };
}

/**
 * What {@linkcode backtestModel} returns: the `--json` shape, the strategy's
 * bar-by-bar result (equity, positions, trades) and, with `compare`, the A/B
 * test's two arms with the rule's name; the views draw and print them.
 *
 * @example
 * ```ts
 * const run: ModelBacktestRun = await backtestModel(loaded, "SPY", makePlugin, { request: {} });
 * run.result.equity.at(-1);
 * ```
 */
export interface ModelBacktestRun {
  /** The summary in the `--json` shape. */
  json: ModelBacktest;
  /** The strategy's replay, bar by bar. */
  result: BacktestResult;
  /** The A/B test's arms on the same bars, and the rule's name (e.g. `SMA 10/30 crossover`). */
  comparison?: ComparisonResult & { name: string };
  /** Bars in one session of the feed (intraday; annualising uses 252 sessions of them). */
  barsPerSession: number;
}

/**
 * Replays `ticker`'s bars through plugins made by `makePlugin` (a fresh one per
 * arm, each the plugin a bot would run) and trades on their probabilities.
 *
 * @example
 * ```ts
 * const loaded = await loadEvaluationModel("models/lstm");
 * const make = () => createLstmSignal({ modelDir: "models/lstm" });
 * const { json, result } = await backtestModel(loaded, "SPY", make, { request: {} });
 * ```
 */
export async function backtestModel(
  loaded: Pick<EvaluationModel, "info">,
  ticker: string,
  makePlugin: () => SignalPlugin,
  options: BacktestModelOptions,
): Promise<ModelBacktestRun> {
  const { info } = loaded;
  const { threshold = 0.5, hysteresis = 0, allowShort = false } = options;
  const { series, own } = await loadModelSeries(info.card, ticker, options.request);
  // The venue of the data (its cache says it), else the model's.
  const venue: Venue = series.venue ?? parseVenue(info.card.data.venue);
  const costBps = options.costBps ?? defaultCostBps(venue);
  const end = options.end;
  const bars: Bar[] = series.bars.filter((b) => end === undefined || b.time.slice(0, 10) <= end);
  const scope = scopeFor(info.card, ticker, options);
  const seenUpTo = info.card.data.ranges.validation.last;

  const plugin = makePlugin();
  await plugin.init();
  // The first bar whose signal can be ok: warm-up of the features plus one window.
  const firstSignal = plugin.warmupBars - 1;
  const from = bars.findIndex((b) => scope.includes(b.time));
  const startIndex = Math.max(firstSignal, from < 0 ? bars.length : from);
  if (startIndex > bars.length - 2) {
    await plugin.dispose();
    throw new DataError(
      `Expected at least ${
        Math.max(firstSignal, from < 0 ? 0 : from) + 2
      } bars of ${ticker} (${plugin.warmupBars} to warm up the model's features and window, then a decision bar and a bar to fill at${
        scope.outOfSample ? `, in the test range from ${scope.from}` : ""
      }), found ${bars.length}`,
    );
  }
  const scopeText = scope.outOfSample
    ? `out of sample: ${ticker} is the model's training series, so decisions start in its test range (from ${scope.from}; the validation range ends ${seenUpTo}); start/end override`
    : `decisions from ${bars[startIndex].time} (earlier bars warm the model up)${
      own && bars[startIndex].time <= seenUpTo
        ? `; bars up to ${seenUpTo} were seen in training or early stopping`
        : ""
    }`;
  options.log?.(`backtest: ${ticker}, ${bars.length} bars; ${scopeText}`);
  const interval = series.interval;
  // Intraday on the NYSE: 252 sessions of the bars a session of this feed holds (7 hourly bars
  // in regular hours; more for a feed with extended hours). A continuous venue has no sessions:
  // every interval of 365 days (8 760 hourly bars).
  const continuous = isContinuous(venue);
  const perSession = continuous
    ? barsPerSessionOf(interval)
    : observedBarsPerSession(bars.map((b) => b.time), interval);
  const barsPerYear = isIntraday(interval) && !continuous
    ? SESSIONS_PER_YEAR * perSession
    : barsPerYearOf(interval, venue);
  const common = {
    symbol: ticker,
    threshold,
    hysteresis,
    costBps,
    startIndex,
    interval,
    barsPerYear,
    venue,
  };
  let result: BacktestResult;
  try {
    // A model deciding at the open trades each bar from its open to its close; the comparison
    // rules decide at the close and fill at the next open.
    const decideAt = loaded.info.card.decideAt === "open" ? "open" as const : "close" as const;
    result = await runBacktest(bars, plugin, { ...common, allowShort, decideAt });
  } finally {
    await plugin.dispose();
  }
  let comparison: ComparisonResult | undefined;
  if (options.compare) {
    const second = makePlugin();
    await second.init();
    try {
      comparison = await runComparison(bars, second, { ...common, ...options.compare });
    } finally {
      await second.dispose();
    }
  }
  const rule = options.compare
    ? `SMA ${options.compare.fast}/${options.compare.slow} crossover`
    : "";
  const json: ModelBacktest = {
    ticker,
    model: { dir: info.dir, version: info.version },
    scope: scopeText,
    rows: result.times.length,
    first: result.times[0],
    last: result.times[result.times.length - 1],
    settings: { threshold, hysteresis, short: allowShort, costBps },
    strategy: result.stats,
    buyAndHold: result.buyAndHold.stats,
    trades: result.trades,
    interval: {
      name: interval,
      barsPerYear: result.barsPerYear,
      ...(venue !== "nyse" ? { venue } : {}),
    },
    sessions: result.sessions,
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
  return {
    json,
    result,
    ...(comparison ? { comparison: { ...comparison, name: rule } } : {}),
    barsPerSession: perSession,
  };
}
