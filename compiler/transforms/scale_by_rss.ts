import type { Id } from "../ir/builder.js";
import type { Lowering } from "../lower/context.js";
import { checks, param, type TransformDef } from "../registry/define.js";

/** Adagrad: S' = g² + S; u = (S' > 0 ? 1/sqrt(S' + eps) : 0) * g. */
export function lowerRss(l: Lowering, initial: number, eps: number, g: Id): Id {
  const b = l.b;
  const s = l.slot("sum_of_squares", { fill: initial });
  const s1 = s.store(b.add(b.mul(g, g), s.old));
  const inv = b.select(b.binary("gt", s1, b.const(0)), b.div(b.const(1), b.sqrt(b.add(s1, b.const(eps)))), b.const(0));
  return b.mul(inv, g);
}

export const def: TransformDef = {
  name: "scale_by_rss",
  category: "transform",
  module: "optax",
  doc: "Adagrad's scaling by the root of the running sum of squares.",
  params: [
    param.number("initial_accumulator_value", 0.1, { check: checks.nonNegative("initial_accumulator_value") }),
    param.number("eps", 1e-7, { check: checks.nonNegative("eps") }),
  ],
  lower: (l, a, g) => lowerRss(l, a.num("initial_accumulator_value"), a.num("eps"), g),
};
