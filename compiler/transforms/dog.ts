import { param, type TransformDef } from "../registry/define.js";
import { lowerDecay } from "./add_decayed_weights.js";
import { maskArg } from "./masked.js";
import { dogEps, initStepParam, lowerDog } from "./scale_by_dog.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";

export const def: TransformDef = {
  name: "dog",
  category: "alias",
  module: "optax.contrib",
  doc: "DoG (Ivgi et al. 2023): [add_decayed_weights(weight_decay, mask) →] scale_by_dog(init_step, eps) → -lr.",
  reduces: true,
  params: [param.schedule("learning_rate", 1.0), initStepParam(["heuristic", 1e-6]), dogEps(), param.number("weight_decay", null), param.mask("mask")],
  lower: (l, a, g) => {
    const wd = a.value("weight_decay");
    const d = wd.k === "none" ? g : lowerDecay(l.sub("decay"), wd, maskArg(a.value("mask")), g);
    return lowerLearningRate(l.sub("lr"), a.value("learning_rate"), lowerDog(l, a, d));
  },
};
