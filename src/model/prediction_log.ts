/**
 * The predictions log (`predictions.jsonl`): one JSON line per signal the
 * plugin hands out (its `logPath` option), the signal with the raw feature
 * row the model saw and the shadow versions' signals on the same bar. This
 * module owns the line's shape: one zod schema, one parser that `deno task
 * monitor` and the shadow promotion read the log with. A UTF-8 byte-order
 * mark before the first line is dropped.
 *
 * @example
 * ```ts
 * import { parseLogLine } from "./prediction_log.ts";
 * const signal = parseLogLine('{"symbol":"SPY","time":"2024-01-02","probabilityUp":0.57,"horizonBars":1,"status":"ok"}');
 * signal?.probabilityUp; // 0.57
 * ```
 *
 * @module
 */

import { z } from "zod";
import { parseJsonText } from "../util/json.ts";

/**
 * A shadow version's signal, as a log line carries it beside the live one.
 *
 * @example
 * ```ts
 * const s: LoggedShadow = { version: "v7", probabilityUp: 0.55, status: "ok", horizonBars: 1, features: null };
 * ```
 */
export interface LoggedShadow {
  /** The shadow's version. */
  version: string;
  /** Its probability that the price goes up. */
  probabilityUp: number;
  /** Its status (`ok`, `warming-up`, `no-model`, …). */
  status: string;
  /** How many bars ahead it looks. */
  horizonBars: number;
  /** Its own raw feature row when its features differ from the live model's, else `null`. */
  features: number[] | null;
}

/**
 * One usable line of the predictions log.
 *
 * @example
 * ```ts
 * const line: LoggedSignal = {
 *   symbol: "SPY", time: "2024-01-02", probabilityUp: 0.57, horizonBars: 1,
 *   status: "ok", version: "v2", features: null,
 * };
 * ```
 */
export interface LoggedSignal {
  /** The symbol the signal is for. */
  symbol: string;
  /** Time of the bar the signal was computed on. */
  time: string;
  /** Probability that the close `horizonBars` ahead is above this bar's close. */
  probabilityUp: number;
  /** How many bars ahead the prediction looks. */
  horizonBars: number;
  /** The signal's status (`ok`, `warming-up`, …). */
  status: string;
  /** The model version that made it, or `null` when the line does not say. */
  version: string | null;
  /** The raw feature row the model saw, or `null` when the line carries none. */
  features: number[] | null;
  /** The shadow versions' signals on the same bar (absent when none ran). */
  shadows?: LoggedShadow[];
}

/** A feature row as logged: numbers, anything else read as `NaN`; `null` when absent. */
const featureRow = z.unknown().optional().transform((value): number[] | null =>
  Array.isArray(value) ? value.map((x: unknown) => (typeof x === "number" ? x : NaN)) : null
);

/**
 * The schema of a shadow entry of a log line.
 *
 * @example
 * ```ts
 * loggedShadowSchema.safeParse({ version: "v7", probabilityUp: 0.5, status: "ok", horizonBars: 1 }).success; // true
 * ```
 */
export const loggedShadowSchema: z.ZodType<LoggedShadow, unknown> = z.object({
  version: z.string(),
  probabilityUp: z.number(),
  status: z.string(),
  horizonBars: z.number().int().min(1),
  features: featureRow,
});

/**
 * The schema of one log line: a signal (symbol, time, status, a numeric
 * `probabilityUp`, `horizonBars` ≥ 1, the model's version when it says) with
 * its feature row and shadows. A malformed shadow entry is dropped; the line
 * still counts.
 *
 * @example
 * ```ts
 * const r = logLineSchema.safeParse(JSON.parse(line));
 * if (r.success) console.log(r.data.probabilityUp);
 * ```
 */
export const logLineSchema: z.ZodType<LoggedSignal, unknown> = z.object({
  symbol: z.string(),
  time: z.string(),
  status: z.string(),
  probabilityUp: z.number(),
  horizonBars: z.number().int().min(1),
  model: z.unknown().optional(),
  features: featureRow,
  shadows: z.unknown().optional(),
}).transform(({ model, shadows, ...line }): LoggedSignal => {
  const version = (model as { version?: unknown } | null | undefined)?.version;
  const kept = Array.isArray(shadows)
    ? shadows.flatMap((x: unknown) => {
      const r = loggedShadowSchema.safeParse(x);
      return r.success ? [r.data] : [];
    })
    : [];
  return {
    symbol: line.symbol,
    time: line.time,
    probabilityUp: line.probabilityUp,
    horizonBars: line.horizonBars,
    status: line.status,
    version: typeof version === "string" ? version : null,
    features: line.features,
    ...(kept.length ? { shadows: kept } : {}),
  };
});

/**
 * One line of the predictions log, or `null` when it is not JSON or not a
 * signal ({@linkcode logLineSchema}); a leading byte-order mark is dropped.
 *
 * @example
 * ```ts
 * parseLogLine('{"symbol":"SPY","time":"2024-01-02","probabilityUp":"0.5","horizonBars":1,"status":"ok"}'); // null: a string probability
 * ```
 */
export function parseLogLine(line: string): LoggedSignal | null {
  let value: unknown;
  try {
    value = parseJsonText(line);
  } catch {
    return null;
  }
  const result = logLineSchema.safeParse(value);
  return result.success ? result.data : null;
}
