/**
 * TEMPORARY: the HTML report moved to `src/views/html.ts`. This file only
 * keeps the old import path working for `src/pipeline/universe.ts`
 * (`ReportInput`) and `src/sweep/leaderboard.ts` (`escapeHtml`) until they
 * import from `src/views/`; then it is deleted (`src/eval/` imports nothing
 * from `src/views/`).
 *
 * @module
 */

// TEMPORARY: delete once no file imports src/eval/report.ts.
export { escapeHtml, renderReport, type ReportInput } from "../views/html.ts";
