/**
 * The one reader of the module's JSON files (model cards, `model.json`,
 * scalers, `current.json`, `shadow.json`, `composite.json`,
 * `reference.json`): a UTF-8 byte-order mark before the JSON is dropped (an
 * editor's doing, not corruption), a folder or a file on the way is one
 * house-style line, and the content is checked by a zod schema that gives
 * the type, so every file shape has one owner and one error line per
 * problem.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { readJsonFile } from "./json.ts";
 * const schema = z.object({ shadow: z.array(z.string()) });
 * const value = await readJsonFile("models/lstm/shadow.json", schema, { shape: '{"shadow": [...]}' });
 * ```
 *
 * @module
 */

import type { z } from "zod";
import { DataError } from "./errors.ts";

/**
 * `JSON.parse` after dropping a leading UTF-8 byte-order mark.
 *
 * @example
 * ```ts
 * parseJsonText('\uFEFF{"a": 1}'); // { a: 1 }
 * ```
 */
export function parseJsonText(text: string): unknown {
  return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}

/**
 * The text of `path`, or `null` when there is no such file. A folder at the
 * path, or a file where a folder on the way should be, is one `DataError`
 * naming the path (never a raw operating-system error).
 *
 * @example
 * ```ts
 * await readTextIfAny("models/lstm/current.json"); // null before the first promotion
 * ```
 */
export async function readTextIfAny(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    if (error instanceof Deno.errors.IsADirectory) {
      throw new DataError(`Expected ${path} to be a file, found a folder`);
    }
    if (error instanceof Deno.errors.NotADirectory) {
      throw new DataError(
        `Expected every folder on the way to ${path} to be a folder, found a file`,
      );
    }
    throw error;
  }
}

/**
 * The first problem a zod schema found, in words: `history.0: Invalid
 * string` becomes `history[0] = "../v1" (…)`, with the value found.
 *
 * @example
 * ```ts
 * const r = schema.safeParse(value);
 * if (!r.success) console.error(describeIssue(r.error, value));
 * ```
 */
export function describeIssue(error: z.ZodError, value: unknown): string {
  const issue = error.issues[0];
  if (!issue) return "an invalid value";
  let found: unknown = value;
  let where = "";
  for (const key of issue.path) {
    where += typeof key === "number" ? `[${key}]` : `${where ? "." : ""}${String(key)}`;
    found = found !== null && typeof found === "object"
      ? (found as Record<PropertyKey, unknown>)[key as PropertyKey]
      : undefined;
  }
  const shown = found === undefined ? "nothing" : JSON.stringify(found)?.slice(0, 60) ?? "nothing";
  return where
    ? `${where} = ${shown} (${issue.message})`
    : `${shown.slice(0, 60)} (${issue.message})`;
}

/** Options of {@linkcode readJsonFile}. */
export interface ReadJsonOptions {
  /** What the file should hold, for error lines (`{"current": "vN", "history": [...]}`). */
  shape: string;
  /** The whole expectation after the path, when "to hold <shape>" does not say it well. */
  expectation?: string;
  /** Said after the error line (e.g. how to get a good file), when given. */
  hint?: string;
}

/**
 * Reads `path` (byte-order mark dropped) and checks it with `schema`; `null`
 * when there is no such file. Anything else wrong is one `DataError`:
 * `Expected <path> to hold <shape>, found <what>`.
 *
 * @example
 * ```ts
 * const pointer = await readJsonFile("models/lstm/current.json", pointerSchema, {
 *   shape: '{"current": "vN", "history": [...]}',
 * });
 * ```
 */
export async function readJsonFile<T>(
  path: string,
  schema: z.ZodType<T>,
  options: ReadJsonOptions,
): Promise<T | null> {
  const text = await readTextIfAny(path);
  if (text === null) return null;
  return parseJsonFile(text, path, schema, options);
}

/**
 * {@linkcode readJsonFile} for a file that must exist: a missing one is a
 * `DataError` too (`Expected <path> to exist, found no such file`, then
 * `missing` in brackets when given).
 *
 * @example
 * ```ts
 * const scaler = await readRequiredJsonFile("models/lstm/v1/scaler.json", scalerSchema, {
 *   shape: "a scaler", missing: "is this a model folder?",
 * });
 * ```
 */
export async function readRequiredJsonFile<T>(
  path: string,
  schema: z.ZodType<T>,
  options: ReadJsonOptions & { missing?: string },
): Promise<T> {
  const value = await readJsonFile(path, schema, options);
  if (value === null) {
    throw new DataError(
      `Expected ${path} to exist, found no such file${
        options.missing ? ` (${options.missing})` : ""
      }`,
    );
  }
  return value;
}

/**
 * Parses the text of the JSON file `path` (byte-order mark dropped) and
 * checks it with `schema`, as {@linkcode readJsonFile} does.
 *
 * @example
 * ```ts
 * parseJsonFile('{"shadow": []}', "shadow.json", shadowSchema, { shape: '{"shadow": [...]}' });
 * ```
 */
export function parseJsonFile<T>(
  text: string,
  path: string,
  schema: z.ZodType<T>,
  options: ReadJsonOptions,
): T {
  const tail = options.hint ? `; ${options.hint}` : "";
  let value: unknown;
  try {
    value = parseJsonText(text);
  } catch {
    throw new DataError(
      `Expected JSON in ${path}, found a file that does not parse (corrupted content: ${
        JSON.stringify(text.slice(0, 40))
      })${tail}`,
    );
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new DataError(
      `Expected ${path} ${options.expectation ?? `to hold ${options.shape}`}, found ${
        describeIssue(result.error, value)
      }${tail}`,
    );
  }
  return result.data;
}
