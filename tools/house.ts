/**
 * The house's import graph, read from the import statements of the module's own files: which
 * file imports which (static, dynamic and type imports, and re-exports alike), and the folder
 * graph it makes. `tests/architecture_test.ts` holds ARCHITECTURE.md's floors with it; run it
 * to see the folder graph (folder → folders it imports, with how many import statements):
 *
 * ```sh
 * deno run --allow-read tools/house.ts           # the folder graph
 * deno run --allow-read tools/house.ts --json    # the same as JSON
 * ```
 *
 * @module
 */

import { dirname, join, normalize, relative, sep } from "node:path";

/** The project's root folder (where `deno.json` is). */
export const ROOT: string = normalize(join(import.meta.dirname ?? ".", ".."));

/** The folders and files whose imports make the house (tests, tools and examples stand outside). */
export const HOUSE: readonly string[] = ["mod.ts", "cli.ts", "src", "plugins"];

/** One import statement of one file that names another file of the house. */
export interface ImportEdge {
  /** The importing file, relative to the root, with `/` separators. */
  from: string;
  /** The imported file, relative to the root. */
  to: string;
  /** An `import type` / `export type` statement (it still ties the two files together). */
  typeOnly: boolean;
}

/** The house's files and the imports between them. */
export interface House {
  /** Every `.ts` file of the house, relative to the root, sorted. */
  files: string[];
  /** Line counts, by file. */
  lines: Record<string, number>;
  /** Every import of a house file by a house file (one per statement). */
  edges: ImportEdge[];
}

/**
 * The module specifiers a TypeScript source imports or re-exports: `import … from "x"`,
 * `import "x"`, `export … from "x"`, `import("x")` (and `import type`), skipping comments and
 * the contents of other strings, so a JSDoc example is not an import.
 *
 * @example
 * ```ts
 * importSpecifiers('import type { A } from "./a.ts"; // import "./b.ts"');
 * // [{ specifier: "./a.ts", typeOnly: true }]
 * ```
 */
export function importSpecifiers(source: string): { specifier: string; typeOnly: boolean }[] {
  const tokens: { kind: "word" | "string" | "punct"; text: string }[] = [];
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i];
    if (c === "/" && source[i + 1] === "/") {
      while (i < n && source[i] !== "\n") i++;
    } else if (c === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      let text = "";
      while (j < n && source[j] !== c) {
        if (source[j] === "\\") j++;
        else text += source[j];
        j++;
      }
      tokens.push({ kind: "string", text: c === "`" ? "" : text });
      i = j + 1;
    } else if (/[A-Za-z_$]/.test(c)) {
      let j = i;
      while (j < n && /[\w$]/.test(source[j])) j++;
      tokens.push({ kind: "word", text: source.slice(i, j) });
      i = j;
    } else {
      if (!/\s/.test(c)) tokens.push({ kind: "punct", text: c });
      i++;
    }
  }
  const found: { specifier: string; typeOnly: boolean }[] = [];
  let statementStart = 0;
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t];
    if (token.kind === "punct" && token.text === ";") statementStart = t + 1;
    if (token.kind !== "string") continue;
    const previous = tokens[t - 1];
    const isFrom = previous?.kind === "word" && previous.text === "from";
    const isBare = previous?.kind === "word" && previous.text === "import";
    const isDynamic = previous?.text === "(" && tokens[t - 2]?.text === "import";
    if (!isFrom && !isBare && !isDynamic) continue;
    // `import type` / `export type` at the head of the statement.
    let head = t - 1;
    while (head > statementStart && !["import", "export"].includes(tokens[head].text)) head--;
    const typeOnly = isFrom && tokens[head + 1]?.text === "type" &&
      ["import", "export"].includes(tokens[head].text);
    found.push({ specifier: token.text, typeOnly });
  }
  return found;
}

async function walk(path: string, into: string[]): Promise<void> {
  const info = await Deno.stat(join(ROOT, path));
  if (info.isFile) {
    if (path.endsWith(".ts")) into.push(path);
    return;
  }
  for await (const entry of Deno.readDir(join(ROOT, path))) {
    await walk(`${path}/${entry.name}`, into);
  }
}

/**
 * Reads the house: every `.ts` file under {@linkcode HOUSE}, its line count, and its imports of
 * other house files (npm packages and files outside the house are left out).
 *
 * @example
 * ```ts
 * const house = await readHouse();
 * console.log(house.files.length, house.edges.length);
 * ```
 */
