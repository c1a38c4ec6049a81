import { param, type TransformDef } from "../registry/define.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";
import { lowerRadamCore, radamOptions, radamParams } from "./scale_by_radam.js";

export const def: TransformDef = {
  name: "radam",
  category: "alias",
  module: "optax",
  doc: "RAdam: u = -lr · (ρ_t >= threshold ? r_t·m̂/(sqrt(v̂ + eps_root) + eps) : m̂).",
  params: [param.learningRate(), ...radamParams],
  lower: (l, a, g) => lowerLearningRate(l.sub("lr"), a.value("learning_rate"), lowerRadamCore(l, radamOptions(a), g)),
};
