import { param, type TransformDef } from "../registry/define.js";
import { lowerDecay } from "./add_decayed_weights.js";
import { maskArg } from "./masked.js";
import { cocobParams, lowerCocob } from "./scale_by_cocob.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";

export const def: TransformDef = {
  name: "cocob",
  category: "alias",
  module: "optax.contrib",
  doc: "COCOB (Orabona & Tommasi 2017): add_decayed_weights(weight_decay, mask) → ×learning_rate (no sign flip) → scale_by_cocob.",
  params: [param.schedule("learning_rate", 1.0), ...cocobParams, param.number("weight_decay", 0.0), param.mask("mask")],
  lower: (l, a, g) => {
    const d = lowerDecay(l.sub("decay"), a.value("weight_decay"), maskArg(a.value("mask")), g);
    return lowerCocob(l, a, lowerLearningRate(l.sub("lr"), a.value("learning_rate"), d, false));
  },
};
