/** The predictions log line's one schema and parser (src/model/prediction_log.ts). */
import assert from "node:assert/strict";
import { parseLogLine } from "../src/model/prediction_log.ts";

const LINE = {
  symbol: "SPY",
  time: "2024-01-02",
  probabilityUp: 0.57,
  horizonBars: 1,
  status: "ok",
  model: { version: "v2" },
  features: [1, "x"],
  shadows: [{ version: "v3", probabilityUp: 0.4, status: "ok", horizonBars: 1 }, { bad: 1 }],
};

Deno.test("a log line parses to the signal, its version, features and well-formed shadows", () => {
  const s = parseLogLine(JSON.stringify(LINE))!;
  assert.equal(s.version, "v2");
  assert.equal(s.probabilityUp, 0.57);
  assert.deepEqual(s.features, [1, NaN]);
  assert.deepEqual(s.shadows, [{
    version: "v3",
    probabilityUp: 0.4,
    status: "ok",
    horizonBars: 1,
    features: null,
  }]);
  const bare = parseLogLine(
    '{"symbol":"SPY","time":"t","probabilityUp":0.5,"horizonBars":1,"status":"ok"}',
  );
  assert.deepEqual(bare, {
    symbol: "SPY",
    time: "t",
    probabilityUp: 0.5,
    horizonBars: 1,
    status: "ok",
    version: null,
    features: null,
  });
});

Deno.test("a byte-order mark is dropped; a string probability or bad horizon is malformed", () => {
  assert.equal(parseLogLine(`\uFEFF${JSON.stringify(LINE)}`)?.symbol, "SPY");
  assert.equal(parseLogLine(JSON.stringify({ ...LINE, probabilityUp: "0.57" })), null);
  assert.equal(parseLogLine(JSON.stringify({ ...LINE, horizonBars: 0 })), null);
  assert.equal(parseLogLine("{not json"), null);
});
