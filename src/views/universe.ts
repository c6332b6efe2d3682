/**
 * The universe evaluation's text and HTML page: scope, pooled scores beside
 * the baselines and the reversal rule, folds, the worst and best symbols, and
 * the daily long-short portfolio.
 *
 * @example
 * ```ts
 * import { universeEvaluationText } from "./universe.ts";
 * console.log(universeEvaluationText(result.evaluation));
 * ```
 *
 * @module
 */

import type {
  SymbolScore,
  UniverseEvaluation,
  UniverseResult,
} from "../pipeline/universe_scores.ts";
import { formatTable } from "../util/table.ts";
import { escapeHtml, tableHtml } from "./charts.ts";
import { formatEvaluation } from "./evaluation.ts";
import { renderReport, type ReportInput } from "./html.ts";
import { dailyIc, decileChart, rollingIcChart, scoreHistogram } from "./universe_charts.ts";

const pct = (v: number, digits = 3): string =>
  Number.isFinite(v) ? `${(100 * v).toFixed(digits)}%` : "–";
const fixed = (v: number | null | undefined, digits = 4): string =>
  v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(digits);

/**
 * The portfolio table of a universe evaluation: each arm's mean daily return,
 * its t, Sharpe and turnover before costs, then its mean, Sharpe, maximum
 * drawdown and total return after costs (the drawdown after costs, as the
 * report's chart draws it), preceded by a warning when the legs hold every
 * scored symbol.
 *
 * @example
 * ```ts
 * console.log(portfolioText(evaluation));
 * ```
 */
export function portfolioText(evaluation: UniverseEvaluation): string {
  const p = evaluation.portfolio;
  const per = periodWord(p);
  const header = [
    "arm",
    "fill",
    `${per}s`,
    "flat",
    `mean/${per}`,
    "t",
    "sharpe",
    "turnover",
    `mean/${per} net`,
    "sharpe net",
    "max dd net",
    "total net",
  ];
  const rows = p.arms.map((a) => [
    a.name,
    a.fill,
    String(a.before.days),
    String(a.flatDays),
    pct(a.before.meanDaily),
    fixed(a.before.tStat, 2),
    fixed(a.before.sharpe, 2),
    fixed(a.before.turnover, 2),
    pct(a.after.meanDaily),
    fixed(a.after.sharpe, 2),
    pct(a.after.maxDrawdown, 1),
    pct(a.after.totalReturn, 1),
  ]);
  const years = [...new Set(p.arms.flatMap((a) => a.periods.map((x) => x.period)))].sort();
  const perYear = formatTable([
    ["arm (net of costs)", ...years],
    ...p.arms.map((a) => [
      a.name,
      ...years.map((y) => {
        const x = a.periods.find((q) => q.period === y);
        return x ? pct(x.after, 1) : "–";
      }),
    ]),
  ]);
  const warning = coverageWarning(p, evaluation.universe.scored);
  return [
    ...(warning ? [warning] : []),
    `portfolio: each ${per} ${p.longOnly ? "long" : "long and short"} the top ${p.topK}${
      p.longOnly ? "" : ` and bottom ${p.topK}`
    } by score, ${p.costBps} bps per half-turn; next-open fills are tradable, "at close" is the paper's convention (filled at the close the ranking was computed from)`,
    formatTable([header, ...rows]),
    "",
    "returns per year, after costs:",
    perYear,
  ].join("\n");
}

/** The columns of a universe's folds (or study periods), in text and on the page alike. */
const FOLD_HEADERS = [
  "fold",
  "trained on",
  "train windows",
  "scored",
  "rows",
  "best epoch",
  "auc",
  "reversal auc",
  "gap reversal auc",
  "brier skill",
];

