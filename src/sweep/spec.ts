/**
 * The sweep spec (`sweep.json`, or YAML): what to try and how to score it.
 * One zod schema gives its type, its parser and its one-line errors; the spec
 * expands into jobs (data × grid × seeded random trials × seeds), each a
 * walk-forward evaluation of one configuration under one protocol (the same
 * folds and holdout for every job), identified by the hash of its canonical
 * JSON.
 *
 * @example
 * ```ts
 * import { expandJobs, parseSpec } from "./spec.ts";
 * const spec = parseSpec(await Deno.readTextFile("examples/sweep.json"), "examples/sweep.json");
 * const { jobs } = await expandJobs(spec);
 * console.log(jobs.length, jobs[0].id);
 * ```
 *
 * @module
 */

import { parseDocument } from "yaml";
import { z } from "zod";
import { SOURCES } from "../data/types.ts";
import { DEFAULT_OPEN_FEATURES, warmupBars } from "../features/mod.ts";
import { checkFitFlag, FIT_DEFAULTS, FIT_OPTION_FLAGS } from "../pipeline/settings.ts";
import { UsageError } from "../util/errors.ts";
import { sha256Hex } from "../util/fs.ts";
import { createRng } from "../util/random.ts";

/** Train flags a sweep refuses in `fixed`/`grid`/`random`, and why. */
const NOT_SWEPT: Record<string, string> = {
  ticker: "it belongs in data",
  csv: "it belongs in data",
  source: "it belongs in data",
  "data-dir": "it belongs in data (as dataDir)",
  start: "it belongs in data",
  end: "it belongs in data",
  seed: "model seeds go in seeds",
  "test-start": "walk-forward chooses the test rows",
  "test-split": "walk-forward chooses the test rows",
  "validation-split": "walk-forward splits each fold itself",
  "model-dir": "a sweep saves no model",
  name: "a sweep saves no model",
  interval: "a sweep reads its data's daily bars",
  verbose: "a job's output is its result",
  threads: "the local pool gives each job its share of the cores",
};

/**
 * The train flags a sweep may vary or fix: those of the fit options
 * (src/pipeline/settings.ts), less the split and output ones; their values
 * are checked by the fit options' schema.
 */
export const SWEEP_FLAGS: readonly string[] = Object.values(FIT_OPTION_FLAGS)
  .filter((name) => !(name in NOT_SWEPT))
  .sort();

/**
 * Most jobs a spec may expand to (data × grid points × random trials ×
 * seeds), counted before anything is expanded: random.trials' own cap.
 */
export const MAX_JOBS = 100000;

const FOLDER = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A real calendar date `YYYY-MM-DD` (not 2024-13-01). */
function isDate(value: string): boolean {
  const time = Date.parse(`${value}T00:00:00Z`);
  return DATE.test(value) && Number.isFinite(time) &&
    new Date(time).toISOString().slice(0, 10) === value;
}

const flagValue = z.union([z.string(), z.number(), z.boolean()], {
  error: "a flag value (a string, number or boolean)",
});
const int = (min: number, max = Number.MAX_SAFE_INTEGER): z.ZodNumber =>
  z.number({ error: `a whole number from ${min} to ${max}` }).int({
    error: `a whole number from ${min} to ${max}`,
  }).min(min, { error: `a whole number from ${min} to ${max}` }).max(max, {
    error: `a whole number from ${min} to ${max}`,
  });
const date = z.string({ error: "a date like 2020-01-31" }).refine(isDate, {
  error: "a date like 2020-01-31",
});
const range = z.tuple([z.number(), z.number()], { error: "a pair [low, high] of numbers" })
  .refine(([lo, hi]) => lo <= hi, { error: "a pair [low, high] with low <= high" });

const dataSchema = z.strictObject({
  ticker: z.string({ error: "a ticker like SPY" }).optional(),
  csv: z.string({ error: "a CSV file path" }).optional(),
  source: z.enum(SOURCES, { error: `one of ${SOURCES.join(", ")}` }).optional(),
  dataDir: z.string({ error: "a folder path" }).optional(),
  start: date.optional(),
  end: date.optional(),
  seed: int(0, 4294967295).optional(),
}, { error: "a data entry: an object with ticker, csv, source, dataDir, start, end, seed" });

