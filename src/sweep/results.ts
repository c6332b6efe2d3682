/**
 * `sweeps/<name>/results.jsonl`: one line per finished job, written by the
 * sweep command alone, each job's result exactly once (the first result of
 * an id wins; a later one, say from a job the queue ran twice, is dropped).
 * Lines are appended whole; a line cut short by a crash is skipped on
 * reading and the next append starts on a fresh line.
 *
 * @example
 * ```ts
 * import { openResults } from "./results.ts";
 * const store = await openResults("sweeps/spy");
 * if (!store.has(job.id)) await store.add(result);
 * ```
 *
 * @module
 */

import { join } from "node:path";
import type { JobResult } from "./job.ts";

/** The results file's name inside a sweep's folder. */
export const RESULTS_FILE = "results.jsonl";

/**
 * The results of a sweep, read from disk and appended to.
 *
 * @example
 * ```ts
 * const store: ResultStore = await openResults("sweeps/spy");
 * store.get("3f2a9c01b7d4e5f6")?.status;
 * ```
 */
export interface ResultStore {
  /** The file. */
  path: string;
  /** Lines that could not be read (a crash mid-write), skipped. */
  skipped: number;
  /** Whether `id` has a result. */
  has(id: string): boolean;
  /** The result of `id`. */
  get(id: string): JobResult | undefined;
  /** Every result, in file order. */
  all(): JobResult[];
  /** Appends `result` unless its id has one already; whether it was written. */
  add(result: JobResult): Promise<boolean>;
}

/**
 * Opens (creating the folder) the results of the sweep in `dir`.
 *
 * @example
 * ```ts
 * const store = await openResults("sweeps/spy");
 * console.log(store.all().length, "results so far");
 * ```
 */
export async function openResults(dir: string): Promise<ResultStore> {
  await Deno.mkdir(dir, { recursive: true });
  const path = join(dir, RESULTS_FILE);
  let text = "";
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const byId = new Map<string, JobResult>();
  let skipped = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const result = JSON.parse(line) as JobResult;
      if (typeof result.id !== "string") throw new Error("no id");
      if (!byId.has(result.id)) byId.set(result.id, result);
    } catch {
      skipped++;
    }
  }
  let needsNewline = text !== "" && !text.endsWith("\n");
  const encoder = new TextEncoder();
  return {
    path,
    skipped,
    has: (id) => byId.has(id),
    get: (id) => byId.get(id),
    all: () => [...byId.values()],
    async add(result: JobResult): Promise<boolean> {
      if (byId.has(result.id)) return false;
      byId.set(result.id, result);
      const line = `${needsNewline ? "\n" : ""}${JSON.stringify(result)}\n`;
      needsNewline = false;
      const file = await Deno.open(path, { append: true, create: true });
      try {
        const bytes = encoder.encode(line);
        let written = 0;
        while (written < bytes.length) written += await file.write(bytes.subarray(written));
      } finally {
        file.close();
      }
      return true;
    },
  };
}
