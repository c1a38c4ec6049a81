import { param, type TransformDef } from "../registry/define.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";
import { lowerYogiCore, yogiEps, yogiMoments } from "./scale_by_yogi.js";

export const def: TransformDef = {
  name: "yogi",
  category: "alias",
  module: "optax",
  doc: "Yogi: Adam with an additive v update, moments starting at 1e-6, eps 1e-3.",
  params: [param.learningRate(), ...yogiMoments, yogiEps],
  lower: (l, a, g) => lowerLearningRate(l.sub("lr"), a.value("learning_rate"), lowerYogiCore(l, a.num("b1"), a.num("b2"), a.num("eps"), 0, 1e-6, g)),
};