const distributionSchema = z.union([
  z.strictObject({ choice: z.array(flagValue).min(1, { error: "a non-empty list" }) }),
  z.strictObject({ uniform: range }),
  z.strictObject({
    logUniform: range.refine(([lo]) => lo > 0, { error: "a pair [low, high] with low > 0" }),
  }),
  z.strictObject({
    int: z.tuple([z.number().int(), z.number().int()], {
      error: "a pair [low, high] of whole numbers",
    }).refine(([lo, hi]) => lo <= hi, { error: "a pair [low, high] with low <= high" }),
  }),
], {
  error:
    'a distribution: {"choice": [...]}, {"uniform": [lo, hi]}, {"logUniform": [lo, hi]} or {"int": [lo, hi]}',
});

const holdoutSchema = z.union([
  z.strictObject({
    fraction: z.number({ error: "a fraction" }).gt(0, { error: "a fraction above 0" }).max(0.5, {
      error: "a fraction of at most 0.5",
    }),
  }),
  z.strictObject({ rows: int(1) }),
  z.strictObject({ start: date }),
], { error: 'a holdout: {"fraction": 0.2}, {"rows": 250} or {"start": "2024-01-02"}' });

const specSchema = z.strictObject({
  name: z.string({ error: "a folder name like spy_small" }).regex(FOLDER, {
    error: "a folder name like spy_small",
  }).optional(),
  data: z.union([dataSchema, z.array(dataSchema).min(1, { error: "a non-empty list" })], {
    error: "a data entry or a non-empty list of them",
  }).optional(),
  fixed: z.record(z.string(), flagValue, { error: "an object of flag values" }).optional(),
  grid: z.record(
    z.string(),
    z.array(flagValue, { error: "a list of values" }).min(1, {
      error: "a non-empty list of values",
    }),
    { error: "an object of flag value lists" },
  ).optional(),
  random: z.strictObject({
    trials: int(1, 100000),
    seed: int(0, 4294967295).optional(),
    space: z.record(z.string(), distributionSchema, { error: "an object of distributions" }),
  }, { error: "an object with trials, seed and space" }).optional(),
  seeds: z.array(int(0, 4294967295), { error: "a list of seeds" }).min(1, {
    error: "a non-empty list of seeds",
  }).optional(),
  evaluation: z.strictObject({
    folds: int(1, 50).optional(),
    mode: z.enum(["expanding", "sliding"], { error: "expanding or sliding" }).optional(),
    holdout: holdoutSchema.optional(),
    seed: int(0, 4294967295).optional(),
  }, { error: "an object with folds, mode, holdout, seed" }).optional(),
}, { error: "a JSON object" });

/** A flag value as written in the spec. */
export type FlagValue = string | number | boolean;

/**
 * Where one job's bars come from: a shared path (`csv`, or the cache in
 * `dataDir`) or a provider that generates them (`source: "synthetic"`, with
 * `seed`). The fields of `deno task train`'s data flags.
 *
 * @example
 * ```ts
 * const data: DataEntry = { ticker: "SPY", csv: "../shared/data/SPY.csv" };
 * ```
 */
export type DataEntry = z.infer<typeof dataSchema>;

/**
 * A random-search distribution of one flag.
 *
 * @example
 * ```ts
 * const d: Distribution = { logUniform: [1e-4, 1e-2] };
 * ```
 */
export type Distribution = z.infer<typeof distributionSchema>;

/**
 * A validated sweep spec, every default filled in.
 *
 * @example
 * ```ts
 * const spec: SweepSpec = parseSpec('{"grid": {"lstm-units": [8, 16]}}', "s.json");
 * spec.evaluation.folds; // 5
 * ```
 */
