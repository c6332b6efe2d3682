/**
 * The leaderboard of a sweep and the honest choice of its winner. Picking
 * the best of many noisy scores overfits, so the leaderboard:
 *
 * 1. ranks configurations on the pooled walk-forward Brier skill against
 *    climatology (the training base rate as a constant), each with its 95%
 *    block-bootstrap interval, and says how many were tried;
 * 2. compares the winner with the runner-up on the same rows (a paired block
 *    bootstrap of the difference) and with zero;
 * 3. corrects for the number tried: the winner's studentized skill is
 *    compared with the bootstrap distribution of the *best* of all N
 *    skill-less configurations (White's reality check, studentized as in
 *    Hansen's SPA test and Romano–Wolf's single step; a circular block
 *    bootstrap of every configuration's per-row Brier differential with
 *    climatology, the same resampled rows for all), and a Bonferroni-adjusted
 *    p-value of the test against always-up is given beside it;
 * 4. confirms the winner on a final holdout period that no selection job
 *    saw (the confirmation job's evaluation), and says plainly when the
 *    winner is no better than chance.
 *
 * Everything is computed from `results.jsonl`, so the same results give the
 * same leaderboard.
 *
 * @example
 * ```ts
 * import { buildLeaderboard } from "./leaderboard.ts";
 * const board = buildLeaderboard(spec, results, { confirmation });
 * console.log(board.statements.join("\n")); // the text and HTML pages: src/views/leaderboard.ts
 * ```
 *
 * @module
 */

import { type ConfidenceInterval, formatPValue } from "../eval/metrics.ts";
import { quantile } from "../eval/scores.ts";
import { bootstrapBlockLength, mean, resampleBlocks, standardDeviation } from "../eval/stats.ts";
import { createRng } from "../util/random.ts";
import type { JobResult, JobRows } from "./job.ts";
import type { DataEntry, JobProtocol } from "./spec.ts";

/** Bootstrap resamples of the leaderboard's tests. */
const RESAMPLES = 1000;
/** Level of every test and interval statement. */
const ALPHA = 0.05;

/**
 * One ranked configuration.
 *
 * @example
 * ```ts
 * const e: LeaderboardEntry = board.ranking[0];
 * console.log(e.rank, e.label, e.brierSkill.estimate);
 * ```
 */
export interface LeaderboardEntry {
  /** 1 for the best pooled Brier skill. */
  rank: number;
  /** The job id. */
  id: string;
  /** What sets it apart from the others (`lstm-units=16 seed=2`). */
  label: string;
  /** Its data entry. */
  data: DataEntry;
  /** Its train flags. */
  flags: Record<string, string>;
  /** Rows scored over all folds. */
  rows: number;
  /** Pooled Brier skill against climatology, with its interval. */
  brierSkill: ConfidenceInterval;
  /** Pooled log-loss skill against climatology, with its interval. */
  logLossSkill: ConfidenceInterval;
  /** Pooled ROC AUC. */
  auc: number;
  /** Pooled accuracy. */
  accuracy: number;
  /** Always-up's accuracy on the same rows. */
  alwaysUp: number;
  /** One-sided p-value of the test against always-up. */
  pValueVsAlwaysUp: number;
  /** Brier skill of each fold. */
  foldSkills: number[];
  /** Seconds the job took. */
  wallSeconds: number;
  /** Who ran it. */
  worker: string;
}

/**
 * The winner's scores on the holdout (the confirmation job).
 *
 * @example
 * ```ts
 * board.winner?.holdout?.confirmed; // false: the holdout interval includes zero
 * ```
 */
export interface HoldoutConfirmation {
  /** First reference date of the holdout. */
  first: string;
  /** Last reference date of the holdout. */
  last: string;
  /** Holdout rows. */
  rows: number;
  /** Brier skill on the holdout, with its interval. */
  brierSkill: ConfidenceInterval;
  /** Log-loss skill on the holdout, with its interval. */
  logLossSkill: ConfidenceInterval;
  /** Accuracy on the holdout. */
  accuracy: number;
  /** Always-up's accuracy on the holdout. */
  alwaysUp: number;
  /** One-sided p-value against always-up on the holdout. */
  pValueVsAlwaysUp: number;
  /** Whether the holdout Brier skill interval lies above zero. */
  confirmed: boolean;
  /** The reading in words. */
  verdict: string;
}

