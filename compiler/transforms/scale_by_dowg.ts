/**
 * optax.contrib.scale_by_dowg (Distance over Weighted Gradients): u = (r²/(sqrt(v) + eps))·g with
 * r² = max(r², ‖p0 − p‖²) and v = v + r²·‖g‖², two sums over every element feeding this step's
 * update (a reduce pass, then an apply pass). p0 (a copy of the initial params) is a state slot,
 * r² and v float32 state.
 */
import type { Id } from "../ir/builder.js";
import type { ArgReader, Lowering } from "../lower/context.js";
import { checks, param, type TransformDef } from "../registry/define.js";

export const dowgParams = [
  param.number("init_estim_sq_dist", null, { check: checks.positive("init_estim_sq_dist") }),
  param.number("eps", 1e-4, { check: checks.guard("eps", "the first step divides by sqrt(v) + eps with v = 0 for a zero gradient") }),
];

export function lowerDowg(l: Lowering, a: ArgReader, g: Id): Id {
  const b = l.b;
  const eps = a.num("eps");
  const p0 = l.slot("init_params", { copy: "params" });
  const estim = l.counter("estim_sq_dist", a.isNone("init_estim_sq_dist") ? Math.fround(eps) : Math.fround(a.num("init_estim_sq_dist")), true);
  const weighted = l.counter("weighted_sq_norm_grads", 0, true);
  const diff = b.sub(p0.old, l.params);
  const currSq = b.reduce(b.mul(diff, diff), "global", l.mask);
  const stepSq = b.reduce(b.mul(g, g), "global", l.mask);
  const estim1 = b.f32(b.binary("max", estim.old, currSq));
  const weighted1 = b.f32(b.add(b.mul(estim1, stepSq), weighted.old));
  estim.store(estim1);
  weighted.store(weighted1);
  return b.mul(b.div(estim1, b.add(b.sqrt(weighted1), b.const(eps))), g);
}

export const def: TransformDef = {
  name: "scale_by_dowg",
  category: "transform",
  module: "optax.contrib",
  doc: "DoWG's scaling: (r²/(sqrt(v) + eps))·g, r² the largest squared distance from the initial params, v the r²-weighted sum of ‖g‖².",
  reduces: true,
  params: dowgParams,
  lower: lowerDowg,
};