/** One row per fold, for {@linkcode FOLD_HEADERS}. */
function foldRows(folds: NonNullable<UniverseEvaluation["folds"]>): string[][] {
  return folds.map((f, i) => [
    String(i + 1),
    `${f.train.first} .. ${f.train.last}`,
    String(f.train.rows),
    `${f.test.first} .. ${f.test.last}`,
    String(f.test.rows),
    String(f.bestEpoch),
    fixed(f.auc),
    fixed(f.reversalAuc),
    fixed(f.gapReversalAuc),
    fixed(f.brierSkill),
  ]);
}

/**
 * What one portfolio period is: a day on daily bars, else a bar (an hour on
 * hourly bars: the portfolio's counts and means are per bar).
 */
function periodWord(p: { interval?: string }): "day" | "bar" {
  return p.interval === undefined || p.interval === "1d" ? "day" : "bar";
}

/**
 * The human text of a universe evaluation: scope, pooled scores beside the
 * baselines (and the reversal rule), folds, the worst and best ten symbols,
 * and the portfolio.
 *
 * @example
 * ```ts
 * console.log(universeEvaluationText(evaluation));
 * ```
 */
export function universeEvaluationText(evaluation: UniverseEvaluation): string {
  const e = evaluation;
  const model = "study" in e.model
    ? `study ${e.model.study}`
    : `model ${e.model.dir} (${e.model.version})`;
  const symbolRows = (list: SymbolScore[]): string[][] =>
    list.map((s) => [
      s.symbol,
      String(s.rows),
      fixed(s.accuracy),
      fixed(s.auc),
      fixed(s.reversalAuc),
      fixed(s.brierSkill),
    ]);
  const header = ["symbol", "rows", "accuracy", "auc", "reversal auc", "brier skill"];
  const worst = e.perSymbol.slice(0, 10);
  const best = e.perSymbol.slice(Math.max(worst.length, e.perSymbol.length - 10)).reverse();
  const folds = e.folds
    ? [
      formatTable([FOLD_HEADERS, ...foldRows(e.folds)]),
      "pooled scores of every fold's rows:",
    ]
    : [];
  return [
    `universe ${e.universe.name}: ${e.universe.symbols} symbols, ${e.universe.scored} scored; ${model}; label ${e.label}, ${e.scaling} scaling${
      e.context ? `, context ${e.context}` : ""
    }`,
    ...(e.universe.dropped.length
      ? [
        `dropped (too few bars or features that cannot be computed): ${
          e.universe.dropped.map((d) => d.symbol).join(", ")
        }`,
      ]
      : []),
    ...(e.universe.unknown.length
      ? [
        `not scored (no scaler of their own): ${e.universe.unknown.slice(0, 20).join(", ")}${
          e.universe.unknown.length > 20 ? ` and ${e.universe.unknown.length - 20} more` : ""
        }`,
      ]
      : []),
    `scope: ${e.scope}`,
    `headline: the network's raw score (what the portfolio ranks by) AUC ${
      fixed(e.pooled.baselines.rawNetwork?.auc ?? e.pooled.metrics.auc)
    }; the calibrated probability it hands out AUC ${
      fixed(e.pooled.metrics.auc)
    } (a calibration shrunk to the base rate is a constant: AUC 0.5); gap reversal AUC ${
      fixed(e.gapReversal.auc)
    }, close-to-close reversal AUC ${fixed(e.reversal.auc)}`,
    ...folds,
    formatEvaluation(e.pooled, { label: crossSectional(e) ? "beats-median" : "up" }),
    `logistic baseline fitted on ${e.pooled.logisticFittedOn}`,
    `reversal rule (rank by the last ${
      e.decideAt === "open" ? "known close-to-close return" : "bar's return"
    }, lowest first) on the same rows: accuracy ${fixed(e.reversal.accuracy)}, AUC ${
      fixed(e.reversal.auc)
    }, MCC ${fixed(e.reversal.mcc)}`,
    `overnight-gap reversal rule (rank by minus open / previous close - 1${
      e.decideAt === "open" ? "" : ", the decision day's own gap"
    }) on the same rows: accuracy ${fixed(e.gapReversal.accuracy)}, AUC ${
      fixed(e.gapReversal.auc)
    }, MCC ${fixed(e.gapReversal.mcc)}`,
    "",
    rankingText(e),
    "",
    `per symbol, worst ${worst.length} by AUC:`,
    formatTable([header, ...symbolRows(worst)]),
    ...(best.length
      ? [`per symbol, best ${best.length} by AUC:`, formatTable([header, ...symbolRows(best)])]
      : []),
    "",
    portfolioText(e),
  ].join("\n");
}

