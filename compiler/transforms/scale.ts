import { hnode } from "../lower/host_num.js";
import { param, type TransformDef } from "../registry/define.js";

export const def: TransformDef = {
  name: "scale",
  category: "transform",
  module: "optax",
  doc: "u = step_size * g (a fixed number; use scale_by_schedule for a schedule).",
  params: [param.number("step_size")],
  lower: (l, a, g) => l.b.mul(hnode(l.b, l.num(a.value("step_size"))), g),
};
