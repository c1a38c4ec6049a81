import { param, type TransformDef } from "../registry/define.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";
import { lowerOptimistic, optimisticParams } from "./scale_by_optimistic_gradient.js";

export const def: TransformDef = {
  name: "optimistic_gradient_descent",
  category: "alias",
  module: "optax",
  doc: "Optimistic gradient descent: u = -lr · ((alpha + beta)·g - beta·g_prev).",
  params: [param.learningRate(), ...optimisticParams],
  lower: (l, a, g) => lowerLearningRate(l.sub("lr"), a.value("learning_rate"), lowerOptimistic(l.sub("optimistic"), a.num("alpha"), a.num("beta"), g)),
};
