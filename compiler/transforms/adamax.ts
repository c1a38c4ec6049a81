import { param, type TransformDef } from "../registry/define.js";
import { adamaxParams, lowerAdamaxCore } from "./scale_by_adamax.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";

export const def: TransformDef = {
  name: "adamax",
  category: "alias",
  module: "optax",
  doc: "Adamax: u = -lr · (m/(1-b1^t)) / max(|g|+eps, b2·ν).",
  params: [param.learningRate(), ...adamaxParams],
  lower: (l, a, g) => lowerLearningRate(l.sub("lr"), a.value("learning_rate"), lowerAdamaxCore(l, a.num("b1"), a.num("b2"), a.num("eps"), g)),
};
