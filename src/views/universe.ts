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
import { formatEvaluation } from "./evaluation.ts";
import type { ReportInput } from "./html.ts";

const pct = (v: number, digits = 3): string =>
  Number.isFinite(v) ? `${(100 * v).toFixed(digits)}%` : "–";
const fixed = (v: number | null | undefined, digits = 4): string =>
  v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(digits);

/**
 * The portfolio table of a universe evaluation: each arm's mean daily return,
 * Sharpe, drawdown and turnover before and after costs.
 *
 * @example
 * ```ts
 * console.log(portfolioText(evaluation));
 * ```
 */
export function portfolioText(evaluation: UniverseEvaluation): string {
  const p = evaluation.portfolio;
  const header = [
    "arm",
    "fill",
    "days",
    "flat",
    "mean/day",
    "t",
    "sharpe",
    "max dd",
    "turnover",
    "mean/day net",
    "sharpe net",
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
    pct(a.before.maxDrawdown, 1),
    fixed(a.before.turnover, 2),
    pct(a.after.meanDaily),
    fixed(a.after.sharpe, 2),
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
  return [
    `portfolio: each day ${p.longOnly ? "long" : "long and short"} the top ${p.topK}${
      p.longOnly ? "" : ` and bottom ${p.topK}`
    } by score, ${p.costBps} bps per half-turn; next-open fills are tradable, "at close" is the paper's convention (filled at the close the ranking was computed from)`,
    formatTable([header, ...rows]),
    "",
    "returns per year, after costs:",
    perYear,
  ].join("\n");
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
      formatTable([
        [
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
        ],
        ...e.folds.map((f, i) => [
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
        ]),
      ]),
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
    formatEvaluation(e.pooled),
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
 * The HTML report of a universe evaluation: the pooled scores, the model's
 * portfolio equity after costs against the equal-weight universe, its
 * drawdown, and every arm's figures and yearly returns in the table.
 *
 * @example
 * ```ts
 * await atomicWriteFile("reports/u.html", renderReport(universeReport(result, "Universe")));
 * ```
 */
export function universeReport(result: UniverseResult, title: string): ReportInput {
  const { evaluation, runs } = result;
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
  const years = [
    ...new Set(evaluation.portfolio.arms.flatMap((a) => a.periods.map((p) => p.period))),
  ]
    .sort();
  return {
    title,
    summary: [
      `Scope: ${evaluation.scope}.`,
      evaluation.pooled.verdict,
      `Reversal rule on the same rows: AUC ${fixed(evaluation.reversal.auc)}; the network's AUC ${
        fixed(evaluation.pooled.baselines.rawNetwork?.auc ?? evaluation.pooled.metrics.auc)
      } (the portfolio ranks by the network's raw probability; the histogram shows it).`,
      `The equity chart is the model's portfolio after ${evaluation.portfolio.costBps} bps costs against the equal-weight universe (as buy-and-hold).`,
    ],
    metricsTable: {
      headers: [
        "arm",
        "fill",
        "mean/day",
        "sharpe",
        "max dd",
        "mean/day net",
        "sharpe net",
        ...years,
      ],
      rows: evaluation.portfolio.arms.map((a) => [
        a.name,
        a.fill,
        pct(a.before.meanDaily),
        fixed(a.before.sharpe, 2),
        pct(a.before.maxDrawdown, 1),
        pct(a.after.meanDaily),
        fixed(a.after.sharpe, 2),
        ...years.map((y) => {
          const x = a.periods.find((q) => q.period === y);
          return x ? pct(x.after, 1) : "–";
        }),
      ]),
    },
    probabilities: result.rows.rawProbabilities ?? result.rows.probabilities,
    equity: {
      strategy: model.equityAfter,
      buyAndHold: bench,
      dates: model.days.map((d) => d.date),
    },
    drawdown,
  };
}

/**
 * What `backtest --universe` prints: the scope, the network's pooled AUC
 * beside the reversal rule's, and the portfolio first.
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
  ].join("\n");
}
