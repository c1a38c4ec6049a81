import { param, type TransformDef } from "../registry/define.js";
import { amsgradOptions, amsgradParams, lowerAmsgradCore } from "./scale_by_amsgrad.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";

export const def: TransformDef = {
  name: "amsgrad",
  category: "alias",
  module: "optax",
  doc: "AMSGrad: u = -lr · m̂ / (sqrt(max over steps of v̂ + eps_root) + eps).",
  params: [param.learningRate(), ...amsgradParams],
  lower: (l, a, g) => lowerLearningRate(l.sub("lr"), a.value("learning_rate"), lowerAmsgradCore(l, amsgradOptions(a), g)),
};
