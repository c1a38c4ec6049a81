import type { Id } from "../ir/builder.js";
import { error } from "../../dsl/diagnostic.js";
import { checks, param, type TransformDef } from "../registry/define.js";
import { lowerShouldSkip } from "../predicates/should_skip.js";

/** x mod k for non-negative integers, exactly, with host ops. */
function modInt(b: import("../ir/builder.js").Builder, x: Id, k: Id): Id {
  return b.sub(x, b.mul(k, b.unary("floor", b.div(x, k))));
}

export const def: TransformDef = {
  name: "MultiSteps",
  category: "combinator",
  module: "optax",
  doc: "Gradient accumulation: runs opt on the mean (or sum) of every k mini-steps; zeros in between.",
  params: [
    param.transform("opt"),
    param.schedule("every_k_schedule", undefined, { check: checks.count("every_k_schedule") }),
    param.bool("use_grad_mean", true),
    param.raw("should_skip_update_fn", { t: "optional", of: { t: "predicate" } }, null),
    param.dtype("accumulator_dtype"),
  ],
  // A skip predicate (skip_not_finite) decides about non-finite gradients itself.
  checksNonFinite: (call) => call.args.should_skip_update_fn?.k === "call",
  // The skip predicate tests every gradient for finiteness before anything else.
  reduces: (call) => call.args.should_skip_update_fn?.k === "call",
  validate: (call, context) => {
    // A schedule of k must never fall below 1: mini_step mod k is NaN for k = 0.
    const k = call.args.every_k_schedule;
    if (k?.k !== "call") return;
    const r = context.scheduleRange(k);
    if (!(r.lo >= 1)) {
      context.report(
        error("E302", `MultiSteps(): every_k_schedule must be >= 1 at every step, but ${k.name} can give ${Number.isNaN(r.lo) ? "NaN" : r.lo}`, k.span, "k counts mini-steps per update: use a schedule whose values stay >= 1, or a whole number"),
      );
    }
  },
  lower: (l, a, g) => {
    const b = l.b;
    const skip = a.isNone("should_skip_update_fn") ? undefined : lowerShouldSkip(l, a.call("should_skip_update_fn"), g);
    const proceed = skip === undefined ? undefined : b.unary("not", skip);
    const own = proceed === undefined ? l : l.with({ gate: l.gate === undefined ? proceed : b.binary("and", l.gate, proceed) });
    const acc = own.slot("acc_grads", { fill: 0 });
    const mini = own.counter("mini_step");
    const step = own.counter("gradient_step");
    const k = l.schedule(a.value("every_k_schedule"), step.old);
    const acc1 = a.bool("use_grad_mean")
      ? b.add(acc.old, b.div(b.sub(g, acc.old), b.add(mini.old, b.const(1))))
      : b.add(acc.old, g);
    const accRounded = b.f32(acc1);
    const emit = b.binary("eq", mini.old, b.sub(k, b.const(1)));
    const innerGate = own.gate === undefined ? emit : b.binary("and", own.gate, emit);
    const inner = l.with({ gate: innerGate }).child(a.value("opt"), accRounded);
    acc.store(b.select(emit, b.const(0), accRounded));
    mini.store(modInt(b, l.satInc(mini.old), k));
    step.store(b.select(emit, l.satInc(step.old), step.old));
    const out = b.select(emit, inner, b.const(0));
    return skip === undefined ? out : b.select(skip, b.const(0), out);
  },
};
