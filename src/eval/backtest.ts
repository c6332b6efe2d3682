/**
 * A bar-by-bar backtest host: the same loop a bot runs. Each bar is handed to
 * a {@linkcode SignalPlugin} once, in order; the position decided on bar t's
 * close is filled at bar t+1's open, so no decision uses a price it could not
 * have known. Also a moving-average crossover rule and the seed's A/B test
 * (the rule alone against the rule filtered by the model).
 *
 * Accounting: equity starts at 1 at the first fill's open. A position is held
 * in shares from one fill to the next (no rebalancing in between), so a long
 * earns `P_exit / P_entry − 1` and a short `1 − P_exit / P_entry` of the
 * equity it was opened with. Every change of position costs
 * `costBps / 10 000 × |Δposition|` of the equity at that open (a flip from
 * long to short is |Δ| = 2). Equity is marked at every bar's close; a position
 * still open at the end is marked at the last close, not liquidated. When a
 * bar has `adjClose`, its open and close are scaled by `adjClose / close`, so
 * the strategy and buy-and-hold earn dividends and do not see splits as moves
 * (trade prices are then adjusted prices); the plugin still gets the raw bar.
 *
 * Intervals: statistics are annualised with the interval's bars per year
 * on the bars' venue (NYSE: 252 daily; 252 sessions of 6.5 hours for
 * intraday bars: 1764 hourly, 19 656 five-minute; crypto, which never
 * closes: 365 daily, 8 760 hourly). Intraday bars have session gaps
 * (overnight, weekends, holidays; on a crypto venue only where the exchange's
 * data has a hole): a decision on a session's last bar fills at the next
 * session's open, and a position held over a gap bears the overnight move;
 * both are counted in `sessions`, so a report can say so.
 *
 * Costs: `costBps` is charged per side, on each unit of position change, as
 * an exchange charges its taker fee; {@linkcode defaultCostBps} is the
 * documented default per venue (0 on the NYSE, 10 bps on a crypto venue, a
 * typical spot taker fee).
 *
 * @module
 */

import type { Bar, Interval } from "../data/types.ts";
import { barsPerYear as barsPerYearOf, crossesGap } from "../data/interval.ts";
import type { Venue } from "../data/calendar.ts";
import type { Signal, SignalPlugin, SignalStatus } from "../signal/types.ts";
import { mean, sharpeRatio, standardDeviation } from "./stats.ts";

/**
 * Options for {@linkcode runBacktest}.
 *
 * @example
 * ```ts
 * const options: BacktestOptions = { symbol: "SPY", threshold: 0.55, hysteresis: 0.02, costBps: 5 };
 * ```
 */
export interface BacktestOptions {
  /** The symbol passed to `onBar`. */
  symbol: string;
  /** Go long when the probability is above `threshold + hysteresis` (default 0.5). */
  threshold?: number;
  /** Half-width of the no-change band around the threshold (default 0). */
  hysteresis?: number;
  /** Go short when the probability is below `threshold − hysteresis` (default false: long/flat). */
  allowShort?: boolean;
  /**
   * Cost of trading per side, basis points of equity per unit of |Δposition| (default:
   * {@linkcode defaultCostBps} of the venue, 0 on the NYSE, 10 on a crypto venue).
   */
  costBps?: number;
  /**
   * First bar whose decision may trade (default 0). Earlier bars are still fed
   * to the plugin, to warm it up.
   */
  startIndex?: number;
  /**
   * The bars' interval (default `1d`): sets the default `barsPerYear` and, for intraday bars,
   * where the session gaps are (see {@linkcode SessionGaps}).
   */
  interval?: Interval;
  /**
   * Bars per year for annualising (default: {@linkcode barsPerYearOf} of the interval on the
   * venue: 252 daily on the NYSE, 365 daily and 8 760 hourly on a crypto venue).
   */
  barsPerYear?: number;
  /** Whose calendar the bars follow (default `nyse`): sets the default `barsPerYear`. */
  venue?: Venue;
  /**
   * When the plugin's signals are decided (default `close`: filled at the next
   * bar's open). `open`: a bar's signal was decided at its own open, so the
   * position is opened at that open and closed at that bar's close, flat
   * overnight, both half-turns paid on every bar traded.
   */
  decideAt?: "close" | "open";
}

/**
 * Crypto exchanges' spot taker fee per side, in basis points: the default
 * cost of a backtest on a crypto venue (Binance, OKX and Bybit charge
 * 0.1 % at their base tier; Coinbase and Kraken more).
 *
 * @example
 * ```ts
 * CRYPTO_TAKER_FEE_BPS; // 10
 * ```
 */