/**
 * The ranking table of a universe evaluation: each ranking's daily
 * information coefficient (mean, t, days) and its mean return by score
 * decile, lowest to highest, in percent per day.
 *
 * @example
 * ```ts
 * console.log(rankingText(evaluation));
 * ```
 */
export function rankingText(e: UniverseEvaluation): string {
  const what = e.decideAt === "open"
    ? "the decision day's open-to-close return"
    : "the return over the label's horizon";
  return [
    `ranking against ${what}: daily information coefficient and mean return by score decile (1 = lowest score)`,
    formatTable([
      ["ranking", "IC mean", "IC t", "days", ...Array.from({ length: 10 }, (_, q) => `d${q + 1}`)],
      ...e.ranking.map((r) => [
        r.name,
        fixed(r.icMean),
        fixed(r.icT, 2),
        String(r.days),
        ...r.deciles.map((v) => pct(v, 3)),
      ]),
    ]),
  ].join("\n");
}

/**
 * The warning when the portfolio's legs hold every scored symbol: long the
 * top `k` and short the bottom `k` of `symbols` with `2k >= symbols` (or long
 * only with `k >= symbols`); `null` otherwise.
 *
 * @example
 * ```ts
 * coverageWarning({ topK: 10, longOnly: false }, 20);
 * // "warning: top 10 and bottom 10 of 20 symbols: the long and short legs hold the whole universe …"
 * ```
 */
export function coverageWarning(
  portfolio: { topK: number; longOnly: boolean },
  symbols: number,
): string | null {
  const k = portfolio.topK;
  if (portfolio.longOnly) {
    return k >= symbols
      ? `warning: long the top ${k} of ${symbols} symbols: the long leg holds the whole universe every day, so the portfolio is the equal-weight universe and the ranking chooses nothing (use a --top-k below ${symbols})`
      : null;
  }
  return 2 * k >= symbols
    ? `warning: top ${k} and bottom ${k} of ${symbols} symbols: the long and short legs hold the whole universe every day, so the portfolio selects no extremes and only splits the universe in two (use a --top-k below ${
      Math.ceil(symbols / 2)
    })`
    : null;
}

/** Whether the evaluation's label is the cross-sectional one. */
const crossSectional = (e: UniverseEvaluation): boolean => e.label === "beats-median";

/**
 * The page title of a universe result: `title` for an evaluation; for a
 * backtest, a title that says it is one (study or model, walk-forward or not).
 */
function pageTitle(e: UniverseEvaluation, title: string, page: "evaluation" | "backtest"): string {
  if (page === "evaluation") return title;
  const what = "study" in e.model ? `the ${e.model.study} study` : e.model.dir;
  const kind = e.folds && !("study" in e.model) ? "Walk-forward backtest" : "Backtest";
  return `${kind} of ${what} on universe ${e.universe.name}`;
}

/**
 * The report input of a universe result (what `renderReport` draws): the
 * summary, the portfolio table (every figure after costs but the mean and
 * Sharpe before costs beside them), the model's equity after costs against
 * the equal-weight universe and its drawdown after costs. The universe's
 * own charts and tables are added by {@linkcode universePage}.
 *
 * @example
 * ```ts
 * const input = universeReport(result, "Universe", { page: "backtest" });
 * ```
 */