export interface SweepSpec {
  /** Folder name under `sweeps/`. */
  name: string;
  /** Data entries (default: seeded synthetic bars). */
  data: DataEntry[];
  /** Flags every job gets. */
  fixed: Record<string, FlagValue>;
  /** Flags tried in every combination. */
  grid: Record<string, FlagValue[]>;
  /** Seeded random search: `trials` draws of `space`, combined with every grid point. */
  random?: { trials: number; seed: number; space: Record<string, Distribution> };
  /** Model seeds (default `[42]`). */
  seeds: number[];
  /** How every job is scored. */
  evaluation: EvaluationProtocol;
}

/**
 * How jobs are scored: walk-forward folds before a final holdout that
 * selection never sees; `seed` seeds every bootstrap.
 *
 * @example
 * ```ts
 * const p: EvaluationProtocol = { folds: 5, mode: "expanding", holdout: { fraction: 0.2 }, seed: 42 };
 * ```
 */
export interface EvaluationProtocol {
  /** Walk-forward folds of the selection period. */
  folds: number;
  /** Expanding or sliding training windows. */
  mode: "expanding" | "sliding";
  /** The final period kept for confirming the winner. */
  holdout: { fraction: number } | { rows: number } | { start: string };
  /** Seed of the bootstraps. */
  seed: number;
}

/**
 * What a job is given: one configuration, the protocol, and the alignment
 * that gives every job of the sweep the same scored rows.
 *
 * @example
 * ```ts
 * const job: SweepJob = (await expandJobs(spec)).jobs[0];
 * job.flags["lstm-units"]; // "16"
 * ```
 */
export interface SweepJob {
  /** Hash of the canonical job (kind, data, flags, protocol), 16 hex digits. */
  id: string;
  /** The sweep it belongs to (not part of the id). */
  sweep: string;
  /** `select`: scored on the walk-forward folds; `confirm`: scored on the holdout. */
  kind: "select" | "confirm";
  /** Where the bars come from. */
  data: DataEntry;
  /** Train flags as strings, the model seed included. */
  flags: Record<string, string>;
  /** The protocol, with the alignment of the sweep's jobs. */
  protocol: JobProtocol;
}

/**
 * A job's protocol: the spec's, plus the alignment computed from every job
 * of the sweep, so that every job scores the same reference bars.
 *
 * @example
 * ```ts
 * const p: JobProtocol = { ...spec.evaluation, firstReference: 93, horizon: 1 };
 * ```
 */
export interface JobProtocol extends EvaluationProtocol {
  /** Index of the first reference bar every job can use (the largest warm-up + window - 1). */
  firstReference: number;
  /** The longest label horizon of the sweep (the last usable reference bar leaves room for it). */
  horizon: number;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function fieldName(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(key))) {
      out += out ? `.${String(key)}` : String(key);
    } else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || "the spec";
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let found = root;
  for (const key of path) {
    found = found !== null && typeof found === "object"
      ? (found as Record<string | number, unknown>)[key as string | number]
      : undefined;
  }
  return found;
}

/**
 * Parses and validates a spec's text (JSON, or YAML for a `.yaml`/`.yml`
 * file), filling in defaults. Every problem is one {@linkcode UsageError}
 * naming the file and the field: "Expected … found …".
 *
 * @example
 * ```ts
 * parseSpec('{"grid": {"lstm_units": [8]}}', "s.json");
 * // throws: Expected a training flag (arch, backend, …) in grid of s.json, found "lstm_units"
 * ```
 */
