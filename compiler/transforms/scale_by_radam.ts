import type { Id } from "../ir/builder.js";
import type { ArgReader, Lowering } from "../lower/context.js";
import { checks, param, type TransformDef } from "../registry/define.js";
import { debiasedMean } from "./scale_by_adam.js";

export interface RadamOptions {
  b1: number;
  b2: number;
  eps: number;
  epsRoot: number;
  threshold: number;
  nesterov: boolean;
}

/**
 * RAdam: Adam's moments; ρ∞ = 2/(1-b2) - 1, ρ_t = ρ∞ - 2t·b2ᵗ/(1-b2ᵗ). While ρ_t < threshold the
 * update is m̂ (momentum SGD); after, r_t·m̂/(sqrt(v̂ + eps_root) + eps) with
 * r_t = sqrt((ρ_t-4)(ρ_t-2)ρ∞ / ((ρ∞-4)(ρ∞-2)ρ_t)). ρ_t and r_t depend only on the count (host).
 */
export function lowerRadamCore(l: Lowering, o: RadamOptions, g: Id): Id {
  const b = l.b;
  const mu = l.slot("mu", { fill: 0 });
  const nu = l.slot("nu", { fill: 0 });
  const count = l.counter("count");
  const mu1 = mu.store(b.add(b.mul(b.const(1 - o.b1), g), b.mul(b.const(o.b1), mu.old)));
  const nu1 = nu.store(b.add(b.mul(b.const(1 - o.b2), b.mul(g, g)), b.mul(b.const(o.b2), nu.old)));
  const t = l.satInc(count.old);
  count.store(t);
  const roInf = 2 / (1 - o.b2) - 1;
  const b2t = b.binary("pow", b.const(o.b2), t);
  const ro = b.sub(b.const(roInf), b.div(b.mul(b.mul(b.const(2), t), b2t), b.sub(b.const(1), b2t)));
  const r = b.sqrt(b.div(b.mul(b.mul(b.sub(ro, b.const(4)), b.sub(ro, b.const(2))), b.const(roInf)), b.mul(b.const((roInf - 4) * (roInf - 2)), ro)));
  const mHat = debiasedMean(l, mu1, g, o.b1, t, o.nesterov);
  const vHat = b.div(nu1, b.sub(b.const(1), b2t));
  const rectified = b.div(b.mul(r, mHat), b.add(b.sqrt(b.add(vHat, b.const(o.epsRoot))), b.const(o.eps)));
  return b.select(b.binary("ge", ro, b.const(o.threshold)), rectified, mHat);
}

export const radamParams = [
  param.number("b1", 0.9, { check: checks.unitOpen("b1") }),
  param.number("b2", 0.999, { check: checks.unitOpen("b2") }),
  param.number("eps", 1e-8, { check: checks.adamEps() }),
  param.number("eps_root", 0.0, { check: checks.nonNegative("eps_root") }),
  param.number("threshold", 5.0, {
    check: checks.number((x) => x >= 4, "threshold must be >= 4: for ρ_t in (2, 4) the rectification sqrt((ρ_t-4)(ρ_t-2)…) is the square root of a negative number (NaN)"),
  }),
  param.bool("nesterov", false, { kwOnly: true }),
];

export function radamOptions(a: ArgReader): RadamOptions {
  return { b1: a.num("b1"), b2: a.num("b2"), eps: a.num("eps"), epsRoot: a.num("eps_root"), threshold: a.num("threshold"), nesterov: a.bool("nesterov") };
}

export const def: TransformDef = {
  name: "scale_by_radam",
  category: "transform",
  module: "optax",
  doc: "Rectified Adam: momentum SGD until the variance estimate is tractable (ρ_t >= threshold), then Adam scaled by r_t.",
  params: radamParams,
  lower: (l, a, g) => lowerRadamCore(l, radamOptions(a), g),
};
