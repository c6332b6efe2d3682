/**
 * The model card: `model_config.json`, what a saved model is and what it was
 * trained on (architecture, hyperparameters, features, window, horizon, data
 * ranges, metrics, provenance). This module is its one owner: one schema gives
 * the type, the parser (with one clear error line per problem) and the
 * constructor; older cards are upgraded on read. Nothing else reads or writes
 * the file.
 *
 * @example
 * ```ts
 * import { readCard } from "./card.ts";
 * const card = await readCard("models/lstm/v1");
 * console.log(card.arch, card.data.ticker, card.metrics.test.accuracy);
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { z } from "zod";
import { DataError } from "../util/errors.ts";
import { atomicWriteFile } from "../util/fs.ts";
import { readRequiredJsonFile } from "../util/json.ts";
import { type Architecture, ARCHITECTURES } from "./architectures.ts";
import type { Kernel } from "./fast/layers.ts";
import { type Calibration, calibrationSchema } from "./calibration.ts";
import { type Venue, VENUES } from "../data/calendar.ts";

/** The card's file name inside a model folder. */
export const CARD_FILE = "model_config.json";

/**
 * The schema version this module writes. Version 1 cards (no `schemaVersion`
 * field, written before the card had an owner) are upgraded on read.
 */
export const CARD_SCHEMA_VERSION = 2;

const count = z.number().int().nonnegative();
const positive = z.number().int().positive();
/** JSON writes NaN as null: a metric that could not be computed. */
const score = z.number().nullable();

const splitSchema = z.object({ first: z.string(), last: z.string(), rows: count });
const metricsSchema = z.object({ loss: score, accuracy: score });

const cardSchema = z.object({
  schemaVersion: z.literal(CARD_SCHEMA_VERSION),
  arch: z.enum(ARCHITECTURES),
  hyperparameters: z.object({
    lstmUnits: positive,
    dropout: z.number().min(0).max(1),
    l2: z.number().nonnegative(),
    learningRate: z.number().positive(),
    seed: count,
    epochs: count,
    batchSize: positive,
    patience: count,
  }),
  features: z.array(z.object({ name: z.string().min(1), params: z.record(z.string(), z.number()) }))
    .min(1),
  sequenceLength: positive,
  nFeatures: positive,
  horizon: positive,
  data: z.object({
    source: z.string(),
    ticker: z.string(),
    interval: z.string(),
    venue: z.enum(VENUES).optional(),
    exchange: z.string().optional(),
    ranges: z.object({ train: splitSchema, validation: splitSchema, test: splitSchema }),
  }),
  seed: count,
  backend: z.string(),
  kernel: z.enum(["fast", "stock"] as const satisfies readonly Kernel[]).optional(),
  versions: z.object({ tfjs: z.string(), module: z.string() }),
  metrics: z.object({ train: metricsSchema, validation: metricsSchema, test: metricsSchema }),
  testBaseRate: score,
  calibration: calibrationSchema.optional(),
  createdAt: z.string(),
  weightsSha256: z.string().regex(/^[0-9a-f]{64}$/),
  interrupted: z.boolean(),
  bestEpoch: count,
  epochsRun: count,
  label: z.enum(["up", "beats-median"]).optional(),
  decideAt: z.literal("open").optional(),
  featuresModule: z.object({
    path: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }).optional(),
  universe: z.object({
    name: z.string(),
    source: z.string(),
    path: z.string().optional(),
    symbols: z.array(z.string()).min(1),
    scaling: z.enum(["pooled", "per-symbol"]),
    context: z.string().optional(),
    study: z.string().optional(),
    split: z.object({
      trainStart: z.string(),
      trainEnd: z.string(),
      validationEnd: z.string(),
      testEnd: z.string(),
    }),
  }).optional(),
});

/**
 * Loss and accuracy of the saved weights on one split (`null` where undefined).
 *
 * @example
 * ```ts
 * const test: CardMetrics = card.metrics.test; // { loss: 0.69, accuracy: 0.53 }
 * ```
 */
export interface CardMetrics {
  /** Log loss (`logLoss` of `src/eval/scores.ts`), or `null` where undefined. */
  loss: number | null;
  /** Share of windows called right, or `null` where undefined. */
  accuracy: number | null;
}

/**
 * A split's reference-bar range as the card records it.
 *
 * @example
 * ```ts
 * const test: CardRange = card.data.ranges.test; // { first: "2023-07-03", last: "2024-12-31", rows: 380 }
 * ```
 */
export interface CardRange {
  /** Reference time of the first window. */
  first: string;
  /** Reference time of the last window. */
  last: string;
  /** Number of windows in the split. */
  rows: number;
}