export function parseSpec(text: string, file: string): SweepSpec {
  let raw: unknown;
  const yaml = /\.ya?ml$/i.test(file);
  const body = text.replace(/^\uFEFF/, ""); // a byte-order mark, as editors on Windows write
  try {
    raw = yaml ? yamlValue(body, file) : JSON.parse(body);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new UsageError(
      `Expected ${yaml ? "YAML" : "JSON"} in ${file}, found a syntax error (${why})`,
    );
  }
  const result = specSchema.safeParse(raw);
  if (!result.success) {
    const issue = deepest(result.error.issues[0], raw);
    const field = fieldName(issue.path);
    if (issue.code === "unrecognized_keys") {
      const allowed = fieldsOf(issue.path);
      throw new UsageError(
        `Expected only ${allowed} in ${field} of ${file}, found "${issue.keys[0]}"`,
      );
    }
    throw new UsageError(
      `Expected ${field} of ${file} to be ${issue.message}, found ${
        describe(valueAt(raw, issue.path))
      }`,
    );
  }
  const s = result.data;
  const fixed = s.fixed ?? {};
  const grid = s.grid ?? {};
  const space = s.random?.space ?? {};
  // Models deciding at the close and at the open predict different things (the next close, or the
  // session's open-to-close move): one leaderboard ranks one of them.
  const points = new Set([
    ...("decide-at" in fixed ? [String(fixed["decide-at"])] : []),
    ...(grid["decide-at"] ?? []).map(String),
    ...(((space["decide-at"] as { choice?: unknown[] } | undefined)?.choice) ?? []).map(String),
  ]);
  if (points.size > 1) {
    throw new UsageError(
      `Expected one decide-at in ${file} (a close and an open model predict different things), found ${
        [...points].join(" and ")
      }`,
    );
  }
  const seen = new Map<string, string>();
  for (
    const [where, keys] of [["fixed", fixed], ["grid", grid], ["random.space", space]] as const
  ) {
    for (const key of Object.keys(keys)) {
      if (key in NOT_SWEPT) {
        throw new UsageError(
          `Expected a training flag other than "${key}" in ${where} of ${file} (${
            NOT_SWEPT[key]
          }), found "${key}"`,
        );
      }
      if (!SWEEP_FLAGS.includes(key)) {
        throw new UsageError(
          `Expected a training flag (${
            SWEEP_FLAGS.join(", ")
          }) in ${where} of ${file}, found "${key}"`,
        );
      }
      const before = seen.get(key);
      if (before) {
        throw new UsageError(
          `Expected "${key}" in one of fixed, grid and random.space of ${file}, found it in ${before} and ${where}`,
        );
      }
      seen.set(key, where);
    }
  }
  if (s.grid !== undefined && Object.keys(grid).length === 0) {
    throw new UsageError(`Expected grid of ${file} to name at least one flag, found an empty grid`);
  }
  if (s.random !== undefined && Object.keys(space).length === 0) {
    throw new UsageError(
      `Expected random.space of ${file} to name at least one flag, found an empty space`,
    );
  }
  const data = s.data === undefined ? [{ source: "synthetic" as const }] : [s.data].flat();
  checkDates(s.data, file);
  checkJobCount(data.length, grid, s.random?.trials ?? 1, s.seeds?.length ?? 1, file);
  checkValues(fixed, grid, space, file);
  const name = s.name ?? file.split("/").pop()!.replace(/\.[^.]*$/, "");
  if (!FOLDER.test(name)) {
    throw new UsageError(
      `Expected name in ${file} (or a file name) to be a folder name like spy_small, found "${name}"`,
    );
  }
  return {
    name,
    data,
    fixed,
    grid,
    random: s.random && { trials: s.random.trials, seed: s.random.seed ?? 1, space },
    seeds: s.seeds ?? [FIT_DEFAULTS.seed],
    evaluation: {
      folds: s.evaluation?.folds ?? 5,
      mode: s.evaluation?.mode ?? "expanding",
      holdout: s.evaluation?.holdout ?? { fraction: 0.2 },
      seed: s.evaluation?.seed ?? 42,
    },
  };
}

/** A YAML spec's value: refused on any error or warning (an unknown tag like `!python/object`). */
function yamlValue(text: string, file: string): unknown {
  // Parsed as a document, so that its warnings are returned rather than printed on stderr.
  const doc = parseDocument(text, { logLevel: "silent" });
  const [error] = doc.errors;
  if (error) throw error;
  const [warning] = doc.warnings;
  if (warning) {
    const why = warning.message.split("\n")[0].replace(/:$/, "");
    throw new UsageError(`Expected plain YAML in ${file} (no tags), found ${why}`);
  }
  return doc.toJS({ maxAliasCount: 100 });
}

