import { param, type TransformDef } from "../registry/define.js";
import { lowerDecay } from "./add_decayed_weights.js";
import { maskArg } from "./masked.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";
import { lowerSimplifiedAdemamix, simplifiedAdemamixParams } from "./scale_by_simplified_ademamix.js";

export const def: TransformDef = {
  name: "simplified_ademamix",
  category: "alias",
  module: "optax.contrib",
  doc: "Simplified AdEMAMix (Morwani et al. 2025): scale_by_simplified_ademamix → + weight_decay·p → -lr.",
  params: [param.learningRate(), ...simplifiedAdemamixParams, param.number("weight_decay", 0.0), param.mask("mask")],
  lower: (l, a, g) => {
    const u = lowerSimplifiedAdemamix(l, a, g);
    const d = lowerDecay(l.sub("decay"), a.value("weight_decay"), maskArg(a.value("mask")), u);
    return lowerLearningRate(l.sub("lr"), a.value("learning_rate"), d);
  },
};
