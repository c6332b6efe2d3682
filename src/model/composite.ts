/**
 * Ensembles and regime models as models on disk. A composite is a version
 * folder (`models/<name>/vN`, with `current.json` like any model) that holds
 * `composite.json` instead of weights: the member models (each pinned to the
 * version that was current when the composite was made, by a path relative to
 * the composite's folder or absolute), their weights (ensemble) or the regime
 * each serves and the rule that decides the regime (regime). Every loader
 * goes through {@linkcode readComposite}: `checkModelFolder` (predict,
 * `models list`, promote), `loadEvaluationModel` (evaluate, backtest) and the
 * signal plugin.
 *
 * Regime rules are data, not dates: the `trend-volatility` preset calls a bar
 * `bull` when its close is above its `trendPeriod`-bar average and its
 * realised volatility (the standard deviation of the last `volatilityPeriod`
 * log returns) is at or below the median of every volatility seen so far,
 * `bear` when the close is below the average and the volatility above that
 * median, else `general`. Each regime is computed from the bar and the bars
 * before it only ({@linkcode RegimeStream}).
 *
 * @example
 * ```ts
 * import { readComposite } from "./composite.ts";
 * const composite = await readComposite("models/ens/v1"); // null for a plain model folder
 * ```
 *
 * @module
 */

import { isAbsolute, join, relative, resolve } from "node:path";
import { z } from "zod";
import type { Bar } from "../data/types.ts";
import { adjustBar, warmupBars } from "../features/mod.ts";
import { DataError, messageOf, UsageError } from "../util/errors.ts";
import { atomicWriteDir, atomicWriteFile, exists } from "../util/fs.ts";
import { readJsonFile, readRequiredJsonFile } from "../util/json.ts";
import { COMPOSITE_FILE, isFile, versionName, versionProblem } from "./layout.ts";
import type { ModelCard } from "./card.ts";
import { median, standardDeviation } from "../eval/stats.ts";

export { COMPOSITE_FILE } from "./layout.ts";

/** The regimes a regime model serves. */
export const REGIMES = ["bull", "bear", "general"] as const;
/** A regime: `bull`, `bear` or `general`. */
export type RegimeName = typeof REGIMES[number];

const ruleSchema = z.object({
  preset: z.literal("trend-volatility"),
  trendPeriod: z.number().int().min(2),
  volatilityPeriod: z.number().int().min(2),
});

/** A regime rule: the `trend-volatility` preset and its periods (in bars). */
export type RegimeRule = z.infer<typeof ruleSchema>;

/** The `trend-volatility` preset: close vs its 200-bar average, 20-bar volatility vs its median. */
export const TREND_VOLATILITY: RegimeRule = {
  preset: "trend-volatility",
  trendPeriod: 200,
  volatilityPeriod: 20,
};

const memberSchema = z.object({
  /** The member's versioned root, relative to the composite's folder or absolute. */
  path: z.string().min(1),
  /** The member's version, pinned when the composite was made. */
  version: versionName,
  weight: z.number().nonnegative().optional(),
  regime: z.enum(REGIMES).optional(),
});

/**
 * The schema of `composite.json`: the type and the parser. An ensemble's
 * weights are non-negative and not all 0 (what `models ensemble --weights`
 * accepts), so the loader is never more lenient than the writer.
 *
 * @example
 * ```ts
 * compositeSchema.parse(JSON.parse(await Deno.readTextFile("models/ens/v1/composite.json")));
 * ```
 */
export const compositeSchema = z.object({
  schemaVersion: z.literal(1),
  kind: z.enum(["ensemble", "regime"]),
  members: z.array(memberSchema).min(1),
  rule: ruleSchema.optional(),
  createdAt: z.string(),
}).refine(
  (spec) => spec.kind !== "ensemble" || spec.members.some((m) => (m.weight ?? 1) > 0),
  { message: "an ensemble needs a member weight above 0, found every weight 0", path: ["members"] },
);

/** The content of `composite.json`. */
export type CompositeSpec = z.infer<typeof compositeSchema>;

/** A member as loaded: its name, version folder, version and card. */
export interface CompositeMember {
  /** The member's name (its root folder's name). */
  name: string;
  /** Its version folder. */
  dir: string;
  /** Its version (`v2`). */
  version: string;
  /** Its card. */
  card: ModelCard;
  /** Its weight (ensemble; 1 when none given). */
  weight: number;
  /** The regime it serves (regime model). */
  regime?: RegimeName;
}

/** A composite version folder, read and checked. */
export interface Composite {
  /** The composite's version folder. */
  dir: string;
  /** What `composite.json` says. */
  spec: CompositeSpec;
  /** Its members, loaded in order. */
  members: CompositeMember[];
  /**
   * The card the composite is scored and served under: the card of the member
   * that needs the most warm-up (so every member scores each of its windows),
   * with the validation range ending at the latest of the members' (so the
   * out-of-sample scope is after what any member saw).
   */
  card: ModelCard;
  /** The member whose card and scaler the composite's windows are built with. */
  base: CompositeMember;
  /** One line: `ensemble of a v1 (weight 1), b v2 (weight 1)`. */
  description: string;
}

