import { param, type TransformDef } from "../registry/define.js";
import { lowerDecay } from "./add_decayed_weights.js";
import { maskArg } from "./masked.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";
import { lionParams, lowerLionCore } from "./scale_by_lion.js";

export const def: TransformDef = {
  name: "lion",
  category: "alias",
  module: "optax",
  doc: "Lion; note weight_decay defaults to 1e-3 (on).",
  params: [param.learningRate(), ...lionParams, param.schedule("weight_decay", 1e-3), param.mask("mask")],
  lower: (l, a, g) => {
    const u = lowerLionCore(l, { b1: a.num("b1"), b2: a.num("b2"), mode: "hard", smoothBeta: 1 }, g);
    const d = lowerDecay(l.sub("decay"), a.value("weight_decay"), maskArg(a.value("mask")), u);
    return lowerLearningRate(l.sub("lr"), a.value("learning_rate"), d);
  },
};