/**
 * The chosen configuration and how far to trust it.
 *
 * @example
 * ```ts
 * const w: Winner = board.winner!;
 * console.log(w.pBestOfN, w.noBetterThanChance, w.trainCommand);
 * ```
 */
export interface Winner {
  /** The job id. */
  id: string;
  /** Its label. */
  label: string;
  /** Its pooled Brier skill. */
  brierSkill: ConfidenceInterval;
  /** Whether its skill interval lies above zero. */
  aboveZero: boolean;
  /** The comparison with the runner-up, when there is one. */
  runnerUp: {
    id: string;
    label: string;
    /** Winner's minus runner-up's Brier skill, with an interval. */
    difference: ConfidenceInterval;
    /** Paired on the same rows (else: the two skill intervals compared). */
    paired: boolean;
    /** Whether the winner is better beyond doubt. */
    distinguishable: boolean;
  } | null;
  /** One-sided p-value of its skill alone (no correction). */
  pAlone: number;
  /** The same, corrected for the N configurations tried (best-of-N bootstrap). */
  pBestOfN: number;
  /** The test against always-up, Bonferroni-adjusted for N. */
  pBonferroni: number;
  /** Whether, after the correction, its skill is what chance gives the best of N. */
  noBetterThanChance: boolean;
  /** Its confirmation on the holdout, once run. */
  holdout: HoldoutConfirmation | null;
  /** The `deno task train` command of its configuration. */
  trainCommand: string;
}

/**
 * A sweep's leaderboard: the `--json` shape.
 *
 * @example
 * ```ts
 * const board: Leaderboard = buildLeaderboard(spec, results);
 * board.ranking.length; // configurations scored
 * ```
 */
export interface Leaderboard {
  /** The sweep's name. */
  sweep: string;
  /** The evaluation protocol. */
  protocol: JobProtocol | null;
  /** Configurations in the spec. */
  tried: number;
  /** Configurations scored. */
  scored: number;
  /** Configurations that failed for their own reasons. */
  failed: { id: string; label: string; error: string }[];
  /** Configurations that could not run (crashed or lost); a re-run tries them again. */
  notRun: { id: string; label: string; why: string }[];
  /** The selection rows and holdout of each data entry. */
  periods: { data: string; selection: string; holdout: string }[];
  /** Every scored configuration, best first. */
  ranking: LeaderboardEntry[];
  /** The winner, or null when nothing was scored. */
  winner: Winner | null;
  /** The plain-words conclusions, in order. */
  statements: string[];
}

/** A fixed-width number, `–` for NaN. */
function f4(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : "–";
}

function interval(ci: ConfidenceInterval): string {
  return `${f4(ci.estimate)} [${f4(ci.lower)}, ${f4(ci.upper)}]`;
}

/**
 * A short name for a data entry: its ticker, else its CSV file's name, else
 * `synthetic(seed N)`.
 *
 * @example
 * ```ts
 * dataLabel({ csv: "../shared/data/SPY.csv" }); // "SPY.csv"
 * ```
 */
export function dataLabel(data: DataEntry): string {
  const name = data.ticker ?? data.csv?.split("/").pop() ??
    (data.source === "synthetic" || data.source === undefined
      ? `synthetic(seed ${data.seed ?? 42})`
      : data.source);
  const range = data.start || data.end ? ` ${data.start ?? ""}..${data.end ?? ""}` : "";
  return `${name}${range}`;
}

/** The flags (and data) that differ between configurations: what a label shows. */
function varyingKeys(results: readonly Pick<JobResult, "flags" | "data">[]): {
  flags: string[];
  data: boolean;
} {
  const names = new Set(results.flatMap((r) => Object.keys(r.flags)));
  const flags = [...names].filter((name) =>
    new Set(results.map((r) => r.flags[name] ?? "")).size > 1
  ).sort();
  const data = new Set(results.map((r) => dataLabel(r.data))).size > 1;
  return { flags, data };
}

function labelOf(
  r: Pick<JobResult, "flags" | "data">,
  keys: ReturnType<typeof varyingKeys>,
): string {
  const parts = keys.flags.map((k) => `${k}=${r.flags[k] ?? "(default)"}`);
  if (keys.data) parts.unshift(dataLabel(r.data));
  return parts.join(" ") || "(the only configuration)";
}

