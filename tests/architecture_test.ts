/**
 * The floors of ARCHITECTURE.md, read from the import statements (`tools/house.ts`): imports run
 * one way down {@linkcode LAYERS}, no file takes part in an import circle (type imports
 * included), and no file under `src/` is over {@linkcode MAX_LINES} lines.
 *
 * Today's violations are listed in {@linkcode KNOWN_VIOLATIONS}. The test fails on a violation
 * that is not listed AND on a listed one that no longer occurs, so the list can only shrink:
 * whoever fixes one removes its line.
 */

import assert from "node:assert/strict";
import { fileCycles, folderOf, type House, readHouse } from "../tools/house.ts";

/**
 * The layers, top to bottom. A folder may import from folders of the layers below its own, never
 * from its own layer's other folders or from a layer above. `.` is the root's entry files
 * (`mod.ts`, `cli.ts`), which nothing in the house imports.
 */
const LAYERS: readonly (readonly string[])[] = [
  ["."],
  ["src/cli"],
  // Text tables and HTML pages render what the pipeline, bench and sweeps return.
  ["src/views"],
  // Engines the commands start: bench rows and sweep jobs run models and the pipeline.
  ["src/bench", "src/sweep"],
  // What commands and bots compose: the pipeline, and the signal plugins a bot registers.
  ["src/pipeline", "plugins"],
  // Models train on the one log loss and Brier of src/eval (scores.ts), so eval sits below.
  ["src/model"],
  ["src/eval"],
  // The training-set contract and its two shapes.
  ["src/dataset"],
  ["src/features"],
  // The signal's value objects: bars in, a probability out.
  ["src/signal"],
  ["src/data"],
  ["src/util"],
];

/** No file under `src/` is longer (ARCHITECTURE.md: "no file under src/ over about 900 lines"). */
const MAX_LINES = 900;

/**
 * Today's violations, one a line: `layer: <file> → <file>` (an import that climbs or crosses a
 * layer), `cycle: <file> ↔ <file> …` (files that import each other, directly or round a circle),
 * `size: <file>` (over MAX_LINES lines). Remove a line when you fix it; never add one.
 */
const KNOWN_VIOLATIONS: readonly string[] = [];

function rankOf(folder: string): number {
  return LAYERS.findIndex((layer) => layer.includes(folder));
}

function layerViolations(house: House): string[] {
  const found = new Set<string>();
  for (const { from, to } of house.edges) {
    const a = folderOf(from), b = folderOf(to);
    if (a === b) continue;
    if (rankOf(a) < rankOf(b)) continue;
    found.add(`layer: ${from} → ${to}`);
  }
  return [...found];
}

function violations(house: House): string[] {
  return [
    ...layerViolations(house),
    ...fileCycles(house).map((cycle) => `cycle: ${cycle.join(" ↔ ")}`),
    ...house.files.filter((f) => f.startsWith("src/") && house.lines[f] > MAX_LINES)
      .map((f) => `size: ${f}`),
  ].sort();
}

const house = await readHouse();

Deno.test("every folder of the house has a place in the layers", () => {
  const folders = [...new Set(house.files.map(folderOf))].sort();
  const unplaced = folders.filter((folder) => rankOf(folder) < 0);
  assert.deepStrictEqual(
    unplaced,
    [],
    `Expected every folder in LAYERS, found ${unplaced.join(", ")} not`,
  );
});

Deno.test("no import climbs a layer, no circle, no long file, beyond today's known ones", () => {
  const actual = violations(house);
  const added = actual.filter((v) => !KNOWN_VIOLATIONS.includes(v));
  assert.deepStrictEqual(
    added,
    [],
    `New violations of ARCHITECTURE.md (fix them):\n  ${added.join("\n  ")}`,
  );
});

Deno.test("every known violation still occurs (remove the fixed ones from the list)", () => {
  const actual = violations(house);
  const fixed = KNOWN_VIOLATIONS.filter((v) => !actual.includes(v));
  assert.deepStrictEqual(
    fixed,
    [],
    `Fixed violations still listed in KNOWN_VIOLATIONS (remove them):\n  ${fixed.join("\n  ")}`,
  );
});

Deno.test("the import reader sees type imports, re-exports and dynamic imports, not comments", async () => {
  const { importSpecifiers } = await import("../tools/house.ts");
  const source = [
    '/** import { a } from "./in_doc.ts"; */',
    'import type { A } from "./a.ts";',
    'export { b } from "./b.ts";',
    '// import "./in_comment.ts";',
    'const c = await import("./c.ts");',
    'const text = "import x from \\"./in_string.ts\\"";',
    'import {\n  d,\n  type D,\n} from "./d.ts";',
  ].join("\n");
  assert.deepStrictEqual(importSpecifiers(source), [
    { specifier: "./a.ts", typeOnly: true },
    { specifier: "./b.ts", typeOnly: false },
    { specifier: "./c.ts", typeOnly: false },
    { specifier: "./d.ts", typeOnly: false },
  ]);
});

Deno.test("a layer violation and a circle are found in a made-up house", () => {
  const made: House = {
    files: ["src/cli/a.ts", "src/util/b.ts", "src/util/c.ts"],
    lines: { "src/cli/a.ts": 10, "src/util/b.ts": 901, "src/util/c.ts": 5 },
    edges: [
      { from: "src/util/b.ts", to: "src/cli/a.ts", typeOnly: true },
      { from: "src/util/b.ts", to: "src/util/c.ts", typeOnly: false },
      { from: "src/util/c.ts", to: "src/util/b.ts", typeOnly: true },
    ],
  };
  assert.deepStrictEqual(violations(made), [
    "cycle: src/util/b.ts ↔ src/util/c.ts",
    "layer: src/util/b.ts → src/cli/a.ts",
    "size: src/util/b.ts",
  ]);
});