/** Each data entry's range, in order (as `--start`/`--end` are in every command). */
function checkDates(data: DataEntry | DataEntry[] | undefined, file: string): void {
  const entries = data === undefined ? [] : Array.isArray(data) ? data : [data];
  for (const [i, entry] of entries.entries()) {
    if (entry.start !== undefined && entry.end !== undefined && entry.start > entry.end) {
      const at = Array.isArray(data) ? `data[${i}]` : "data";
      throw new UsageError(
        `Expected ${at}.start of ${file} before ${at}.end, found ${entry.start} and ${entry.end}`,
      );
    }
  }
}

/**
 * The number of jobs, by multiplication (nothing is expanded): more than
 * {@linkcode MAX_JOBS} is refused, as a grid of a hundred million points
 * would exhaust the memory long before its first job.
 */
function checkJobCount(
  data: number,
  grid: Record<string, FlagValue[]>,
  trials: number,
  seeds: number,
  file: string,
): void {
  const sizes = Object.values(grid).map((values) => values.length);
  const points = sizes.reduce((a, b) => a * b, 1);
  const jobs = data * points * trials * seeds;
  if (jobs > MAX_JOBS) {
    throw new UsageError(
      `Expected at most ${MAX_JOBS} jobs in ${file} (data × grid × random trials × seeds), found ${jobs} (${data} × ${
        sizes.join(" × ") || 1
      } × ${trials} × ${seeds})`,
    );
  }
}

/**
 * Every value of `fixed`, `grid` and `random.space` (its choices, its
 * bounds, then its draws) checked by the fit options' schema, as a job's
 * flags will be: a wrong type or an out-of-range value is refused before
 * any job runs.
 */
function checkValues(
  fixed: Record<string, FlagValue>,
  grid: Record<string, FlagValue[]>,
  space: Record<string, Distribution>,
  file: string,
): void {
  const check = (path: PropertyKey[], flag: string, value: FlagValue): void => {
    const expected = checkFitFlag(flag, String(value));
    if (expected !== undefined) {
      throw new UsageError(
        `Expected ${fieldName(path)} of ${file} to be ${expected}, found ${describe(value)}`,
      );
    }
  };
  for (const [flag, value] of Object.entries(fixed)) check(["fixed", flag], flag, value);
  for (const [flag, values] of Object.entries(grid)) {
    values.forEach((value, i) => check(["grid", flag, i], flag, value));
  }
  for (const [flag, d] of Object.entries(space)) {
    const [kind, values] = Object.entries(d)[0] as [string, FlagValue[]];
    values.forEach((value, i) => check(["random", "space", flag, kind, i], flag, value));
  }
  for (const [flag, d] of Object.entries(space)) {
    // Draws between valid bounds are valid, but for a whole-number flag a uniform draw is not.
    for (const draw of sampleTrials({ trials: 20, seed: 1, space: { [flag]: d } })) {
      const expected = checkFitFlag(flag, String(draw[flag]));
      if (expected !== undefined) {
        throw new UsageError(
          `Expected the draws of ${
            fieldName(["random", "space", flag])
          } of ${file} to be ${expected}, found ${
            describe(draw[flag])
          } (use {"int": [low, high]} for whole numbers)`,
        );
      }
    }
  }
}

/** Minimal view of a zod issue: its path, and for a union each branch's issues. */
interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
  errors?: Issue[][];
}

/**
 * The issue to report: for a union (an object or a list; one of several
 * shapes), the deepest issue of a branch that fits the value's shape (no
 * missing or unknown fields), so that `{"source": "bloomberg"}` is reported
 * at `data.source`; else the union's own message.
 */
