import { checks, param, type TransformDef } from "../registry/define.js";
import { lowerDecay } from "./add_decayed_weights.js";
import { maskArg } from "./masked.js";
import { adamOptions, lowerAdamCore } from "./scale_by_adam.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";
import { lowerTrustRatio } from "./scale_by_trust_ratio.js";

export const def: TransformDef = {
  name: "lamb",
  category: "alias",
  module: "optax",
  doc: "LAMB: adam direction (+ weight decay) scaled per tensor by ‖p‖/‖d‖.",
  reduces: true,
  params: [
    param.learningRate(),
    param.number("b1", 0.9, { check: checks.unitOpen("b1") }),
    param.number("b2", 0.999, { check: checks.unitOpen("b2") }),
    param.number("eps", 1e-6, { check: checks.adamEps() }),
    param.number("eps_root", 0.0, { check: checks.nonNegative("eps_root") }),
    param.schedule("weight_decay", 0.0),
    param.mask("mask"),
  ],
  lower: (l, a, g) => {
    const u = lowerAdamCore(l, adamOptions(l, a, false), g);
    const d = lowerDecay(l.sub("decay"), a.value("weight_decay"), maskArg(a.value("mask")), u);
    return lowerLearningRate(l.sub("lr"), a.value("learning_rate"), lowerTrustRatio(l, 0, 1, 0, d));
  },
};
