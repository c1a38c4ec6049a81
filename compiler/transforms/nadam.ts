import { param, type TransformDef } from "../registry/define.js";
import { adamOptions, adamParams, lowerAdamCore } from "./scale_by_adam.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";

export const def: TransformDef = {
  name: "nadam",
  category: "alias",
  module: "optax",
  doc: "Adam with Nesterov momentum (adam with nesterov=True).",
  params: [param.learningRate(), ...adamParams],
  lower: (l, a, g) => {
    const u = lowerAdamCore(l, adamOptions(l, a, true), g);
    return lowerLearningRate(l.sub("lr"), a.value("learning_rate"), u);
  },
};
