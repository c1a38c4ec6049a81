import type { TransformDef } from "../registry/define.js";
import { adamwParams, lowerAdamw } from "./adamw.js";

export const def: TransformDef = {
  name: "nadamw",
  category: "alias",
  module: "optax",
  doc: "adamw with Nesterov momentum.",
  params: adamwParams,
  lower: (l, a, g) => lowerAdamw(l, a, g, true),
};
