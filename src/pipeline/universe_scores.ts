/**
 * A universe's scored rows and what is made of them: the evaluation in its
 * `--json` shape (pooled and per-symbol scores beside the reversal rule, the
 * logistic model and the base rate) and the long-short portfolio of every
 * arm, rebalanced each decision bar (a day on daily bars). `study.ts` scores
 * the rows (a saved model, or each walk-forward fold's) and hands them here.
 *
 * @example
 * ```ts
 * import type { UniverseEvaluation } from "./universe_scores.ts";
 * const e: UniverseEvaluation = result.evaluation;
 * ```
 *
 * @module
 */

import type { Interval, Series } from "../data/types.ts";
import type { Scaling, UniverseWindows } from "../dataset/universe.ts";
import type { UniverseTables } from "../dataset/universe_tables.ts";
import type { LabelKind } from "../dataset/training_set.ts";
import { scoreProbabilities } from "../eval/metrics.ts";
import { mean } from "../eval/stats.ts";
import {
  calibrationNote,
  type EvaluationRows,
  type EvaluationSummary,
  summarizeEvaluation,
} from "../eval/summary.ts";
import type { Calibration } from "../model/calibration.ts";
import { DataError } from "../util/errors.ts";
import {
  crossSectionalPercentile,
  fitUniverseLogistic,
  gapReversal,
  labelReturns,
  predictUniverseLogistic,
  previousDirections,
  reversal,
} from "../eval/universe_baselines.ts";
import {
  type PortfolioResult,
  type PortfolioStats,
  type PriceTable,
  runPortfolio,
} from "../eval/portfolio.ts";
import type { EvaluationModel } from "./score.ts";

/**
 * One symbol's scores in a universe evaluation.
 *
 * @example
 * ```ts
 * const worst: SymbolScore = evaluation.perSymbol[0];
 * ```
 */
export interface SymbolScore {
  /** The symbol. */
  symbol: string;
  /** Scored windows. */
  rows: number;
  /** Share of 1 labels. */
  baseRate: number;
  /** Share called right. */
  accuracy: number;
  /** ROC AUC of the network's raw probabilities (calibration does not change a ranking; `null` with one class). */
  auc: number | null;
  /** Brier score. */
  brier: number;
  /** Log loss. */
  logLoss: number;
  /** `1 - Brier / Brier(climatology)`, climatology being the pooled training base rate. */
  brierSkill: number;
  /** The reversal rule's AUC on the same rows. */
  reversalAuc: number | null;
}

/**
 * The portfolio arms of a universe evaluation, before and after costs.
 *
 * @example
 * ```ts
 * const arm: PortfolioArm = evaluation.portfolio.arms[0]; // the model, next-open fills
 * ```
 */
export interface PortfolioArm {
  /** `model`, `reversal`, `logistic`, `equal-weight`, `market (SPY)`, `model (at close)`. */
  name: string;
  /** `next-open`, `close` or `open` (entered at the decision day's open, closed at its close). */
  fill: "next-open" | "close" | "open";
  /** Statistics before costs. */
  before: PortfolioStats;
  /** Statistics after costs. */
  after: PortfolioStats;
  /** Returns per calendar year. */
  periods: { period: string; days: number; before: number; after: number }[];
  /** Decision bars (days on daily bars) without positions (fewer candidates than the arm needs). */
  flatDays: number;
}

/**
 * A universe evaluation in the `--json` shape.
 *
 * @example
 * ```ts
 * const { evaluation } = await evaluateUniverse(loaded, data, {});
 * console.log(evaluation.pooled.metrics.auc, evaluation.reversal.auc);
 * ```
 */
