import type { TransformDef } from "../registry/define.js";

export const def: TransformDef = {
  name: "keep_params_nonnegative",
  category: "transform",
  module: "optax",
  doc: "Clamps the update so that params + update >= 0 (u = -p where p + u < 0); meant to be last in a chain.",
  params: [],
  lower: (l, _a, g) => {
    const b = l.b;
    const p = l.params;
    return b.select(b.binary("lt", b.add(p, g), b.const(0)), b.neg(p), g);
  },
};
