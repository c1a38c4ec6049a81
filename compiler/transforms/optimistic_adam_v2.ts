import { param, type TransformDef } from "../registry/define.js";
import { adamParams, lowerAdamCore } from "./scale_by_adam.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";
import { lowerOptimistic } from "./scale_by_optimistic_gradient.js";

const kw = { kwOnly: true };

export const def: TransformDef = {
  name: "optimistic_adam_v2",
  category: "alias",
  module: "optax",
  doc: "Optimistic Adam: scale_by_adam (nesterov by default), scale_by_optimistic_gradient(alpha, beta), -lr.",
  params: [
    param.learningRate(),
    param.number("alpha", 1.0, kw),
    param.number("beta", 1.0, kw),
    ...adamParams.map((p) => ({ ...p, kwOnly: true })),
    param.bool("nesterov", true, kw),
  ],
  lower: (l, a, g) => {
    const u = lowerAdamCore(l, { b1: a.num("b1"), b2: a.num("b2"), eps: a.num("eps"), epsRoot: a.num("eps_root"), nesterov: a.bool("nesterov") }, g);
    return lowerLearningRate(l.sub("lr"), a.value("learning_rate"), lowerOptimistic(l.sub("optimistic"), a.num("alpha"), a.num("beta"), u));
  },
};