function deepest<T extends { path: PropertyKey[] }>(issue: T, raw: unknown): T {
  const union = issue as unknown as Issue;
  if (union.code !== "invalid_union" || !union.errors) return issue;
  let best: Issue | undefined;
  for (const branch of union.errors) {
    const shaped = branch.every((inner) =>
      inner.code !== "unrecognized_keys" &&
      !(inner.code === "invalid_type" && valueAt(raw, [...union.path, ...inner.path]) === undefined)
    );
    if (!shaped) continue;
    for (const inner of branch) {
      const candidate = deepest({ ...inner, path: [...union.path, ...inner.path] }, raw);
      if (candidate.path.length <= union.path.length) continue;
      if (!best || candidate.path.length > best.path.length) best = candidate;
    }
  }
  return (best ?? issue) as unknown as T;
}

function fieldsOf(path: readonly PropertyKey[]): string {
  const last = path.at(-1);
  const top = "name, data, fixed, grid, random, seeds, evaluation";
  if (path.length === 0) return top;
  if (last === "random") return "trials, seed, space";
  if (last === "evaluation") return "folds, mode, holdout, seed";
  if (path[0] === "data") return "ticker, csv, source, dataDir, start, end, seed";
  return "the documented fields";
}

/**
 * Reads and parses a spec file; a missing file is a usage error.
 *
 * @example
 * ```ts
 * const spec = await readSpec("examples/sweep.json");
 * ```
 */
export async function readSpec(file: string): Promise<SweepSpec> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new UsageError(`Expected a spec file at ${file}, found no such file`);
    }
    throw error;
  }
  return parseSpec(text, file);
}

/** Rounds a sampled number to 4 significant digits, so flags read well and hash stably. */
function round4(x: number): number {
  return Number(x.toPrecision(4));
}

/**
 * The random-search trials of a spec: `trials` draws from `space`, flags in
 * name order, from a generator seeded with `seed`; the same spec gives the
 * same trials.
 *
 * @example
 * ```ts
 * sampleTrials({ trials: 2, seed: 1, space: { dropout: { uniform: [0, 0.5] } } });
 * // [{ dropout: 0.1345 }, { dropout: 0.4172 }] (for example)
 * ```
 */
export function sampleTrials(
  random: { trials: number; seed: number; space: Record<string, Distribution> },
): Record<string, FlagValue>[] {
  const rng = createRng(random.seed);
  const names = Object.keys(random.space).sort();
  return Array.from({ length: random.trials }, () => {
    const trial: Record<string, FlagValue> = {};
    for (const name of names) {
      const d = random.space[name];
      if ("choice" in d) trial[name] = d.choice[rng.int(d.choice.length)];
      else if ("uniform" in d) {
        trial[name] = round4(d.uniform[0] + rng.next() * (d.uniform[1] - d.uniform[0]));
      } else if ("logUniform" in d) {
        const [lo, hi] = d.logUniform.map(Math.log);
        trial[name] = round4(Math.exp(lo + rng.next() * (hi - lo)));
      } else trial[name] = d.int[0] + rng.int(d.int[1] - d.int[0] + 1);
    }
    return trial;
  });
}

/**
 * Every combination of the grid's values, in the order the spec lists
 * flags and values (one empty point for no grid).
 *
 * @example
 * ```ts
 * gridPoints({ arch: ["lstm", "gru"], "lstm-units": [8, 16] }).length; // 4
 * ```
 */
export function gridPoints(grid: Record<string, FlagValue[]>): Record<string, FlagValue>[] {
  let points: Record<string, FlagValue>[] = [{}];
  for (const [name, values] of Object.entries(grid)) {
    points = points.flatMap((p) => values.map((v) => ({ ...p, [name]: v })));
  }
  return points;
}

/** Canonical JSON: keys sorted at every level, undefined dropped. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The id of a job: the first 16 hex digits of the SHA-256 of its canonical
 * JSON (kind, data, flags, protocol; not the sweep's name).
 *
 * @example
 * ```ts
 * await jobId({ kind: "select", data, flags, protocol }); // "3f9a0c…"
 * ```
 */
