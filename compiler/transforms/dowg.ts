import { param, type TransformDef } from "../registry/define.js";
import { lowerDecay } from "./add_decayed_weights.js";
import { maskArg } from "./masked.js";
import { dowgParams, lowerDowg } from "./scale_by_dowg.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";

export const def: TransformDef = {
  name: "dowg",
  category: "alias",
  module: "optax.contrib",
  doc: "DoWG (Khaled et al. 2023): [add_decayed_weights(weight_decay, mask) →] scale_by_dowg → -lr.",
  reduces: true,
  params: [param.schedule("learning_rate", 1.0), ...dowgParams, param.number("weight_decay", null), param.mask("mask")],
  lower: (l, a, g) => {
    const wd = a.value("weight_decay");
    const d = wd.k === "none" ? g : lowerDecay(l.sub("decay"), wd, maskArg(a.value("mask")), g);
    return lowerLearningRate(l.sub("lr"), a.value("learning_rate"), lowerDowg(l, a, d));
  },
};
