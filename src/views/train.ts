/**
 * What `deno task train` prints after saving a version: where it went, the
 * epochs, each split's loss and accuracy, the calibration and its skill, and,
 * for a universe model, its universe, label and cut dates.
 *
 * @example
 * ```ts
 * import { fitText } from "./train.ts";
 * console.log(fitText(summary, { arch: "lstm", modelRoot: "models/lstm" }));
 * ```
 *
 * @module
 */

import type { SplitSkill } from "../model/calibration.ts";
import type { Metrics } from "../model/train.ts";
import type { FitSummary } from "../pipeline/fit.ts";

const f4 = (v: number | null): string => (v === null ? "–" : v.toFixed(4));

/** "raw B / L, calibrated B / L" of a split's skill. */
function skills(s: SplitSkill | null | undefined): string {
  if (!s) return "–";
  return `raw ${f4(s.raw.brierSkill)} / ${f4(s.raw.logLossSkill)}, calibrated ${
    f4(s.calibrated.brierSkill)
  } / ${f4(s.calibrated.logLossSkill)}`;
}

function line(label: string, m: Metrics): string {
  return `  ${label.padEnd(11)} loss ${m.loss.toFixed(4)}  accuracy ${m.accuracy.toFixed(4)}`;
}

/**
 * The text of a saved fit, for one ticker or a universe alike.
 *
 * @example
 * ```ts
 * console.log(fitText(summary, { arch: "lstm", modelRoot: "models/lstm" }));
 * ```
 */
export function fitText(summary: FitSummary, options: { arch: string; modelRoot: string }): string {
  const { metrics, backend, interrupted } = summary;
  const u = summary.universe;
  return [
    `Saved ${summary.modelDir} (${options.arch}, ${backend}${interrupted ? ", interrupted" : ""})${
      summary.current ? `, now the current version of ${options.modelRoot}` : ", not promoted"
    }`,
    ...(u
      ? [
        `  universe ${u.name}: ${u.symbolCount} symbols, label ${u.label}, ${u.scaling} scaling${
          u.context ? `, context ${u.context}` : ""
        }${u.study ? `, study ${u.study}` : ""}`,
        `  split: train ${u.split.trainStart} .. ${u.split.trainEnd}, validation to ${u.split.validationEnd}, test to ${u.split.testEnd}`,
      ]
      : []),
    `  epochs run ${summary.epochsRun}, best epoch ${summary.bestEpoch}`,
    `${line("train", metrics.train)}${u ? "  (a seeded sample of up to 50000 windows)" : ""}`,
    line("validation", metrics.validation),
    `${line("test", metrics.test)}  (${u ? "share of 1 labels" : "always-up baseline"}: ${
      summary.testBaseRate.toFixed(4)
    })`,
    `  calibration ${summary.calibration.method}: ${summary.calibration.reason}`,
    `  skill against the training base rate (Brier, log loss): validation ${
      skills(summary.calibration.validation)
    }; test ${skills(summary.calibration.test)}`,
    `  weights sha256 ${summary.weightsSha256}`,
  ].join("\n");
}
