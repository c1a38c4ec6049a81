import type { TransformDef } from "../registry/define.js";

export const def: TransformDef = {
  name: "identity",
  category: "transform",
  module: "optax",
  doc: "Passes updates through unchanged.",
  params: [],
  lower: (_l, _a, g) => g,
};
