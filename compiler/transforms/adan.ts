import { param, type TransformDef } from "../registry/define.js";
import { lowerDecay } from "./add_decayed_weights.js";
import { maskArg } from "./masked.js";
import { adanOptions, adanParams, lowerAdanCore } from "./scale_by_adan.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";

export const def: TransformDef = {
  name: "adan",
  category: "alias",
  module: "optax",
  doc: "Adan: scale_by_adan (eps_root 1e-8 here), add_decayed_weights, -lr.",
  params: [param.learningRate(), ...adanParams(1e-8), param.schedule("weight_decay", 0.0), param.mask("mask")],
  lower: (l, a, g) => {
    const d = lowerDecay(l.sub("decay"), a.value("weight_decay"), maskArg(a.value("mask")), lowerAdanCore(l, adanOptions(a), g));
    return lowerLearningRate(l.sub("lr"), a.value("learning_rate"), d);
  },
};
