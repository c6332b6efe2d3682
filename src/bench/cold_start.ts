/**
 * The cold-start probe of `deno task bench`: a fresh process that does what a bot does on start,
 * through the plugin `mod.ts` exports: creates the LSTM signal plugin on a saved model, feeds it
 * the synthetic provider's bars one at a time until the first `ok` signal, prints one JSON line
 * and exits. The parent times spawn → that line; the line also carries this process's own
 * `performance.now()` (ms since its time origin) at the first signal.
 *
 *   deno run --allow-read src/bench/cold_start.ts MODEL_DIR
 *
 * @module
 */

import { createLstmSignal } from "../../plugins/lstm_signal.ts";
import { getProvider } from "../data/mod.ts";

/** What the probe prints. */
export interface ColdStartReport {
  /** `performance.now()` at the first `ok` signal: ms since this process's time origin. */
  firstSignalMs: number;
  /** Bars fed before the first `ok` signal (indicator warm-up + one window). */
  barsFed: number;
  /** The first signal's bar time. */
  time: string;
  /** The first signal's probability. */
  probabilityUp: number;
}

/**
 * Feeds synthetic SPY bars of 2024 to a fresh plugin on `modelDir` until the first `ok` signal.
 *
 * @example
 * ```ts
 * const report = await firstSignal("/tmp/bench/model");
 * console.log(report.barsFed);
 * ```
 */
export async function firstSignal(modelDir: string): Promise<ColdStartReport> {
  const plugin = createLstmSignal({ modelDir, warn: (line) => console.error(line) });
  try {
    await plugin.init();
    const bars = await getProvider("synthetic").fetchBars("SPY", {
      start: "2024-01-01",
      end: "2024-12-31",
      interval: "1d",
    });
    let fed = 0;
    for (const bar of bars) {
      fed++;
      const signal = await plugin.onBar("SPY", bar);
      if (signal.status === "ok") {
        return {
          firstSignalMs: performance.now(),
          barsFed: fed,
          time: signal.time,
          probabilityUp: signal.probabilityUp,
        };
      }
    }
    throw new Error(`Expected an ok signal within ${bars.length} bars, found none`);
  } finally {
    await plugin.dispose();
  }
}

if (import.meta.main) {
  try {
    console.log(JSON.stringify(await firstSignal(Deno.args[0])));
    Deno.exit(0);
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(1);
  }
}
