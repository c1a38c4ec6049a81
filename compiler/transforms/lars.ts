import { checks, param, type TransformDef } from "../registry/define.js";
import { lowerDecay } from "./add_decayed_weights.js";
import { lowerMasked, maskArg } from "./masked.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";
import { lowerTrustRatio } from "./scale_by_trust_ratio.js";
import { lowerTrace } from "./trace.js";

/** optax's masks default to True (every tensor); a glob or list limits them. */
const allTensors = (name: string) => param.raw(name, { t: "optional", of: { t: "mask" } }, true);

export const def: TransformDef = {
  name: "lars",
  category: "alias",
  module: "optax",
  doc: "LARS: + weight decay, per-tensor trust ratio trust_coefficient·‖p‖/(‖u‖ + eps), -lr, then momentum (trace).",
  reduces: true,
  params: [
    param.learningRate(),
    param.schedule("weight_decay", 0.0),
    allTensors("weight_decay_mask"),
    param.number("trust_coefficient", 0.001),
    param.number("eps", 0.0, { check: checks.nonNegative("eps") }),
    allTensors("trust_ratio_mask"),
    param.number("momentum", 0.9, { check: checks.momentum("momentum") }),
    param.bool("nesterov", false),
  ],
  lower: (l, a, g) => {
    const d = lowerDecay(l.sub("decay"), a.value("weight_decay"), maskArg(a.value("weight_decay_mask")), g);
    const trust = (li: typeof l, x: number) => lowerTrustRatio(li, 0, a.num("trust_coefficient"), a.num("eps"), x);
    const mask = maskArg(a.value("trust_ratio_mask"));
    const r = mask === undefined ? trust(l, d) : lowerMasked(l.sub("trust"), mask, trust, d);
    const u = lowerLearningRate(l.sub("lr"), a.value("learning_rate"), r);
    return lowerTrace(l.sub("trace"), a.num("momentum"), a.bool("nesterov"), u);
  },
};