/** Per-row Brier differential with climatology: positive where the model beats it. */
function differentials(rows: JobRows): Float64Array {
  const n = rows.probabilities.length;
  const d = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const y = rows.labels.charCodeAt(t) === 49 ? 1 : 0;
    d[t] = (rows.climatology[t] - y) ** 2 - (rows.probabilities[t] - y) ** 2;
  }
  return d;
}

function climatologyBrier(rows: JobRows): number {
  let sum = 0;
  for (let t = 0; t < rows.climatology.length; t++) {
    const y = rows.labels.charCodeAt(t) === 49 ? 1 : 0;
    sum += (rows.climatology[t] - y) ** 2;
  }
  return sum / Math.max(1, rows.climatology.length);
}

/**
 * The best-of-N bootstrap: every configuration's mean Brier differential
 * with climatology, and its mean on `resamples` circular block-bootstrap
 * resamples of the rows (the same resampled rows for configurations that
 * scored the same rows; independent draws for other row sets, which makes
 * the correction conservative).
 */
function bootstrapMeans(
  sets: readonly { key: string; d: Float64Array }[],
  seed: number,
  resamples: number,
): { means: number[]; draws: Float64Array[] } {
  const rng = createRng(seed);
  const keys = [...new Set(sets.map((s) => s.key))].sort();
  const means = sets.map((s) => (s.d.length ? mean(s.d) : 0));
  const draws = sets.map(() => new Float64Array(resamples));
  for (let b = 0; b < resamples; b++) {
    for (const key of keys) {
      const members = sets.flatMap((s, k) => (s.key === key ? [k] : []));
      const n = sets[members[0]].d.length;
      const idx = new Int32Array(n);
      resampleBlocks(idx, { blockLength: bootstrapBlockLength(n), rng });
      for (const k of members) {
        const d = sets[k].d;
        let sum = 0;
        for (const i of idx) sum += d[i];
        draws[k][b] = sum / n;
      }
    }
  }
  return { means, draws };
}

function iidStandardError(d: Float64Array): number {
  return standardDeviation(d) / Math.sqrt(Math.max(1, d.length));
}

/**
 * The multiple-testing-aware p-values of configuration `winner` among
 * `sets` (per-row Brier differentials with climatology): `alone`, the
 * one-sided bootstrap p-value of its mean differential being this large with
 * no skill; `bestOfN`, the share of bootstrap resamples in which the best
 * studentized, centred differential of *any* configuration reaches the
 * winner's (White's reality check with Hansen's studentization). Also the
 * paired bootstrap interval of the winner's minus `runnerUp`'s mean
 * differential when both scored the same rows.
 *
 * @example
 * ```ts
 * const t = bestOfNTest(sets, 0, 1, { seed: 42 });
 * console.log(t.alone, t.bestOfN);
 * ```
 */
export function bestOfNTest(
  sets: readonly { key: string; d: Float64Array }[],
  winner: number,
  runnerUp: number | null,
  options: { seed: number; resamples?: number },
): { alone: number; bestOfN: number; difference: ConfidenceInterval | null } {
  const resamples = options.resamples ?? RESAMPLES;
  const { means, draws } = bootstrapMeans(sets, options.seed, resamples);
  // The resampled means' spread studentizes the resamples. The observed means are studentized by
  // that spread inflated by n / (n - block length) (the circular block bootstrap's variance of a
  // mean is biased low by about that factor), or by the iid standard error if larger. Simulated
  // at 400 rows, 5% level: skill-less configurations (1, 8 or 24; independent or sharing a common
  // factor) were called skilful in 2-5% of runs (uncorrected studentization: 10%); with every
  // differential AR(1) at 0.3, in 9%. Brier differentials of real models are close to
  // uncorrelated in time: their sign follows the label.
  const se = draws.map((d) => standardDeviation(d));
  const seObserved = sets.map((s, k) => {
    const n = s.d.length;
    const inflate = Math.sqrt(n / Math.max(1, n - bootstrapBlockLength(n)));
    return Math.max(se[k] * inflate, iidStandardError(s.d));
  });
  const t = means.map((m, k) => (seObserved[k] > 0 ? m / seObserved[k] : 0));
  let alone = 0;
  let best = 0;
  for (let b = 0; b < resamples; b++) {
    let max = -Infinity;
    for (let k = 0; k < sets.length; k++) {
      const z = se[k] > 0 ? (draws[k][b] - means[k]) / se[k] : 0;
      if (z > max) max = z;
      if (k === winner && z >= t[winner] - 1e-12) alone++;
    }
    if (max >= t[winner] - 1e-12) best++;
  }
  let difference: ConfidenceInterval | null = null;
  if (runnerUp !== null && sets[runnerUp].key === sets[winner].key) {
    const diffs = Array.from(draws[winner], (v, b) => v - draws[runnerUp][b]).sort((a, b) => a - b);
    difference = {
      estimate: means[winner] - means[runnerUp],
      lower: quantile(diffs, 0.025, { sorted: true }),
      upper: quantile(diffs, 0.975, { sorted: true }),
    };
  }
  return {
    alone: (1 + alone) / (resamples + 1),
    bestOfN: (1 + best) / (resamples + 1),
    difference,
  };
}