/**
 * A model card: the content of `model_config.json`. The schema in this module
 * parses exactly this shape (a compile-time check holds the two together).
 *
 * @example
 * ```ts
 * const card: ModelCard = await readCard("models/lstm/v1");
 * card.data.ranges.validation.last; // the last date the model learned from
 * ```
 */
export interface ModelCard {
  /** The card's schema version ({@linkcode CARD_SCHEMA_VERSION}). */
  schemaVersion: typeof CARD_SCHEMA_VERSION;
  /** The network architecture. */
  arch: Architecture;
  /** The training hyperparameters. */
  hyperparameters: {
    lstmUnits: number;
    dropout: number;
    l2: number;
    learningRate: number;
    seed: number;
    epochs: number;
    batchSize: number;
    patience: number;
  };
  /** The features the model reads, in column order. */
  features: { name: string; params: Record<string, number> }[];
  /** Bars per input window. */
  sequenceLength: number;
  /** Feature columns per bar. */
  nFeatures: number;
  /** Bars ahead the label looks. */
  horizon: number;
  /** The series the model learned from and its chronological splits. */
  data: {
    source: string;
    ticker: string;
    interval: string;
    /** Whose calendar the bars follow; absent for the NYSE (and in cards written before venues). */
    venue?: Venue;
    /** The exchange of bars from the `ccxt` source (like `binance`). */
    exchange?: string;
    ranges: { train: CardRange; validation: CardRange; test: CardRange };
  };
  /** The random seed of the run (and of regenerated synthetic bars). */
  seed: number;
  /** The tfjs backend the model was trained on. */
  backend: string;
  /** The recurrent kernels used in training, when recorded. */
  kernel?: Kernel;
  /** The library versions that wrote the model. */
  versions: { tfjs: string; module: string };
  /** Loss and accuracy of the saved weights on each split. */
  metrics: { train: CardMetrics; validation: CardMetrics; test: CardMetrics };
  /** Share of up labels in the test split, or `null` where undefined. */
  testBaseRate: number | null;
  /**
   * How the network's raw probability becomes the one handed out, fitted on
   * the validation split (`src/model/calibration.ts`); absent in cards
   * written before calibration existed, which read as the identity
   * (`cardCalibration`).
   */
  calibration?: Calibration;
  /** When the card was written (ISO 8601). */
  createdAt: string;
  /** SHA-256 of the weights file, in hex. */
  weightsSha256: string;
  /** Whether training was interrupted (the weights are the best so far). */
  interrupted: boolean;
  /** Epoch (1-based) with the lowest validation loss, whose weights were kept. */
  bestEpoch: number;
  /** Epochs actually run. */
  epochsRun: number;
  /**
   * What the label means: `up` (the close `horizon` bars later above this
   * close; also what a card without the field means) or `beats-median` (the
   * symbol's return over the horizon above the universe's cross-sectional
   * median, for universe models).
   */
  label?: "up" | "beats-median";
  /**
   * `open` for a model that decides at a bar's open: its windows' last row
   * reads the bar's open and nothing else of it, and its label is the bar's
   * open-to-close move. Absent: it decides at the close (every older card).
   */
  decideAt?: "open";
  /**
   * The features module (`train --features-module`) that registers custom
   * features of this card: its path (relative to this version folder, or
   * absolute) and the SHA-256 of its content; loading imports it again.
   */
  featuresModule?: { path: string; sha256: string };
  /** For a model trained on a universe of symbols (`src/dataset/universe.ts`): what it was trained on. */
  universe?: CardUniverse;
}

/**
 * The universe a universe model was trained on (the card's `universe`).
 *
 * @example
 * ```ts
 * const u: CardUniverse | undefined = card.universe;
 * u?.symbols.length; // 505
 * ```
 */
export interface CardUniverse {
  /** The universe's name (its folder or tickers file). */
  name: string;
  /** Where its bars came from: `cache`, `synthetic`, `csv-dir` or `long-csv`. */
  source: string;
  /** The folder or file of a `csv-dir` or `long-csv` universe. */
  path?: string;
  /** The symbols trained on. */
  symbols: string[];
  /** `pooled` (one scaler) or `per-symbol` (one per symbol, in `universe_scalers.json`). */
  scaling: "pooled" | "per-symbol";
  /** The context symbol of the context features, if any. */
  context?: string;
  /** The study preset, if any (`fischer-krauss`). */
  study?: string;
  /** The cut dates of the training split, the same for every symbol. */
  split: { trainStart: string; trainEnd: string; validationEnd: string; testEnd: string };
}

