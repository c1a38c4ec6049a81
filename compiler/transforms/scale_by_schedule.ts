import type { Id } from "../ir/builder.js";
import type { Lowering } from "../lower/context.js";
import { param, type TransformDef } from "../registry/define.js";

/** u = s(count) * g with the old count (the first step sees 0), then count += 1. */
export function lowerScaleBySchedule(l: Lowering, stepSize: (count: Id) => Id, g: Id): Id {
  const count = l.counter("count");
  const s = stepSize(count.old);
  count.store(l.satInc(count.old));
  return l.b.mul(s, g);
}

export const def: TransformDef = {
  name: "scale_by_schedule",
  category: "transform",
  module: "optax",
  doc: "Scales by a schedule of its own step count.",
  params: [param.schedule("step_size_fn")],
  lower: (l, a, g) => lowerScaleBySchedule(l, (c) => l.schedule(a.value("step_size_fn"), c), g),
};
