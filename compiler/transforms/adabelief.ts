import { param, type TransformDef } from "../registry/define.js";
import { lowerDecay } from "./add_decayed_weights.js";
import { maskArg } from "./masked.js";
import { beliefParams, lowerBeliefCore } from "./scale_by_belief.js";
import { adamOptions } from "./scale_by_adam.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";

export const def: TransformDef = {
  name: "adabelief",
  category: "alias",
  module: "optax",
  doc: "AdaBelief, with optional decoupled weight decay.",
  params: [param.learningRate(), ...beliefParams, param.schedule("weight_decay", null), param.mask("weight_decay_mask"), param.bool("nesterov", false, { kwOnly: true })],
  lower: (l, a, g) => {
    const u = lowerBeliefCore(l, adamOptions(l, a, a.bool("nesterov")), g);
    const wd = a.value("weight_decay");
    const d = wd.k === "none" ? u : lowerDecay(l.sub("decay"), wd, maskArg(a.value("weight_decay_mask")), u);
    return lowerLearningRate(l.sub("lr"), a.value("learning_rate"), d);
  },
};