/**
 * The command that trains a configuration on its data with `deno task
 * train`: its data flags, then its train flags in name order. Train
 * generates synthetic bars with the model's seed, so synthetic bars of
 * another seed are cached first with `deno task prepare` and read back.
 *
 * @example
 * ```ts
 * trainCommand({ csv: "SPY.csv", ticker: "SPY" }, { "lstm-units": "16", seed: "1" });
 * // "deno task train --ticker SPY --csv SPY.csv --lstm-units 16 --seed 1"
 * ```
 */
export function trainCommand(data: DataEntry, flags: Record<string, string>): string {
  const quote = (v: string): string => (/^[A-Za-z0-9_.,:/=+-]+$/.test(v) ? v : `'${v}'`);
  const synthetic = data.source === "synthetic" || (!data.source && !data.csv && !data.ticker);
  const dataSeed = String(data.seed ?? 42);
  const viaCache = synthetic && dataSeed !== (flags.seed ?? "42");
  const range = [
    ...(data.dataDir ? [`--data-dir ${quote(data.dataDir)}`] : []),
    ...(data.start ? [`--start ${data.start}`] : []),
    ...(data.end ? [`--end ${data.end}`] : []),
  ];
  const parts = ["deno task train"];
  const ticker = data.ticker ?? (synthetic ? "SYNTH" : undefined);
  if (ticker) parts.push(`--ticker ${quote(ticker)}`);
  if (data.csv) parts.push(`--csv ${quote(data.csv)}`);
  if (data.source && !viaCache && !(data.source === "csv" && data.csv)) {
    parts.push(`--source ${data.source}`);
  }
  if (synthetic && !data.source && !viaCache) parts.push("--source synthetic");
  parts.push(...range);
  for (const name of Object.keys(flags).sort()) parts.push(`--${name} ${quote(flags[name])}`);
  if (!viaCache) return parts.join(" ");
  const prepare = [
    "deno task prepare",
    `--ticker ${quote(ticker!)}`,
    "--source synthetic",
    `--seed ${dataSeed}`,
    ...range,
  ];
  return `${prepare.join(" ")} && ${parts.join(" ")}`;
}

function holdoutOf(result: JobResult): HoldoutConfirmation | null {
  const e = result.evaluation;
  if (result.status !== "ok" || !e) return null;
  const skill = e.intervals.brierSkill;
  const confirmed = skill.lower > 0;
  const verdict = confirmed
    ? `confirmed: the holdout Brier skill ${interval(skill)} lies above zero`
    : skill.upper < 0
    ? `contradicted: on the holdout the probabilities are worse than the base rate (Brier skill ${
      interval(skill)
    })`
    : `not confirmed: the holdout Brier skill ${interval(skill)} includes zero`;
  return {
    first: e.first,
    last: e.last,
    rows: e.rows,
    brierSkill: skill,
    logLossSkill: e.intervals.logLossSkill,
    accuracy: e.metrics.accuracy,
    alwaysUp: e.baselines.alwaysUp.accuracy,
    pValueVsAlwaysUp: e.pValueVsAlwaysUp,
    confirmed,
    verdict,
  };
}

/**
 * Options of {@linkcode buildLeaderboard}.
 *
 * @example
 * ```ts
 * const options: LeaderboardOptions = { tried: 24, confirmation: store.get(confirmId) };
 * ```
 */
