/**
 * `deno task fuzz`: runs the command line on a few hundred distinct bad
 * inputs, offline and seeded, and checks what a user must be able to rely on:
 *
 * - no stack trace, ever (without `--verbose`);
 * - a failed command exits non-zero with exactly one error line (`error: …`,
 *   the last line on stderr) and changes no file (the case folder is hashed
 *   before and after);
 * - an input that cannot be repaired is refused (exit 0 there is a finding);
 *   one that can be repaired (a few bad rows) may pass, and is counted apart.
 *
 * Categories: `csv` (corrupted CSV files imported with `prepare --source csv`),
 * `flags` (malformed flags of every command), `models` (corrupted model
 * folders and pointers, read by predict, evaluate, backtest and `models`),
 * `caches` (corrupted data caches read by train and prepare), `paths`
 * (files where folders go and folders where files go), and issue 23's:
 * `universe` (`--csv-dir` folders with one symbol twice, a folder or a dead
 * link, long CSVs, binary tickers files), `sweeps` (sweep specs: a 1e8 grid,
 * wrong types, inverted dates, YAML tags; a BOM must be accepted), `pointers`
 * (current.json, shadow.json, rollback history and `models show` naming
 * paths out of the root, temporary or missing versions), `boms` (a UTF-8
 * byte-order mark before each JSON file a model is loaded from: must be
 * accepted) and `modules` (features modules that hang, exit or throw at
 * import; the hang takes the loader's 30 s timeout). Each case runs in a
 * fresh temporary folder holding a copy of two tiny trained models (`lstm`,
 * `b`) and their ensemble (`ens`), a prepared synthetic cache and a good CSV,
 * with write access to that folder only. An input is `fail` (must be
 * refused), `ok` (must be accepted) or `any` (may be repaired and pass).
 *
 * ```sh
 * deno task fuzz                      # every case, 2 at a time
 * deno task fuzz --seed 7 --jobs 1    # another seed, one at a time
 * deno task fuzz --only models --list # print the cases of a category
 * deno task fuzz --only pointers,boms # issue 23's pointer and BOM cases
 * deno task fuzz --only boms --lines  # and what each case said (exit, last line)
 * ```
 *
 * Prints counts by category and each finding; exits 1 when there is any.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { dirname, join } from "node:path";
import { createRng, type Rng } from "../src/util/random.ts";

const ROOT = join(dirname(new URL(import.meta.url).pathname), "..");
const CLI = join(ROOT, "cli.ts");
const CATEGORIES = [
  "csv",
  "flags",
  "models",
  "caches",
  "paths",
  "universe",
  "sweeps",
  "pointers",
  "boms",
  "modules",
] as const;
type Category = typeof CATEGORIES[number];

/** What a case needs copied into its folder before its own setup. */
type Base = "model" | "cache" | "csv";

/** One bad input: a command line run in a folder prepared by `setup`. */
interface Case {
  category: Category;
  /** What is wrong, in words (distinct within the run). */
  name: string;
  /** Arguments of cli.ts, with paths relative to the case folder. */
  args: string[];
  /** `fail`: must be refused; `any`: may be repaired and pass; `ok`: must be accepted. */
  expect: "fail" | "any" | "ok";
  /** What to copy in first (default: model, cache and csv). */
  base?: Base[];
  /** Breaks the copied inputs. */
  setup?: (dir: string, rng: Rng) => Promise<void>;
  /** Permission flags of `deno run` besides read and write, as the command's task grants. */
  permissions?: string[];
  /**
   * A command that reports per item on stdout (a universe import): its failure
   * may be said by stdout's last line matching this, with stderr empty, instead
   * of one `error:` line.
   */
  report?: RegExp;
}

/** What happened to one case. */
interface Outcome {
  kase: Case;
  code: number;
  stderr: string;
  timedOut: boolean;
  changed: string[];
  findings: string[];
}

const TINY = [
  "--epochs",
  "1",
  "--sequence-length",
  "10",
  "--lstm-units",
  "4",
  "--batch-size",
  "64",
  "--backend",
  "cpu",
];

// ---------------------------------------------------------------------------
// Helpers that build bad inputs

const text = new TextEncoder();

async function write(dir: string, path: string, data: string | Uint8Array): Promise<void> {
  const full = join(dir, path);
  await Deno.mkdir(dirname(full), { recursive: true });
  await Deno.writeFile(full, typeof data === "string" ? text.encode(data) : data);
}

async function read(dir: string, path: string): Promise<string> {
  return await Deno.readTextFile(join(dir, path));
}

async function editJson(
  dir: string,
  path: string,
  edit: (value: Record<string, unknown>) => unknown,
): Promise<void> {
  const value = JSON.parse(await read(dir, path));
  const replaced = edit(value);
  await write(dir, path, JSON.stringify(replaced === undefined ? value : replaced));
}

async function replaceWithFolder(dir: string, path: string): Promise<void> {
  await Deno.remove(join(dir, path), { recursive: true }).catch(() => {});
  await Deno.mkdir(join(dir, path), { recursive: true });
}

async function replaceWithFile(dir: string, path: string): Promise<void> {
  await Deno.remove(join(dir, path), { recursive: true }).catch(() => {});
  await write(dir, path, "not a folder\n");
}

function randomBytes(rng: Rng, n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = rng.int(256);
  return bytes;
}

/** The good CSV (Yahoo dialect) as header + rows of cells. */
async function csvTable(dir: string): Promise<{ header: string[]; rows: string[][] }> {
  const lines = (await read(dir, "good.csv")).trim().split("\n");
  return { header: lines[0].split(","), rows: lines.slice(1).map((l) => l.split(",")) };
}

function csvText(header: string[], rows: string[][], sep = ",", eol = "\n"): string {
  return [header, ...rows].map((r) => r.join(sep)).join(eol) + eol;
}

/** A CSV case: `mutate` turns the good table into the bad file's text. */
function csvCase(
  name: string,
  expect: "fail" | "any",
  mutate: (t: { header: string[]; rows: string[][] }, rng: Rng) => string | Uint8Array,
): Case {
  return {
    category: "csv",
    name,
    expect,
    args: ["prepare", "--ticker", "SPY", "--source", "csv", "--csv", "input.csv"],
    setup: async (dir, rng) => await write(dir, "input.csv", mutate(await csvTable(dir), rng)),
  };
}

const COL = { date: 0, open: 1, high: 2, low: 3, close: 4, adj: 5, volume: 6 };

function everyRow(
  t: { header: string[]; rows: string[][] },
  edit: (row: string[], i: number) => string[],
): string {
  return csvText(t.header, t.rows.map((r, i) => edit([...r], i)));
}

function setCell(col: number, value: (row: string[], i: number) => string) {
  return (row: string[], i: number): string[] => {
    row[col] = value(row, i);
    return row;
  };
}

// ---------------------------------------------------------------------------
// The cases

