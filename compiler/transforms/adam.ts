import { param, type TransformDef } from "../registry/define.js";
import { adamOptions, adamParams, lowerAdamCore } from "./scale_by_adam.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";

export const def: TransformDef = {
  name: "adam",
  category: "alias",
  module: "optax",
  doc: "Adam: u = -lr · m̂ / (sqrt(v̂ + eps_root) + eps).",
  params: [param.learningRate(), ...adamParams, param.bool("nesterov", false, { kwOnly: true })],
  lower: (l, a, g) => {
    const u = lowerAdamCore(l, adamOptions(l, a, a.bool("nesterov")), g);
    return lowerLearningRate(l.sub("lr"), a.value("learning_rate"), u);
  },
};
