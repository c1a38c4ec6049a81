import type { Id } from "../ir/builder.js";
import type { ArgReader, Lowering } from "../lower/context.js";
import { checks, param, type PredicateDef } from "../registry/define.js";

/** Skip unless ‖g‖² < max_squared_norm: a NaN or infinite norm is skipped too, as in optax. */
export function lowerSkipLargeUpdates(l: Lowering, a: ArgReader, g: Id): Id {
  const b = l.b;
  const normSq = b.reduce(b.mul(g, g), "global", l.mask);
  return b.unary("not", b.binary("lt", normSq, b.const(a.num("max_squared_norm"))));
}

/** For MultiSteps(should_skip_update_fn=skip_large_updates(max_squared_norm=...)): optax's functools.partial. */
export const def: PredicateDef = {
  name: "skip_large_updates",
  category: "predicate",
  module: "optax",
  doc: "Skips a mini-step whose gradients' squared global norm is not below max_squared_norm (NaN and Inf included); written as a call, for optax's functools.partial.",
  params: [param.number("max_squared_norm", undefined, { check: checks.positive("max_squared_norm") })],
};
