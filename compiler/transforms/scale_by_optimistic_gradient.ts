import type { Id } from "../ir/builder.js";
import type { Lowering } from "../lower/context.js";
import { param, type TransformDef } from "../registry/define.js";

/** u = (alpha + beta)·g - beta·g_prev, with g_prev = g on the first step (optax issue 1082). */
export function lowerOptimistic(l: Lowering, alpha: number, beta: number, g: Id): Id {
  const b = l.b;
  const prev = l.slot("previous_gradient", { fill: 0 });
  // optax's is_initial_step flag, as a counter: 1 until the first step, then 0.
  const initial = l.counter("is_initial_step", 1);
  const before = b.select(initial.old, g, prev.old);
  initial.store(b.const(0));
  prev.store(g);
  return b.sub(b.mul(b.const(alpha + beta), g), b.mul(b.const(beta), before));
}

export const optimisticParams = [param.number("alpha", 1.0), param.number("beta", 1.0)];

export const def: TransformDef = {
  name: "scale_by_optimistic_gradient",
  category: "transform",
  module: "optax",
  doc: "Generalized optimistic gradient: (alpha + beta)·g - beta·g_prev.",
  params: optimisticParams,
  lower: (l, a, g) => lowerOptimistic(l, a.num("alpha"), a.num("beta"), g),
};