/**
 * Whether `dir` is a composite version folder (holds `composite.json`).
 *
 * @example
 * ```ts
 * await isComposite("models/ens/v1"); // true
 * ```
 */
export function isComposite(dir: string): Promise<boolean> {
  return isFile(join(dir, COMPOSITE_FILE));
}

/**
 * Reads and checks the composite in `dir`, loading each member's card
 * through `check` (the store's `checkModelFolder`, passed in to keep the
 * import graph one way); `null` when `dir` holds no `composite.json`.
 *
 * @example
 * ```ts
 * const composite = await readComposite("models/ens/v1", checkModelFolder);
 * composite?.members.map((m) => m.name); // ["a", "b"]
 * ```
 */
export async function readComposite(
  dir: string,
  check: (dir: string) => Promise<{ card: ModelCard }>,
): Promise<Composite | null> {
  const file = join(dir, COMPOSITE_FILE);
  const spec = await readJsonFile(file, compositeSchema, { shape: "an ensemble or regime model" });
  if (spec === null) return null;
  const members: CompositeMember[] = [];
  for (const m of spec.members) {
    const root = isAbsolute(m.path) ? m.path : join(dir, m.path);
    const memberDir = join(root, m.version);
    const problem = await memberRootProblem(root) ?? await versionProblem(root, m.version);
    if (problem) {
      throw new DataError(
        `Expected the member ${m.path} ${m.version} of ${file} to be a complete version folder (${memberDir}), found ${problem}`,
      );
    }
    if (await isComposite(memberDir)) {
      throw new DataError(
        `Expected the members of ${file} to be trained models, found the composite ${memberDir}`,
      );
    }
    let card: ModelCard;
    try {
      card = (await check(memberDir)).card;
    } catch (error) {
      const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
      throw new DataError(`${file}: member ${memberDir} does not load: ${why}`);
    }
    const name = resolve(root).split("/").pop() ?? root;
    members.push({
      name,
      dir: memberDir,
      version: m.version,
      card,
      weight: m.weight ?? 1,
      ...(m.regime ? { regime: m.regime } : {}),
    });
  }
  checkMembers(members, file);
  if (spec.kind === "regime") {
    if (!spec.rule) throw new DataError(`Expected a rule in the regime model ${file}, found none`);
    const served = members.map((m) => m.regime);
    if (!served.includes("general")) {
      throw new DataError(`Expected a general member in the regime model ${file}, found none`);
    }
  }
  const base = members.reduce((a, b) =>
    warmupBars(b.card.features) + b.card.sequenceLength >
        warmupBars(a.card.features) + a.card.sequenceLength
      ? b
      : a
  );
  const lastSeen = members.map((m) => m.card.data.ranges.validation.last).sort().pop()!;
  const card: ModelCard = {
    ...base.card,
    data: {
      ...base.card.data,
      ranges: {
        ...base.card.data.ranges,
        validation: { ...base.card.data.ranges.validation, last: lastSeen },
      },
    },
    createdAt: spec.createdAt,
  };
  const description = `${spec.kind} of ${
    members.map((m) =>
      `${m.name} ${m.version} (${spec.kind === "ensemble" ? `weight ${m.weight}` : m.regime})`
    ).join(", ")
  }${
    spec.rule
      ? `; rule ${spec.rule.preset} ${spec.rule.trendPeriod}/${spec.rule.volatilityPeriod}`
      : ""
  }`;
  return { dir, spec, members, card, base, description };
}

/** What is wrong with a member's root folder (missing, a file, a file on the way), or `null`. */
async function memberRootProblem(root: string): Promise<string | null> {
  try {
    return (await Deno.stat(root)).isDirectory ? null : "a file where its model folder should be";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "no such model folder";
    if (error instanceof Deno.errors.NotADirectory) return "a file on the way to its model folder";
    return messageOf(error);
  }
}

/** Members must agree on what they predict: the same horizon, label and interval. */
function checkMembers(members: readonly CompositeMember[], where: string): void {
  const first = members[0];
  for (const m of members.slice(1)) {
    for (
      const [what, a, b] of [
        ["horizon", first.card.horizon, m.card.horizon],
        ["label", first.card.label ?? "up", m.card.label ?? "up"],
        ["interval", first.card.data.interval, m.card.data.interval],
      ] as const
    ) {
      if (a !== b) {
        throw new DataError(
          `Expected the members of ${where} to share one ${what}, found ${first.name} with ${a} and ${m.name} with ${b}`,
        );
      }
    }
    if (m.card.universe || first.card.universe) {
      throw new DataError(
        `Expected single-ticker models as members of ${where}, found the universe model ${
          m.card.universe ? m.name : first.name
        }`,
      );
    }
  }
}

/**
 * Reads a regime rule: a preset name (`trend-volatility`) or a JSON file
 * holding `{"preset": "trend-volatility", "trendPeriod": 200, "volatilityPeriod": 20}`
 * (missing periods take the preset's).
 *
 * @example
 * ```ts
 * await readRegimeRule("trend-volatility"); // TREND_VOLATILITY
 * ```
 */
