/**
 * The README, line by line: every shell block marked `<!-- test -->` runs as written, through
 * `deno task`, in a fresh copy of the project (its own data/, models/ and reports/), offline and
 * on small data. Only sizes are rewritten, so it takes a minute or two: training is 1 epoch of a
 * 4-unit model on 10-bar windows (the README's commands say the real values), walk-forward takes 2
 * folds, and `../shared/data/universe` is a folder of six symbolic links to the universe's CSVs
 * (a folder of links must import like a folder of files).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { symlink } from "./fs_fixture.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const SHARED = join(ROOT, "..", "shared", "data");
const SKIP = new Set([".git", "node_modules", "data", "models", "reports", "sweeps", "dist"]);
const UNIVERSE = ["AAPL", "MSFT", "JPM", "XOM", "PG", "KO"];
const TINY = "--sequence-length 10 --lstm-units 4 --batch-size 64 --backend cpu";

/**
 * The commands of the README's marked shell blocks, one per line (continuations joined, comments
 * dropped).
 */
function markedCommands(readme: string): string[] {
  const commands: string[] = [];
  for (const match of readme.matchAll(/<!-- test -->\s*\n```sh\n([\s\S]*?)```/g)) {
    const joined = match[1].replace(/\\\n\s*/g, "");
    for (const line of joined.split("\n")) {
      const command = line.replace(/\s+#.*$/, "").trim();
      if (command !== "") commands.push(command);
    }
  }
  return commands;
}

/** A command with small sizes: 1 epoch of a tiny model, 2 folds, 1 study period. */
function small(command: string): string {
  let out = command.replace(/--epochs \d+/, "--epochs 1").replace(/--folds \d+/, "--folds 2");
  if (/^deno task train /.test(out)) out += ` ${TINY}${/--epochs/.test(out) ? "" : " --epochs 1"}`;
  return out;
}

/** Copies the project's sources (not its top-level data, models, reports or dependencies). */
async function copyTree(from: string, to: string, top = true): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (top && SKIP.has(entry.name)) continue;
    const source = join(from, entry.name);
    if (entry.isDirectory) await copyTree(source, join(to, entry.name), false);
    else if (entry.isFile) await Deno.copyFile(source, join(to, entry.name));
  }
}

/** What each marked command must print (beyond exit 0), by its start. */
const EXPECT: Array<[RegExp, RegExp]> = [
  [/^deno task prepare --csv-dir/, /prepared 6 of 6 symbols/],
  [/^deno task train --universe/, /v1/],
  [/^deno task train /, /saved|v1/],
  [/--report reports\/(\S+)/, /report written to reports\//],
  [/^deno task evaluate .*--walk-forward/, /fold/],
  [/^deno task backtest .*--universe/, /portfolio/],
  [/^deno task predict/, /SPY/],
  [/^deno task models list/, /v1/],
];

Deno.test("every marked README shell block runs as written in a fresh copy, on small data", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const commands = markedCommands(readme);
  assert.ok(
    commands.length >= 10,
    `Expected the marked blocks' commands, found ${commands.length}`,
  );
  const tmp = await Deno.makeTempDir({ prefix: "readme_" });
  const project = join(tmp, "main");
  try {
    await copyTree(ROOT, project);
    await symlink(join(ROOT, "node_modules"), join(project, "node_modules"));
    const data = join(tmp, "shared", "data");
    await Deno.mkdir(join(data, "universe"), { recursive: true });
    for (const file of ["SPY.csv", "AAPL.csv"]) {
      await Deno.copyFile(join(SHARED, file), join(data, file));
    }
    for (const symbol of UNIVERSE) {
      await symlink(
        join(SHARED, "universe", `${symbol}.csv`),
        join(data, "universe", `${symbol}.csv`),
      );
    }
    for (const command of commands) {
      const run = small(command);
      const out = await new Deno.Command("sh", {
        args: ["-c", run],
        cwd: project,
        env: { NO_COLOR: "1" },
      }).output();
      const text = new TextDecoder();
      const all = text.decode(out.stdout) + text.decode(out.stderr);
      assert.equal(out.code, 0, `${command}\n(run as: ${run})\n${all.slice(-2000)}`);
      for (const [when, expect] of EXPECT) {
        if (when.test(command)) assert.match(all, expect, `${command}: ${all.slice(-1000)}`);
      }
      const report = /--report (\S+)/.exec(command)?.[1];
      if (report) assert.ok((await Deno.stat(join(project, report))).size > 1000, report);
    }
    assert.ok((await Deno.stat(join(project, "models", "sp500"))).isDirectory);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
