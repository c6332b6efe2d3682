/**
 * `deno task predict`: the latest signal for one or more tickers, computed by
 * the same plugin a bot registers (`createLstmSignal`), from the bars that go
 * with the model (the rule of `src/pipeline/series.ts`).
 *
 * @module
 */

import {
  type Command,
  dateFlag,
  numberFlag,
  parseFlags,
  printResult,
  progress,
  stringFlag,
} from "./common.ts";
import { DATA_FLAGS, DATA_HELP, dataRequest } from "./flags.ts";
import { resolveModelDir } from "../model/versions.ts";
import { readCard } from "../model/card.ts";
import { loadModelSeries, requestedTickers } from "../pipeline/series.ts";
import { createLstmSignal } from "../../plugins/lstm_signal.ts";
import type { Signal } from "../signal/types.ts";
import { DataError } from "../util/errors.ts";

const HELP = `Usage: deno task predict [--ticker SPY[,QQQ...]] [flags]

Prints the latest signal (probability that the next bar closes up) for each ticker,
from the model the signal plugin loads (a model folder, or the version a versioned
folder's current.json names).

Flags:
  --model DIR        model folder or versioned root (default models/lstm)
${DATA_HELP}
  --end DATE         predict as of this date (default: the last bar)
  --max-age-days N   mark signals from a model older than N days stale-model
  --json             print JSON (an array for several tickers)
  -h, --help         this text`;

/** Runs `deno task predict`. */
export const predict: Command = async (args: string[]): Promise<number> => {
  const { flags } = parseFlags(args, {
    ...DATA_FLAGS,
    model: { type: "string" },
    end: { type: "string" },
    "max-age-days": { type: "string" },
  });
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const modelDir = stringFlag(flags, "model", "models/lstm");
  const request = { ...dataRequest(flags), end: dateFlag(flags, "end") };
  const maxModelAgeDays = flags["max-age-days"] === undefined
    ? undefined
    : numberFlag(flags, "max-age-days", 0, { min: 0 });
  const where = await resolveModelDir(modelDir);
  const card = where ? await readCard(where.dir) : null;
  if (!card && request.ticker === undefined && request.csv === undefined) {
    throw new DataError(
      `Expected a model in ${modelDir} (model.json or current.json), found none; run \`deno task train\` first, or pass --ticker for neutral no-model signals`,
    );
  }
  const tickers = requestedTickers(card, request);
  const plugin = createLstmSignal({
    modelDir,
    maxModelAgeDays,
    warn: (line) => progress(`warning: ${line}`),
  });
  await plugin.init();
  const signals: Signal[] = [];
  try {
    for (const ticker of tickers) {
      const { series } = await loadModelSeries(card, ticker, request);
      signals.push(await plugin.predict(ticker, series.bars));
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
