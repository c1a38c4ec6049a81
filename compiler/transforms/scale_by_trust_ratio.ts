import type { Id } from "../ir/builder.js";
import type { Lowering } from "../lower/context.js";
import { checks, param, type TransformDef } from "../registry/define.js";

/** Per tensor: u · tc·max(‖p‖,min)/(max(‖u‖,min)+eps), or u when either norm is 0. */
export function lowerTrustRatio(l: Lowering, minNorm: number, tc: number, eps: number, u: Id): Id {
  const b = l.b;
  const min = b.const(minNorm);
  const pn = b.binary("max", l.segmentNorm(l.params), min);
  const un = b.binary("max", l.segmentNorm(u), min);
  const ratio = b.div(b.mul(b.const(tc), pn), b.add(un, b.const(eps)));
  const zero = b.binary("or", b.binary("eq", pn, b.const(0)), b.binary("eq", un, b.const(0)));
  return b.mul(u, b.select(zero, b.const(1), ratio));
}

export const def: TransformDef = {
  name: "scale_by_trust_ratio",
  category: "transform",
  module: "optax",
  doc: "LAMB/LARS trust ratio ‖p‖/‖u‖ per tensor.",
  reduces: true,
  params: [
    param.number("min_norm", 0.0, { check: checks.nonNegative("min_norm") }),
    param.number("trust_coefficient", 1.0),
    param.number("eps", 0.0, { check: checks.nonNegative("eps") }),
  ],
  lower: (l, a, g) => lowerTrustRatio(l, a.num("min_norm"), a.num("trust_coefficient"), a.num("eps"), g),
};
