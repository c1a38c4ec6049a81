import { param, type TransformDef } from "../registry/define.js";
import { adoptOptions, adoptParams, lowerAdopt } from "./scale_by_adopt.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";

export const def: TransformDef = {
  name: "adopt",
  category: "alias",
  module: "optax.contrib",
  doc: "ADOPT (Taniguchi et al. 2024): scale_by_adopt, then -lr; the first step leaves the params where they are.",
  params: [param.learningRate(), ...adoptParams],
  lower: (l, a, g) => lowerLearningRate(l.sub("lr"), a.value("learning_rate"), lowerAdopt(l, adoptOptions(l, a), g)),
};
