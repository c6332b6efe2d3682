/**
 * `deno task predict`: the latest signal for one or more tickers, computed by
 * the same plugin a bot registers (`createLstmSignal`), from the bars the
 * data layer provides.
 *
 * @module
 */

import {
  choiceFlag,
  type Command,
  dateFlag,
  numberFlag,
  parseFlags,
  printResult,
  progress,
  stringFlag,
} from "./common.ts";
import { loadSeries, validateTicker } from "../data/mod.ts";
import { type SourceName, SOURCES } from "../data/types.ts";
import { resolveModelDir } from "../model/versions.ts";
import { readCard } from "../model/card.ts";
import { createLstmSignal } from "../../plugins/lstm_signal.ts";
import type { Signal } from "../signal/types.ts";
import { UsageError } from "../util/errors.ts";

const HELP = `Usage: deno task predict [--ticker SPY[,QQQ...]] [flags]

Prints the latest signal (probability that the next bar closes up) for each ticker,
from the model the signal plugin loads (a model folder, or the version a versioned
folder's current.json names).

Flags:
  --model DIR        model folder or versioned root (default models/lstm)
  --ticker LIST      tickers, comma-separated (default: the model's own ticker, from
                     the cache, or regenerated when the model learned synthetic bars)
  --csv FILE         read bars from a CSV instead of the cache
  --source NAME      ${SOURCES.join(" | ")} (default: the cache prepare wrote)
  --data-dir DIR     cache folder (default data)
  --end DATE         predict as of this date (default: the last bar)
  --max-age-days N   mark signals from a model older than N days stale-model
  --json             print JSON (an array for several tickers)
  -h, --help         this text`;

/** The ticker, source and data seed the model in `modelDir` was trained on. */
async function ownSeries(
  modelDir: string,
): Promise<{ ticker: string; source?: SourceName; seed: number } | null> {
  const where = await resolveModelDir(modelDir);
  if (!where) return null;
  const card = await readCard(where.dir);
  return {
    ticker: card.data.ticker,
    // Synthetic bars are regenerated; a live or CSV source's bars come from the cache.
    source: card.data.source === "synthetic" ? "synthetic" : undefined,
    seed: card.seed,
  };
}

/** Runs `deno task predict`. */
export const predict: Command = async (args: string[]): Promise<number> => {
  const { flags } = parseFlags(args, {
    model: { type: "string" },
    ticker: { type: "string" },
    csv: { type: "string" },
    source: { type: "string" },
    "data-dir": { type: "string" },
    end: { type: "string" },
    "max-age-days": { type: "string" },
  });
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const modelDir = stringFlag(flags, "model", "models/lstm");
  const own = flags.ticker === undefined ? await ownSeries(modelDir) : null;
  const tickers = stringFlag(flags, "ticker") ?? own?.ticker;
  if (!tickers) throw new UsageError("Expected --ticker SYMBOL, found none (see --help)");
  const symbols = tickers.split(",").map(validateTicker);
  const source = flags.source === undefined
    ? (flags.csv === undefined ? own?.source : undefined)
    : choiceFlag(flags, "source", SOURCES, "csv");
  const end = dateFlag(flags, "end");
  const maxModelAgeDays = flags["max-age-days"] === undefined
    ? undefined
    : numberFlag(flags, "max-age-days", 0, { min: 0 });
  const plugin = createLstmSignal({
    modelDir,
    maxModelAgeDays,
    warn: (line) => progress(`warning: ${line}`),
  });
  await plugin.init();
  const signals: Signal[] = [];
  try {
    for (const symbol of symbols) {
      const series = await loadSeries({
        ticker: symbol,
        source,
        csv: stringFlag(flags, "csv"),
        dataDir: stringFlag(flags, "data-dir", "data"),
        end,
        seed: own?.seed,
      });
      signals.push(await plugin.predict(symbol, series.bars));
    }
  } finally {
    await plugin.dispose();
  }
  printResult(
    flags,
    signals.length === 1 ? signals[0] : signals,
    () =>
      signals.map((s) =>
        `${s.symbol} ${s.time}: P(up in ${s.horizonBars} bar${s.horizonBars === 1 ? "" : "s"}) = ${
          s.probabilityUp.toFixed(3)
        }  ${s.direction} (confidence ${
          s.confidence.toFixed(2)
        }, ${s.status}, model ${s.model.id} ${s.model.version})`
      ).join("\n"),
  );
  return 0;
};