export async function jobId(job: Omit<SweepJob, "id" | "sweep">): Promise<string> {
  const { kind, data, flags, protocol } = job;
  return (await sha256Hex(canonicalJson({ kind, data, flags, protocol }))).slice(0, 16);
}

/** Largest value a flag can take in the spec (its default when never set), for alignment. */
function largest(spec: SweepSpec, name: string, fallback: number): number {
  const values: number[] = [];
  const add = (v: FlagValue): void => {
    const n = Number(v);
    if (typeof v !== "boolean" && Number.isFinite(n) && n > 0) values.push(Math.ceil(n));
  };
  if (name in spec.fixed) add(spec.fixed[name]);
  for (const v of spec.grid[name] ?? []) add(v);
  const d = spec.random?.space[name];
  if (d && "choice" in d) d.choice.forEach(add);
  if (d && "int" in d) add(d.int[1]);
  if (d && "uniform" in d) add(d.uniform[1]);
  if (d && "logUniform" in d) add(d.logUniform[1]);
  return values.length > 0 ? Math.max(...values) : fallback;
}

/**
 * The job protocol of a spec: its evaluation, plus the first reference bar
 * every job can use (indicator warm-up plus the longest window the spec can
 * ask for) and the longest horizon; every job then scores the same reference
 * bars of the same data.
 *
 * @example
 * ```ts
 * jobProtocol(spec).firstReference; // 33 + 60 - 1 = 92 with the default window
 * ```
 */
export function jobProtocol(spec: SweepSpec): JobProtocol {
  const sequenceLength = largest(spec, "sequence-length", FIT_DEFAULTS.sequenceLength);
  const open = String(spec.fixed["decide-at"] ?? spec.grid["decide-at"]?.[0] ?? "") === "open";
  const warmup = open ? warmupBars(DEFAULT_OPEN_FEATURES, { decideAt: "open" }) : warmupBars();
  return {
    ...spec.evaluation,
    firstReference: warmup + sequenceLength - 1,
    horizon: largest(spec, "horizon", FIT_DEFAULTS.horizon),
  };
}

/**
 * The selection jobs of a spec, in order: data × grid × random trials ×
 * seeds. Configurations that come out the same (a random draw repeating one)
 * run once; `duplicates` counts those dropped.
 *
 * @example
 * ```ts
 * const { jobs, duplicates } = await expandJobs(spec);
 * ```
 */
export async function expandJobs(
  spec: SweepSpec,
): Promise<{ jobs: SweepJob[]; duplicates: number }> {
  const protocol = jobProtocol(spec);
  const trials = spec.random ? sampleTrials(spec.random) : [{}];
  const jobs: SweepJob[] = [];
  const ids = new Set<string>();
  let duplicates = 0;
  for (const data of spec.data) {
    for (const point of gridPoints(spec.grid)) {
      for (const trial of trials) {
        for (const seed of spec.seeds) {
          const flags = flagStrings({ ...spec.fixed, ...point, ...trial, seed });
          const body = { kind: "select" as const, data: cleanData(data), flags, protocol };
          const id = await jobId(body);
          if (ids.has(id)) {
            duplicates++;
            continue;
          }
          ids.add(id);
          jobs.push({ id, sweep: spec.name, ...body });
        }
      }
    }
  }
  return { jobs, duplicates };
}

/**
 * The confirmation job of a selection job: the same configuration and
 * protocol, retrained on every row before the holdout and scored on the
 * holdout alone.
 *
 * @example
 * ```ts
 * const confirm = await confirmationJob(winner);
 * confirm.kind; // "confirm"
 * ```
 */
export async function confirmationJob(job: SweepJob): Promise<SweepJob> {
  const body = {
    kind: "confirm" as const,
    data: job.data,
    flags: job.flags,
    protocol: job.protocol,
  };
  return { id: await jobId(body), sweep: job.sweep, ...body };
}

function cleanData(data: DataEntry): DataEntry {
  return Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined)) as DataEntry;
}

function flagStrings(values: Record<string, FlagValue>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));
}