/** Compile-time check: the schema parses exactly a {@linkcode ModelCard} (same fields, same types). */
type Same<A, B> = [A, keyof A] extends [B, keyof B]
  ? ([B, keyof B] extends [A, keyof A] ? true : false)
  : false;
const _schemaIsCard: Same<z.infer<typeof cardSchema>, ModelCard> = true;

/**
 * What a caller fills in; {@linkcode createCard} adds the schema version,
 * the library versions, the creation time and the weights' hash.
 *
 * @example
 * ```ts
 * const draft: CardDraft = { ...fitted.card };
 * ```
 */
export type CardDraft = Omit<
  ModelCard,
  "schemaVersion" | "versions" | "createdAt" | "weightsSha256"
>;

/**
 * Makes a complete card from a draft and the hash of the weights it
 * describes; the result passes {@linkcode parseCard}.
 *
 * @example
 * ```ts
 * const card = createCard(draft, { weightsSha256, tfjs: "4.22.0", module: "0.1.0" });
 * ```
 */
export function createCard(
  draft: CardDraft,
  provenance: { weightsSha256: string; tfjs: string; module: string; createdAt?: string },
): ModelCard {
  // A metric that is NaN is written as null; the card says so in its type.
  const clean = JSON.parse(JSON.stringify(draft)) as CardDraft;
  return parseCard({
    schemaVersion: CARD_SCHEMA_VERSION,
    ...clean,
    versions: { tfjs: provenance.tfjs, module: provenance.module },
    createdAt: provenance.createdAt ?? new Date().toISOString(),
    weightsSha256: provenance.weightsSha256,
  }, "a new model card");
}

/** Brings an older card to the current schema; unknown newer versions are refused. */
function upgrade(value: Record<string, unknown>, file: string): Record<string, unknown> {
  const version = value.schemaVersion ?? 1;
  if (version === 1) return { ...value, schemaVersion: CARD_SCHEMA_VERSION };
  if (typeof version === "number" && version > CARD_SCHEMA_VERSION) {
    throw new DataError(
      `Expected a model card of schema version ${CARD_SCHEMA_VERSION} or older in ${file}, found version ${version} (written by a newer release of this module)`,
    );
  }
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Validates a parsed `model_config.json` (upgrading older schema versions)
 * and returns it typed. Any problem is one `DataError` naming the file, the
 * field, what was expected and what was found.
 *
 * @example
 * ```ts
 * const card = parseCard(JSON.parse(text), "models/lstm/v1/model_config.json");
 * ```
 */
export function parseCard(value: unknown, file: string): ModelCard {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new DataError(`Expected ${file} to hold a JSON object, found ${describe(value)}`);
  }
  const result = cardSchema.safeParse(upgrade(value as Record<string, unknown>, file));
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue.path.join(".") || "(the card)";
  let found: unknown = value;
  for (const key of issue.path) {
    found = found !== null && typeof found === "object"
      ? (found as Record<string | number, unknown>)[key as string | number]
      : undefined;
  }
  const more = result.error.issues.length > 1
    ? ` (and ${result.error.issues.length - 1} more problems)`
    : "";
  throw new DataError(
    `Expected ${path} in ${file} to be valid (${issue.message}), found ${describe(found)}${more}`,
  );
}

/**
 * Reads and validates the card of the model folder `dir` (a version folder,
 * not a versioned root).
 *
 * @example
 * ```ts
 * const card = await readCard("models/lstm/v2");
 * ```
 */
export async function readCard(dir: string): Promise<ModelCard> {
  const file = join(dir, CARD_FILE);
  const value = await readRequiredJsonFile(file, z.record(z.string(), z.unknown()), {
    shape: "a model card (a JSON object)",
    missing: "is this a model folder?",
  });
  return parseCard(value, file);
}

/**
 * Writes `card` into the folder `dir` (atomically: a temporary file, then a
 * rename). Used by the model store while it assembles a model folder.
 *
 * @example
 * ```ts
 * await writeCard(tmpDir, card);
 * ```
 */
export async function writeCard(dir: string, card: ModelCard): Promise<void> {
  await atomicWriteFile(join(dir, CARD_FILE), `${JSON.stringify(card, null, 2)}\n`);
}

/**
 * The last date the model learned from: the end of its validation split
 * (training labels and early stopping saw data up to there).
 *
 * @example
 * ```ts
 * trainedThrough(card); // "2023-06-30"
 * ```
 */
export function trainedThrough(card: ModelCard): string {
  return card.data.ranges.validation.last;
}
