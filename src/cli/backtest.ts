/**
 * `deno task backtest`: replay bars one at a time through the LSTM signal
 * plugin (the same plugin and host loop a bot runs), trade on its
 * probability with fills at the next bar's open, and report the result beside
 * buy-and-hold; `--compare` runs the seed's A/B test.
 *
 * @module
 */

import { choiceFlag, kernelFlag, numberFlag, parseFlags, stringFlag } from "./common.ts";
import { type Command, printResult, progress } from "./output.ts";
import { DATA_FLAGS, DATA_HELP, dataRequest, dateRange, reportFlag } from "./flags.ts";
import { BACKENDS, selectBackend } from "../model/backend.ts";
import { backtestModel } from "../pipeline/backtest.ts";
import { loadEvaluationModel } from "../pipeline/score.ts";
import { requestedTickers } from "../pipeline/series.ts";
import { backtestPage, backtestText, renderReport } from "../views/mod.ts";
import { createLstmSignal } from "../../plugins/lstm_signal.ts";
import { atomicWriteFile } from "../util/fs.ts";
import { UsageError } from "../util/errors.ts";
import {
  bareUniverse,
  UNIVERSE_SCORE_FLAGS,
  UNIVERSE_SCORE_HELP,
  universeScoreRequest,
} from "./universe_flags.ts";
import { isUniverseModel, scoreUniverseRequest } from "../pipeline/study.ts";
import { universeBacktestText, universePage } from "../views/universe.ts";

const HELP = `Usage: deno task backtest [--model DIR] [--ticker SYMBOL | --csv FILE] [flags]

Replay the bars one at a time through the LSTM signal plugin, the same
plugin and host loop a trading bot runs. A decision made on a bar's close is
filled at the next bar's open, so no decision uses a price it could not have
known. Long when the probability is above threshold + hysteresis, flat (or
short with --short) below threshold - hysteresis, unchanged in between; a
signal that is not ok (warming up, out of distribution) means flat. Reports
total and annual return, volatility, Sharpe, Sortino, maximum drawdown, hit
rate, exposure, turnover and trades beside buy-and-hold on the same period.
On the model's own ticker only bars after its validation range trade unless
--start/--end are given.

Flags:
  --model DIR        a model folder or a versioned root (default models/lstm)
${DATA_HELP}
  --start DATE       first decision date, YYYY-MM-DD (earlier bars warm up)
  --end DATE         last bar replayed
  --threshold P      probability threshold (default 0.5)
  --hysteresis H     half-width of the no-change band (default 0)
  --short            long/short instead of long/flat
  --cost-bps N       cost per side per unit of position change, basis points
                     (default 0; 10 on a crypto venue, a typical taker fee)
  --compare          the A/B test: a moving-average crossover rule alone and
                     filtered by the model (long only when both say up)
  --fast N, --slow N crossover SMA lengths for --compare (default 20, 50)
  --backend NAME     ${BACKENDS.join(" | ")} (default wasm)
  --report FILE      write a self-contained HTML report with the equity curve
                     against buy-and-hold and the drawdown; deno task
                     backtest may write under reports/ only
  --json             print one JSON object
  --verbose, -v      progress, and a stack trace on errors
  --help, -h         this text

${UNIVERSE_SCORE_HELP}
  --walk-forward     with a universe: retrain by date folds (--folds N,
                     --mode expanding|sliding, --retrain-every DATES,
                     --epochs N) and trade the out-of-sample predictions

Exit codes: 0 ok, 1 failed (missing or corrupted model, too little data),
2 usage.

Examples:
  deno task backtest --model models/lstm --ticker SPY
  deno task backtest --ticker SPY --threshold 0.55 --hysteresis 0.02 --cost-bps 5 --compare
  deno task backtest --ticker AAPL --csv ../shared/data/AAPL.csv --short --report reports/aapl_bt.html`;

const FLAGS = {
  ...DATA_FLAGS,
  model: { type: "string" },
  start: { type: "string" },
  end: { type: "string" },
  threshold: { type: "string" },
  hysteresis: { type: "string" },
  short: { type: "boolean" },
  "cost-bps": { type: "string" },
  compare: { type: "boolean" },
  fast: { type: "string" },
  slow: { type: "string" },
  backend: { type: "string" },
  report: { type: "string" },
  ...UNIVERSE_SCORE_FLAGS,
  "walk-forward": { type: "boolean" },
  folds: { type: "string" },
  mode: { type: "string" },
  "retrain-every": { type: "string" },
  epochs: { type: "string" },
} as const;

