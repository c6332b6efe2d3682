/**
 * The shadow row of `deno task bench`: what running shadow versions beside the live one costs
 * the signal plugin per bar. A versioned folder holds three copies of the workload's model (v1
 * current; v2 and v3 the shadows: the same shape, so each costs what any such version costs); a
 * fresh plugin is fed synthetic SPY bars of 2024 with 0, 1 and 2 shadows, in rounds, and every
 * `onBar` after the first `ok` signal is timed (features, one forward pass per model, the
 * calibration, no log). Shadows with the live model's features share its feature stream, so
 * each should add one forward pass and nothing else. A benchmark: nothing here is asserted.
 *
 * Run as a child: `deno run --allow-read src/bench/shadow.ts ROOT`.
 *
 * @module
 */

import { join } from "node:path";
import { createLstmSignal } from "../../plugins/lstm_signal.ts";
import { getProvider } from "../data/mod.ts";
import type { Bar } from "../data/types.ts";
import { promote } from "../model/versions.ts";
import { childFailure, runChild } from "./child.ts";
import { median } from "./workload.ts";

/**
 * The shadow row's result (`shadow` in `deno task bench --json`).
 *
 * @example
 * ```ts
 * const row: ShadowBenchRow = report.shadow!;
 * console.log(row.msPerBar, row.extraMsPerShadow);
 * ```
 */
export interface ShadowBenchRow {
  /** Timed bars per configuration and round (the bars after the first ok signal). */
  bars: number;
  /** Rounds: each configuration is run once per round, in turn. */
  rounds: number;
  /** Median ms of one `onBar`, by the number of shadows (index 0: none, 1: one, 2: two). */
  msPerBar: number[];
  /** The extra ms per bar of one shadow: `(msPerBar[2] - msPerBar[0]) / 2`. */
  extraMsPerShadow: number;
  /** What the time covers. */
  includes: string;
}

const INCLUDES = "createLstmSignal's onBar on the workload's model (60×10 windows, lstm): " +
  "the feature stream, one forward pass per model (fused kernels) and its calibration; no log";

/**
 * Times `onBar` with 0, 1 and 2 shadows on the versioned folder `root` (v1 current, v2 and v3
 * its shadows).
 *
 * @example
 * ```ts
 * const row = await measureShadowCost("/tmp/bench/shadow", 3);
 * ```
 */
export async function measureShadowCost(root: string, rounds = 3): Promise<ShadowBenchRow> {
  const bars: Bar[] = await getProvider("synthetic").fetchBars("SPY", {
    start: "2024-01-01",
    end: "2024-12-31",
    interval: "1d",
  });
  const times: number[][] = [[], [], []];
  let timed = 0;
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < times.length; k++) {
      const plugin = createLstmSignal({
        modelDir: root,
        shadow: ["v2", "v3"].slice(0, k),
        maxZScore: Infinity,
        warn: (line) => console.error(line),
      });
      await plugin.init();
      let ok = false;
      let count = 0;
      for (const bar of bars) {
        const start = performance.now();
        const signal = await plugin.onBar("SPY", bar);
        const ms = performance.now() - start;
        if (ok) {
          times[k].push(ms);
          count++;
        }
        ok ||= signal.status === "ok";
      }
      timed = count;
      plugin.dispose();
    }
  }
  const msPerBar = times.map((t) => Number(median(t).toFixed(4)));
  return {
    bars: timed,
    rounds,
    msPerBar,
    extraMsPerShadow: Number(((msPerBar[2] - msPerBar[0]) / 2).toFixed(4)),
    includes: INCLUDES,
  };
}

/**
 * Runs the shadow row in a child process: copies the model folder `modelDir` to `v1`, `v2` and
 * `v3` of a versioned folder under `scratch`, makes v1 current, and times the plugin with 0, 1
 * and 2 shadows. `null` when the child fails (reported through `log`).
 *
 * @example
 * ```ts
 * const row = await benchShadow("/tmp/lstm-bench/model", "/tmp/lstm-bench", { log: console.error });
 * ```
 */
export async function benchShadow(
  modelDir: string,
  scratch: string,
  options: { log?: (line: string) => void } = {},
): Promise<ShadowBenchRow | null> {
  const log = options.log ?? ((): void => {});
  const root = join(scratch, "shadow");
  for (const version of ["v1", "v2", "v3"]) {
    await Deno.mkdir(join(root, version), { recursive: true });
    for await (const entry of Deno.readDir(modelDir)) {
      if (entry.isFile) {
        await Deno.copyFile(join(modelDir, entry.name), join(root, version, entry.name));
      }
    }
  }
  await promote(root, "v1");
  log("bench: shadow versions: onBar with 0, 1 and 2 shadows");
  const run = await runChild(["run", "--allow-read", "src/bench/shadow.ts", root], {
    echo: (line) => log(`  shadow: ${line}`),
  });
  if (run.code !== 0 || run.line === null) {
    log(`bench: shadow ${childFailure(run)}`);
    return null;
  }
  return JSON.parse(run.line) as ShadowBenchRow;
}

/**
 * The shadow row as text.
 *
 * @example
 * ```ts
 * console.log(formatShadowRow(report.shadow!));
 * ```
 */
export function formatShadowRow(row: ShadowBenchRow | null): string {
  if (row === null) return "shadow versions: failed";
  const [none, one, two] = row.msPerBar;
  return [
    `shadow versions → onBar per bar (median of ${row.bars} bars × ${row.rounds} rounds): ` +
    `${none.toFixed(3)} ms live only, ${one.toFixed(3)} ms with 1 shadow, ` +
    `${two.toFixed(3)} ms with 2: +${row.extraMsPerShadow.toFixed(3)} ms per shadow`,
    `  covers: ${row.includes}`,
  ].join("\n");
}

if (import.meta.main) {
  try {
    console.log(JSON.stringify(await measureShadowCost(Deno.args[0])));
    Deno.exit(0);
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(1);
  }
}
