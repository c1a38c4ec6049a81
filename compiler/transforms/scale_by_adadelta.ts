import type { Id } from "../ir/builder.js";
import type { Lowering } from "../lower/context.js";
import { checks, param, type TransformDef } from "../registry/define.js";

/** E[g²]' = ρ·E[g²] + (1-ρ)g²; u = sqrt(E[Δx²] + eps) / sqrt(E[g²]' + eps) · g; E[Δx²]' = ρ·E[Δx²] + (1-ρ)u². */
export function lowerAdadeltaCore(l: Lowering, rho: number, eps: number, g: Id): Id {
  const b = l.b;
  const eG = l.slot("e_g", { fill: 0 });
  const eX = l.slot("e_x", { fill: 0 });
  const e = b.const(eps);
  const eG1 = eG.store(b.add(b.mul(b.const(1 - rho), b.mul(g, g)), b.mul(b.const(rho), eG.old)));
  const u = b.mul(b.div(b.sqrt(b.add(eX.old, e)), b.sqrt(b.add(eG1, e))), g);
  eX.store(b.add(b.mul(b.const(1 - rho), b.mul(u, u)), b.mul(b.const(rho), eX.old)));
  return u;
}

export const adadeltaParams = [
  param.number("rho", 0.9, { check: checks.unitClosed("rho") }),
  param.number("eps", 1e-6, { check: checks.guard("eps", "sqrt(E[Δx²] + eps) / sqrt(E[g²] + eps) is 0/0 for an all-zero gradient history") }),
];

export const def: TransformDef = {
  name: "scale_by_adadelta",
  category: "transform",
  module: "optax",
  doc: "Adadelta's ratio of the running RMS of updates to the running RMS of gradients.",
  params: adadeltaParams,
  lower: (l, a, g) => lowerAdadeltaCore(l, a.num("rho"), a.num("eps"), g),
};
