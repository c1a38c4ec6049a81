import { hneg, hnode } from "../lower/host_num.js";
import { checks, param, type TransformDef } from "../registry/define.js";

export const def: TransformDef = {
  name: "clip",
  category: "transform",
  module: "optax",
  doc: "Clamps every element to [-max_delta, max_delta]; NaN stays NaN.",
  params: [param.number("max_delta", undefined, { check: checks.nonNegative("max_delta") })],
  lower: (l, a, g) => {
    const b = l.b;
    const d = l.num(a.value("max_delta"));
    return b.binary("min", b.binary("max", g, hnode(b, hneg(b, d))), hnode(b, d));
  },
};