function csvCases(): Case[] {
  const cases: Case[] = [
    csvCase("an empty file", "fail", () => ""),
    csvCase("a header only", "fail", (t) => csvText(t.header, [])),
    csvCase("a byte-order mark only", "fail", () => "\ufeff"),
    csvCase("random binary bytes", "fail", (_, rng) => randomBytes(rng, 4000)),
    csvCase("gzip magic and garbage", "fail", (_, rng) => {
      const b = randomBytes(rng, 2000);
      b[0] = 0x1f;
      b[1] = 0x8b;
      return b;
    }),
    csvCase(
      "an HTML error page",
      "fail",
      () => "<!DOCTYPE html><html><body><h1>404 Not Found</h1></body></html>\n",
    ),
    csvCase("a JSON array", "fail", () => '[{"date":"2020-01-02","close":1}]\n'),
    csvCase(
      "a trailing comma on every line",
      "any",
      (t) => [t.header, ...t.rows].map((r) => r.join(",") + ",").join("\n") + "\n",
    ),
    csvCase(
      "thousands separators in every price",
      "fail",
      (t) => everyRow(t, (r) => r.map((c, i) => (i >= 1 && i <= 5 ? `"1,${c}"` : c))),
    ),
    csvCase("MM/DD/YYYY dates", "fail", (t) =>
      everyRow(
        t,
        setCell(COL.date, (r) => `${r[0].slice(5, 7)}/${r[0].slice(8, 10)}/${r[0].slice(0, 4)}`),
      )),
    csvCase("DD.MM.YYYY dates", "fail", (t) =>
      everyRow(
        t,
        setCell(COL.date, (r) => `${r[0].slice(8, 10)}.${r[0].slice(5, 7)}.${r[0].slice(0, 4)}`),
      )),
    csvCase("1e400 in every close", "fail", (t) => everyRow(t, setCell(COL.close, () => "1e400"))),
    csvCase(
      "1e400 in one close",
      "any",
      (t) => everyRow(t, setCell(COL.close, (r, i) => (i === 50 ? "1e400" : r[COL.close]))),
    ),
    csvCase(
      "negative volume in every row",
      "fail",
      (t) => everyRow(t, setCell(COL.volume, (r) => `-${r[COL.volume]}`)),
    ),
    csvCase(
      "negative prices in every row",
      "fail",
      (t) => everyRow(t, (r) => r.map((c, i) => (i >= 1 && i <= 5 ? `-${c}` : c))),
    ),
    csvCase(
      "zero prices in every row",
      "fail",
      (t) => everyRow(t, (r) => r.map((c, i) => (i >= 1 && i <= 5 ? "0" : c))),
    ),
    csvCase("NaN in every close", "fail", (t) => everyRow(t, setCell(COL.close, () => "NaN"))),
    csvCase(
      "null in every cell",
      "fail",
      (t) => everyRow(t, (r) => r.map((c, i) => (i === 0 ? c : "null"))),
    ),
    csvCase("the close column missing", "fail", (t) =>
      csvText(
        t.header.filter((_, i) => i !== COL.close && i !== COL.adj),
        t.rows.map((r) => r.filter((_, i) => i !== COL.close && i !== COL.adj)),
      )),
    csvCase(
      "the date column missing",
      "fail",
      (t) => csvText(t.header.slice(1), t.rows.map((r) => r.slice(1))),
    ),
    csvCase(
      "a date column only",
      "fail",
      (t) => csvText(t.header.slice(0, 1), t.rows.map((r) => r.slice(0, 1))),
    ),
    csvCase("semicolon delimiters", "fail", (t) => csvText(t.header, t.rows, ";")),
    csvCase("tab delimiters", "fail", (t) => csvText(t.header, t.rows, "\t")),
    csvCase("pipe delimiters", "fail", (t) => csvText(t.header, t.rows, "|")),
    csvCase("a misspelled header", "fail", (t) => csvText(["Dte", ...t.header.slice(1)], t.rows)),
    csvCase(
      "the header repeated mid-file",
      "any",
      (t) => csvText(t.header, [...t.rows.slice(0, 100), t.header, ...t.rows.slice(100)]),
    ),
    csvCase("every row twice", "any", (t) => csvText(t.header, t.rows.flatMap((r) => [r, r]))),
    csvCase("high below low in every row", "fail", (t) =>
      everyRow(t, (r) => {
        r[COL.low] = String(Number(r[COL.high]) * 2); // low twice the high
        return r;
      })),
    csvCase(
      "dates in the year 9999",
      "fail",
      (t) => everyRow(t, setCell(COL.date, (r) => `9999${r[0].slice(4)}`)),
    ),
    csvCase(
      "one date in the year 9999",
      "any",
      (t) =>
        everyRow(t, setCell(COL.date, (r, i) => (i === t.rows.length - 1 ? "9999-01-04" : r[0]))),
    ),
    csvCase(
      "dates in the year 0001",
      "fail",
      (t) => everyRow(t, setCell(COL.date, (r) => `0001${r[0].slice(4)}`)),
    ),
    csvCase("Windows-1252 bytes after every date", "fail", (t) => {
      const body = everyRow(t, setCell(COL.date, (r) => `${r[0]} caf\u0000`));
      return text.encode(body).map((b) => (b === 0 ? 0xe9 : b));
    }),
    csvCase("Windows-1252 bytes after one date", "any", (t) => {
      const body = everyRow(t, setCell(COL.date, (r, i) => (i === 7 ? `${r[0]} caf\u0000` : r[0])));
      return text.encode(body).map((b) => (b === 0 ? 0xe9 : b));
    }),
    csvCase(
      "an unterminated quote",
      "fail",
      (t) => csvText(t.header, [...t.rows.slice(0, 10), ['"2020-02-03', ...t.rows[10].slice(1)]]),
    ),
    csvCase("NUL bytes in the middle", "any", (t) => {
      const bytes = text.encode(csvText(t.header, t.rows));
      bytes.fill(0, 2000, 2100);
      return bytes;
    }),
    csvCase(
      "one line of a megabyte",
      "any",
      (t) =>
        csvText(t.header, [...t.rows.slice(0, 5), ["x".repeat(1_000_000)], ...t.rows.slice(5)]),
    ),
    csvCase(
      "a row with too many fields",
      "any",
      (t) => csvText(t.header, t.rows.map((r, i) => (i === 20 ? [...r, "1", "2"] : r))),
    ),
    csvCase(
      "a row with too few fields",
      "any",
      (t) => csvText(t.header, t.rows.map((r, i) => (i === 20 ? r.slice(0, 3) : r))),
    ),
    csvCase(
      "every row on one date",
      "fail",
      (t) => everyRow(t, setCell(COL.date, () => "2021-03-04")),
    ),
    csvCase("old Mac line endings (CR only)", "any", (t) => csvText(t.header, t.rows, ",", "\r")),
    csvCase("UTF-16 encoded", "fail", (t) => {
      const s = csvText(t.header, t.rows);
      const out = new Uint8Array(2 + s.length * 2);
      out[0] = 0xff;
      out[1] = 0xfe;
      for (let i = 0; i < s.length; i++) out[2 + 2 * i] = s.charCodeAt(i);
      return out;
    }),
    csvCase("closes written as words", "fail", (t) => everyRow(t, setCell(COL.close, () => "ten"))),
    csvCase(
      "closes with a percent sign",
      "fail",
      (t) => everyRow(t, setCell(COL.close, (r) => `${r[COL.close]}%`)),
    ),
    csvCase(
      "closes with a dollar sign",
      "fail",
      (t) => everyRow(t, setCell(COL.close, (r) => `$${r[COL.close]}`)),
    ),
    csvCase(
      "1e-400 (zero) in every close",
      "fail",
      (t) => everyRow(t, setCell(COL.close, () => "1e-400")),
    ),
    csvCase(
      "Infinity in every high",
      "fail",
      (t) => everyRow(t, setCell(COL.high, () => "Infinity")),
    ),
    csvCase("hexadecimal closes", "fail", (t) => everyRow(t, setCell(COL.close, () => "0x10"))),
    csvCase(
      "whitespace-only lines between rows",
      "any",
      (t) => [t.header.join(","), ...t.rows.map((r) => r.join(",") + "\n   ")].join("\n") + "\n",
    ),
    csvCase("empty opens in every row", "any", (t) => everyRow(t, setCell(COL.open, () => ""))),
    csvCase(
      "dates in the year 2099",
      "fail",
      (t) => everyRow(t, setCell(COL.date, (r) => `2099${r[0].slice(4)}`)),
    ),
    csvCase(
      "dates with a time of day and zone",
      "any",
      (t) => everyRow(t, setCell(COL.date, (r) => `${r[0]}T25:61:00+99:00`)),
    ),
    csvCase(
      "impossible calendar dates (Feb 30)",
      "fail",
      (t) => everyRow(t, setCell(COL.date, (r) => `${r[0].slice(0, 5)}02-30`)),
    ),
    csvCase("volumes of 1e30", "any", (t) => everyRow(t, setCell(COL.volume, () => "1e30"))),
    csvCase("a spike of 1000x in one close", "any", (t) =>
      everyRow(
        t,
        setCell(COL.close, (r, i) => (i === 60 ? String(Number(r[COL.close]) * 1000) : r[4])),
      )),
    csvCase("dates in descending order", "any", (t) => csvText(t.header, [...t.rows].reverse())),
    csvCase(
      "a header of numbers",
      "fail",
      (t) => csvText(t.header.map((_, i) => String(i)), t.rows),
    ),
    csvCase(
      "quoted everything with embedded newlines",
      "any",
      (t) => csvText(t.header, t.rows.map((r) => r.map((c) => `"${c}\n"`))),
    ),
    csvCase("one row only", "any", (t) => csvText(t.header, t.rows.slice(0, 1))),
    csvCase(
      "a control character in every ticker-free cell",
      "fail",
      (t) => everyRow(t, (r) => r.map((c, i) => (i === 0 ? c : `${c}\u0007`))),
    ),
  ];
  // Seeded point mutations: k cells of random rows get a junk token (repairable: any).
  const junk = [
    "",
    "abc",
    "-1",
    "1e400",
    "NaN",
    "∞",
    "0x10",
    '"',
    "null",
    "2024-13-45",
    "  ",
    "1..2",
  ];
  for (let k = 0; k < 30; k++) {
    cases.push(csvCase(`random junk in cells, variant ${k + 1}`, "any", (t, rng) => {
      const rows = t.rows.map((r) => [...r]);
      const n = 1 + rng.int(5);
      for (let j = 0; j < n; j++) {
        rows[rng.int(rows.length)][rng.int(7)] = junk[rng.int(junk.length)];
      }
      return csvText(t.header, rows);
    }));
  }
  return cases;
}