export interface LeaderboardOptions {
  /** Configurations the spec names (default: the selection results given). */
  tried?: number;
  /** Jobs that could not run: id, configuration and why. */
  notRun?: { id: string; flags: Record<string, string>; data: DataEntry; why: string }[];
  /** The winner's confirmation result, once run. */
  confirmation?: JobResult;
  /** Bootstrap resamples (default 1000). */
  resamples?: number;
}

/**
 * Builds the leaderboard of a sweep's selection results (the `select` jobs
 * of the current spec) and, when given, the winner's confirmation.
 *
 * @example
 * ```ts
 * const board = buildLeaderboard("spy", results, { tried: 24 });
 * board.winner?.noBetterThanChance;
 * ```
 */
export function buildLeaderboard(
  sweep: string,
  results: readonly JobResult[],
  options: LeaderboardOptions = {},
): Leaderboard {
  const selection = results.filter((r) => r.kind === "select");
  const keys = varyingKeys([...selection, ...(options.notRun ?? [])]);
  const scoredResults = selection.filter((r) =>
    r.status === "ok" && r.evaluation && r.rows && Number.isFinite(r.evaluation.metrics.brierSkill)
  );
  const failed = selection.filter((r) => !scoredResults.includes(r)).map((r) => ({
    id: r.id,
    label: labelOf(r, keys),
    error: r.error ?? "no finite Brier skill (a fold without both classes?)",
  }));
  const entries = scoredResults.map((r) => {
    const e = r.evaluation!;
    return {
      result: r,
      entry: {
        rank: 0,
        id: r.id,
        label: labelOf(r, keys),
        data: r.data,
        flags: r.flags,
        rows: e.rows,
        brierSkill: e.intervals.brierSkill,
        logLossSkill: e.intervals.logLossSkill,
        auc: e.metrics.auc,
        accuracy: e.metrics.accuracy,
        alwaysUp: e.baselines.alwaysUp.accuracy,
        pValueVsAlwaysUp: e.pValueVsAlwaysUp,
        foldSkills: e.folds.map((f) => f.metrics.brierSkill),
        wallSeconds: r.wallSeconds,
        worker: r.worker,
      } satisfies LeaderboardEntry,
    };
  }).sort((a, b) =>
    b.entry.brierSkill.estimate - a.entry.brierSkill.estimate || (a.entry.id < b.entry.id ? -1 : 1)
  );
  entries.forEach((e, i) => (e.entry.rank = i + 1));
  const protocol = selection[0]?.protocol ?? null;
  const tried = options.tried ?? selection.length;
  const scored = entries.length;
  const periods = [...new Map(scoredResults.map((r) => [dataLabel(r.data), r])).values()].map((
    r,
  ) => ({
    data: dataLabel(r.data),
    selection: `${r.evaluation!.rows} rows ${r.evaluation!.first} to ${r.evaluation!.last} in ${
      r.evaluation!.folds.length
    } ${r.protocol.mode} folds`,
    holdout: r.holdout ? `${r.holdout.rows} rows ${r.holdout.first} to ${r.holdout.last}` : "none",
  }));
  const notRun = (options.notRun ?? []).map((n) => ({
    id: n.id,
    label: labelOf(n, keys),
    why: n.why,
  }));
  const statements: string[] = [
    `${tried} configuration${
      tried === 1 ? "" : "s"
    } tried: ${scored} scored, ${failed.length} failed${
      notRun.length ? `, ${notRun.length} could not run (re-run the sweep to retry them)` : ""
    }; ranked by pooled walk-forward Brier skill against climatology (the training base rate as a constant)`,
  ];
  // Workers read shared paths: bars that differ between jobs of one data entry make them incomparable.
  const versions = new Map<string, Set<string>>();
  for (const r of scoredResults) {
    const label = dataLabel(r.data);
    if (!versions.has(label)) versions.set(label, new Set());
    if (r.series) versions.get(label)!.add(r.series.sha256);
  }
  for (const [label, hashes] of versions) {
    if (hashes.size > 1) {
      statements.push(
        `warning: the jobs on ${label} read ${hashes.size} different versions of its bars (workers with different files?): their scores are not comparable`,
      );
    }
  }
  let winner: Winner | null = null;
  if (entries.length > 0) {
    const sets = entries.map((e) => ({
      key: `${e.result.rows!.key}`,
      d: differentials(e.result.rows!),
    }));
    const runner = entries.length > 1 ? 1 : null;
    const test = bestOfNTest(sets, 0, runner, {
      seed: protocol?.seed ?? 42,
      resamples: options.resamples,
    });
    const w = entries[0];
    const climBrier = climatologyBrier(w.result.rows!);
    let runnerUp: Winner["runnerUp"] = null;
    if (runner !== null) {
      const r = entries[runner];
      const difference: ConfidenceInterval = test.difference
        ? {
          estimate: test.difference.estimate / climBrier,
          lower: test.difference.lower / climBrier,
          upper: test.difference.upper / climBrier,
        }
        : {
          estimate: w.entry.brierSkill.estimate - r.entry.brierSkill.estimate,
          lower: NaN,
          upper: NaN,
        };
      runnerUp = {
        id: r.entry.id,
        label: r.entry.label,
        difference,
        paired: test.difference !== null,
        distinguishable: test.difference !== null
          ? difference.lower > 0
          : w.entry.brierSkill.lower > r.entry.brierSkill.upper,
      };
    }
    const pBonferroni = Math.min(1, scored * w.entry.pValueVsAlwaysUp);
    winner = {
      id: w.entry.id,
      label: w.entry.label,
      brierSkill: w.entry.brierSkill,
      aboveZero: w.entry.brierSkill.lower > 0,
      runnerUp,
      pAlone: test.alone,
      pBestOfN: test.bestOfN,
      pBonferroni,
      noBetterThanChance: test.bestOfN >= ALPHA,
      holdout: options.confirmation ? holdoutOf(options.confirmation) : null,
      trainCommand: trainCommand(w.entry.data, w.entry.flags),
    };
    statements.push(
      `winner ${winner.id} (${winner.label}): Brier skill ${interval(winner.brierSkill)}, ${
        winner.aboveZero
          ? "above zero"
          : winner.brierSkill.upper < 0
          ? "below zero: worse than the base rate"
          : "not distinguishable from zero"
      }`,
    );
    if (runnerUp) {
      statements.push(
        `against the runner-up ${runnerUp.id} (${runnerUp.label}): ${
          runnerUp.paired
            ? `skill difference ${
              interval(runnerUp.difference)
            } (paired bootstrap on the same rows)`
            : `skill difference ${
              f4(runnerUp.difference.estimate)
            } (different rows: intervals compared)`
        }: ${runnerUp.distinguishable ? "better" : "not distinguishable from the runner-up"}`,
      );
    }
    statements.push(
      `multiple testing: alone, ${
        formatPValue(winner.pAlone)
      } that a configuration without skill scores this well; as the best of ${scored} (studentized reality check, block bootstrap), ${
        formatPValue(winner.pBestOfN)
      }; its test against always-up, Bonferroni-adjusted for ${scored}: ${
        formatPValue(pBonferroni)
      }`,
    );
    statements.push(
      winner.noBetterThanChance
        ? `verdict: the winner is no better than chance: after trying ${scored} configurations, a score this good is what the best of ${scored} without any skill reaches by luck (${
          formatPValue(winner.pBestOfN)
        })`
        : `verdict: the winner's skill survives the correction for ${scored} configurations tried (${
          formatPValue(winner.pBestOfN)
        })`,
    );
    statements.push(
      winner.holdout
        ? `holdout (${winner.holdout.rows} rows ${winner.holdout.first} to ${winner.holdout.last} that no selection job saw): ${winner.holdout.verdict}; accuracy ${
          f4(winner.holdout.accuracy)
        } vs always-up ${f4(winner.holdout.alwaysUp)} (${
          formatPValue(winner.holdout.pValueVsAlwaysUp)
        })`
        : options.confirmation
        ? `holdout: the confirmation failed: ${options.confirmation.error ?? "no scores"}`
        : "holdout: not confirmed yet (the confirmation job has not run)",
    );
    statements.push(`train it: ${winner.trainCommand}`);
  } else {
    statements.push("no configuration was scored: there is no winner");
  }
  return {
    sweep,
    protocol,
    tried,
    scored,
    failed,
    notRun,
    periods,
    ranking: entries.map((e) => e.entry),
    winner,
    statements,
  };
}
