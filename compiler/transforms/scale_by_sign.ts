import type { TransformDef } from "../registry/define.js";

export const def: TransformDef = {
  name: "scale_by_sign",
  category: "transform",
  module: "optax",
  doc: "The sign of each update element (sign(0) = 0).",
  params: [],
  lower: (l, _a, g) => l.b.unary("sign", g),
};
