import type { ArgReader, Lowering } from "../lower/context.js";
import type { Id } from "../ir/builder.js";
import { param, type TransformDef } from "../registry/define.js";
import { lowerDecay } from "./add_decayed_weights.js";
import { maskArg } from "./masked.js";
import { adamOptions, adamParams, lowerAdamCore } from "./scale_by_adam.js";
import { lowerLearningRate } from "./scale_by_learning_rate.js";

export const adamwParams = [param.learningRate(), ...adamParams, param.schedule("weight_decay", 1e-4), param.mask("mask")];

/** scale_by_adam → add_decayed_weights(weight_decay, mask) → -lr. */
export function lowerAdamw(l: Lowering, a: ArgReader, g: Id, nesterov: boolean): Id {
  const u = lowerAdamCore(l, adamOptions(l, a, nesterov), g);
  const d = lowerDecay(l.sub("decay"), a.value("weight_decay"), maskArg(a.value("mask")), u);
  return lowerLearningRate(l.sub("lr"), a.value("learning_rate"), d);
}

export const def: TransformDef = {
  name: "adamw",
  category: "alias",
  module: "optax",
  doc: "Adam with decoupled weight decay, multiplied by the learning rate as in PyTorch.",
  params: [...adamwParams, param.bool("nesterov", false, { kwOnly: true })],
  lower: (l, a, g) => lowerAdamw(l, a, g, a.bool("nesterov")),
};
