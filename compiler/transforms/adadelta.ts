import { param, type TransformDef } from "../registry/define.js";
import { lowerDecay } from "./add_decayed_weights.js";
import { maskArg } from "./masked.js";
import { adadeltaParams, lowerAdadeltaCore } from "./scale_by_adadelta.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";

export const def: TransformDef = {
  name: "adadelta",
  category: "alias",
  module: "optax",
  doc: "Adadelta: weight decay first (added to the gradient), then scale_by_adadelta, then -lr (None: no learning rate).",
  params: [param.schedule("learning_rate", null), ...adadeltaParams, param.schedule("weight_decay", 0.0), param.mask("weight_decay_mask")],
  lower: (l, a, g) => {
    const d = lowerDecay(l.sub("decay"), a.value("weight_decay"), maskArg(a.value("weight_decay_mask")), g);
    return lowerLearningRate(l.sub("lr"), a.value("learning_rate"), lowerAdadeltaCore(l, a.num("rho"), a.num("eps"), d));
  },
};
