/**
 * `deno task models list | show [VERSION] | promote VERSION | rollback |
 * shadow [VERSION...]`, `promote --from-shadow`, and `ensemble` / `regime`:
 * the seed's model versioning and rollback, shadow deployment and composite
 * models. Model files are never modified; only the `current.json` pointer
 * and `shadow.json` move, atomically. One file per subcommand beside this
 * dispatcher.
 *
 * @module
 */

import { parseFlags, stringFlag } from "../common.ts";
import { type Command } from "../output.ts";
import { SHADOW_FILE } from "../../model/versions.ts";
import { DEFAULT_MIN_LIVE_BARS, SHADOW_PROMOTION_FILE } from "../../pipeline/shadow.ts";
import { UsageError } from "../../util/errors.ts";
import { COMPOSITE_FLAGS, FLAGS, GATE_FLAGS, onlyWith } from "./flags.ts";
import { list, show } from "./list.ts";
import { promoteVersion, rollbackVersion } from "./promote.ts";
import { shadow } from "./shadow.ts";
import { makeComposite } from "./composite.ts";

const HELP = `Usage: deno task models <list | show [VERSION] | promote VERSION | rollback> [flags]
       deno task models ensemble --name E --members a,b[,c] [--weights 2,1[,1]]
       deno task models regime --name R --rule trend-volatility|FILE --models bull=a,bear=b,general=c
       deno task models shadow [VERSION...] | shadow --clear
       deno task models promote --from-shadow [VERSION] [gate flags] [data flags]

Model versions live in <model-dir>/<name>/v1, v2, ...; current.json names the one
plugins load. Versions are never modified; promote and rollback move the pointer.

  list              every version: creation time, data ranges, test metrics,
                    and its health (ok, or what is wrong); marks versions never
                    promoted, shadow versions and their last gate decision, and
                    temporary folders of interrupted writes; exit 1 when
                    current.json names a missing or broken version
  show [VERSION]    one version's model_config.json (default: the current one)
  promote VERSION   make VERSION current (refused for a broken version)
  rollback          return to the version that was current before
  shadow VERSION... run these versions as shadows: ${SHADOW_FILE} beside current.json
                    names them; a signal plugin on the folder scores them on every
                    bar beside the current version, logs them, never acts on them
                    (reload() or a restart picks the change up)
  shadow --clear    no shadow any more
  shadow            the shadow versions now

Promotion from the shadow record (promote --from-shadow [VERSION], default the
only shadow): recomputes, from the predictions log, the comparison of the shadow
with the current version on the live bars both scored ok whose outcome is known
(what deno task monitor shows), refuses (exit 1, nothing written) with fewer than
--min-bars of them, and otherwise promotes only when the shadow is not worse on
--metric by more than --tolerance (the gate deno task retrain applies to its
holdout). The decision and its numbers are appended to the shadow version's
${SHADOW_PROMOTION_FILE}; models list shows the last one. Exit 1 when rejected.

Ensembles and regime models are models on disk: a new version <model-dir>/<name>/vN
holding composite.json (members pinned to their current versions), versioned,
promoted and listed like any model; evaluate, backtest, predict, monitor and the
plugin load it by its folder. An ensemble averages its members' probabilities
(weighted); a regime model hands each bar to the member of the regime its rule
gives that bar from past bars only. The trend-volatility preset: bull when the
close is above its 200-bar average and the 20-bar realised volatility at or below
its median so far, bear when below the average and above the median, else general.
A rule FILE is JSON: {"preset":"trend-volatility","trendPeriod":200,"volatilityPeriod":20}.
Members are names under --model-dir (default models) or paths.

Flags:
  --model DIR       the versioned model folder (default models/lstm)
  --clear           with shadow: remove every shadow version
  --from-shadow     with promote: gate the shadow version on its live record
  --metric NAME     brier | logloss | accuracy (default brier)
  --tolerance X     how much worse the shadow may be, in the metric's units
                    (default 0: not worse)
  --min-bars N      compared live bars needed before deciding (default ${DEFAULT_MIN_LIVE_BARS})
  --dry-run         decide and print, write nothing
  --log FILE        the predictions log (default <model>/predictions.jsonl)
  --ticker SYMBOL   the ticker of the live bars (default the current version's)
  --csv FILE        realised prices from a CSV file
  --source NAME     realised prices from a source (default: the cache prepare
                    wrote, or the model's own synthetic series)
  --data-dir DIR    cache folder (default data)
  --seed N          seed of synthetic prices
  --json            print JSON
  -h, --help        this text`;

/** Runs `deno task models`. */
export const models: Command = async (args: string[]): Promise<number> => {
  const { flags, positionals } = parseFlags(args, FLAGS, { positionals: true });
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const root = stringFlag(flags, "model", "models/lstm");
  const [action, version, ...extra] = positionals;
  if (action === "ensemble" || action === "regime") {
    return await makeComposite(action, flags, positionals.slice(1));
  }
  onlyWith(flags, COMPOSITE_FLAGS, "ensemble or regime", action ?? "nothing");
  if (action === "shadow") return await shadow(root, flags, positionals.slice(1));
  if (!(action === "promote" && flags["from-shadow"])) {
    onlyWith(flags, GATE_FLAGS, "promote --from-shadow", action ?? "nothing");
  }
  if (flags.clear) {
    throw new UsageError(`Expected --clear only with shadow, found it with ${action ?? "nothing"}`);
  }
  if (extra.length) {
    throw new UsageError(`Expected at most one version, found ${positionals.slice(1).join(" ")}`);
  }
  switch (action) {
    case "list":
      return await list(root, flags);
    case "show":
      return await show(root, version, flags);
    case "promote":
      return await promoteVersion(root, version, flags);
    case "rollback":
      return await rollbackVersion(root, flags);
    default:
      throw new UsageError(
        `Expected list, show, promote, rollback or shadow, found ${
          action === undefined ? "nothing" : `"${action}"`
        }`,
      );
  }
};
