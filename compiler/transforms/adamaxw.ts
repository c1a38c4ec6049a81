import { param, type TransformDef } from "../registry/define.js";
import { lowerDecay } from "./add_decayed_weights.js";
import { maskArg } from "./masked.js";
import { adamaxParams, lowerAdamaxCore } from "./scale_by_adamax.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";

export const def: TransformDef = {
  name: "adamaxw",
  category: "alias",
  module: "optax",
  doc: "Adamax with decoupled weight decay (scale_by_adamax, add_decayed_weights, -lr).",
  params: [param.learningRate(), ...adamaxParams, param.schedule("weight_decay", 1e-4), param.mask("mask")],
  lower: (l, a, g) => {
    const u = lowerAdamaxCore(l, a.num("b1"), a.num("b2"), a.num("eps"), g);
    const d = lowerDecay(l.sub("decay"), a.value("weight_decay"), maskArg(a.value("mask")), u);
    return lowerLearningRate(l.sub("lr"), a.value("learning_rate"), d);
  },
};
