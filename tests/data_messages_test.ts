/**
 * Messages of the data layer as the commands print them (issue 23 #14, #15): a ticker taken from
 * a --csv file's name says so, and a CSV whose rows are all in the future gets the validator's
 * line in every command, not a date-range line.
 */
import assert from "node:assert/strict";
import { cli, trainTinyModel } from "./tiny_model_fixture.ts";

const TMP = await Deno.makeTempDir();
await trainTinyModel(`${TMP}/lstm`, "SPY");
const HEADER = "Date,Open,High,Low,Close,Adj Close,Volume";

Deno.test("predict --csv one_row.csv says the ticker was taken from the file name", async () => {
  const file = `${TMP}/one_row.csv`;
  await Deno.writeTextFile(file, `${HEADER}\n2024-02-14,500,501,499,500.5,500.5,1000\n`);
  const run = await cli(["predict", "--model", `${TMP}/lstm`, "--csv", file], TMP);
  assert.equal(run.code, 2, run.stderr);
  assert.equal(
    run.stderr,
    `error: Expected --ticker SYMBOL, or a --csv file named after its ticker (like SPY.csv), found ${file}: without --ticker the ticker is taken from the file name, and "one_row" is not one\n`,
  );
});

Deno.test("a CSV whose rows are all in the future: the same line from predict, evaluate and backtest", async () => {
  const file = `${TMP}/SPY.csv`;
  await Deno.writeTextFile(
    file,
    `${HEADER}\n2999-01-04,10,11,9,10,10,100\n2999-01-05,10,11,9,10,10,100\n`,
  );
  for (const command of ["predict", "evaluate", "backtest"]) {
    const run = await cli([command, "--model", `${TMP}/lstm`, "--csv", file], TMP);
    assert.equal(run.code, 1, `${command}: ${run.stderr}`);
    assert.match(
      run.stderr,
      /^error: Expected usable bars in .*SPY\.csv, found none among its 2 rows \(rejected: 2 invalid time\); first at line 2: Expected a date not in the future/,
      command,
    );
  }
});
