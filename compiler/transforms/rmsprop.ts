import { checks, param, type TransformDef } from "../registry/define.js";
import { lowerRmsCore, rmsDecayCheck, rmsEpsCheck } from "./scale_by_rms.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";
import { lowerTrace } from "./trace.js";

export const def: TransformDef = {
  name: "rmsprop",
  category: "alias",
  module: "optax",
  doc: "RMSProp; momentum (if any) is applied after the learning rate, unlike sgd.",
  params: [
    param.learningRate(),
    param.number("decay", 0.9, { check: rmsDecayCheck }),
    param.number("eps", 1e-8, { check: rmsEpsCheck }),
    param.number("initial_scale", 0.0, { check: checks.number((x) => x >= 0, "initial_scale must be >= 0: the denominator takes its square root") }),
    param.bool("eps_in_sqrt", true),
    param.bool("centered", false),
    param.number("momentum", null, { check: checks.momentum("momentum") }),
    param.bool("nesterov", false),
    param.bool("bias_correction", false),
  ],
  lower: (l, a, g) => {
    const core = lowerRmsCore(
      l,
      { decay: a.num("decay"), eps: a.num("eps"), initialScale: a.num("initial_scale"), epsInSqrt: a.bool("eps_in_sqrt"), biasCorrection: a.bool("bias_correction"), centered: a.bool("centered") },
      g,
    );
    const scaled = lowerLearningRate(l.sub("lr"), a.value("learning_rate"), core);
    const m = a.value("momentum");
    return m.k === "number" ? lowerTrace(l, l.num(m), a.bool("nesterov"), scaled) : scaled;
  },
};
