/**
 * Drift of live inputs against the training data, by the population
 * stability index (PSI). A reference profile holds, for every feature and for
 * the model's predicted probabilities, the decile edges of the training
 * values and the share of training values in each bin; live values are
 * binned with the same edges and compared:
 *
 * PSI = Σ (live − reference) · ln(live / reference) over the bins.
 *
 * Usual reading: below 0.1 stable, 0.1 to 0.25 a moderate shift, above 0.25
 * a significant shift worth acting on.
 *
 * `deno task train` saves the profile of the training windows as
 * {@linkcode REFERENCE_FILE} in the model folder; `deno task monitor` reads
 * it back with {@linkcode readReference}.
 *
 * @module
 */

import { join } from "node:path";
import { z } from "zod";
import { DataError } from "../util/errors.ts";
import { readJsonFile } from "../util/json.ts";
import { quantile } from "./scores.ts";

/**
 * The name of the reference profile in a model folder.
 *
 * @example
 * ```ts
 * const path = `models/lstm/v2/${REFERENCE_FILE}`; // ".../reference.json"
 * ```
 */
export const REFERENCE_FILE = "reference.json";

/**
 * PSI below this is read as stable.
 *
 * @example
 * ```ts
 * if (psi < PSI_STABLE) console.log("stable");
 * ```
 */
export const PSI_STABLE = 0.1;

/**
 * PSI above this is read as a significant shift (the default flag threshold).
 *
 * @example
 * ```ts
 * if (psi > PSI_SIGNIFICANT) console.log("significant shift");
 * ```
 */
export const PSI_SIGNIFICANT = 0.25;

/** Share floor of an empty bin, so the logarithm in PSI stays finite. */
const EPSILON = 1e-4;

/**
 * The binned distribution of one variable in the reference data.
 *
 * @example
 * ```ts
 * const dist: BinnedDistribution = { edges: [0.4, 0.5, 0.6], fractions: [0.25, 0.25, 0.25, 0.25] };
 * ```
 */
export interface BinnedDistribution {
  /** Interior bin edges, ascending (`bins − 1` of them); bin `i` holds `edges[i−1] < x ≤ edges[i]`. */
  edges: number[];
  /** Share of reference values in each bin (`bins` of them), floored at a small epsilon. */
  fractions: number[];
  /** Finite reference values the shares were counted on. */
  count: number;
}

/**
 * What a model was trained on, binned, as saved in `reference.json`.
 *
 * @example
 * ```ts
 * const profile: ReferenceProfile = referenceProfile(rows, ["ret_1", "rsi_14"], probs);
 * profile.features[0].name; // "ret_1"
 * ```
 */
export interface ReferenceProfile {
  /** Format version of the file (1). */
  format: 1;
  /** Bins per variable (10: deciles). */
  bins: number;
  /** The share floor of empty bins. */
  epsilon: number;
  /** Reference rows profiled. */
  rows: number;
  /** One binned distribution per feature, in the model's feature order. */
  features: (BinnedDistribution & { name: string })[];
  /** The binned distribution of the model's predicted probabilities. */
  probabilities: BinnedDistribution;
}

/**
 * PSI of every feature and of the probabilities; `null` where the live data
 * had no finite value of that variable.
 *
 * @example
 * ```ts
 * const psi: StabilityReport = populationStability(profile, liveRows, liveProbs);
 * psi.features.ret_1; // 0.03
 * ```
 */
export interface StabilityReport {
  /** PSI per feature name. */
  features: Record<string, number | null>;
  /** PSI of the predicted probabilities. */
  probabilities: number | null;
  /** Live rows compared. */
  rows: number;
}

