import { hnode } from "../lower/host_num.js";
import { checks, param, type TransformDef } from "../registry/define.js";

export const def: TransformDef = {
  name: "clip_by_global_norm",
  category: "transform",
  module: "optax",
  doc: "Rescales all updates together when their global L2 norm reaches max_norm: (g / norm) * max_norm.",
  reduces: true,
  params: [param.number("max_norm", undefined, { check: checks.positive("max_norm") })],
  lower: (l, a, g) => {
    const b = l.b;
    const max = hnode(b, l.num(a.value("max_norm")));
    const norm = l.globalNorm(g);
    return b.select(b.binary("lt", norm, max), g, b.mul(b.div(g, norm), max));
  },
};
