// A minimal trading bot: register the LSTM signal, stream bars, act on signals.
// Run after `deno task train`:  deno run --allow-read=models/lstm examples/bot.ts
import { createLstmSignal } from "@lstm-signal/core";
import { loadSeries } from "@lstm-signal/core/data";

const signal = createLstmSignal({ modelDir: "models/lstm", upThreshold: 0.5, downThreshold: 0.5 });
await signal.init();
const { bars } = await loadSeries({ ticker: "SPY", source: "synthetic" }); // your feed here
let holding = false, trades = 0;
for (const bar of bars.slice(-300)) {
  const s = await signal.onBar("SPY", bar);
  if (s.status !== "ok" || (s.direction === "up") === holding) continue;
  holding = s.direction === "up";
  trades++;
  // Shadows (`deno task models shadow v2`) are scored (and logged with logPath), never traded:
  const shadows = s.shadows?.map((x) => `${x.version} ${x.probabilityUp.toFixed(3)}`) ?? [];
  const p = [s.probabilityUp.toFixed(3), ...shadows].join(" ");
  console.log(`${bar.time} ${holding ? "BUY " : "SELL"} p(up)=${p}`);
}
console.log(`done: ${trades} trades, model ${signal.version}, shadows [${signal.shadows}]`);
await signal.dispose();