export interface UniverseEvaluation {
  /** The universe scored. */
  universe: {
    name: string;
    symbols: number;
    scored: number;
    dropped: { symbol: string; reason: string }[];
    unknown: string[];
  };
  /** The model scored (its folder and version), or the study run. */
  model: { dir: string; version: string } | { study: string };
  /** The label. */
  label: LabelKind;
  /** The scaling. */
  scaling: Scaling;
  /** The context symbol, or `null`. */
  context: string | null;
  /** Which rows were scored and why. */
  scope: string;
  /** Pooled scores of every scored window beside the baselines (`logistic` says what it was fitted on). */
  pooled: EvaluationSummary & { logisticFittedOn: string };
  /** When the decisions are taken: at the close, or at the open (labels and trades open to close). */
  decideAt: "close" | "open";
  /**
   * The close-to-close reversal rule on the same rows (it ranks by minus the
   * last known close-to-close return; its probabilities are cross-sectional
   * percentiles).
   */
  reversal: { accuracy: number; auc: number; mcc: number };
  /** The overnight-gap reversal rule (minus open / previous close - 1) on the same rows. */
  gapReversal: { accuracy: number; auc: number; mcc: number };
  /**
   * The information coefficient of each ranking per decision date (a day on
   * daily bars, an hour on hourly ones: the Spearman correlation of the score
   * with the return the label is about): its mean, its t over dates and the
   * dates counted (`days`); and the mean return of each score decile (1
   * lowest, 10 highest), averaged over dates: is it monotone?
   */
  ranking: {
    name: string;
    icMean: number;
    icT: number;
    days: number;
    deciles: number[];
  }[];
  /** Every symbol's scores, sorted by AUC, worst first. */
  perSymbol: SymbolScore[];
  /** Walk-forward folds, when retrained by date folds. */
  folds?: {
    train: { first: string; last: string; rows: number };
    test: { first: string; last: string; rows: number };
    bestEpoch: number;
    auc: number;
    accuracy: number;
    brierSkill: number;
    reversalAuc: number;
    gapReversalAuc: number;
  }[];
  /**
   * The long-short portfolio of the model beside its baselines, rebalanced every decision bar:
   * an arm's `days`, `meanDaily`, `sdDaily`, `turnover` and `flatDays` count bars of `interval`
   * (hours on hourly bars), and its Sharpe and annual return annualise with `barsPerYear`.
   */
  portfolio: {
    topK: number;
    longOnly: boolean;
    costBps: number;
    /** The bars' interval: one decision, and one portfolio return, per bar. */
    interval: Interval;
    /** Bars a year of the universe's venue (252 daily on the NYSE; 365 daily, 8,760 hourly on crypto). */
    barsPerYear: number;
    arms: PortfolioArm[];
  };
}

/** Scored windows with everything the summary and the portfolio need. */
export interface ScoredRows {
  windows: UniverseWindows[];
  /** The network's raw probabilities: what the portfolio and the AUCs rank by. */
  raw: Float64Array;
  probabilities: Float64Array;
  logistic: Float64Array;
  reversalScores: Float64Array;
  reversalProbabilities: Float64Array;
  gapScores: Float64Array;
  gapProbabilities: Float64Array;
  /** The return each label is about (open to close at the open). */
  realised: Float64Array;
  climatology: Float64Array;
  previousUp: Uint8Array;
  labels: Uint8Array;
  refTimes: string[];
  dates: Uint32Array;
  symbols: Uint16Array;
  logisticFittedOn: string;
}

/** Scores `windows` with the model (its one batch path) and the baselines fitted on `train`. */
export async function scoreRows(
  model: EvaluationModel,
  train: UniverseWindows,
  windows: UniverseWindows,
  seed: number,
): Promise<Omit<ScoredRows, "windows" | "logisticFittedOn"> & { logisticRows: number }> {
  const out = await model.predictWithRaw(windows);
  const raw = Float64Array.from(out.raw);
  const probabilities = out.probabilities;
  const logisticModel = fitUniverseLogistic(train, { seed });
  const rev = reversal(windows);
  const gap = gapReversal(windows);
  const rate = mean(train.y);
  return {
    raw,
    probabilities,
    logistic: predictUniverseLogistic(logisticModel, windows),
    reversalScores: rev.scores,
    reversalProbabilities: rev.probabilities,
    gapScores: gap.scores,
    gapProbabilities: gap.probabilities,
    realised: labelReturns(windows),
    climatology: new Float64Array(windows.n).fill(rate),
    previousUp: previousDirections(windows),
    labels: windows.y,
    refTimes: windows.refTimes(),
    dates: windows.dates,
    symbols: windows.symbols,
    logisticRows: logisticModel.rows,
  };
}

