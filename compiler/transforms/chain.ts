import type { TransformDef } from "../registry/define.js";

export const def: TransformDef = {
  name: "chain",
  category: "combinator",
  module: "optax",
  doc: "Applies transforms in order, each to the previous one's output.",
  params: [{ name: "transforms", kind: { t: "transform" }, varargs: true, default: [] }],
  lower: (l, a, g) => {
    const v = a.value("transforms");
    if (v.k !== "list") return g;
    return v.items.reduce((u, t) => l.child(t, u), g);
  },
};