export const CRYPTO_TAKER_FEE_BPS = 10;

/**
 * The cost per side a backtest charges when none is given: 0 on the NYSE (the
 * default, as it always was), {@linkcode CRYPTO_TAKER_FEE_BPS} on a crypto
 * venue, so hourly signals pay what an exchange charges.
 *
 * @example
 * ```ts
 * defaultCostBps("crypto"); // 10
 * defaultCostBps(undefined); // 0
 * ```
 */
export function defaultCostBps(venue: Venue | undefined): number {
  return venue === "crypto" ? CRYPTO_TAKER_FEE_BPS : 0;
}

/**
 * The session gaps (overnight, weekend, holiday) an intraday backtest crossed.
 * A decision on a session's last bar can only fill at the next session's
 * open, after the gap: such fills are counted, never hidden. Daily and weekly
 * bars report zeros (every daily fill is at the next day's open by design).
 *
 * @example
 * ```ts
 * const { gaps, fillsAcrossGap, heldAcrossGap }: SessionGaps = result.sessions;
 * ```
 */
export interface SessionGaps {
  /** Gaps between consecutive replayed bars (from the first decision bar on). */
  gaps: number;
  /** Position changes decided before a gap and filled at the open after it. */
  fillsAcrossGap: number;
  /** Gaps crossed while holding a position (it bore the overnight move). */
  heldAcrossGap: number;
}

/**
 * Performance statistics of an equity curve.
 *
 * @example
 * ```ts
 * const { sharpe, maxDrawdown }: PerformanceStats = result.stats;
 * ```
 */
export interface PerformanceStats {
  /** Final equity / initial equity − 1. */
  totalReturn: number;
  /** Compound annual return, `(1 + total)^(barsPerYear / bars) − 1`. */
  annualReturn: number;
  /** Annualised standard deviation of per-bar returns. */
  volatility: number;
  /** Annualised mean / standard deviation of per-bar returns (risk-free rate 0); 0 when flat. */
  sharpe: number;
  /** Annualised mean / downside deviation (root mean square of negative returns); 0 when undefined. */
  sortino: number;
  /** Largest peak-to-trough fall of equity, as a positive fraction. */
  maxDrawdown: number;
  /** Share of trades with a positive net return (0 with no trades). */
  hitRate: number;
  /** Share of bars with a non-zero position. */
  exposure: number;
  /** Sum of |Δposition| over all fills (1 = equity traded once). */
  turnover: number;
  /** Number of round trips (a position still open at the end counts). */
  trades: number;
}

/**
 * One round trip.
 *
 * @example
 * ```ts
 * const winners = result.trades.filter((t: Trade) => t.return > 0).length;
 * ```
 */
export interface Trade {
  /** `long` or `short`. */
  side: "long" | "short";
  /** Time of the fill bar. */
  entryTime: string;
  /** The open it was filled at. */
  entryPrice: number;
  /** Time of the exit fill, or of the last bar when still open. */
  exitTime: string;
  /** The exit open, or the last close when still open. */
  exitPrice: number;
  /** Net return on the equity at entry, costs of entry and exit included. */
  return: number;
  /** Whether the trade was still open at the end. */
  open: boolean;
}

/**
 * An equity curve with its statistics.
 *
 * @example
 * ```ts
 * const hold: EquityResult = result.buyAndHold;
 * ```
 */
export interface EquityResult {
  /** Equity at each bar's close (starting from 1 at the first fill's open). */
  equity: number[];
  /** Drawdown at each bar's close, as a positive fraction. */
  drawdown: number[];
  /** Statistics of the curve. */
  stats: PerformanceStats;
}

/**
 * What {@linkcode runBacktest} returns.
 *
 * @example
 * ```ts
 * const result: BacktestResult = await runBacktest(bars, plugin, { symbol: "SPY" });
 * ```
 */
export interface BacktestResult extends EquityResult {
  /** Times of the bars the curve is marked at (first fill bar to last bar). */
  times: string[];
  /** Position held during each of those bars: 1, 0 or −1. */
  positions: number[];
  /** The probability behind each position (the previous bar's signal). */
  probabilities: number[];
  /** The status behind each position. */
  statuses: SignalStatus[];
  /** Round trips in order. */
  trades: Trade[];
  /** Buy-and-hold from the first fill's open to the last close, entry cost charged once. */
  buyAndHold: EquityResult;
  /** The session gaps crossed, and the fills and positions across them. */
  sessions: SessionGaps;
  /** The bars per year the statistics were annualised with. */
  barsPerYear: number;
}

