/**
 * The page of `deno task monitor`: a model's live record beside its test
 * scores, the drift of its inputs and outputs (marked where flagged), its
 * alerts, and each shadow version's comparison with the live one.
 *
 * @example
 * ```ts
 * import { monitorModel } from "../pipeline/monitor.ts";
 * import { monitorText } from "./monitor.ts";
 * console.log(monitorText(await monitorModel({ modelDir: "models/lstm", ticker: "SPY" })));
 * ```
 *
 * @module
 */

import type { ConfidenceInterval } from "../eval/metrics.ts";
import { PSI_SIGNIFICANT, REFERENCE_FILE } from "../eval/drift.ts";
import type { MonitorResult } from "../pipeline/monitor.ts";
import type { ShadowComparison, ShadowSide } from "../pipeline/shadow_comparison.ts";
import { formatTable } from "../util/table.ts";
import { fixed } from "./format.ts";

function fmt(value: number | null, digits: number): string {
  return value === null ? "-" : value.toFixed(digits);
}

/**
 * The human text of a monitoring result.
 *
 * @example
 * ```ts
 * console.log(monitorText(await monitorModel(options)));
 * ```
 */
export function monitorText(r: MonitorResult): string {
  const mark = (flag: boolean): string => (flag ? "! " : "  ");
  const rollingAlert = r.alerts.find((a) => a.kind === "accuracy");
  const row = (label: string, n: number | null, acc: number | null, rest: string): string =>
    `${label.padEnd(18)}${String(n ?? "-").padStart(6)}  ${fmt(acc, 3).padStart(8)}  ${rest}`;
  const lines = [
    `${r.model} ${r.version} · ${r.ticker} · log ${r.log}`,
    `  ${r.resolved} resolved, ${r.pending} pending${
      r.unmatched ? `, ${r.unmatched} without a price bar` : ""
    }`,
    `  ${"".padEnd(18)}${"n".padStart(6)}  ${"accuracy".padStart(8)}  brier`,
    `  ${row("overall", r.resolved, r.accuracy, fmt(r.brier, 4))}`,
    `${mark(rollingAlert !== undefined)}${
      row(
        `rolling (last ${r.rolling.window})`,
        r.rolling.n,
        r.rolling.accuracy,
        fmt(r.rolling.brier, 4),
      )
    }${rollingAlert ? `  ${rollingAlert.message}` : ""}`,
    `  ${row("test (model)", r.test.rows, r.test.accuracy, `loss ${fmt(r.test.loss, 4)}`)}${
      r.test.baseRate === null ? "" : `  base rate ${fmt(r.test.baseRate, 3)}`
    }`,
    `  drift: PSI vs ${REFERENCE_FILE} on ${r.drift.rows} rows (flag > ${r.drift.threshold})`,
  ];
  const names = [...Object.keys(r.drift.features), "probabilities"];
  const width = Math.max(...names.map((n) => n.length)) + 2;
  for (const name of names) {
    const psi = name === "probabilities" ? r.drift.probabilities : r.drift.features[name];
    lines.push(`${mark(r.drift.flagged.includes(name))}  ${name.padEnd(width)}${fmt(psi, 3)}`);
  }
  lines.push(r.alerts.length ? `${r.alerts.length} alert(s)` : "no alerts");
  for (const c of r.shadows) lines.push(shadowComparisonText(c));
  return lines.join("\n");
}

/**
 * The human text of a shadow comparison: both versions' scores with their
 * skill, the paired difference with its interval, agreement, drift and the
 * verdict.
 *
 * @example
 * ```ts
 * for (const c of result.shadows) console.log(shadowComparisonText(c));
 * ```
 */
export function shadowComparisonText(c: ShadowComparison): string {
  const head = `shadow ${c.candidate} vs live ${c.current} · ${c.ticker} · ${c.rows} compared bars${
    c.first ? ` (${c.first} to ${c.last})` : ""
  }, ${c.pending} pending, ${c.liveOnly} live-only`;
  if (!c.live || !c.shadow || !c.difference) {
    return [head, `  verdict: ${c.verdictText}`].join("\n");
  }
  const f = (v: number, digits = 4): string => fixed(v, digits);
  const signed = (v: number, digits = 4): string =>
    Number.isNaN(v) ? "–" : (v >= 0 ? "+" : "") + v.toFixed(digits);
  const ci = (x: ConfidenceInterval, digits = 4): string =>
    `${signed(x.estimate, digits)} [${signed(x.lower, digits)}, ${signed(x.upper, digits)}]`;
  const { live, shadow, difference: d } = c;
  const psi = (x: ShadowSide): string =>
    x.drift === null || x.drift.probabilities === null ? "-" : f(x.drift.probabilities, 3);
  const table = formatTable([
    ["", `live ${c.current}`, `shadow ${c.candidate}`, `${c.candidate} − ${c.current} [95%]`],
    ["accuracy", f(live.accuracy, 3), f(shadow.accuracy, 3), ci(d.accuracy, 3)],
    ["brier", f(live.brier), f(shadow.brier), ci(d.brier)],
    ["log loss", f(live.logLoss), f(shadow.logLoss), ci(d.logLoss)],
    ["brier skill", ci(live.brierSkill), ci(shadow.brierSkill)],
    ["log-loss skill", ci(live.logLossSkill), ci(shadow.logLossSkill)],
    ["PSI of p", psi(live), psi(shadow)],
  ], { indent: "  ", align: ["left", "right", "right", "right"] });
  const flagged = (x: ShadowSide): string => {
    if (x.drift === null) return `${x.version}: no ${REFERENCE_FILE}`;
    const features = x.drift.flagged.filter((n) => n !== "probabilities").length;
    const p = x.drift.flagged.includes("probabilities");
    return `${x.version} ${features} of ${Object.keys(x.drift.features).length} features${
      p ? " and its probabilities" : ""
    }`;
  };
  return [
    head,
    table,
    `  skill against the base rate ${f(c.baseRate!.value, 3)} (${c.baseRate!.fittedOn}); ` +
    `intervals: 95% block bootstrap, the difference paired on the same bars`,
    `  agreement: ${f(c.agreement!, 3)} of the bars on the same side of 0.5; drift (PSI > ${
      live.drift?.threshold ?? shadow.drift?.threshold ?? PSI_SIGNIFICANT
    }): ${flagged(live)}; ${flagged(shadow)}`,
    `  verdict: ${c.verdictText}`,
  ].join("\n");
}