function flagCases(): Case[] {
  const table: [string, string[]][] = [
    ["train", ["--epochs", "-1"]],
    ["train", ["--epochs", "0"]],
    ["train", ["--epochs", "ten"]],
    ["train", ["--epochs", "1.5"]],
    ["train", ["--epochs", ""]],
    ["train", ["--epochs"]],
    ["train", ["--batch-size", "-5"]],
    ["train", ["--lstm-units", "0"]],
    ["train", ["--dropout", "1.5"]],
    ["train", ["--dropout", "-0.1"]],
    ["train", ["--learning-rate", "-1"]],
    ["train", ["--learning-rate", "0"]],
    ["train", ["--learning-rate", "abc"]],
    ["train", ["--l2", "-1"]],
    ["train", ["--patience", "-2"]],
    ["train", ["--seed", "-1"]],
    ["train", ["--seed", "1e99"]],
    ["train", ["--sequence-length", "0"]],
    ["train", ["--sequence-length", "-60"]],
    ["train", ["--sequence-length", "100000"]],
    ["train", ["--sequence-length", "5000"]],
    ["train", ["--horizon", "0"]],
    ["train", ["--validation-split", "0.9", "--test-split", "0.9"]],
    ["train", ["--validation-split", "2"]],
    ["train", ["--test-start", "2024-13-01"]],
    ["train", ["--start", "2024-02-30"]],
    ["train", ["--end", "yesterday"]],
    ["train", ["--start", "2024-06-01", "--end", "2024-01-01"]],
    ["train", ["--arch", "transformer"]],
    ["train", ["--backend", "tpu"]],
    ["train", ["--kernel", "slow"]],
    ["train", ["--ticker", "../etc"]],
    ["train", ["--ticker", "SPY,QQQ"]],
    ["train", ["--ticker", ""]],
    ["train", ["--name", "../x"]],
    ["train", ["--name", "a b"]],
    ["train", ["--source", "moon"]],
    ["train", ["--source", "csv"]],
    ["train", ["--frobnicate"]],
    ["train", ["extra"]],
    ["train", ["--json=yes"]],
    ["prepare", ["--ticker", "SPY", "--years", "-5"]],
    ["prepare", ["--ticker", "SPY", "--years", "0"]],
    ["prepare", ["--ticker", "SPY", "--years", "1000"]],
    ["prepare", ["--ticker", "SPY", "--interval", "2h"]],
    ["prepare", ["--ticker", ""]],
    ["prepare", []],
    ["prepare", ["--ticker", "SPY", "--source", "moon"]],
    ["prepare", ["--ticker", "SPY", "--source", "yahoo", "--csv", "good.csv"]],
    ["prepare", ["--ticker", "SPY", "--start", "2024-13-01"]],
    ["prepare", ["--ticker", "SPY", "--start", "2024-06-01", "--end", "2024-01-01"]],
    ["prepare", ["--ticker", "SPY", "--seed", "-1"]],
    ["prepare", ["--ticker", "SPY", "--strict=1"]],
    ["prepare", ["--ticker", "S P Y"]],
    ["evaluate", ["--walk-forward", "--folds", "-3"]],
    ["evaluate", ["--folds", "3"]],
    ["evaluate", ["--walk-forward", "--mode", "diagonal"]],
    ["evaluate", ["--walk-forward", "--retrain-every", "0"]],
    ["evaluate", ["--walk-forward", "--epochs", "-1"]],
    ["evaluate", ["--backend", "tpu"]],
    ["evaluate", ["--kernel", "x"]],
    ["evaluate", ["--start", "2024-06-01", "--end", "2024-01-01"]],
    ["evaluate", ["--ticker", "../x"]],
    ["evaluate", ["--report", ""]],
    ["evaluate", ["--report", "/elsewhere/r.html"]],
    ["backtest", ["--threshold", "2"]],
    ["backtest", ["--threshold", "-0.5"]],
    ["backtest", ["--hysteresis", "0.9"]],
    ["backtest", ["--cost-bps", "-5"]],
    ["backtest", ["--compare", "--fast", "50", "--slow", "20"]],
    ["backtest", ["--fast", "5"]],
    ["backtest", ["--short=yes"]],
    ["backtest", ["--start", "2024-06-01", "--end", "2024-01-01"]],
    ["backtest", ["--ticker", "SPY,QQQ"]],
    ["predict", ["--max-age-days", "-1"]],
    ["predict", ["--end", "2024-13-01"]],
    ["predict", ["--ticker", "A B"]],
    ["predict", ["--seed", "x"]],
    ["predict", ["--source", "moon"]],
    ["models", []],
    ["models", ["frob"]],
    ["models", ["promote"]],
    ["models", ["promote", "latest"]],
    ["models", ["promote", "v1", "v2"]],
    ["models", ["promote", "v7"]],
    ["models", ["show", "v9"]],
    ["models", ["rollback", "extra", "more"]],
    ["models", ["rollback"]],
    ["monitor", []],
    ["monitor", ["--ticker", "SPY", "--window", "0"]],
    ["monitor", ["--ticker", "SPY", "--psi-threshold", "-1"]],
    ["monitor", ["--ticker", "SPY", "--window", "x"]],
    ["retrain", ["--holdout", "3"]],
    ["retrain", ["--metric", "foo"]],
    ["retrain", ["--tolerance", "abc"]],
    ["retrain", ["--no-promote"]],
    ["bench", ["--impl", "foo"]],
    ["bench", ["--epochs", "-1"]],
    ["compile", ["--target", "moon"]],
    ["frobnicate", []],
  ];
  return table.map(([command, args]) => ({
    category: "flags" as const,
    name: `${command} ${args.map((a) => (a === "" ? '""' : a)).join(" ")}`.trim(),
    expect: "fail" as const,
    args: [command, ...args],
  }));
}