export function universeReport(
  result: UniverseResult,
  title: string,
  options: { page?: "evaluation" | "backtest" } = {},
): ReportInput {
  const { evaluation, runs } = result;
  const p = evaluation.portfolio;
  const model = runs.find(([n]) => n === "model")![1];
  const equal = runs.find(([n]) => n === "equal-weight")![1];
  const equalByDate = new Map(equal.days.map((d, i) => [d.date, equal.equityAfter[i]]));
  let last = 1;
  const bench = model.days.map((d) => (last = equalByDate.get(d.date) ?? last));
  let peak = 1;
  const drawdown = model.equityAfter.map((e) => {
    peak = Math.max(peak, e);
    return 1 - e / peak;
  });
  const warning = coverageWarning(p, evaluation.universe.scored);
  return {
    title: pageTitle(evaluation, title, options.page ?? "evaluation"),
    summary: [
      ...(warning ? [`${warning[0].toUpperCase()}${warning.slice(1)}.`] : []),
      `Scope: ${evaluation.scope}.`,
      `Portfolio: each ${periodWord(p)} ${
        p.longOnly ? "long" : "long and short"
      } the top ${p.topK}${
        p.longOnly ? "" : ` and bottom ${p.topK}`
      } of the ${evaluation.universe.scored} scored symbols by the network's score, ${p.costBps} bps per half-turn.`,
      `${evaluation.pooled.verdict.charAt(0).toUpperCase()}${evaluation.pooled.verdict.slice(1)}.`,
      `Reversal rule on the same rows: AUC ${fixed(evaluation.reversal.auc)}; the network's AUC ${
        fixed(evaluation.pooled.baselines.rawNetwork?.auc ?? evaluation.pooled.metrics.auc)
      } (the portfolio ranks by the network's raw probability; the histogram shows it).`,
      `Drawdowns, totals and the equity curve are after ${p.costBps} bps costs throughout; the equity chart is the model's portfolio against the equal-weight universe (as buy-and-hold).`,
    ],
    metricsTable: {
      headers: [
        "arm",
        "fill",
        `${periodWord(p)}s`,
        `mean/${periodWord(p)}`,
        "t",
        "sharpe",
        `mean/${periodWord(p)} net`,
        "sharpe net",
        "max dd net",
        `turnover/${periodWord(p)}`,
        "total net",
      ],
      rows: p.arms.map((a) => [
        a.name,
        a.fill,
        String(a.before.days),
        pct(a.before.meanDaily),
        fixed(a.before.tStat, 2),
        fixed(a.before.sharpe, 2),
        pct(a.after.meanDaily),
        fixed(a.after.sharpe, 2),
        pct(a.after.maxDrawdown, 1),
        fixed(a.before.turnover, 2),
        pct(a.after.totalReturn, 1),
      ]),
    },
    equity: {
      strategy: model.equityAfter,
      buyAndHold: bench,
      dates: model.days.map((d) => d.date),
      strategyName: `model after ${p.costBps} bps costs`,
    },
    drawdown,
  };
}

/**
 * The universe's own sections: the folds (walk-forward or study periods),
 * the ranking (IC and deciles), returns per year, the score histogram.
 */