export function concat(parts: ScoredRows[]): ScoredRows {
  const f64 = (get: (p: ScoredRows) => ArrayLike<number>): Float64Array =>
    Float64Array.from(parts.flatMap((p) => Array.from(get(p))));
  return {
    windows: parts.flatMap((p) => p.windows),
    raw: f64((p) => p.raw),
    probabilities: f64((p) => p.probabilities),
    logistic: f64((p) => p.logistic),
    reversalScores: f64((p) => p.reversalScores),
    reversalProbabilities: f64((p) => p.reversalProbabilities),
    gapScores: f64((p) => p.gapScores),
    gapProbabilities: f64((p) => p.gapProbabilities),
    realised: f64((p) => p.realised),
    climatology: f64((p) => p.climatology),
    previousUp: Uint8Array.from(parts.flatMap((p) => Array.from(p.previousUp))),
    labels: Uint8Array.from(parts.flatMap((p) => Array.from(p.labels))),
    refTimes: parts.flatMap((p) => p.refTimes),
    dates: Uint32Array.from(parts.flatMap((p) => Array.from(p.dates))),
    symbols: Uint16Array.from(parts.flatMap((p) => Array.from(p.symbols))),
    logisticFittedOn: parts.length === 1
      ? parts[0].logisticFittedOn
      : "each fold's own training windows",
  };
}

const nan = (v: number): number | null => Number.isNaN(v) ? null : v;

function perSymbolScores(rows: ScoredRows, tables: UniverseTables): SymbolScore[] {
  const bySymbol = new Map<number, number[]>();
  for (let i = 0; i < rows.labels.length; i++) {
    let list = bySymbol.get(rows.symbols[i]);
    if (!list) bySymbol.set(rows.symbols[i], list = []);
    list.push(i);
  }
  const out: SymbolScore[] = [];
  for (const [s, idx] of bySymbol) {
    const p = Float64Array.from(idx, (i) => rows.probabilities[i]);
    const raw = Float64Array.from(idx, (i) => rows.raw[i]);
    const y = Uint8Array.from(idx, (i) => rows.labels[i]);
    const c = Float64Array.from(idx, (i) => rows.climatology[i]);
    const r = Float64Array.from(idx, (i) => rows.reversalProbabilities[i]);
    const m = scoreProbabilities(p, y);
    const climatologyBrier = scoreProbabilities(c, y).brier;
    out.push({
      symbol: tables.tables[s].symbol,
      rows: idx.length,
      baseRate: mean(y),
      accuracy: m.accuracy,
      auc: nan(scoreProbabilities(raw, y).auc),
      brier: m.brier,
      logLoss: m.logLoss,
      brierSkill: climatologyBrier > 0 ? 1 - m.brier / climatologyBrier : 0,
      reversalAuc: nan(scoreProbabilities(r, y).auc),
    });
  }
  return out.sort((a, b) =>
    (a.auc ?? 0.5) - (b.auc ?? 0.5) || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0)
  );
}

/** Bootstrap settings for pooled rows: blocks of about five days of the whole cross-section. */
function bootstrapFor(
  rows: ScoredRows,
  seed: number,
): { seed: number; blockLength: number; resamples: number } {
  const days = new Set(rows.dates).size;
  const perDay = Math.max(1, Math.round(rows.labels.length / Math.max(1, days)));
  return {
    seed,
    blockLength: Math.max(20, Math.min(5 * perDay, Math.floor(rows.labels.length / 5))),
    resamples: rows.labels.length > 20_000 ? 200 : 1000,
  };
}

