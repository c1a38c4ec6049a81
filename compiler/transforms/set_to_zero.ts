import type { TransformDef } from "../registry/define.js";

export const def: TransformDef = {
  name: "set_to_zero",
  category: "transform",
  module: "optax",
  doc: "Replaces every update with 0 (freezes parameters).",
  params: [],
  lower: (l) => l.b.const(0),
};
