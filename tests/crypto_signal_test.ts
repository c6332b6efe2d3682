/**
 * The plugin's interval check follows the card's venue (issue 26): on a crypto venue a weekend
 * is a gap like any other (said as a warning, the bar still taken), on the NYSE it is no gap; a
 * bar of another interval is refused on both.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createLstmSignal } from "../plugins/lstm_signal.ts";
import { checkBarSpacing } from "../src/signal/interval.ts";
import { generateSyntheticContinuousBars, loadSeries } from "../src/data/mod.ts";
import { readCard } from "../src/model/card.ts";
import { cli } from "./tiny_model_fixture.ts";

const TMP = await Deno.makeTempDir({ prefix: "crypto_signal_" });
globalThis.addEventListener("unload", () => Deno.removeSync(TMP, { recursive: true }));

const crypto1h = { interval: "1h", venue: "crypto" };
const nyse1d = { interval: "1d" };

Deno.test("on a crypto venue a weekend skips bars; on the NYSE it skips none", () => {
  // Friday 2024-01-05 23:00 to Monday 00:00: 48 hourly bars of the weekend missing.
  const weekend = {
    symbol: "BTC/USDT",
    time: "2024-01-08T00:00:00Z",
    previous: "2024-01-05T23:00:00Z",
  };
  const gap = checkBarSpacing(crypto1h, weekend);
  assert.equal(gap?.missing, 48);
  assert.equal(gap?.unit, "1h bar");
  assert.match(gap!.message, /^BTC\/USDT skips 48 1h bars between .* on a crypto venue/);
  // The next hour is no gap, on either venue.
  const next = {
    symbol: "BTC/USDT",
    time: "2024-01-06T00:00:00Z",
    previous: "2024-01-05T23:00:00Z",
  };
  assert.equal(checkBarSpacing(crypto1h, next), null);
  // Daily bars: Friday to Monday is two crypto days missing and no NYSE day.
  const daily = { symbol: "X", time: "2024-01-08", previous: "2024-01-05" };
  assert.equal(checkBarSpacing({ interval: "1d", venue: "crypto" }, daily)?.missing, 2);
  assert.equal(checkBarSpacing(nyse1d, daily), null);
  // An NYSE holiday is no gap (Monday 2024-01-15 is Martin Luther King Jr. Day) …
  const holiday = { symbol: "SPY", time: "2024-01-16", previous: "2024-01-12" };
  assert.equal(checkBarSpacing(nyse1d, holiday), null);
  // … a weekday without a bar is, on the NYSE too.
  const skipped = checkBarSpacing(nyse1d, {
    symbol: "SPY",
    time: "2024-01-10",
    previous: "2024-01-08",
  });
  assert.equal(skipped?.missing, 1);
  assert.match(skipped!.message, /SPY skips 1 NYSE trading day \(2024-01-09\)/);
  // NYSE hourly bars: the night and the weekend between sessions are no gap.
  const overnight = {
    symbol: "SPY",
    time: "2024-01-08T14:30:00Z",
    previous: "2024-01-05T20:30:00Z",
  };
  assert.equal(checkBarSpacing({ interval: "1h" }, overnight), null);
  assert.equal(checkBarSpacing({ interval: "1h", venue: "crypto" }, overnight)?.missing, 65);
});

Deno.test("a bar of another interval is refused on both venues", () => {
  for (const venue of [undefined, "crypto"]) {
    assert.throws(
      () =>
        checkBarSpacing({ interval: "1h", venue }, {
          symbol: "BTC/USDT",
          time: "2024-01-05T23:30:00Z",
          previous: "2024-01-05T23:00:00Z",
        }),
      /Expected 1h bars for the model \(trained on 1h bars\), found bars of BTC\/USDT 30 minutes apart/,
    );
    assert.throws(
      () =>
        checkBarSpacing({ interval: "1h", venue }, {
          symbol: "X",
          time: "2024-01-05",
          previous: null,
        }),
      /found a daily bar of X at 2024-01-05/,
    );
  }
  assert.throws(
    () =>
      checkBarSpacing({ interval: "1d", venue: "mars" }, {
        symbol: "X",
        time: "2024-01-06",
        previous: "2024-01-05",
      }),
    /Expected a venue \(nyse, crypto\), found "mars"/,
  );
});

const TINY = [
  "--epochs",
  "1",
  "--sequence-length",
  "10",
  "--lstm-units",
  "4",
  "--batch-size",
  "64",
  "--seed",
  "42",
  "--backend",
  "cpu",
  "--kernel",
  "stock",
  "--calibration",
  "none",
];

async function train(name: string, args: string[]): Promise<string> {
  const run = await cli(
    ["train", "--source", "synthetic", ...args, ...TINY, "--model-dir", TMP, "--name", name],
    TMP,
  );
  assert.equal(run.code, 0, run.stderr);
  return join(TMP, name);
}

Deno.test("the plugin follows the card's venue: a crypto model warns of a weekend gap, an NYSE model of none", async () => {
  const cryptoModel = await train("btc", [
    "--ticker",
    "SYNTH-CRYPTO",
    "--interval",
    "1h",
    "--start",
    "2024-05-01",
    "--end",
    "2024-06-30",
  ]);
  assert.equal((await readCard(join(cryptoModel, "v1"))).data.venue, "crypto");
  const hours = generateSyntheticContinuousBars("SYNTH-CRYPTO", {
    start: "2024-07-01",
    end: "2024-07-08",
    interval: "1h",
  });
  const friday = hours.findIndex((b) => b.time === "2024-07-05T23:00:00Z");
  const monday = hours.findIndex((b) => b.time === "2024-07-08T00:00:00Z");
  const warnings: string[] = [];
  const plugin = createLstmSignal({
    modelDir: cryptoModel,
    warn: (w) => warnings.push(w),
    allowNoSkill: true,
  });
  await plugin.init();
  for (const bar of hours.slice(0, friday + 1)) await plugin.onBar("SYNTH-CRYPTO", bar);
  assert.deepEqual(warnings, []);
  const signal = await plugin.onBar("SYNTH-CRYPTO", hours[monday]); // taken, and said
  assert.equal(signal.time, "2024-07-08T00:00:00Z");
  assert.equal(warnings.length, 1, warnings.join("\n"));
  assert.match(
    warnings[0],
    /^lstm signal: SYNTH-CRYPTO skips 48 1h bars between 2024-07-05T23:00:00Z and 2024-07-08T00:00:00Z, on a crypto venue/,
  );
  await plugin.dispose();

  const nyseModel = await train("spy", [
    "--ticker",
    "SPY",
    "--start",
    "2022-01-01",
    "--end",
    "2023-12-31",
  ]);
  assert.equal((await readCard(join(nyseModel, "v1"))).data.venue, undefined);
  const days = (await loadSeries({
    ticker: "SPY",
    source: "synthetic",
    start: "2024-01-02",
    end: "2024-03-29",
  })).bars;
  const nyseWarnings: string[] = [];
  const spy = createLstmSignal({
    modelDir: nyseModel,
    warn: (w) => nyseWarnings.push(w),
    allowNoSkill: true,
  });
  await spy.init();
  // Every NYSE session, weekends and holidays (MLK day, Presidents' Day) between: no gap.
  for (const bar of days.slice(0, 40)) await spy.onBar("SPY", bar);
  assert.deepEqual(nyseWarnings, []);
  // A trading day left out is one.
  await spy.onBar("SPY", days[41]);
  assert.equal(nyseWarnings.length, 1, nyseWarnings.join("\n"));
  assert.match(nyseWarnings[0], new RegExp(`SPY skips 1 NYSE trading day \\(${days[40].time}\\)`));
  await spy.dispose();
});
