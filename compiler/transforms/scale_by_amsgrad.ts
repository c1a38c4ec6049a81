import type { Id } from "../ir/builder.js";
import type { ArgReader, Lowering } from "../lower/context.js";
import { checks, param, type TransformDef } from "../registry/define.js";

export interface AmsgradOptions {
  b1: number;
  b2: number;
  eps: number;
  epsRoot: number;
  biasCorrectionMu: boolean;
  biasCorrectionNu: boolean;
}

/** Adam's moments; ν_max = max(ν_max, ν̂) (the bias-corrected ν); u = m̂ / (sqrt(ν_max + eps_root) + eps). */
export function lowerAmsgradCore(l: Lowering, o: AmsgradOptions, g: Id): Id {
  const b = l.b;
  const mu = l.slot("mu", { fill: 0 });
  const nu = l.slot("nu", { fill: 0 });
  const nuMax = l.slot("nu_max", { fill: 0 });
  const count = l.counter("count");
  const mu1 = mu.store(b.add(b.mul(b.const(1 - o.b1), g), b.mul(b.const(o.b1), mu.old)));
  const nu1 = nu.store(b.add(b.mul(b.const(1 - o.b2), b.mul(g, g)), b.mul(b.const(o.b2), nu.old)));
  const t = l.satInc(count.old);
  count.store(t);
  const debias = (x: Id, beta: number) => b.div(x, b.sub(b.const(1), b.binary("pow", b.const(beta), t)));
  const mHat = o.biasCorrectionMu ? debias(mu1, o.b1) : mu1;
  const nuEff = o.biasCorrectionNu ? debias(nu1, o.b2) : nu1;
  const max1 = nuMax.store(b.binary("max", nuMax.old, nuEff));
  return b.div(mHat, b.add(b.sqrt(b.add(max1, b.const(o.epsRoot))), b.const(o.eps)));
}

export const amsgradParams = [
  param.number("b1", 0.9, { check: checks.unitOpen("b1") }),
  param.number("b2", 0.999, { check: checks.unitOpen("b2") }),
  param.number("eps", 1e-8, { check: checks.adamEps() }),
  param.number("eps_root", 0.0, { check: checks.nonNegative("eps_root") }),
  param.dtype("mu_dtype"),
  param.bool("bias_correction_mu", true),
  param.bool("bias_correction_nu", true),
];

export function amsgradOptions(a: ArgReader): AmsgradOptions {
  return { b1: a.num("b1"), b2: a.num("b2"), eps: a.num("eps"), epsRoot: a.num("eps_root"), biasCorrectionMu: a.bool("bias_correction_mu"), biasCorrectionNu: a.bool("bias_correction_nu") };
}

export const def: TransformDef = {
  name: "scale_by_amsgrad",
  category: "transform",
  module: "optax",
  doc: "AMSGrad: Adam's moments with the running maximum of the bias-corrected ν in the denominator.",
  params: amsgradParams,
  lower: (l, a, g) => lowerAmsgradCore(l, amsgradOptions(a), g),
};