export async function readRegimeRule(ruleOrFile: string): Promise<RegimeRule> {
  if (ruleOrFile === TREND_VOLATILITY.preset) return { ...TREND_VOLATILITY };
  if (!(await exists(ruleOrFile))) {
    throw new UsageError(
      `Expected --rule to be ${TREND_VOLATILITY.preset} or a JSON rule file, found ${ruleOrFile}`,
    );
  }
  const value = await readRequiredJsonFile(ruleOrFile, z.record(z.string(), z.unknown()), {
    shape: "a regime rule object",
  });
  const result = ruleSchema.safeParse({ ...TREND_VOLATILITY, ...value });
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new UsageError(
      `Expected ${issue.path.join(".")} in ${ruleOrFile} to be valid, found: ${issue.message}`,
    );
  }
  return result.data;
}

/**
 * The regime of each bar as it arrives, from that bar and the bars before it
 * only: push bars in time order; no later bar changes an answer given.
 *
 * @example
 * ```ts
 * const stream = new RegimeStream(TREND_VOLATILITY);
 * for (const bar of bars) console.log(bar.time, stream.push(bar));
 * ```
 */
export class RegimeStream {
  readonly #rule: RegimeRule;
  #closes: number[] = [];
  #sum = 0;
  #returns: number[] = [];
  /** Every volatility so far, sorted, for the expanding median. */
  #vols: number[] = [];

  /** A stream for `rule`. */
  constructor(rule: RegimeRule) {
    this.#rule = rule;
  }

  /** Bars before the first regime other than `general` can be called. */
  get warmup(): number {
    return Math.max(this.#rule.trendPeriod, this.#rule.volatilityPeriod + 1);
  }

  /** The regime at `bar`, given every bar pushed before it. */
  push(bar: Readonly<Bar>): RegimeName {
    const close = adjustBar(bar).close;
    const { trendPeriod, volatilityPeriod } = this.#rule;
    const previous = this.#closes[this.#closes.length - 1];
    this.#closes.push(close);
    this.#sum += close;
    if (this.#closes.length > trendPeriod) this.#sum -= this.#closes.shift()!;
    if (previous !== undefined && previous > 0 && close > 0) {
      this.#returns.push(Math.log(close / previous));
      if (this.#returns.length > volatilityPeriod) this.#returns.shift();
    }
    let vol: number | null = null;
    if (this.#returns.length === volatilityPeriod) {
      vol = standardDeviation(this.#returns);
      // Insert into the sorted history (an expanding median of the past and this bar).
      let lo = 0, hi = this.#vols.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.#vols[mid] < vol) lo = mid + 1;
        else hi = mid;
      }
      this.#vols.splice(lo, 0, vol);
    }
    if (vol === null || this.#closes.length < trendPeriod) return "general";
    const middle = median(this.#vols, { sorted: true });
    const average = this.#sum / trendPeriod;
    if (close > average && vol <= middle) return "bull";
    if (close < average && vol > middle) return "bear";
    return "general";
  }
}

/**
 * The regime of every bar of a series (oldest first) under `rule`, each from
 * past bars only: `regimes[i]` depends on `bars[0..i]` alone.
 *
 * @example
 * ```ts
 * const regimes = regimesOf(bars, TREND_VOLATILITY);
 * ```
 */
export function regimesOf(bars: readonly Bar[], rule: RegimeRule): RegimeName[] {
  const stream = new RegimeStream(rule);
  return bars.map((bar) => stream.push(bar));
}

/**
 * What `deno task models ensemble|regime` writes: the composite's version
 * folder `versionDir` holding `composite.json`, members given by their
 * version folders (made relative to `versionDir` when `relativePaths`).
 *
 * @example
 * ```ts
 * await writeComposite("models/ens/v1", { kind: "ensemble", members: [...] });
 * ```
 */
export async function writeComposite(
  versionDir: string,
  composite: {
    kind: "ensemble" | "regime";
    members: { root: string; version: string; weight?: number; regime?: RegimeName }[];
    rule?: RegimeRule;
  },
): Promise<CompositeSpec> {
  const spec: CompositeSpec = {
    schemaVersion: 1,
    kind: composite.kind,
    members: composite.members.map((m) => ({
      path: isAbsolute(m.root) ? m.root : relative(resolve(versionDir), resolve(m.root)),
      version: m.version,
      ...(m.weight !== undefined ? { weight: m.weight } : {}),
      ...(m.regime ? { regime: m.regime } : {}),
    })),
    ...(composite.rule ? { rule: composite.rule } : {}),
    createdAt: new Date().toISOString(),
  };
  const parsed = compositeSchema.parse(spec);
  await atomicWriteDir(versionDir, async (tmp) => {
    await atomicWriteFile(join(tmp, COMPOSITE_FILE), `${JSON.stringify(parsed, null, 2)}\n`);
  }, { overwrite: false });
  return parsed;
}
