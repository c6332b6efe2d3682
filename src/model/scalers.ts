/**
 * The per-symbol scalers of a universe model, saved beside it as
 * `universe_scalers.json` (the pooled scaler is the model's `scaler.json`;
 * the card's `universe` section says which one windows are scaled with).
 *
 * @module
 */

import { join } from "node:path";
import { z } from "zod";
import type { Scaler } from "../features/mod.ts";
import type { ModelCard } from "./card.ts";
import { DataError } from "../util/errors.ts";
import { readJsonObject } from "../util/fs.ts";
import type { Scalers } from "../dataset/universe.ts";

/** The file of the per-symbol scalers inside a model folder. */
export const UNIVERSE_SCALERS_FILE = "universe_scalers.json";

const fileSchema = z.object({
  names: z.array(z.string()).min(1),
  scalers: z.record(z.string(), z.object({ mean: z.array(z.number()), std: z.array(z.number()) })),
});

/**
 * The content of `universe_scalers.json` for per-symbol scalers (`undefined`
 * for pooled scaling, which needs no file).
 *
 * @example
 * ```ts
 * const extra = scalersFileContent(dataset.scalers); // { names, scalers: { AAPL: { mean, std } } }
 * ```
 */
export function scalersFileContent(scalers: Scalers): Record<string, unknown> | undefined {
  if (scalers.scaling === "pooled") return undefined;
  const entries = [...scalers.perSymbol].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
  return {
    names: scalers.pooled.names,
    scalers: Object.fromEntries(entries.map(([s, sc]) => [s, { mean: sc.mean, std: sc.std }])),
  };
}

/**
 * The scalers a universe model scales windows with: the pooled one
 * (`scaler.json`, already loaded) and, under per-symbol scaling, those of
 * `universe_scalers.json`, each checked against the pooled scaler's feature
 * names. A card without a universe section is a single-ticker model: its one
 * scaler serves as the pooled one. One `DataError` naming the file for a
 * missing or malformed file.
 *
 * @example
 * ```ts
 * const { model, card, scaler } = await loadModel(dir);
 * const scalers = await readUniverseScalers(dir, card, scaler);
 * ```
 */
export async function readUniverseScalers(
  dir: string,
  card: Pick<ModelCard, "universe">,
  pooled: Scaler,
): Promise<Scalers> {
  if (card.universe?.scaling !== "per-symbol") {
    return { scaling: "pooled", pooled, perSymbol: new Map() };
  }
  const file = join(dir, UNIVERSE_SCALERS_FILE);
  const parsed = fileSchema.safeParse(await readJsonObject(file));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DataError(
      `Expected ${file} to hold names and per-symbol scalers, found a problem at ${
        issue.path.join(".") || "the top"
      } (${issue.message})`,
    );
  }
  const { names, scalers } = parsed.data;
  if (names.join("\n") !== pooled.names.join("\n")) {
    throw new DataError(
      `Expected the features of scaler.json (${pooled.names.join(", ")}) in ${file}, found ${
        names.join(", ")
      }`,
    );
  }
  const perSymbol = new Map<string, Scaler>();
  for (const [symbol, { mean, std }] of Object.entries(scalers)) {
    if (mean.length !== names.length || std.length !== names.length) {
      throw new DataError(
        `Expected ${names.length} means and standard deviations for ${symbol} in ${file}, found ${mean.length} and ${std.length}`,
      );
    }
    perSymbol.set(symbol, { names: [...names], mean, std });
  }
  return { scaling: "per-symbol", pooled, perSymbol };
}
