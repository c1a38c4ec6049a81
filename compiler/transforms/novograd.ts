import { param, type TransformDef } from "../registry/define.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";
import { lowerNovogradCore, novogradOptions, novogradParams } from "./scale_by_novograd.js";

export const def: TransformDef = {
  name: "novograd",
  category: "alias",
  module: "optax",
  doc: "NovoGrad: scale_by_novograd (eps 1e-6 here, weight decay inside the moment), then -lr.",
  reduces: true,
  params: [param.learningRate(), ...novogradParams(1e-6)],
  lower: (l, a, g) => lowerLearningRate(l.sub("lr"), a.value("learning_rate"), lowerNovogradCore(l, novogradOptions(a), g)),
};
