import type { TransformDef } from "../registry/define.js";
import { lowerRpropCore, rpropOptions, rpropParams } from "./scale_by_rprop.js";

export const def: TransformDef = {
  name: "rprop",
  category: "alias",
  module: "optax",
  doc: "Rprop: scale_by_rprop, then scale(-1); learning_rate is the initial step size (a number). optax's first update is 0.",
  params: rpropParams,
  lower: (l, a, g) => l.b.neg(lowerRpropCore(l, rpropOptions(a), g)),
};