/** Per-bar returns of an equity curve that starts at 1. */
function returnsOf(equity: readonly number[]): number[] {
  return equity.map((e, i) => e / (i === 0 ? 1 : equity[i - 1]) - 1);
}

/**
 * Drawdown at each point of an equity curve that starts at 1, as a positive
 * fraction of the running peak.
 *
 * @example
 * ```ts
 * drawdownSeries([1.1, 0.99, 1.2]); // [0, 0.1, 0]
 * ```
 */
export function drawdownSeries(equity: readonly number[]): number[] {
  let peak = 1;
  return equity.map((e) => {
    peak = Math.max(peak, e);
    return 1 - e / peak;
  });
}

function equityResult(
  equity: number[],
  positions: readonly number[],
  trades: readonly Trade[],
  turnover: number,
  barsPerYear: number,
): EquityResult {
  const r = returnsOf(equity);
  const n = r.length;
  const sd = standardDeviation(r);
  const downside = Math.sqrt(r.reduce((a, b) => a + Math.min(b, 0) ** 2, 0) / n);
  const drawdown = drawdownSeries(equity);
  const totalReturn = equity[n - 1] - 1;
  return {
    equity,
    drawdown,
    stats: {
      totalReturn,
      annualReturn: (1 + totalReturn) ** (barsPerYear / n) - 1,
      volatility: sd * Math.sqrt(barsPerYear),
      sharpe: sharpeRatio(r, barsPerYear),
      sortino: downside > 0 ? (mean(r) / downside) * Math.sqrt(barsPerYear) : 0,
      maxDrawdown: Math.max(0, ...drawdown),
      hitRate: trades.length ? trades.filter((t) => t.return > 0).length / trades.length : 0,
      exposure: positions.filter((p) => p !== 0).length / n,
      turnover,
      trades: trades.length,
    },
  };
}

/**
 * The position after a signal, given the current one: long above
 * `threshold + h`, out of a long below `threshold − h`, short below
 * `threshold − h` when shorting is allowed (and out of a short above
 * `threshold + h`); inside the band the position is kept. A signal whose
 * status is not `ok` (warming up, no model, stale, out of distribution) means
 * flat, whatever its probability.
 */
function nextPosition(
  current: number,
  signal: Signal,
  threshold: number,
  hysteresis: number,
  allowShort: boolean,
): number {
  if (signal.status !== "ok") return 0;
  const p = signal.probabilityUp;
  if (!(p >= 0 && p <= 1)) {
    throw new RangeError(
      `Expected an ok signal's probabilityUp in [0, 1], found ${p} for ${signal.symbol} at ${signal.time}`,
    );
  }
  if (p > threshold + hysteresis) return 1;
  if (p < threshold - hysteresis) return allowShort ? -1 : 0;
  return current;
}

/**
 * The open and close a bar trades at: with `adjClose`, both scaled by
 * `adjClose / close`, so splits and dividends do not show up as moves.
 */
function adjustedPrices(bar: Bar): { time: string; open: number; close: number } {
  const factor = bar.adjClose !== undefined && bar.adjClose > 0 ? bar.adjClose / bar.close : 1;
  return { time: bar.time, open: bar.open * factor, close: bar.close * factor };
}

function checkBars(bars: readonly Bar[], startIndex: number): void {
  if (!Number.isInteger(startIndex) || startIndex < 0 || startIndex > bars.length - 2) {
    throw new RangeError(
      `Expected startIndex in [0, ${
        bars.length - 2
      }] (a decision needs a next bar to fill at), found ${startIndex} with ${bars.length} bars`,
    );
  }
  for (let i = 0; i < bars.length; i++) {
    const b = bars[i];
    if (!(b.open > 0 && b.close > 0)) {
      throw new RangeError(
        `Expected positive open and close prices, found open ${b.open}, close ${b.close} at ${b.time}`,
      );
    }
    if (i > 0 && !(bars[i - 1].time < b.time)) {
      throw new RangeError(
        `Expected bars in increasing time order, found ${b.time} after ${bars[i - 1].time}`,
      );
    }
  }
}

