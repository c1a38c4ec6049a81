import { checks, param, type TransformDef } from "../registry/define.js";

export const def: TransformDef = {
  name: "normalize",
  category: "transform",
  module: "optax.contrib",
  doc: "Divides by the global L2 norm of all updates (SAM's adversarial direction). eps (optc addition, default 0 as in optax) is added to the norm.",
  reduces: true,
  params: [param.number("eps", 0.0, { check: checks.zeroOrNormal("eps") })],
  lower: (l, a, g) => {
    const b = l.b;
    const denom = b.add(l.globalNorm(g), b.const(a.num("eps")));
    // optax returns NaN everywhere here; optc refuses the step instead (no silent NaN).
    l.b.guard(b.binary("ne", denom, b.const(0)), "R203", "normalize: the gradient norm is zero, so g / ‖g‖ is undefined", "pass normalize(eps=1e-12) to allow zero gradients");
    return b.div(g, denom);
  },
};
