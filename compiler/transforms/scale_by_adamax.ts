import type { Id } from "../ir/builder.js";
import type { Lowering } from "../lower/context.js";
import { checks, param, type TransformDef } from "../registry/define.js";

/** Adamax: nu' = max(|g| + eps, b2·nu); u = (mu'/(1-b1^t)) / nu'. */
export function lowerAdamaxCore(l: Lowering, b1: number, b2: number, eps: number, g: Id): Id {
  const b = l.b;
  const mu = l.slot("mu", { fill: 0 });
  const nu = l.slot("nu", { fill: 0 });
  const count = l.counter("count");
  const t = l.satInc(count.old);
  count.store(t);
  const mu1 = mu.store(b.add(b.mul(b.const(1 - b1), g), b.mul(b.const(b1), mu.old)));
  const nu1 = nu.store(b.binary("max", b.add(b.unary("abs", g), b.const(eps)), b.mul(b.const(b2), nu.old)));
  return b.div(b.div(mu1, b.sub(b.const(1), b.binary("pow", b.const(b1), t))), nu1);
}

export const adamaxParams = [
  param.number("b1", 0.9, { check: checks.unitOpen("b1") }),
  param.number("b2", 0.999, { check: checks.unitOpen("b2") }),
  param.number("eps", 1e-8, { check: checks.guard("eps", "max(|g| + eps, b2·ν) is 0 for an all-zero gradient history, and the update divides by it") }),
];

export const def: TransformDef = {
  name: "scale_by_adamax",
  category: "transform",
  module: "optax",
  doc: "Adamax's infinity-norm scaling.",
  params: adamaxParams,
  lower: (l, a, g) => lowerAdamaxCore(l, a.num("b1"), a.num("b2"), a.num("eps"), g),
};
