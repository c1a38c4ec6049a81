/** The skip predicates MultiSteps accepts, lowered: 1 where the mini-step is skipped. */
import type { CallValue } from "../check/types.js";
import type { Id } from "../ir/builder.js";
import { ArgReader, type Lowering } from "../lower/context.js";
import { lowerSkipLargeUpdates } from "./skip_large_updates.js";

export function lowerShouldSkip(l: Lowering, predicate: CallValue, g: Id): Id {
  switch (predicate.name) {
    case "skip_not_finite":
      return l.b.unary("not", l.allFinite(g));
    case "skip_large_updates":
      return lowerSkipLargeUpdates(l, new ArgReader(predicate.args), g);
    default:
      throw new Error(`internal: unknown skip predicate ${predicate.name}`);
  }
}
