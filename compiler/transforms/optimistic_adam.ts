import { param, type TransformDef } from "../registry/define.js";
import { adamParams, lowerAdamCore } from "./scale_by_adam.js";
import { lowerOptimistic } from "./scale_by_optimistic_gradient.js";

export const def: TransformDef = {
  name: "optimistic_adam",
  category: "alias",
  module: "optax",
  doc: "Deprecated in optax (use optimistic_adam_v2): scale_by_adam(nesterov), optimistic gradient with alpha = learning_rate and beta = optimism (default learning_rate), then -1. learning_rate is a number.",
  params: [
    param.number("learning_rate", undefined, { doc: "a number (optax refuses schedules here)" }),
    param.number("optimism", null),
    ...adamParams,
    param.bool("nesterov", true, { kwOnly: true }),
  ],
  lower: (l, a, g) => {
    const rate = a.num("learning_rate");
    const optimism = a.value("optimism");
    const u = lowerAdamCore(l, { b1: a.num("b1"), b2: a.num("b2"), eps: a.num("eps"), epsRoot: a.num("eps_root"), nesterov: a.bool("nesterov") }, g);
    // scale_by_learning_rate(1.0) only flips the sign.
    return l.b.neg(lowerOptimistic(l.sub("optimistic"), rate, optimism.k === "number" ? optimism.v : rate, u));
  },
};
