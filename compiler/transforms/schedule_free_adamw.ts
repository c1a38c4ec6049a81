import { checks, param, type TransformDef } from "../registry/define.js";
import { lowerDecay } from "./add_decayed_weights.js";
import { lowerRmsCore } from "./scale_by_rms.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";
import { lowerScheduleFree, scheduleFreeParams, validateScheduleFree } from "./schedule_free.js";
import { warmedUpLearningRate } from "./schedule_free_common.js";

export const def: TransformDef = {
  name: "schedule_free_adamw",
  category: "alias",
  module: "optax.contrib",
  doc: "Schedule-Free AdamW: schedule_free(scale_by_rms(b2, eps outside the sqrt, bias-corrected) → + weight_decay·p → -lr, learning_rate, b1), with an optional linear warmup; run.evalParams() gives the eval params.",
  params: [
    param.number("learning_rate", 0.0025, { check: checks.nonNegative("learning_rate") }),
    param.int("warmup_steps", null, { check: checks.count("warmup_steps") }),
    scheduleFreeParams[0],
    param.number("b2", 0.999, { check: checks.unitOpen("b2") }),
    param.number("eps", 1e-8, { check: checks.guard("eps", "an all-zero gradient history gives 0/0") }),
    param.number("weight_decay", 0.0),
    ...scheduleFreeParams.slice(1),
  ],
  validate: validateScheduleFree,
  lower: (l, a, g) => {
    const lr = warmedUpLearningRate(a, a.value("learning_rate").span, l.path);
    const base = (x: number) => {
      const rms = lowerRmsCore(l.sub("rms"), { decay: a.num("b2"), eps: a.num("eps"), initialScale: 0, epsInSqrt: false, biasCorrection: true, centered: false }, x);
      return lowerLearningRate(l.sub("lr"), lr, lowerDecay(l.sub("decay"), a.value("weight_decay"), undefined, rms));
    };
    return lowerScheduleFree(l, { learningRate: lr, b1: a.value("b1"), weightLrPower: a.num("weight_lr_power") }, base, g);
  },
};