/**
 * Replays `bars` one at a time through `plugin.onBar(symbol, bar)` and trades
 * on its signals (see the module notes for the accounting). The plugin must
 * already be initialised; the host never calls `predict`, never shows a bar
 * twice, and never shows the last bar (its decision could not be filled).
 *
 * @example
 * ```ts
 * const plugin = maCrossoverRule({ fast: 20, slow: 50 });
 * await plugin.init();
 * const result = await runBacktest(bars, plugin, { symbol: "SPY", costBps: 5 });
 * console.log(result.stats.sharpe, result.buyAndHold.stats.sharpe);
 * ```
 */
export async function runBacktest(
  bars: readonly Bar[],
  plugin: SignalPlugin,
  options: BacktestOptions,
): Promise<BacktestResult> {
  const threshold = options.threshold ?? 0.5;
  const hysteresis = options.hysteresis ?? 0;
  const allowShort = options.allowShort ?? false;
  const cost = (options.costBps ?? defaultCostBps(options.venue)) / 10_000;
  const startIndex = options.startIndex ?? 0;
  const interval = options.interval ?? "1d";
  const barsPerYear = options.barsPerYear ?? barsPerYearOf(interval, options.venue);
  const sessions: SessionGaps = { gaps: 0, fillsAcrossGap: 0, heldAcrossGap: 0 };
  if (bars.length < 2) {
    throw new RangeError(`Expected at least 2 bars to backtest, found ${bars.length}`);
  }
  checkBars(bars, startIndex);
  const priced = bars.map(adjustedPrices);
  if (options.decideAt === "open") {
    return await openToClose(bars, priced, plugin, { ...options, cost, barsPerYear, sessions });
  }

  const times: string[] = [];
  const positions: number[] = [];
  const probabilities: number[] = [];
  const statuses: SignalStatus[] = [];
  const equity: number[] = [];
  const trades: Trade[] = [];
  let position = 0;
  let shares = 0; // signed shares held (equity starts at 1)
  let cash = 1;
  let turnover = 0;
  let entryEquity = 1;
  let open: Omit<Trade, "exitTime" | "exitPrice" | "return" | "open"> | undefined;

  for (let t = 0; t < bars.length - 1; t++) {
    const signal = await plugin.onBar(options.symbol, bars[t]);
    if (t < startIndex) continue;
    const target = nextPosition(position, signal, threshold, hysteresis, allowShort);
    const fill = priced[t + 1];
    if (crossesGap(bars[t].time, fill.time, interval)) {
      sessions.gaps++;
      if (position !== 0) sessions.heldAcrossGap++;
      if (target !== position) sessions.fillsAcrossGap++;
    }
    // Mark at the fill bar's open, then trade there.
    const atOpen = cash + shares * fill.open;
    if (target !== position) {
      if (open) {
        trades.push({
          ...open,
          exitTime: fill.time,
          exitPrice: fill.open,
          return: (atOpen * (1 - cost * Math.abs(position))) / entryEquity - 1,
          open: false,
        });
        open = undefined;
      }
      const afterCost = atOpen * (1 - cost * Math.abs(target - position));
      turnover += Math.abs(target - position);
      shares = (target * afterCost) / fill.open;
      cash = afterCost - shares * fill.open;
      if (target !== 0) {
        // Equity before costs, so the trade's return carries its entry cost.
        entryEquity = atOpen * (1 - cost * Math.abs(position));
        open = { side: target > 0 ? "long" : "short", entryTime: fill.time, entryPrice: fill.open };
      }
      position = target;
    }
    times.push(fill.time);
    positions.push(position);
    probabilities.push(signal.probabilityUp);
    statuses.push(signal.status);
    equity.push(cash + shares * fill.close);
  }
  const last = priced[priced.length - 1];
  if (open) {
    trades.push({
      ...open,
      exitTime: last.time,
      exitPrice: last.close,
      return: equity[equity.length - 1] / entryEquity - 1,
      open: true,
    });
  }
  return {
    times,
    positions,
    probabilities,
    statuses,
    trades,
    ...equityResult(equity, positions, trades, turnover, barsPerYear),
    buyAndHold: buyAndHold(priced, startIndex, cost, barsPerYear),
    sessions,
    barsPerYear,
  };
}

