import { checks, param, type TransformDef } from "../registry/define.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";
import { lowerRss } from "./scale_by_rss.js";

export const def: TransformDef = {
  name: "adagrad",
  category: "alias",
  module: "optax",
  doc: "Adagrad: u = -lr · g / sqrt(0.1 + Σg² + eps) (eps inside the sqrt, accumulator starts at 0.1).",
  params: [
    param.learningRate(),
    param.number("initial_accumulator_value", 0.1, { check: checks.nonNegative("initial_accumulator_value") }),
    param.number("eps", 1e-7, { check: checks.nonNegative("eps") }),
  ],
  lower: (l, a, g) => lowerLearningRate(l.sub("lr"), a.value("learning_rate"), lowerRss(l, a.num("initial_accumulator_value"), a.num("eps"), g)),
};