const V1 = "models/lstm/v1";

function modelCases(): Case[] {
  type Break = [string, (dir: string, rng: Rng) => Promise<void>, boolean];
  const breaks: Break[] = [];
  for (const file of ["model.json", "weights.bin", "model_config.json", "scaler.json"]) {
    breaks.push([`${file} missing`, (d) => Deno.remove(join(d, V1, file)), true]);
    breaks.push([`${file} empty`, (d) => Deno.truncate(join(d, V1, file), 0), true]);
    breaks.push([`${file} a folder`, (d) => replaceWithFolder(d, join(V1, file)), true]);
  }
  for (const file of ["training_history.json", "reference.json"]) {
    breaks.push([`${file} missing`, (d) => Deno.remove(join(d, V1, file)), false]);
    breaks.push([`${file} corrupted`, (d) => write(d, join(V1, file), "{oops"), false]);
  }
  for (const file of ["model.json", "model_config.json", "scaler.json"]) {
    breaks.push([`${file} not JSON`, (d) => write(d, join(V1, file), "{oops"), true]);
    breaks.push([`${file} a JSON array`, (d) => write(d, join(V1, file), "[1,2]"), true]);
  }
  breaks.push(
    ["weights.bin truncated to half", async (d) => {
      const size = (await Deno.stat(join(d, V1, "weights.bin"))).size;
      await Deno.truncate(join(d, V1, "weights.bin"), Math.floor(size / 2));
    }, true],
    ["weights.bin with bytes appended", async (d) => {
      const bytes = await Deno.readFile(join(d, V1, "weights.bin"));
      await write(d, join(V1, "weights.bin"), new Uint8Array([...bytes, 1, 2, 3, 4]));
    }, true],
    ["weights.bin random bytes of the same size", async (d, rng) => {
      const size = (await Deno.stat(join(d, V1, "weights.bin"))).size;
      await write(d, join(V1, "weights.bin"), randomBytes(rng, size));
    }, true],
    ["weights.bin with one byte flipped", async (d, rng) => {
      const bytes = await Deno.readFile(join(d, V1, "weights.bin"));
      bytes[rng.int(bytes.length)] ^= 0x40;
      await write(d, join(V1, "weights.bin"), bytes);
    }, true],
  );
  const card = (name: string, edit: (c: Record<string, unknown>) => unknown): Break => [
    `card: ${name}`,
    (d) => editJson(d, join(V1, "model_config.json"), edit),
    true,
  ];
  breaks.push(
    card("arch unknown", (c) => void (c.arch = "transformer")),
    card("sequenceLength -1", (c) => void (c.sequenceLength = -1)),
    card("sequenceLength other than the model's", (c) => void (c.sequenceLength = 30)),
    card("nFeatures other than the features", (c) => void (c.nFeatures = 5)),
    card("features empty", (c) => void (c.features = [])),
    card("a feature unknown", (c) => void ((c.features as { name: string }[])[0].name = "moon")),
    card("weightsSha256 not hex", (c) => void (c.weightsSha256 = "x")),
    card("weightsSha256 of other weights", (c) => void (c.weightsSha256 = "ab".repeat(32))),
    card("schemaVersion 99", (c) => void (c.schemaVersion = 99)),
    card("horizon a string", (c) => void (c.horizon = "1")),
    card("data ranges missing", (c) => void delete (c.data as Record<string, unknown>).ranges),
    card("createdAt a number", (c) => void (c.createdAt = 5)),
    card("null", () => null),
  );
  const scaler = (name: string, edit: (s: Record<string, unknown[]>) => unknown): Break => [
    `scaler: ${name}`,
    (d) => editJson(d, join(V1, "scaler.json"), (s) => edit(s as Record<string, unknown[]>)),
    true,
  ];
  breaks.push(
    scaler("one feature fewer", (s) => {
      for (const k of ["names", "mean", "std"]) s[k].pop();
    }),
    scaler("one feature more", (s) => {
      s.names.push("x");
      s.mean.push(0);
      s.std.push(1);
    }),
    scaler("names in another order", (s) => void s.names.reverse()),
    scaler("a zero deviation", (s) => void (s.std[0] = 0)),
    scaler("a mean that is a string", (s) => void (s.mean[0] = "a")),
    scaler("mean shorter than names", (s) => void s.mean.pop()),
    scaler("names missing", (s) => void delete s.names),
  );
  const manifest = (name: string, edit: (m: Record<string, unknown>) => unknown): Break => [
    `model.json: ${name}`,
    (d) => editJson(d, join(V1, "model.json"), edit),
    true,
  ];
  type Group = { paths: string[]; weights: { shape: number[]; dtype: string }[] };
  const groups = (m: Record<string, unknown>) => m.weightsManifest as Group[];
  breaks.push(
    manifest("weights in another file", (m) => void (groups(m)[0].paths = ["other.bin"])),
    manifest("a weight of another shape", (m) => void (groups(m)[0].weights[0].shape = [1, 1])),
    manifest(
      "a weight of dtype complex64",
      (m) => void (groups(m)[0].weights[0].dtype = "complex64"),
    ),
    manifest("weightsManifest missing", (m) => void delete m.weightsManifest),
    manifest("modelTopology missing", (m) => void delete m.modelTopology),
    manifest("weightsManifest groups not objects", (m) => void (m.weightsManifest = [1, 2])),
    manifest("a layer of an unknown class", (m) => {
      const layers = ((m.modelTopology as Record<string, Record<string, unknown>>).config
        .layers) as { class_name: string }[];
      layers[1].class_name = "Frobnicate";
    }),
  );
  const pointer = (name: string, content: string): Break => [
    `current.json: ${name}`,
    (d) => write(d, "models/lstm/current.json", content),
    true,
  ];
  breaks.push(
    pointer("names v9", '{"current":"v9","history":[]}'),
    pointer("names a path", '{"current":"../../etc","history":[]}'),
    pointer("history not a list", '{"current":"v1","history":"v0"}'),
    pointer("empty", ""),
    pointer("a list", "[]"),
    ["current.json a folder", (d) => replaceWithFolder(d, "models/lstm/current.json"), true],
    ["v1 a file", (d) => replaceWithFile(d, V1), true],
    ["the model root empty", async (d) => {
      await Deno.remove(join(d, "models/lstm"), { recursive: true });
      await Deno.mkdir(join(d, "models/lstm"));
    }, true],
    [
      "current.json missing (versions present)",
      (d) => Deno.remove(join(d, "models/lstm/current.json")),
      true,
    ],
  );
  const cases: Case[] = [];
  for (const [i, [name, setup, breaksIt]] of breaks.entries()) {
    const expect = breaksIt ? "fail" : "any";
    cases.push({ category: "models", name: `predict: ${name}`, args: ["predict"], expect, setup });
    if (i % 3 === 0) {
      cases.push({
        category: "models",
        name: `evaluate: ${name}`,
        args: ["evaluate"],
        expect,
        setup,
      });
    }
    if (i % 3 === 1) {
      cases.push({
        category: "models",
        name: `backtest: ${name}`,
        args: ["backtest"],
        expect,
        setup,
      });
    }
    if (i % 4 === 2) {
      // A broken current version makes the listing exit 1; a broken file elsewhere may not.
      cases.push({
        category: "models",
        name: `models list: ${name}`,
        args: ["models", "list"],
        expect: name.startsWith("current.json missing") ? "any" : expect,
        setup,
      });
    }
  }
  return cases;
}

