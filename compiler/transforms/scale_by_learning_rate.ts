import type { Value } from "../check/types.js";
import type { Id } from "../ir/builder.js";
import type { Lowering } from "../lower/context.js";
import { hmul, hnode } from "../lower/host_num.js";
import { param, type TransformDef } from "../registry/define.js";
import { lowerScaleBySchedule } from "./scale_by_schedule.js";

/** u = -lr * g: a constant folds into one host product; a schedule keeps its own count. */
export function lowerLearningRate(l: Lowering, lr: Value, g: Id, flipSign = true): Id {
  if (lr.k === "none") return g;
  const m = flipSign ? -1 : 1;
  if (lr.k === "number") return l.b.mul(hnode(l.b, hmul(l.b, m, l.num(lr))), g);
  return lowerScaleBySchedule(l, (count) => l.b.mul(l.b.const(m), l.schedule(lr, count)), g);
}

export const def: TransformDef = {
  name: "scale_by_learning_rate",
  category: "transform",
  module: "optax",
  doc: "Scales by -learning_rate (or +learning_rate with flip_sign=false); None is the identity.",
  params: [param.schedule("learning_rate", null), param.bool("flip_sign", true, { kwOnly: true })],
  lower: (l, a, g) => lowerLearningRate(l, a.value("learning_rate"), g, a.bool("flip_sign")),
};