function portfolioArms(
  tables: UniverseTables,
  rows: ScoredRows,
  market: { symbol: string; table: PriceTable } | undefined,
  parts: { topK: number; longOnly: boolean; costBps: number; barsPerYear: number },
): { arms: PortfolioArm[]; runs: [string, PortfolioResult][] } {
  const options = {
    topK: parts.topK,
    longOnly: parts.longOnly,
    costBps: parts.costBps,
    daysPerYear: parts.barsPerYear,
  };
  const runs: [string, PortfolioResult][] = [];
  const base = { dates: rows.dates, symbols: rows.symbols };
  // At the open every arm trades from the decision day's open to its close; at the close the
  // tradable fill is the next open (and the paper's at-close fill is shown beside it).
  const open = tables.decideAt === "open";
  const fill = open ? "open" as const : "next-open" as const;
  const run = (name: string, values: ArrayLike<number>, extra: Partial<typeof options> & {
    fill?: "next-open" | "close" | "open";
    topK?: number;
  } = {}): void => {
    runs.push([
      name,
      runPortfolio(tables.calendar, tables.tables, { ...base, values }, {
        fill,
        ...options,
        ...extra,
      }),
    ]);
  };
  run("model", rows.raw);
  if (open) run("gap reversal", rows.gapScores);
  run("reversal", rows.reversalScores);
  run("logistic", rows.logistic);
  run("equal-weight", new Float64Array(rows.labels.length), { topK: Infinity, longOnly: true });
  if (market) {
    const days = [...new Set(rows.dates)].sort((a, b) => a - b);
    runs.push([
      `market (${market.symbol})`,
      runPortfolio(tables.calendar, [market.table], {
        dates: days,
        symbols: new Uint16Array(days.length),
        values: new Float64Array(days.length),
      }, { ...options, fill, topK: Infinity, longOnly: true }),
    ]);
  }
  if (!open) {
    run("model (at close)", rows.raw, { fill: "close" });
    run("reversal (at close)", rows.reversalScores, { fill: "close" });
  }
  const arms = runs.map(([name, r]) => ({
    name,
    fill: r.options.fill,
    before: r.before,
    after: r.after,
    periods: r.periods,
    flatDays: r.days.filter((d) => d.positions === 0).length,
  }));
  return { arms, runs };
}

/**
 * The daily information coefficient (Spearman: the Pearson correlation of the
 * day's cross-sectional percentiles) of `scores` with `realised`, and the
 * mean realised return of each score decile, averaged over days.
 */
function rankingOf(
  name: string,
  scores: ArrayLike<number>,
  realised: ArrayLike<number>,
  dates: ArrayLike<number>,
): UniverseEvaluation["ranking"][number] {
  const keep: number[] = [];
  for (let i = 0; i < scores.length; i++) if (Number.isFinite(realised[i])) keep.push(i);
  const d = keep.map((i) => dates[i]);
  const ps = crossSectionalPercentile(keep.map((i) => scores[i]), d);
  const pr = crossSectionalPercentile(keep.map((i) => realised[i]), d);
  const byDay = new Map<number, number[]>();
  keep.forEach((_, k) => {
    let list = byDay.get(d[k]);
    if (!list) byDay.set(d[k], list = []);
    list.push(k);
  });
  const ics: number[] = [];
  const decileSums = new Float64Array(10);
  const decileDays = new Float64Array(10);
  for (const list of byDay.values()) {
    if (list.length < 10) continue;
    const ms = mean(list.map((k) => ps[k]));
    const mr = mean(list.map((k) => pr[k]));
    let sxy = 0, sxx = 0, syy = 0;
    for (const k of list) {
      sxy += (ps[k] - ms) * (pr[k] - mr);
      sxx += (ps[k] - ms) ** 2;
      syy += (pr[k] - mr) ** 2;
    }
    if (sxx > 0 && syy > 0) ics.push(sxy / Math.sqrt(sxx * syy));
    const sums = new Float64Array(10);
    const counts = new Float64Array(10);
    for (const k of list) {
      const q = Math.min(9, Math.floor(ps[k] * 10));
      sums[q] += realised[keep[k]];
      counts[q]++;
    }
    for (let q = 0; q < 10; q++) {
      if (counts[q] > 0) {
        decileSums[q] += sums[q] / counts[q];
        decileDays[q]++;
      }
    }
  }
  const icMean = ics.length ? mean(ics) : NaN;
  const sd = ics.length > 1
    ? Math.sqrt(ics.reduce((a, x) => a + (x - icMean) ** 2, 0) / (ics.length - 1))
    : NaN;
  return {
    name,
    icMean,
    icT: sd > 0 ? icMean / (sd / Math.sqrt(ics.length)) : NaN,
    days: ics.length,
    deciles: Array.from(decileSums, (v, q) => (decileDays[q] ? v / decileDays[q] : NaN)),
  };
}

/** The context series on the universe's calendar, as a price table for the market arm. */
export function marketTable(
  tables: UniverseTables,
  context: Series | undefined,
): PriceTable | undefined {
  if (!context) return undefined;
  const index = new Map(tables.calendar.map((t, i) => [t, i]));
  const bars = context.bars.filter((b) => index.has(b.time));
  if (bars.length < 3) return undefined;
  return {
    dates: Uint32Array.from(bars, (b) => index.get(b.time)!),
    opens: Float64Array.from(
      bars,
      (b) => b.adjClose !== undefined && b.close > 0 ? b.open * (b.adjClose / b.close) : b.open,
    ),
    closes: Float64Array.from(bars, (b) => b.adjClose ?? b.close),
  };
}

