import type { TransformDef } from "../registry/define.js";

export const def: TransformDef = {
  name: "zero_nans",
  category: "transform",
  module: "optax",
  doc: "Replaces NaN update elements with 0 (±Inf pass through, and the runtime refuses what they would store); optax's per-tensor found_nan flags are not kept.",
  params: [],
  // NaN gradients reach this transform instead of being refused by the runtime (R201).
  checksNonFinite: () => true,
  lower: (l, _a, g) => {
    const b = l.b;
    // NaN is the one non-finite value whose reciprocal is not finite (1/±Inf = 0): written with
    // isfinite only, not x != x or a comparison, which a shader compiler may fold for NaN.
    const nan = b.binary("and", b.unary("not", b.unary("isfinite", g)), b.unary("not", b.unary("isfinite", b.div(b.const(1), g))));
    return b.select(nan, b.const(0), g);
  },
};
