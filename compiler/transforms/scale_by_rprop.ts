import type { Id } from "../ir/builder.js";
import type { ArgReader, Lowering } from "../lower/context.js";
import { param, type TransformDef } from "../registry/define.js";

export interface RpropOptions {
  learningRate: number;
  etaMinus: number;
  etaPlus: number;
  minStep: number;
  maxStep: number;
}

/**
 * Rprop as optax writes it: s = g·prev; step' = s == 0 ? step : clip(step·(s > 0 ? η+ : η-), min, max);
 * prev' = s < 0 ? 0 : step'·sign(g); and the update is s < 0 ? 0 : prev (the *previous* step's
 * signed step, so the first update is 0: optax's one-step lag, kept).
 */
export function lowerRpropCore(l: Lowering, o: RpropOptions, g: Id): Id {
  const b = l.b;
  const step = l.slot("step_sizes", { fill: o.learningRate });
  const prev = l.slot("prev_updates", { fill: 0 });
  const s = b.mul(g, prev.old);
  const zero = b.const(0);
  const scaled = b.mul(step.old, b.select(b.binary("gt", s, zero), b.const(o.etaPlus), b.const(o.etaMinus)));
  // jnp.clip(x, min, max) is minimum(maximum(x, min), max).
  const clipped = b.binary("min", b.binary("max", scaled, b.const(o.minStep)), b.const(o.maxStep));
  const step1 = step.store(b.select(b.binary("eq", s, zero), step.old, clipped));
  const negative = b.binary("lt", s, zero);
  prev.store(b.select(negative, zero, b.mul(step1, b.unary("sign", g))));
  return b.select(negative, zero, prev.old);
}

export const rpropParams = [
  param.number("learning_rate", undefined, { doc: "the initial step size (a number)" }),
  param.number("eta_minus", 0.5),
  param.number("eta_plus", 1.2),
  param.number("min_step_size", 1e-6),
  param.number("max_step_size", 50.0),
];

export function rpropOptions(a: ArgReader): RpropOptions {
  return { learningRate: a.num("learning_rate"), etaMinus: a.num("eta_minus"), etaPlus: a.num("eta_plus"), minStep: a.num("min_step_size"), maxStep: a.num("max_step_size") };
}

export const def: TransformDef = {
  name: "scale_by_rprop",
  category: "transform",
  module: "optax",
  doc: "Rprop's per-element step sizes, grown by eta_plus while the gradient keeps its sign and shrunk by eta_minus when it flips.",
  params: rpropParams,
  lower: (l, a, g) => lowerRpropCore(l, rpropOptions(a), g),
};
