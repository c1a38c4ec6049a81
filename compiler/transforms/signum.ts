import { checks, param, type TransformDef } from "../registry/define.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";

export const def: TransformDef = {
  name: "signum",
  category: "alias",
  module: "optax",
  doc: "Signum: u = -lr · sign(ema(g, beta)), the average not debiased (its sign is the same).",
  params: [
    param.learningRate(),
    param.number("beta", 0.9, { check: checks.number((x) => x >= 0 && x <= 1, "beta must be in [0, 1]: outside it the average grows geometrically until it overflows") }),
    param.dtype("accumulator_dtype"),
  ],
  lower: (l, a, g) => {
    const b = l.b;
    const beta = a.num("beta");
    // optax's ema(beta, debias=False): the slot and counter live at the ema's place in the chain.
    const e = l.sub("ema");
    const avg = e.slot("ema", { fill: 0 });
    const count = e.counter("count");
    const avg1 = avg.store(b.add(b.mul(b.const(1 - beta), g), b.mul(b.const(beta), avg.old)));
    count.store(e.satInc(count.old));
    return lowerLearningRate(l.sub("lr"), a.value("learning_rate"), b.unary("sign", avg1));
  },
};
