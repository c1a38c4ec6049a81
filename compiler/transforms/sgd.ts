import { checks, param, type TransformDef } from "../registry/define.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";
import { lowerTrace } from "./trace.js";

export const def: TransformDef = {
  name: "sgd",
  category: "alias",
  module: "optax",
  doc: "Stochastic gradient descent, with optional (nesterov) momentum applied before the learning rate.",
  params: [param.learningRate(), param.number("momentum", null, { check: checks.momentum("momentum") }), param.bool("nesterov", false), param.dtype("accumulator_dtype")],
  lower: (l, a, g) => {
    const m = a.value("momentum");
    const u = m.k === "number" ? lowerTrace(l, l.num(m), a.bool("nesterov"), g) : g;
    return lowerLearningRate(l.sub("lr"), a.value("learning_rate"), u);
  },
};