/** The bin of `x`: the first `i` with `x ≤ edges[i]`, else the last bin. */
function binOf(edges: readonly number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function shares(edges: readonly number[], values: readonly number[]): number[] {
  const counts = new Array(edges.length + 1).fill(0);
  for (const x of values) counts[binOf(edges, x)]++;
  return counts.map((c) => Math.max(c / values.length, EPSILON));
}

function finite(values: Iterable<number | null>): number[] {
  const out: number[] = [];
  for (const x of values) if (typeof x === "number" && Number.isFinite(x)) out.push(x);
  return out;
}

function column(rows: readonly ArrayLike<number>[], j: number): number[] {
  return finite(rows.map((row) => row[j]));
}

function checkWidth(rows: readonly ArrayLike<number>[], width: number): void {
  rows.forEach((row, i) => {
    if (row.length !== width) {
      throw new RangeError(
        `Expected feature rows of ${width} values, found ${row.length} at row ${i}`,
      );
    }
  });
}

function distribution(values: number[], bins: number, label: string): BinnedDistribution {
  if (values.length === 0) {
    throw new RangeError(`Expected finite reference values of ${label}, found none`);
  }
  const sorted = Float64Array.from(values).sort();
  const edges = Array.from(
    { length: bins - 1 },
    (_, k) => quantile(sorted, (k + 1) / bins, { sorted: true }),
  );
  return { edges, fractions: shares(edges, values), count: values.length };
}

/**
 * Profiles the reference (training) data: decile edges of every feature and
 * of the probabilities, computed on the reference values (linear
 * interpolation between order statistics), and the share of reference values
 * in each bin, floored at 1e-4. Non-finite values are left out.
 *
 * @example
 * ```ts
 * const profile = referenceProfile(
 *   [[0.01, 40], [-0.02, 55], [0.005, 61]],
 *   ["ret_1", "rsi_14"],
 *   [0.52, 0.47, 0.55],
 * );
 * await Deno.writeTextFile(`models/lstm/v3/${REFERENCE_FILE}`, JSON.stringify(profile));
 * ```
 */
export function referenceProfile(
  rows: readonly ArrayLike<number>[],
  names: readonly string[],
  probabilities: ArrayLike<number>,
  options: { bins?: number } = {},
): ReferenceProfile {
  const bins = options.bins ?? 10;
  if (!Number.isInteger(bins) || bins < 2) {
    throw new RangeError(`Expected bins to be an integer of at least 2, found ${bins}`);
  }
  if (rows.length === 0) throw new RangeError("Expected at least one reference row, found none");
  checkWidth(rows, names.length);
  return {
    format: 1,
    bins,
    epsilon: EPSILON,
    rows: rows.length,
    features: names.map((name, j) => ({
      name,
      ...distribution(column(rows, j), bins, `feature ${name}`),
    })),
    probabilities: distribution(finite(Array.from(probabilities)), bins, "probabilities"),
  };
}

function psiOf(reference: BinnedDistribution, values: number[]): number | null {
  if (values.length === 0) return null;
  const live = shares(reference.edges, values);
  let psi = 0;
  for (let i = 0; i < live.length; i++) {
    const r = reference.fractions[i];
    psi += (live[i] - r) * Math.log(live[i] / r);
  }
  return psi;
}

/**
 * The population stability index of live feature rows (in the profile's
 * feature order) and live probabilities against a reference profile, binned
 * with the reference edges. 0 for identical shares; < 0.1 stable, 0.1–0.25
 * moderate, > 0.25 significant.
 *
 * @example
 * ```ts
 * const report = populationStability(profile, liveRows, liveProbs);
 * const flagged = Object.entries(report.features).filter(([, psi]) => (psi ?? 0) > PSI_SIGNIFICANT);
 * ```
 */
export function populationStability(
  profile: ReferenceProfile,
  rows: readonly ArrayLike<number>[],
  probabilities: ArrayLike<number>,
): StabilityReport {
  checkWidth(rows, profile.features.length);
  const features: Record<string, number | null> = {};
  profile.features.forEach((f, j) => {
    features[f.name] = psiOf(f, column(rows, j));
  });
  return {
    features,
    probabilities: psiOf(profile.probabilities, finite(Array.from(probabilities))),
    rows: rows.length,
  };
}

const distributionSchema = z.object({
  edges: z.array(z.number()),
  fractions: z.array(z.number().positive()),
  count: z.number(),
});

/**
 * The schema of {@linkcode REFERENCE_FILE}: format 1, `bins − 1` edges and
 * `bins` positive shares for every feature and for the probabilities.
 *
 * @example
 * ```ts
 * const profile: ReferenceProfile = referenceSchema.parse(JSON.parse(text));
 * ```
 */
export const referenceSchema: z.ZodType<ReferenceProfile> = z.object({
  format: z.literal(1),
  bins: z.number().int().min(2),
  epsilon: z.number(),
  rows: z.number(),
  features: z.array(distributionSchema.extend({ name: z.string() })),
  probabilities: distributionSchema,
}).refine(
  (p) =>
    [...p.features, p.probabilities].every((d) =>
      d.edges.length === p.bins - 1 && d.fractions.length === p.bins
    ),
  { message: "bins − 1 edges and bins shares in every distribution" },
);

/**
 * Reads the reference profile of a model folder, failing with one
 * {@linkcode DataError} that names the file when it is missing or malformed.
 *
 * @example
 * ```ts
 * const profile = await readReference("models/lstm/v2");
 * profile.features.map((f) => f.name);
 * ```
 */
export async function readReference(dir: string): Promise<ReferenceProfile> {
  const path = join(dir, REFERENCE_FILE);
  const hint = "retrain with this version of the module to get one";
  const profile = await readJsonFile(path, referenceSchema, {
    shape: "a reference profile (format 1: bins, features, probabilities)",
    hint,
  });
  if (!profile) throw new DataError(`Expected a drift reference ${path}, found none; ${hint}`);
  return profile;
}