export async function readHouse(): Promise<House> {
  const files: string[] = [];
  for (const top of HOUSE) await walk(top, files);
  files.sort();
  const known = new Set(files);
  const lines: Record<string, number> = {};
  const edges: ImportEdge[] = [];
  for (const file of files) {
    const source = await Deno.readTextFile(join(ROOT, file));
    lines[file] = source.split("\n").length - (source.endsWith("\n") ? 1 : 0);
    for (const { specifier, typeOnly } of importSpecifiers(source)) {
      if (!specifier.startsWith(".")) continue;
      const to = relative(ROOT, join(ROOT, dirname(file), specifier)).split(sep).join("/");
      if (known.has(to)) edges.push({ from: file, to, typeOnly });
    }
  }
  return { files, lines, edges };
}

/**
 * The folder a file belongs to in the layer rule: `src/<folder>` for files under `src/` (sub
 * folders count as their top folder: `src/model/fast/step.ts` is in `src/model`), `plugins`,
 * and `.` for the root's entry files.
 *
 * @example
 * ```ts
 * folderOf("src/model/fast/step.ts"); // "src/model"
 * folderOf("mod.ts"); // "."
 * ```
 */
export function folderOf(file: string): string {
  const parts = file.split("/");
  if (parts.length === 1) return ".";
  if (parts[0] === "src" && parts.length > 2) return `src/${parts[1]}`;
  return parts[0];
}

/**
 * The folder graph: for each folder, the other folders it imports and how many import
 * statements do so.
 *
 * @example
 * ```ts
 * folderGraph(await readHouse())["src/cli"]; // { "src/pipeline": 40, … }
 * ```
 */
export function folderGraph(house: House): Record<string, Record<string, number>> {
  const graph: Record<string, Record<string, number>> = {};
  for (const file of house.files) graph[folderOf(file)] ??= {};
  for (const { from, to } of house.edges) {
    const a = folderOf(from), b = folderOf(to);
    if (a === b) continue;
    graph[a][b] = (graph[a][b] ?? 0) + 1;
  }
  return graph;
}

/**
 * The import cycles between files (type imports included): each strongly connected component
 * of two or more files, its files sorted, the components sorted.
 *
 * @example
 * ```ts
 * fileCycles(await readHouse()); // [["src/model/a.ts", "src/model/b.ts"], …]
 * ```
 */
export function fileCycles(house: House): string[][] {
  const next = new Map<string, string[]>(house.files.map((f) => [f, []]));
  for (const { from, to } of house.edges) next.get(from)!.push(to);
  // Tarjan's strongly connected components.
  let counter = 0;
  const index = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const file of house.files) if (!index.has(file)) visit(file);
  return components.sort((a, b) => a[0].localeCompare(b[0]));
}

/**
 * The folder graph as text, one folder a line: `src/cli → src/pipeline 40, src/model 12, …`,
 * heaviest first.
 *
 * @example
 * ```ts
 * console.log(folderGraphText(await readHouse()));
 * ```
 */
export function folderGraphText(house: House): string {
  const graph = folderGraph(house);
  const counts = (folder: string): number =>
    house.files.filter((f) => folderOf(f) === folder).length;
  return Object.keys(graph).sort().map((folder) => {
    const targets = Object.entries(graph[folder]).sort((a, b) =>
      b[1] - a[1] || (a[0] < b[0] ? -1 : 1)
    )
      .map(([to, n]) => `${to} ${n}`).join(", ");
    return `${folder} (${counts(folder)} files) → ${targets || "nothing"}`;
  }).join("\n");
}

if (import.meta.main) {
  const house = await readHouse();
  if (Deno.args.includes("--json")) {
    console.log(
      JSON.stringify({ folders: folderGraph(house), cycles: fileCycles(house) }, null, 2),
    );
  } else {
    console.log(folderGraphText(house));
    const cycles = fileCycles(house);
    console.log(`\nfile cycles: ${cycles.length}`);
    for (const cycle of cycles) console.log(`  ${cycle.join(" ↔ ")}`);
    const big = house.files.filter((f) => f.startsWith("src/") && house.lines[f] > 900);
    console.log(`files under src/ over 900 lines: ${big.length}`);
    for (const f of big) console.log(`  ${f} ${house.lines[f]}`);
  }
}