/** Buy-and-hold from the first fill's open (after `startIndex`) to the last close, entry cost once. */
function buyAndHold(
  priced: { time: string; open: number; close: number }[],
  startIndex: number,
  cost: number,
  barsPerYear: number,
): BacktestResult["buyAndHold"] {
  const first = priced[startIndex + 1];
  const last = priced[priced.length - 1];
  const holdEquity = priced.slice(startIndex + 1).map((b) => ((1 - cost) * b.close) / first.open);
  const holdTrade: Trade = {
    side: "long",
    entryTime: first.time,
    entryPrice: first.open,
    exitTime: last.time,
    exitPrice: last.close,
    return: holdEquity[holdEquity.length - 1] - 1,
    open: true,
  };
  return equityResult(holdEquity, holdEquity.map(() => 1), [holdTrade], 1, barsPerYear);
}

/**
 * The backtest of signals decided at each bar's open: each bar's position is
 * taken at its open and closed at its close (flat overnight), with a
 * round trip's costs; buy-and-hold as in {@linkcode runBacktest}.
 */
async function openToClose(
  bars: readonly Bar[],
  priced: { time: string; open: number; close: number }[],
  plugin: SignalPlugin,
  options: BacktestOptions & { cost: number; barsPerYear: number; sessions: SessionGaps },
): Promise<BacktestResult> {
  const { cost, barsPerYear, sessions } = options;
  const startIndex = options.startIndex ?? 0;
  const times: string[] = [];
  const positions: number[] = [];
  const probabilities: number[] = [];
  const statuses: SignalStatus[] = [];
  const equity: number[] = [];
  const trades: Trade[] = [];
  let position = 0;
  let value = 1;
  let turnover = 0;
  // The first traded bar is the one after startIndex, as with next-open fills, so both
  // decision points trade the same bars.
  for (let t = 0; t < bars.length; t++) {
    const signal = await plugin.onBar(options.symbol, bars[t]);
    if (t <= startIndex) continue;
    position = nextPosition(
      position,
      signal,
      options.threshold ?? 0.5,
      options.hysteresis ?? 0,
      options.allowShort ?? false,
    );
    const bar = priced[t];
    if (position !== 0) {
      const before = value;
      value *= (1 - cost * Math.abs(position)) *
        (1 + position * (bar.close / bar.open - 1)) *
        (1 - cost * Math.abs(position));
      turnover += 2 * Math.abs(position);
      trades.push({
        side: position > 0 ? "long" : "short",
        entryTime: bar.time,
        entryPrice: bar.open,
        exitTime: bar.time,
        exitPrice: bar.close,
        return: value / before - 1,
        open: false,
      });
    }
    times.push(bar.time);
    positions.push(position);
    probabilities.push(signal.probabilityUp);
    statuses.push(signal.status);
    equity.push(value);
  }
  return {
    times,
    positions,
    probabilities,
    statuses,
    trades,
    ...equityResult(equity, positions, trades, turnover, barsPerYear),
    buyAndHold: buyAndHold(priced, startIndex, cost, barsPerYear),
    sessions,
    barsPerYear,
  };
}

function ruleSignal(symbol: string, bar: Bar, up: boolean | undefined, name: string): Signal {
  const ok = up !== undefined;
  const probabilityUp = ok ? (up ? 1 : 0) : 0.5;
  return {
    symbol,
    time: bar.time,
    probabilityUp,
    direction: ok ? (up ? "up" : "down") : "flat",
    confidence: ok ? 1 : 0,
    horizonBars: 1,
    status: ok ? "ok" : "warming-up",
    model: { id: name, version: "rule", trainedThrough: null },
  };
}

/**
 * Options for {@linkcode maCrossoverRule}.
 *
 * @example
 * ```ts
 * const rule = maCrossoverRule({ fast: 10, slow: 30 } satisfies CrossoverOptions);
 * ```
 */
export interface CrossoverOptions {
  /** Fast simple-moving-average length (default 20). */
  fast?: number;
  /** Slow simple-moving-average length (default 50). */
  slow?: number;
}

/**
 * A moving-average crossover rule as a {@linkcode SignalPlugin}: probability
 * 1 (up) when the fast SMA of closes is above the slow one, else 0;
 * `warming-up` (probability 0.5) until `slow` bars have been seen. Keeps a
 * window of `slow` closes per symbol, so each bar costs the same.
 *
 * @example
 * ```ts
 * const rule = maCrossoverRule({ fast: 20, slow: 50 });
 * const signal = await rule.onBar("SPY", bar); // signal.probabilityUp is 0, 0.5 or 1
 * ```
 */
