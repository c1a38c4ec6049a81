import { checks, param, type TransformDef } from "../registry/define.js";

export const def: TransformDef = {
  name: "normalize_by_update_norm",
  category: "transform",
  module: "optax",
  doc: "u = g * scale_factor / (‖g‖ + eps), with a global norm.",
  reduces: true,
  params: [param.number("scale_factor", 1.0), param.number("eps", 1e-6, { check: checks.guard("eps", "g / (‖g‖ + eps) is 0/0 for an all-zero gradient") })],
  lower: (l, a, g) => {
    const b = l.b;
    return b.div(b.mul(g, b.const(a.num("scale_factor"))), b.add(l.globalNorm(g), b.const(a.num("eps"))));
  },
};
