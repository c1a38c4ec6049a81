import type { Id } from "../ir/builder.js";
import type { Lowering } from "../lower/context.js";
import { checks, param, type TransformDef } from "../registry/define.js";
import { lowerScaleBySchedule } from "./scale_by_schedule.js";
import { lowerTrustRatio } from "./scale_by_trust_ratio.js";

/** 1 / sqrt(1 + lr²), Fromage's shrink factor. */
function mult(l: Lowering, rate: Id): Id {
  const b = l.b;
  return b.div(b.const(1), b.sqrt(b.add(b.const(1), b.mul(rate, rate))));
}

export const def: TransformDef = {
  name: "fromage",
  category: "alias",
  module: "optax",
  doc: "Fromage: trust ratio ‖p‖/‖g‖ per tensor, -lr·m, then + (m - 1)·p, with m = 1/sqrt(1 + lr²) (a schedule's m follows it).",
  reduces: true,
  params: [param.learningRate(), param.number("min_norm", 1e-6, { check: checks.nonNegative("min_norm") })],
  lower: (l, a, g) => {
    const b = l.b;
    const u = lowerTrustRatio(l, a.num("min_norm"), 1, 0, g);
    const rate = a.value("learning_rate");
    if (rate.k === "number") {
      const m = 1 / Math.sqrt(1 + rate.v * rate.v);
      return b.add(b.mul(b.const(-rate.v * m), u), b.mul(b.const(m - 1), l.params));
    }
    // optax chains scale_by_learning_rate(lr·m) and add_decayed_weights(m - 1): each keeps its own count.
    const scaled = lowerScaleBySchedule(l.sub("lr"), (c) => {
      const r = l.schedule(rate, c);
      return b.neg(b.mul(mult(l, r), r));
    }, u);
    const decay = l.sub("decay");
    const count = decay.counter("count");
    const lambda = b.sub(mult(l, l.schedule(rate, count.old)), b.const(1));
    count.store(decay.satInc(count.old));
    return b.add(scaled, b.mul(lambda, l.params));
  },
};