/** Puts a universe evaluation together from scored rows. */
export function assemble(
  tables: UniverseTables,
  rows: ScoredRows,
  parts: {
    model: UniverseEvaluation["model"];
    scaling: Scaling;
    scope: string;
    unknown: string[];
    name: string;
    market: { symbol: string; table: PriceTable } | undefined;
    seed: number;
    topK: number;
    longOnly: boolean;
    costBps: number;
    /** The bars' interval and the venue's bars a year, for annualising the portfolio. */
    interval: Interval;
    barsPerYear: number;
    folds?: UniverseEvaluation["folds"];
    calibration?: Calibration;
  },
): UniverseResult {
  if (rows.labels.length < 20) {
    throw new DataError(
      `Expected at least 20 labelled windows to score (${parts.scope}), found ${rows.labels.length}`,
    );
  }
  const evaluationRows: EvaluationRows = {
    probabilities: rows.probabilities,
    rawProbabilities: rows.raw,
    ...(parts.calibration ? { calibration: calibrationNote(parts.calibration) } : {}),
    labels: rows.labels,
    refTimes: rows.refTimes,
    previousUp: rows.previousUp,
    logisticProbabilities: rows.logistic,
    climatology: { probabilities: rows.climatology, fittedOn: rows.logisticFittedOn },
  };
  const pooled = summarizeEvaluation(evaluationRows, bootstrapFor(rows, parts.seed));
  const rev = scoreProbabilities(rows.reversalProbabilities, rows.labels);
  const gap = scoreProbabilities(rows.gapProbabilities, rows.labels);
  const ranking = [
    rankingOf("model", rows.raw, rows.realised, rows.dates),
    rankingOf("gap reversal", rows.gapScores, rows.realised, rows.dates),
    rankingOf("reversal", rows.reversalScores, rows.realised, rows.dates),
    rankingOf("logistic", rows.logistic, rows.realised, rows.dates),
  ];
  const { arms, runs } = portfolioArms(tables, rows, parts.market, parts);
  const scored = new Set(rows.symbols).size;
  return {
    evaluation: {
      universe: {
        name: parts.name,
        symbols: tables.tables.length,
        scored,
        dropped: tables.dropped,
        unknown: parts.unknown,
      },
      model: parts.model,
      label: tables.label,
      scaling: parts.scaling,
      context: tables.context ?? null,
      scope: parts.scope,
      pooled: { ...pooled, logisticFittedOn: rows.logisticFittedOn },
      decideAt: tables.decideAt,
      reversal: { accuracy: rev.accuracy, auc: rev.auc, mcc: rev.mcc },
      gapReversal: { accuracy: gap.accuracy, auc: gap.auc, mcc: gap.mcc },
      ranking,
      perSymbol: perSymbolScores(rows, tables),
      ...(parts.folds ? { folds: parts.folds } : {}),
      portfolio: {
        topK: parts.topK,
        longOnly: parts.longOnly,
        costBps: parts.costBps,
        interval: parts.interval,
        barsPerYear: parts.barsPerYear,
        arms,
      },
    },
    runs,
    rows: evaluationRows,
    symbols: Array.from(rows.symbols, (s) => tables.tables[s].symbol),
    realised: rows.realised,
  };
}

/**
 * What {@linkcode evaluateUniverse} and {@linkcode runUniverseStudy} return:
 * the evaluation (`--json`), the portfolio runs (for the report's curves) and
 * the pooled rows.
 *
 * @example
 * ```ts
 * const { evaluation, runs } = await evaluateUniverse(loaded, data, {});
 * ```
 */
export interface UniverseResult {
  /** The evaluation. */
  evaluation: UniverseEvaluation;
  /** Each portfolio arm's run, by name. */
  runs: [string, PortfolioResult][];
  /** The pooled scored rows. */
  rows: EvaluationRows;
  /** The symbol of each scored row. */
  symbols: string[];
  /**
   * Each scored row's realised return over the label's horizon (open to close at the open; NaN
   * where unknown): what the rankings' information coefficient correlates the scores with.
   */
  realised: Float64Array;
}