function universeSections(result: UniverseResult): string {
  const e = result.evaluation;
  const scores = result.rows.rawProbabilities ?? result.rows.probabilities;
  const labels = Array.from(result.rows.labels);
  const baseRate = labels.reduce((a, b) => a + b, 0) / Math.max(1, labels.length);
  const returnWords = e.decideAt === "open"
    ? "open-to-close return of the decision day"
    : "return over the label's horizon";
  const section = (title: string, body: string): string =>
    `<section><h2>${escapeHtml(title)}</h2>\n${body}\n</section>`;
  const para = (text: string): string => `<p>${escapeHtml(text)}</p>`;
  // The same IC the table gives: each day's scores against the realised returns (rankingOf).
  const days = dailyIc(scores, result.realised, result.rows.refTimes);
  const ranking = section(
    "Ranking by score",
    para(
      `Daily information coefficient (IC): each day, the Spearman correlation of a ranking's score with the ${returnWords} across the scored symbols; the mean over days, its t-statistic (mean / standard error over days) and the days counted. Deciles: each day's symbols split into ten groups by score, the groups' mean ${returnWords}, averaged over days (1 = lowest score).`,
    ) +
      tableHtml({
        headers: [
          "ranking",
          "IC mean",
          "IC t",
          "days",
          ...Array.from({ length: 10 }, (_, q) => `d${q + 1}`),
        ],
        rows: e.ranking.map((r) => [
          r.name,
          fixed(r.icMean),
          fixed(r.icT, 2),
          String(r.days),
          ...r.deciles.map((v) => pct(v, 3)),
        ]),
      }) +
      (days.length > 1 ? rollingIcChart(days, { what: `the ${returnWords}` }) : "") +
      decileChart(e.ranking, { what: returnWords }),
  );
  const years = [...new Set(e.portfolio.arms.flatMap((a) => a.periods.map((p) => p.period)))]
    .sort();
  const perYear = section(
    `Returns per year, after ${e.portfolio.costBps} bps costs`,
    tableHtml({
      headers: ["arm", "fill", ...years],
      rows: e.portfolio.arms.map((a) => [
        a.name,
        a.fill,
        ...years.map((y) => {
          const x = a.periods.find((q) => q.period === y);
          return x ? pct(x.after, 1) : "–";
        }),
      ]),
    }),
  );
  const histogram = section(
    "Scores",
    scoreHistogram(scores, { baseRate, label: crossSectional(e) ? "beats-median" : "up" }),
  );
  const folds = e.folds
    ? section(
      "study" in e.model ? "Study periods (each retrained from scratch)" : "Walk-forward folds",
      tableHtml({ headers: FOLD_HEADERS, rows: foldRows(e.folds) }, { wrap: true }),
    )
    : "";
  return [folds, ranking, perYear, histogram].filter(Boolean).join("\n");
}

/**
 * The HTML page of a universe result (`evaluate`/`backtest --universe
 * --report`, `--study`): the summary (with a warning when the portfolio
 * holds every symbol), the portfolio table, the folds or study periods when
 * retrained, the ranking's daily IC (table and rolling chart) and decile returns (table and bars, every ranking), the
 * returns per year, the network's score histogram with the scored rows' base
 * rate, and the model's equity and drawdown after costs. Self-contained.
 *
 * @example
 * ```ts
 * await atomicWriteFile("reports/u.html", universePage(result, title, { page: "backtest" }));
 * ```
 */
export function universePage(
  result: UniverseResult,
  title: string,
  options: { page?: "evaluation" | "backtest" } = {},
): string {
  const html = renderReport(universeReport(result, title, options));
  const sections = universeSections(result);
  const at = html.indexOf("<section><h2>Backtest</h2>");
  return at >= 0
    ? `${html.slice(0, at)}${sections}\n${html.slice(at)}`
    : html.replace("</body>", `${sections}\n</body>`);
}

/**
 * What `backtest --universe` prints: the scope, the network's pooled AUC
 * beside the reversal rule's, the portfolio, then the rankings' daily IC
 * and decile returns.
 *
 * @example
 * ```ts
 * console.log(universeBacktestText(result.evaluation));
 * ```
 */
export function universeBacktestText(e: UniverseEvaluation): string {
  return [
    `universe ${e.universe.name}: ${e.universe.scored} symbols scored; label ${e.label}`,
    `scope: ${e.scope}`,
    `pooled AUC of the network ${
      (e.pooled.baselines.rawNetwork?.auc ?? e.pooled.metrics.auc).toFixed(4)
    } (reversal rule ${e.reversal.auc.toFixed(4)}), Brier skill ${
      e.pooled.metrics.brierSkill.toFixed(4)
    }, ${e.pooled.rows} windows ${e.pooled.first} to ${e.pooled.last}`,
    "",
    portfolioText(e),
    "",
    rankingText(e),
  ].join("\n");
}