export function maCrossoverRule(options: CrossoverOptions = {}): SignalPlugin {
  const fast = options.fast ?? 20;
  const slow = options.slow ?? 50;
  if (!(Number.isInteger(fast) && Number.isInteger(slow) && fast >= 1 && fast < slow)) {
    throw new RangeError(
      `Expected integer SMA lengths with 1 <= fast < slow, found fast ${fast}, slow ${slow}`,
    );
  }
  const name = `sma-crossover-${fast}-${slow}`;
  const state = new Map<string, number[]>();
  const decide = (closes: readonly number[]): boolean | undefined => {
    if (closes.length < slow) return undefined;
    const tail = closes.slice(-slow);
    return mean(tail.slice(-fast)) > mean(tail);
  };
  return {
    name,
    warmupBars: slow,
    init: (): Promise<void> => Promise.resolve(),
    onBar: (symbol: string, bar: Bar): Promise<Signal> => {
      const closes = state.get(symbol) ?? [];
      closes.push(bar.close);
      if (closes.length > slow) closes.shift();
      state.set(symbol, closes);
      return Promise.resolve(ruleSignal(symbol, bar, decide(closes), name));
    },
    predict: (symbol: string, history: readonly Bar[]): Promise<Signal> => {
      if (history.length === 0) {
        return Promise.reject(new RangeError("Expected at least one bar of history, found none"));
      }
      const up = decide(history.slice(-slow).map((b) => b.close));
      return Promise.resolve(ruleSignal(symbol, history[history.length - 1], up, name));
    },
    dispose: (): void => state.clear(),
  };
}

/**
 * Options for {@linkcode runComparison}.
 *
 * @example
 * ```ts
 * const options: ComparisonOptions = { symbol: "SPY", fast: 20, slow: 50, costBps: 5 };
 * ```
 */
export interface ComparisonOptions extends BacktestOptions, CrossoverOptions {}

/**
 * The two arms of the A/B test, on the same bars and fills.
 *
 * @example
 * ```ts
 * const { rule, filtered }: ComparisonResult = await runComparison(bars, plugin, { symbol: "SPY" });
 * ```
 */
export interface ComparisonResult {
  /** The crossover rule alone. */
  rule: BacktestResult;
  /** The rule, long only when the model also says up. */
  filtered: BacktestResult;
}

/**
 * The seed's A/B test: a moving-average crossover rule alone, and the same
 * rule long only when the model also says up (its probability above
 * `threshold + hysteresis`, status `ok`). Both arms are long/flat (the filter
 * can only veto a long), use the same costs and fills, and share
 * buy-and-hold. Each arm gets its own fresh rule; the model plugin is fed
 * every bar once, through the filtered arm.
 *
 * @example
 * ```ts
 * const ab = await runComparison(bars, lstmPlugin, { symbol: "SPY", costBps: 5 });
 * console.log(ab.rule.stats.sharpe, ab.filtered.stats.sharpe);
 * ```
 */
export async function runComparison(
  bars: readonly Bar[],
  model: SignalPlugin,
  options: ComparisonOptions,
): Promise<ComparisonResult> {
  const threshold = options.threshold ?? 0.5;
  const hysteresis = options.hysteresis ?? 0;
  const backtestOptions = { ...options, allowShort: false, threshold: 0.5, hysteresis: 0 };
  const rule = await runBacktest(bars, maCrossoverRule(options), backtestOptions);
  const inner = maCrossoverRule(options);
  let modelLong = false;
  const filter: SignalPlugin = {
    name: `${inner.name}+${model.name}`,
    warmupBars: Math.max(inner.warmupBars, model.warmupBars),
    init: (): Promise<void> => Promise.resolve(),
    onBar: async (symbol: string, bar: Bar): Promise<Signal> => {
      const r = await inner.onBar(symbol, bar);
      const m = await model.onBar(symbol, bar);
      // The model's own hysteresis state: long once above the band, out once below it.
      if (m.status !== "ok") modelLong = false;
      else if (m.probabilityUp > threshold + hysteresis) modelLong = true;
      else if (m.probabilityUp < threshold - hysteresis) modelLong = false;
      const status = r.status !== "ok" ? r.status : m.status;
      const up = r.probabilityUp > 0.5 && modelLong;
      return { ...r, status, probabilityUp: up ? 1 : 0, direction: up ? "up" : "down" };
    },
    predict: (): Promise<Signal> =>
      Promise.reject(new Error("Expected onBar calls only, found a predict call on the filter")),
    dispose: (): void | Promise<void> => inner.dispose(),
  };
  const filtered = await runBacktest(bars, filter, backtestOptions);
  return { rule, filtered };
}
