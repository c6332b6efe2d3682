/**
 * Plain-text tables for the commands' human-readable output.
 *
 * @module
 */

/**
 * Options of {@linkcode formatTable}.
 *
 * @example
 * ```ts
 * const options: TableOptions = { indent: "  ", align: ["left", "right"] };
 * ```
 */
export interface TableOptions {
  /** Put before every line (default none). */
  indent?: string;
  /** Alignment of each column (default left; columns past the array's end are left-aligned). */
  align?: ("left" | "right")[];
}

/**
 * Renders rows of cells as a text table: each column as wide as its widest
 * cell, two spaces between columns, every line prefixed with `indent` and
 * stripped of trailing spaces. Rows may have different lengths (a missing
 * cell is empty). The first row is usually the header; no rule is drawn.
 * An empty `rows` gives `""`.
 *
 * @example
 * ```ts
 * formatTable([["metric", "model"], ["accuracy", "0.53"], ["auc", "0.5"]], {
 *   align: ["left", "right"],
 * });
 * // metric    model
 * // accuracy   0.53
 * // auc         0.5
 * ```
 */
export function formatTable(rows: string[][], options: TableOptions = {}): string {
  const indent = options.indent ?? "";
  const align = options.align ?? [];
  const columns = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from(
    { length: columns },
    (_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)),
  );
  return rows.map((r) =>
    (indent + widths.map((w, c) => {
      const cell = r[c] ?? "";
      return align[c] === "right" ? cell.padStart(w) : cell.padEnd(w);
    }).join("  ")).trimEnd()
  ).join("\n");
}
