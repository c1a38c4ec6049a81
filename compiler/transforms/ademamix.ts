import { param, type TransformDef } from "../registry/define.js";
import { lowerDecay } from "./add_decayed_weights.js";
import { maskArg } from "./masked.js";
import { ademamixParams, lowerAdemamix } from "./scale_by_ademamix.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";

export const def: TransformDef = {
  name: "ademamix",
  category: "alias",
  module: "optax.contrib",
  doc: "AdEMAMix (Pagliardini et al. 2024): scale_by_ademamix (alpha 5.0 here, 6.0 in the transform, as in optax) → + weight_decay·p → -lr.",
  params: [param.learningRate(), ...ademamixParams(5.0), param.number("weight_decay", 0.0), param.mask("mask")],
  lower: (l, a, g) => {
    const u = lowerAdemamix(l, a, g);
    const d = lowerDecay(l.sub("decay"), a.value("weight_decay"), maskArg(a.value("mask")), u);
    return lowerLearningRate(l.sub("lr"), a.value("learning_rate"), d);
  },
};