const CACHE_CSV = "data/SPY_1d.csv";
const CACHE_META = "data/SPY_1d.meta.json";

function cacheCases(): Case[] {
  const breaks: [string, (dir: string, rng: Rng) => Promise<void>, "fail" | "any"][] = [
    ["the CSV truncated mid-line", async (d) => {
      const s = await read(d, CACHE_CSV);
      await write(d, CACHE_CSV, s.slice(0, Math.floor(s.length / 2)));
    }, "fail"],
    ["the CSV empty", (d) => write(d, CACHE_CSV, ""), "fail"],
    ["the CSV random bytes", (d, rng) => write(d, CACHE_CSV, randomBytes(rng, 5000)), "fail"],
    ["the meta not JSON", (d) => write(d, CACHE_META, "{oops"), "fail"],
    ["the meta missing", (d) => Deno.remove(join(d, CACHE_META)), "any"],
    ["the CSV missing, the meta present", (d) => Deno.remove(join(d, CACHE_CSV)), "fail"],
    ["one close changed behind the meta's hash", async (d) => {
      const lines = (await read(d, CACHE_CSV)).split("\n");
      const cells = lines[500].split(",");
      cells[4] = String(Number(cells[4]) * 1.01);
      lines[500] = cells.join(",");
      await write(d, CACHE_CSV, lines.join("\n"));
    }, "fail"],
    ["the last 100 rows removed behind the meta", async (d) => {
      const lines = (await read(d, CACHE_CSV)).trim().split("\n");
      await write(d, CACHE_CSV, lines.slice(0, -100).join("\n") + "\n");
    }, "fail"],
    ["the header changed", async (d) => {
      const s = await read(d, CACHE_CSV);
      await write(d, CACHE_CSV, "a,b,c,d,e,f,g" + s.slice(s.indexOf("\n")));
    }, "fail"],
    [
      "the meta's row count wrong",
      (d) => editJson(d, CACHE_META, (m) => void (m.rows = 7)),
      "fail",
    ],
    [
      "the meta of another ticker",
      (d) => editJson(d, CACHE_META, (m) => void (m.ticker = "QQQ")),
      "fail",
    ],
    ["the meta a JSON array", (d) => write(d, CACHE_META, "[]"), "fail"],
    ["the CSV a folder", (d) => replaceWithFolder(d, CACHE_CSV), "fail"],
    ["the meta a folder", (d) => replaceWithFolder(d, CACHE_META), "fail"],
    ["every row appended twice", async (d) => {
      const s = (await read(d, CACHE_CSV)).trim().split("\n");
      await write(d, CACHE_CSV, [...s, ...s.slice(1)].join("\n") + "\n");
    }, "fail"],
    ["NUL bytes in the CSV", async (d) => {
      const bytes = await Deno.readFile(join(d, CACHE_CSV));
      bytes.fill(0, 3000, 3200);
      await write(d, CACHE_CSV, bytes);
    }, "fail"],
    ["CRLF line endings behind the meta's hash", async (d) => {
      await write(d, CACHE_CSV, (await read(d, CACHE_CSV)).replaceAll("\n", "\r\n"));
    }, "any"],
    [
      "the meta's sha256 field removed",
      (d) => editJson(d, CACHE_META, (m) => void delete m.sha256),
      "any",
    ],
    [
      "a leftover temporary CSV beside the pair",
      (d) => write(d, "data/SPY_1d.csv.tmp-1-abcdef", "time,close\n"),
      "any",
    ],
  ];
  const cases: Case[] = [];
  for (const [name, setup, expect] of breaks) {
    cases.push({
      category: "caches",
      name: `train: ${name}`,
      args: ["train", "--ticker", "SPY", ...TINY, "--name", "fuzz"],
      expect,
      setup,
    });
    cases.push({
      category: "caches",
      name: `prepare update: ${name}`,
      args: ["prepare", "--ticker", "SPY"],
      expect: "any", // prepare may rebuild a synthetic cache from its seed
      setup,
    });
  }
  return cases;
}

function pathCases(): Case[] {
  const file = (path: string) => (d: string) => replaceWithFile(d, path);
  const folder = (path: string) => (d: string) => replaceWithFolder(d, path);
  const table: [string, string[], (d: string) => Promise<void>][] = [
    ["data a file: prepare", ["prepare", "--ticker", "SPY"], file("data")],
    ["data a file: train from the cache", ["train", "--ticker", "SPY", ...TINY], file("data")],
    ["data a file: evaluate on a cached ticker", ["evaluate", "--ticker", "QQQ"], file("data")],
    ["models a file: train", ["train", ...TINY], file("models")],
    ["models a file: models list", ["models", "list"], file("models")],
    ["models a file: predict", ["predict"], file("models")],
    ["models a file: promote", ["models", "promote", "v1"], file("models")],
    ["models/lstm a file: train", ["train", ...TINY], file("models/lstm")],
    ["models/lstm a file: models list", ["models", "list"], file("models/lstm")],
    ["models/lstm/v2 a file: train", ["train", ...TINY], file("models/lstm/v2")],
    ["--csv a folder: prepare", ["prepare", "--ticker", "SPY", "--csv", "data"], async () => {}],
    ["--csv a folder: train", ["train", "--csv", "data", ...TINY], async () => {}],
    ["--csv missing: prepare", ["prepare", "--ticker", "SPY", "--csv", "nope.csv"], async () => {}],
    ["--report a folder: evaluate", ["evaluate", "--report", "data"], async () => {}],
    ["--report a folder: backtest", ["backtest", "--report", "data"], async () => {}],
    [
      "--report under a file: evaluate",
      ["evaluate", "--report", "good.csv/r.html"],
      async () => {},
    ],
    [
      "--report under a file: backtest",
      ["backtest", "--report", "good.csv/r.html"],
      async () => {},
    ],
    [
      "--data-dir under a file: prepare",
      ["prepare", "--ticker", "SPY", "--data-dir", "good.csv/d"],
      async () => {},
    ],
    ["--data-dir under a file: train", [
      "train",
      "--ticker",
      "SPY",
      "--data-dir",
      "good.csv/d",
      ...TINY,
    ], async () => {}],
    ["--model a file: predict", ["predict", "--model", "good.csv"], async () => {}],
    ["--model a file: evaluate", ["evaluate", "--model", "good.csv"], async () => {}],
    ["--model a file: models list", ["models", "list", "--model", "good.csv"], async () => {}],
    ["--log a folder: monitor", ["monitor", "--ticker", "SPY", "--log", "data"], async () => {}],
    ["the cache CSV a folder: train", ["train", "--ticker", "SPY", ...TINY], folder(CACHE_CSV)],
    [
      "current.json a folder: promote",
      ["models", "promote", "v1"],
      folder("models/lstm/current.json"),
    ],
    ["--model-dir a file: train", ["train", ...TINY, "--model-dir", "good.csv"], async () => {}],
    [
      "--model-dir a file: retrain",
      ["retrain", ...TINY, "--model-dir", "good.csv"],
      async () => {},
    ],
    [
      "--model-dir under a file: train",
      ["train", ...TINY, "--model-dir", "good.csv/m"],
      async () => {},
    ],
  ];
  return table.map(([name, args, setup]) => ({
    category: "paths" as const,
    name,
    args,
    expect: "fail" as const,
    setup: (d: string) => setup(d),
  }));
}

// Issue 23's categories: universe inputs, sweep specs, pointers, byte-order
// marks and features modules that hang or exit. Each is one of the issue's
// reproductions, expected to do what the fixes that closed it do.

/** A case of a new category; `name` is distinct within the category. */
function newCase(
  category: Category,
  name: string,
  expect: "fail" | "any" | "ok",
  args: string[],
  setup?: (dir: string, rng: Rng) => Promise<void>,
): Case {
  return { category, name, expect, args, setup };
}

