import { param, type TransformDef } from "../registry/define.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";

export const def: TransformDef = {
  name: "sign_sgd",
  category: "alias",
  module: "optax",
  doc: "signSGD: u = -lr · sign(g).",
  params: [param.learningRate()],
  lower: (l, a, g) => lowerLearningRate(l.sub("lr"), a.value("learning_rate"), l.b.unary("sign", g)),
};
