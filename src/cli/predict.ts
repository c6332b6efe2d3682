/**
 * `deno task predict`: the latest signal for one or more tickers, computed by
 * the same plugin a bot registers (`createLstmSignal`), from the bars that go
 * with the model (the rule of `src/pipeline/series.ts`).
 *
 * @module
 */

import { dateFlag, numberFlag, parseFlags, stringFlag } from "./common.ts";
import { type Command, printResult, progress } from "./output.ts";
import { DATA_FLAGS, DATA_HELP, dataRequest } from "./flags.ts";
import { listVersions, resolveModelDir } from "../model/versions.ts";
import { checkModelFolder } from "../model/store.ts";
import { loadModelSeries, requestedTickers } from "../pipeline/series.ts";
import { createLstmSignal } from "../../plugins/lstm_signal.ts";
import type { Signal } from "../signal/types.ts";
import { DataError, UsageError } from "../util/errors.ts";
import { universeSeriesFor } from "../pipeline/universe.ts";

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
  -h, --help         this text

Exit codes: 0 ok, 1 failed (a missing or broken model, data), 2 usage. A bot
that registers the plugin itself gets "no-model" signals instead.`;

/** Why `dir` holds no model, in one line: no folder, no versions, or versions but no pointer. */
async function noModelMessage(dir: string): Promise<string> {
  const versions = await listVersions(dir).catch(() => []);
  if (versions.length) {
    return `Expected ${dir}/current.json to name the current version, found no such file (versions: ${
      versions.join(", ")
    }); make one current with \`deno task models promote ${versions[versions.length - 1]}\``;
  }
  return `Expected a model in ${dir} (model.json or current.json), found none; run \`deno task train\` first`;
}

/** The tickers asked for; a --csv file whose name is no ticker is said to be the cause. */
function tickersOf(
  card: Parameters<typeof requestedTickers>[0],
  request: Parameters<typeof requestedTickers>[1],
): string[] {
  try {
    return requestedTickers(card, request);
  } catch (error) {
    if (!(error instanceof UsageError) || request.ticker !== undefined || !request.csv) throw error;
    const stem = request.csv.split("/").pop()!.replace(/\.[^.]*$/, "");
    throw new UsageError(
      `Expected --ticker SYMBOL, or a --csv file named after its ticker (like SPY.csv), found ${request.csv}: without --ticker the ticker is taken from the file name, and "${stem}" is not one`,
    );
  }
}

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
  // The command exits 1 for a missing or broken model (the plugin alone would answer no-model).
  const where = await resolveModelDir(modelDir);
  if (!where) throw new DataError(await noModelMessage(modelDir));
  const { card } = await checkModelFolder(where.dir);
  if (card.universe && request.ticker === undefined) {
    throw new UsageError("Expected --ticker SYMBOL for a universe model, found none");
  }
  const tickers = tickersOf(card, request);
  const plugin = createLstmSignal({
    modelDir,
    maxModelAgeDays,
    warn: (line) => progress(`warning: ${line}`),
  });
  await plugin.init();
  const signals: Signal[] = [];
  try {
    let contextFed = false;
    for (const ticker of tickers) {
      // A universe model: the symbol's bars from its universe; its context stream fed first.
      const loaded = card.universe
        ? await universeSeriesFor(card, ticker, request)
        : await loadModelSeries(card, ticker, request);
      const context = "context" in loaded ? loaded.context : undefined;
      if (context && !contextFed) {
        for (const bar of context.bars) await plugin.onBar(context.symbol, bar);
        contextFed = true;
      }
      const { bars } = loaded.series;
      // Too few bars is a data error, as evaluate and backtest say of the same file: a
      // warming-up 0.5 is not a prediction (issue 23 #17).
      if (bars.length < plugin.warmupBars) {
        throw new DataError(tooFewBars(ticker, bars.length, plugin.warmupBars));
      }
      const signal = await plugin.predict(ticker, bars);
      if (signal.status === "warming-up") {
        throw new DataError(tooFewBars(ticker, bars.length, plugin.warmupBars));
      }
      signals.push(signal);
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
        }  ${s.direction} (confidence ${s.confidence.toFixed(2)}, ${
          statusText(s)
        }, model ${s.model.id} ${s.model.version})`
      ).join("\n"),
  );
  return 0;
};

/** The one line of a ticker whose bars cannot fill the model's warm-up and window. */
function tooFewBars(ticker: string, found: number, needed: number): string {
  return `Expected at least ${needed} bars of ${ticker} to predict (the model's feature warm-up and window), found ${found}`;
}

/** A signal's status in words: `no-skill` says what the probability is and that it is not traded. */
function statusText(s: Signal): string {
  return s.status === "no-skill"
    ? "no-skill: the model showed no skill on its held-out validation rows, so this is the training base rate, not a signal to trade"
    : s.status;
}