/** The good CSV's rows as a long CSV's rows of `symbol`, first `n` of them. */
async function longRows(dir: string, symbol: string, n: number): Promise<string[]> {
  const { rows } = await csvTable(dir);
  return rows.slice(0, n).map((r) => [symbol, ...r].join(","));
}

async function longCsv(dir: string, parts: [string, number][]): Promise<void> {
  const { header } = await csvTable(dir);
  const lines = [["symbol", ...header].join(",")];
  for (const [symbol, n] of parts) lines.push(...await longRows(dir, symbol, n));
  await write(dir, "long.csv", lines.join("\n") + "\n");
}

/** A `--csv-dir` folder `u` holding the good CSV under each of `names`. */
function universeFolder(...names: string[]) {
  return async (d: string): Promise<void> => {
    for (const name of names) await write(d, join("u", name), await read(d, "good.csv"));
  };
}

function universeCases(): Case[] {
  const csvDir = ["prepare", "--csv-dir", "u"];
  // A folder import reports each file on stdout and its failures in the summary line.
  const summary = /^u: prepared \d+ of \d+ symbols .*, [1-9]\d* failed$/;
  const reported = (kase: Case): Case => ({ ...kase, report: summary });
  const binary = (d: string, rng: Rng) => write(d, "t.txt", randomBytes(rng, 3000));
  return [
    newCase(
      "universe",
      "--csv-dir with AAPL.csv and aapl.csv",
      "fail",
      csvDir,
      universeFolder("AAPL.csv", "aapl.csv"),
    ),
    newCase(
      "universe",
      "--csv-dir with AAPL.csv and AAPL.CSV",
      "fail",
      csvDir,
      universeFolder("AAPL.csv", "AAPL.CSV"),
    ),
    reported(newCase("universe", "--csv-dir with a DIR.csv folder", "fail", csvDir, async (d) => {
      await universeFolder("AAA.csv")(d);
      await Deno.mkdir(join(d, "u/DIR.csv"));
    })),
    reported(newCase("universe", "--csv-dir with a dangling symlink", "fail", csvDir, async (d) => {
      await universeFolder("AAA.csv")(d);
      await Deno.symlink("nowhere.csv", join(d, "u/PW.csv"));
    })),
    reported(
      newCase("universe", "--csv-dir with a symlink to itself", "fail", csvDir, async (d) => {
        await universeFolder("AAA.csv")(d);
        await Deno.symlink("LOOP.csv", join(d, "u/LOOP.csv"));
      }),
    ),
    newCase(
      "universe",
      "--csv-dir of two good files",
      "ok",
      csvDir,
      universeFolder("AAA.csv", "BBB.csv"),
    ),
    newCase(
      "universe",
      "a long CSV with AAA and aaa",
      "fail",
      ["prepare", "--csv", "long.csv"],
      (d) => longCsv(d, [["AAA", 300], ["aaa", 150]]),
    ),
    // Issue 23 #3: the long-CSV import writes under the data folder only (the
    // case runs with write access to its own folder, not to $TMPDIR).
    newCase(
      "universe",
      "a long CSV of AAA and BBB",
      "ok",
      ["prepare", "--csv", "long.csv"],
      (d) => longCsv(d, [["AAA", 300], ["BBB", 300]]),
    ),
    newCase("universe", "a binary tickers file: prepare", "fail", [
      "prepare",
      "--tickers-file",
      "t.txt",
      "--source",
      "synthetic",
    ], binary),
    newCase("universe", "a binary tickers file: train", "fail", [
      "train",
      "--universe",
      "t.txt",
      ...TINY,
    ], binary),
    newCase("universe", "--tickers-file with --ticker", "fail", [
      "prepare",
      "--tickers-file",
      "t.txt",
      "--ticker",
      "SYNB",
      "--source",
      "synthetic",
    ], (d) => write(d, "t.txt", "SYNA\n")),
  ];
}

function sweepCases(): Case[] {
  const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
  const huge = JSON.stringify({
    grid: {
      "lstm-units": range(1, 100),
      "sequence-length": range(5, 100),
      "batch-size": range(1, 100),
      patience: range(1, 100),
    },
  });
  const spec = (file: string, content: string) => (d: string) => write(d, file, content);
  const run = (file: string) => ["sweep", "--spec", file, "--out", "sweeps"];
  const dry = (file: string) => ["sweep", "--spec", file, "--dry-run"];
  // `deno task sweep` runs with --ignore-env (the YAML parser reads LOG_TOKENS).
  return [
    newCase("sweeps", "a 1e8 grid, dry run", "fail", dry("huge.json"), spec("huge.json", huge)),
    newCase("sweeps", "a 1e8 grid", "fail", run("huge.json"), spec("huge.json", huge)),
    newCase(
      "sweeps",
      'fixed epochs "five"',
      "fail",
      run("five.json"),
      spec("five.json", JSON.stringify({ fixed: { epochs: "five" } })),
    ),
    newCase(
      "sweeps",
      "data.start after data.end",
      "fail",
      run("dates.json"),
      spec(
        "dates.json",
        JSON.stringify({ data: { source: "synthetic", start: "2024-06-01", end: "2023-01-01" } }),
      ),
    ),
    newCase(
      "sweeps",
      "a YAML !python/object tag",
      "fail",
      run("tag.yml"),
      spec("tag.yml", "seeds: !python/object [1]\n"),
    ),
    newCase(
      "sweeps",
      "a YAML !python/object tag, dry run",
      "fail",
      dry("tag.yml"),
      spec("tag.yml", "seeds: !python/object [1]\n"),
    ),
    newCase(
      "sweeps",
      "a JSON spec with a UTF-8 BOM, dry run",
      "ok",
      dry("bom.json"),
      spec("bom.json", '\uFEFF{"grid": {"lstm-units": [8, 16]}}'),
    ),
    newCase(
      "sweeps",
      "a YAML spec with a UTF-8 BOM, dry run",
      "ok",
      dry("bom.yaml"),
      spec("bom.yaml", "\uFEFFseeds: [1, 2]\n"),
    ),
  ].map((kase) => ({ ...kase, permissions: ["--ignore-env"] }));
}

const LSTM = "models/lstm";

