/**
 * Universe models: one model across many symbols. Reading a universe
 * (`data.ts`), its date-split dataset with windows written on demand and
 * cross-sectional labels (`dataset.ts`), the per-symbol scalers beside a
 * model (`store.ts`), the baselines on the same rows (`baselines.ts`) and
 * the daily long-short portfolio (`portfolio.ts`). The commands' pipeline is
 * `src/pipeline/universe.ts`.
 *
 * @example
 * ```ts
 * import { buildUniverseDataset } from "./mod.ts";
 * const ds = buildUniverseDataset(members, { label: "beats-median", scaling: "per-symbol" });
 * console.log(ds.split.trainEnd, ds.train.n);
 * ```
 *
 * @module
 */

export {
  isLongCsv,
  type LoadedUniverse,
  loadUniverse,
  type LoadUniverseOptions,
  type MemberReport,
  parseTickers,
  readTickersFile,
  resolveUniverse,
  splitLongCsv,
  symbolColumn,
  symbolColumnOf,
  type UniverseSpec,
  universeSummary,
} from "./data.ts";
export {
  buildUniverseDataset,
  buildUniverseTables,
  dateRange,
  type DateSplit,
  dateSplit,
  type DateSplitOptions,
  fitUniverseScalers,
  type LabelKind,
  LABELS,
  MIN_SYMBOL_TRAINING_WINDOWS,
  referenceDates,
  scalerFor,
  type Scalers,
  scaleTables,
  type Scaling,
  SCALINGS,
  splitRange,
  type SymbolTable,
  type UniverseDataset,
  universeDataset,
  type UniverseDatasetOptions,
  type UniverseTableOptions,
  type UniverseTables,
  UniverseWindows,
  universeWindows,
  type WindowRange,
  windowsInfo,
} from "../dataset/universe.ts";
export {
  crossSectionalPercentile,
  fitUniverseLogistic,
  lastReturns,
  LOGISTIC_MAX_ROWS,
  logisticInputs,
  logisticLags,
  predictUniverseLogistic,
  previousDirections,
  reversal,
} from "../eval/universe_baselines.ts";
export {
  type PortfolioDay,
  type PortfolioOptions,
  type PortfolioResult,
  type PortfolioStats,
  portfolioStats,
  type PriceTable,
  runPortfolio,
  type Scores as PortfolioScores,
} from "../eval/portfolio.ts";
export {
  readUniverseScalers,
  scalersFileContent,
  UNIVERSE_SCALERS_FILE,
} from "../model/scalers.ts";
