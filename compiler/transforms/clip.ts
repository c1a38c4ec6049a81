import { checks, param, type TransformDef } from "../registry/define.js";

export const def: TransformDef = {
  name: "clip",
  category: "transform",
  module: "optax",
  doc: "Clamps every element to [-max_delta, max_delta]; NaN stays NaN.",
  params: [param.number("max_delta", undefined, { check: checks.nonNegative("max_delta") })],
  lower: (l, a, g) => {
    const b = l.b;
    const d = a.num("max_delta");
    return b.binary("min", b.binary("max", g, b.const(-d)), b.const(d));
  },
};