function pointerCases(): Case[] {
  const current = (root: string, name: string, history: string[] = []) => (d: string) =>
    write(d, join(root, "current.json"), JSON.stringify({ current: name, history }) + "\n");
  const tmpVersion = async (d: string) => {
    await copyTree(join(d, V1), join(d, LSTM, "v4.tmp-999999-abc"));
    await current(LSTM, "v4.tmp-999999-abc")(d);
  };
  const shadow = (content: string) => (d: string) => write(d, join(LSTM, "shadow.json"), content);
  return [
    newCase(
      "pointers",
      "predict: current.json names ../b/v1",
      "fail",
      ["predict"],
      current(LSTM, "../b/v1"),
    ),
    newCase(
      "pointers",
      "models list: current.json names ../b/v1",
      "fail",
      ["models", "list"],
      current(LSTM, "../b/v1"),
    ),
    newCase(
      "pointers",
      "evaluate: current.json names ../b/v1",
      "fail",
      ["evaluate"],
      current(LSTM, "../b/v1"),
    ),
    newCase(
      "pointers",
      "predict an ensemble whose current.json names ../lstm/v1",
      "fail",
      ["predict", "--model", "models/ens", "--ticker", "SPY"],
      current("models/ens", "../lstm/v1"),
    ),
    newCase(
      "pointers",
      "predict: current.json names a v4.tmp folder",
      "fail",
      ["predict"],
      tmpVersion,
    ),
    newCase("pointers", "models list: current.json names a v4.tmp folder", "fail", [
      "models",
      "list",
    ], tmpVersion),
    newCase("pointers", "rollback: current.json names a v4.tmp folder", "fail", [
      "models",
      "rollback",
    ], tmpVersion),
    newCase(
      "pointers",
      "rollback to a missing v7",
      "fail",
      ["models", "rollback"],
      current(LSTM, "v1", ["v7"]),
    ),
    newCase(
      "pointers",
      "rollback to ../../b/v1",
      "fail",
      ["models", "rollback"],
      current(LSTM, "v1", ["../../b/v1"]),
    ),
    newCase(
      "pointers",
      "rollback to v007",
      "fail",
      ["models", "rollback"],
      current(LSTM, "v1", ["v007"]),
    ),
    newCase("pointers", "models show ../b/v1", "fail", ["models", "show", "../b/v1"]),
    newCase("pointers", "models show ../../etc", "fail", ["models", "show", "../../etc"]),
    newCase("pointers", "models show v007", "fail", ["models", "show", "v007"]),
    newCase(
      "pointers",
      "promote v5.tmp beside its stray folder",
      "fail",
      ["models", "promote", "v5.tmp-999999-zz"],
      (d) => copyTree(join(d, V1), join(d, LSTM, "v5.tmp-999999-zz")),
    ),
    newCase("pointers", "models shadow: shadow.json names a missing v9", "fail", [
      "models",
      "shadow",
    ], shadow('{"shadow":["v9"]}\n')),
    newCase(
      "pointers",
      "models list: shadow.json names a missing v9",
      "fail",
      ["models", "list"],
      shadow('{"shadow":["v9"]}\n'),
    ),
    newCase(
      "pointers",
      "models list: shadow.json names ../b/v1",
      "fail",
      ["models", "list"],
      shadow('{"shadow":["../b/v1"]}\n'),
    ),
    newCase("pointers", "models shadow v9 (missing)", "fail", ["models", "shadow", "v9"]),
  ];
}

function bomCases(): Case[] {
  const bom = (path: string) => async (d: string) => {
    await write(d, path, "\uFEFF" + await read(d, path));
  };
  const composite = async (d: string) => {
    const { current } = JSON.parse(await read(d, "models/ens/current.json"));
    await bom(join("models/ens", current, "composite.json"))(d);
  };
  return [
    newCase(
      "boms",
      "predict: model_config.json",
      "ok",
      ["predict"],
      bom(join(V1, "model_config.json")),
    ),
    newCase(
      "boms",
      "models list: model_config.json",
      "ok",
      ["models", "list"],
      bom(join(V1, "model_config.json")),
    ),
    newCase("boms", "predict: scaler.json", "ok", ["predict"], bom(join(V1, "scaler.json"))),
    newCase("boms", "evaluate: scaler.json", "ok", ["evaluate"], bom(join(V1, "scaler.json"))),
    newCase("boms", "predict: current.json", "ok", ["predict"], bom(join(LSTM, "current.json"))),
    newCase(
      "boms",
      "models list: current.json",
      "ok",
      ["models", "list"],
      bom(join(LSTM, "current.json")),
    ),
    newCase("boms", "predict an ensemble: composite.json", "ok", [
      "predict",
      "--model",
      "models/ens",
      "--ticker",
      "SPY",
    ], composite),
    newCase("boms", "models list an ensemble: composite.json", "ok", [
      "models",
      "list",
      "--model",
      "models/ens",
    ], composite),
    newCase(
      "boms",
      "models shadow: shadow.json",
      "ok",
      ["models", "shadow"],
      (d) => write(d, join(LSTM, "shadow.json"), '\uFEFF{"shadow":["v1"]}\n'),
    ),
  ];
}

function moduleCases(): Case[] {
  const train = ["train", "--ticker", "SPY", ...TINY, "--name", "fm", "--features-module", "m.ts"];
  const module = (code: string) => (d: string) => write(d, "m.ts", code);
  return [
    // Fails after the loader's 30 s import timeout (it has no option or variable to shorten it).
    newCase(
      "modules",
      "a top-level await that never resolves",
      "fail",
      train,
      module("await new Promise(() => {});\n"),
    ),
    newCase("modules", "Deno.exit(0) at import", "fail", train, module("Deno.exit(0);\n")),
    newCase("modules", "Deno.exit(3) at import", "fail", train, module("Deno.exit(3);\n")),
    newCase("modules", "a throw at import", "fail", train, module('throw new Error("boom");\n')),
    newCase(
      "modules",
      'features = ["rsi", 7, null]',
      "fail",
      train,
      module('export const features = ["rsi", 7, null];\n'),
    ),
  ];
}

// ---------------------------------------------------------------------------
// Running

async function run(args: string[], cwd: string, timeoutMs: number, permissions: string[] = []) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", `--allow-write=${cwd}`, ...permissions, CLI, ...args],
    cwd,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // exited meanwhile
    }
  }, timeoutMs);
  const out = await child.output();
  clearTimeout(timer);
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr), timedOut };
}

/** Every path under `dir` with the SHA-256 of its content (`dir/` for folders). */
async function hashTree(dir: string, prefix = ""): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const entry of Deno.readDir(join(dir, prefix))) {
    const rel = join(prefix, entry.name);
    if (entry.isSymlink) {
      out.set(rel, `link to ${await Deno.readLink(join(dir, rel))}`);
    } else if (entry.isDirectory) {
      out.set(`${rel}/`, "dir");
      for (const [k, v] of await hashTree(dir, rel)) out.set(k, v);
    } else {
      const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(join(dir, rel)));
      out.set(
        rel,
        Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join(""),
      );
    }
  }
  return out;
}

function treeChanges(before: Map<string, string>, after: Map<string, string>): string[] {
  const changed: string[] = [];
  for (const [path, hash] of before) {
    if (!after.has(path)) changed.push(`${path} removed`);
    else if (after.get(path) !== hash) changed.push(`${path} changed`);
  }
  for (const path of after.keys()) if (!before.has(path)) changed.push(`${path} added`);
  return changed;
}

const STACK =
  /^\s+at .*(\.ts|\.js|ext:|<anonymous>)|Uncaught|panicked at|Stack backtrace|RUST_BACKTRACE/m;

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) await copyTree(join(from, entry.name), join(to, entry.name));
    else await Deno.copyFile(join(from, entry.name), join(to, entry.name));
  }
}

async function runCase(kase: Case, base: string, dir: string, seed: number): Promise<Outcome> {
  const parts = kase.base ?? ["model", "cache", "csv"];
  await Deno.mkdir(dir, { recursive: true });
  if (parts.includes("model")) await copyTree(join(base, "models"), join(dir, "models"));
  if (parts.includes("cache")) await copyTree(join(base, "data"), join(dir, "data"));
  if (parts.includes("csv")) await Deno.copyFile(join(base, "good.csv"), join(dir, "good.csv"));
  await kase.setup?.(dir, createRng(seed));
  const before = await hashTree(dir);
  const result = await run(kase.args, dir, 120_000, kase.permissions);
  const after = await hashTree(dir);
  const findings: string[] = [];
  const lines = result.stderr.trim() === "" ? [] : result.stderr.trim().split("\n");
  const changed = result.code !== 0 ? treeChanges(before, after) : [];
  if (result.timedOut) findings.push("timed out after 120 s");
  if (STACK.test(result.stderr) || STACK.test(result.stdout)) findings.push("stack trace");
  if (result.code === 0 && kase.expect === "fail") {
    findings.push("exit 0 for an input that must be refused");
  }
  if (result.code !== 0 && !result.timedOut && kase.expect === "ok") {
    findings.push(`refused an input that must be accepted (exit ${result.code})`);
  }
  if (result.code !== 0 && !result.timedOut) {
    const errors = lines.filter((l) => l.startsWith("error: "));
    const reported = kase.report !== undefined && lines.length === 0 &&
      kase.report.test(result.stdout.trimEnd().split("\n").at(-1) ?? "");
    if (
      !reported && (errors.length !== 1 || !lines[lines.length - 1].startsWith("error: "))
    ) {
      findings.push(`not one error line (${errors.length} error lines, ${lines.length} lines)`);
    }
    if (changed.length) {
      findings.push(`changed files on failure: ${changed.slice(0, 3).join(", ")}`);
    }
  }
  return {
    kase,
    code: result.code,
    stderr: result.stderr,
    timedOut: result.timedOut,
    changed,
    findings,
  };
}

