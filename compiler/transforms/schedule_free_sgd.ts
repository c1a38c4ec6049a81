import { checks, param, type TransformDef } from "../registry/define.js";
import { lowerDecay } from "./add_decayed_weights.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";
import { lowerScheduleFree, scheduleFreeParams, validateScheduleFree } from "./schedule_free.js";
import { warmedUpLearningRate } from "./schedule_free_common.js";

export const def: TransformDef = {
  name: "schedule_free_sgd",
  category: "alias",
  module: "optax.contrib",
  doc: "Schedule-Free SGD: schedule_free([add_decayed_weights(weight_decay) →] sgd(learning_rate), learning_rate, b1), with an optional linear warmup; run.evalParams() gives the eval params.",
  params: [
    param.number("learning_rate", 1.0, { check: checks.nonNegative("learning_rate") }),
    param.int("warmup_steps", null, { check: checks.count("warmup_steps") }),
    scheduleFreeParams[0],
    param.number("weight_decay", null),
    ...scheduleFreeParams.slice(1),
  ],
  validate: validateScheduleFree,
  lower: (l, a, g) => {
    const lr = warmedUpLearningRate(a, a.value("learning_rate").span, l.path);
    const wd = a.value("weight_decay");
    const base = (x: number) => lowerLearningRate(l.sub("sgd.lr"), lr, wd.k === "none" ? x : lowerDecay(l.sub("decay"), wd, undefined, x));
    return lowerScheduleFree(l, { learningRate: lr, b1: a.value("b1"), weightLrPower: a.num("weight_lr_power") }, base, g);
  },
};