/**
 * The `backtest` command.
 *
 * @example
 * ```ts
 * const code = await backtest(["--model", "models/lstm", "--ticker", "SPY", "--json"]);
 * ```
 */
export const backtest: Command = async (args: string[]): Promise<number> => {
  const { flags } = parseFlags(bareUniverse(args), FLAGS);
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  if (flags.study !== undefined) flags["walk-forward"] = true; // a study retrains by date folds
  const universe = flags.universe !== undefined || flags.study !== undefined ||
    await isUniverseModel(stringFlag(flags, "model", "models/lstm"));
  for (
    const name of [
      "top-k",
      "long-only",
      "context",
      "walk-forward",
      "folds",
      "mode",
      "retrain-every",
      "epochs",
    ]
  ) {
    if (!universe && flags[name] !== undefined) {
      throw new UsageError(`Expected --${name} only with --universe, found it without`);
    }
  }
  const request = dataRequest(flags);
  const range = dateRange(flags);
  const threshold = numberFlag(flags, "threshold", 0.5, { min: 0, max: 1 });
  const hysteresis = numberFlag(flags, "hysteresis", 0, { min: 0, max: 0.5 });
  // Absent: the venue's default (0 on the NYSE, an exchange's taker fee on a crypto venue).
  const costBps = flags["cost-bps"] === undefined
    ? undefined
    : numberFlag(flags, "cost-bps", 0, { min: 0, max: 10_000 });
  const compare = Boolean(flags.compare);
  for (const name of ["fast", "slow"]) {
    if (!compare && flags[name] !== undefined) {
      throw new UsageError(`Expected --${name} only with --compare, found it without`);
    }
  }
  const fast = numberFlag(flags, "fast", 20, { min: 1, integer: true });
  const slow = numberFlag(flags, "slow", 50, { min: 2, integer: true });
  if (fast >= slow) {
    throw new UsageError(`Expected --fast below --slow, found ${fast} and ${slow}`);
  }
  const backendName = choiceFlag(flags, "backend", BACKENDS, "wasm");
  const report = reportFlag(flags);
  const modelDir = stringFlag(flags, "model", "models/lstm");
  const verbose = Boolean(flags.verbose);

  const selected = await selectBackend(backendName, { verbose, log: progress });
  if (universe) {
    const scoring = universeScoreRequest(flags, {
      modelDir,
      kernel: kernelFlag({}, selected),
      data: request,
      range,
      log: progress,
    });
    const { result, title } = await scoreUniverseRequest(scoring.request, scoring.options);
    // A backtest's JSON is the trading: the scores stay evaluate's (pooled, reversal, perSymbol).
    const { pooled: _pooled, reversal: _reversal, perSymbol: _perSymbol, ...trading } =
      result.evaluation;
    printResult(flags, trading, () => universeBacktestText(result.evaluation));
    if (report) {
      await atomicWriteFile(report, universePage(result, title, { page: "backtest" }));
      progress(`report written to ${report}`);
    }
    return 0;
  }
  // Loading here checks every file and the feature list with one clear error each.
  const loaded = await loadEvaluationModel(modelDir);
  loaded.dispose();
  const tickers = requestedTickers(loaded.info.card, request);
  if (tickers.length > 1) {
    throw new UsageError(`Expected one --ticker, found ${tickers.length}`);
  }
  const run = await backtestModel(
    loaded,
    tickers[0],
    () => createLstmSignal({ modelDir, warn: progress }),
    {
      request,
      ...range,
      threshold,
      hysteresis,
      allowShort: Boolean(flags.short),
      costBps,
      compare: compare ? { fast, slow } : undefined,
      log: verbose ? progress : undefined,
    },
  );
  if (report) {
    await atomicWriteFile(report, renderReport(backtestPage(run)));
    progress(`report written to ${report}`);
  }
  printResult(flags, run.json, () => backtestText(run));
  return 0;
};