async function prepareBase(base: string): Promise<void> {
  await Deno.mkdir(base, { recursive: true });
  const steps: string[][] = [
    ["prepare", "--ticker", "SPY"],
    ["prepare", "--ticker", "QQQ"],
    [
      "train",
      "--ticker",
      "SPY",
      "--source",
      "synthetic",
      "--seed",
      "42",
      ...TINY.map((a) => a === "1" ? "2" : a),
    ],
    // A second model and an ensemble of both, for the pointer and BOM cases.
    [
      "train",
      "--ticker",
      "SPY",
      "--source",
      "synthetic",
      "--seed",
      "2",
      "--name",
      "b",
      ...TINY,
    ],
    ["models", "ensemble", "--name", "ens", "--members", "lstm,b", "--weights", "2,1"],
  ];
  for (const args of steps) {
    const r = await run(args, base, 300_000);
    if (r.code !== 0) {
      throw new Error(`fuzz: setting up with ${args.join(" ")} failed: ${r.stderr}`);
    }
  }
  // The good CSV: the cached synthetic bars, in Yahoo's dialect.
  const lines = (await Deno.readTextFile(join(base, CACHE_CSV))).trim().split("\n");
  await Deno.writeTextFile(
    join(base, "good.csv"),
    ["Date,Open,High,Low,Close,Adj Close,Volume", ...lines.slice(1, 401)].join("\n") + "\n",
  );
}

function pad(s: string | number, n: number): string {
  return String(s).padStart(n);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      seed: { type: "string", default: "1" },
      jobs: { type: "string", default: "2" },
      only: { type: "string" },
      list: { type: "boolean" },
      keep: { type: "boolean" },
      json: { type: "boolean" },
      lines: { type: "boolean" },
    },
  });
  const seed = Number(values.seed);
  const jobs = Math.max(1, Number(values.jobs));
  if (!Number.isInteger(seed) || !Number.isInteger(jobs)) {
    console.error("error: Expected --seed and --jobs to be integers");
    return 2;
  }
  let cases = [
    ...csvCases(),
    ...flagCases(),
    ...modelCases(),
    ...cacheCases(),
    ...pathCases(),
    ...universeCases(),
    ...sweepCases(),
    ...pointerCases(),
    ...bomCases(),
    ...moduleCases(),
  ];
  if (values.only) {
    const only = values.only.split(",");
    const unknown = only.filter((c) => !(CATEGORIES as readonly string[]).includes(c));
    if (unknown.length) {
      console.error(
        `error: Expected --only to name categories among ${CATEGORIES.join(", ")}, found ${
          unknown.join(", ")
        }`,
      );
      return 2;
    }
    cases = cases.filter((c) => only.includes(c.category));
  }
  const names = new Set(cases.map((c) => `${c.category}: ${c.name}`));
  if (names.size !== cases.length) throw new Error("fuzz: case names are not distinct");
  if (values.list) {
    for (const c of cases) {
      console.log(`${c.category}\t${c.expect}\t${c.name}\t${c.args.join(" ")}`);
    }
    return 0;
  }
  const work = await Deno.makeTempDir({ prefix: "lstm_signal_fuzz_" });
  const started = performance.now();
  console.error(`fuzz: seed ${seed}, ${cases.length} bad inputs, ${jobs} at a time, in ${work}`);
  try {
    await prepareBase(join(work, "base"));
    const outcomes: Outcome[] = new Array(cases.length);
    let next = 0, done = 0;
    const worker = async () => {
      while (next < cases.length) {
        const i = next++;
        outcomes[i] = await runCase(
          cases[i],
          join(work, "base"),
          join(work, `case${i}`),
          seed * 1000 + i,
        );
        if (!values.keep) await Deno.remove(join(work, `case${i}`), { recursive: true });
        if (++done % 25 === 0) console.error(`fuzz: ${done}/${cases.length}`);
      }
    };
    await Promise.all(Array.from({ length: jobs }, worker));
    const seconds = (performance.now() - started) / 1000;
    const rows = [...CATEGORIES, "total" as const].map((category) => {
      const of = outcomes.filter((o) => category === "total" || o.kase.category === category);
      const count = (f: (o: Outcome) => boolean) => of.filter(f).length;
      const has = (word: string) => (o: Outcome) => o.findings.some((f) => f.startsWith(word));
      return {
        category,
        inputs: of.length,
        refused: count((o) => o.code !== 0),
        accepted: count((o) => o.code === 0),
        stackTraces: count(has("stack trace")),
        notOneLine: count(has("not one error line")),
        changedOnFailure: count(has("changed files")),
        exit0MustFail: count(has("exit 0")),
        refusedMustPass: count(has("refused an input")),
        timeouts: count(has("timed out")),
      };
    });
    const findings = outcomes.filter((o) => o.findings.length);
    if (values.lines) {
      // What each case said: its exit code and its last line (stderr, else stdout).
      for (const o of outcomes) {
        const said = (o.stderr.trim() || "").split("\n").at(-1) || "(nothing on stderr)";
        console.log(`${o.kase.category}\t${o.kase.name}\texit ${o.code}\t${said.slice(0, 240)}`);
      }
    }
    if (values.json) {
      console.log(JSON.stringify(
        {
          seed,
          seconds,
          categories: rows,
          findings: findings.map((o) => ({
            category: o.kase.category,
            name: o.kase.name,
            args: o.kase.args,
            code: o.code,
            findings: o.findings,
            stderr: o.stderr.trim().split("\n").slice(-3),
          })),
        },
        null,
        2,
      ));
    } else {
      console.log(
        `fuzz: seed ${seed}, ${cases.length} distinct bad inputs, ${seconds.toFixed(0)} s`,
      );
      console.log(
        "category  inputs  refused  accepted  stack traces  not one line  changed on failure  exit 0 (must fail)  refused (must pass)  timeouts",
      );
      for (const r of rows) {
        console.log(
          `${r.category.padEnd(8)}  ${pad(r.inputs, 6)}  ${pad(r.refused, 7)}  ${
            pad(r.accepted, 8)
          }  ${pad(r.stackTraces, 12)}  ${pad(r.notOneLine, 12)}  ${pad(r.changedOnFailure, 18)}  ${
            pad(r.exit0MustFail, 18)
          }  ${pad(r.refusedMustPass, 19)}  ${pad(r.timeouts, 8)}`,
        );
      }
      if (findings.length) console.log(`\nfindings (${findings.length}):`);
      for (const o of findings) {
        const last = o.stderr.trim().split("\n").slice(-2).join(" | ").slice(0, 220);
        console.log(
          `  [${o.kase.category}] ${o.kase.name} (exit ${o.code}): ${o.findings.join("; ")}`,
        );
        console.log(`      ${o.kase.args.join(" ")}\n      stderr: ${last || "(empty)"}`);
      }
    }
    return findings.length ? 1 : 0;
  } finally {
    if (!values.keep) await Deno.remove(work, { recursive: true }).catch(() => {});
    else console.error(`fuzz: kept ${work}`);
  }
}

if (import.meta.main) Deno.exit(await main());
