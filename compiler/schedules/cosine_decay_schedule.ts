import type { Builder, Id } from "../ir/builder.js";
import { checks, hull, param, type Range, type ScheduleDef } from "../registry/define.js";
import { num } from "./polynomial_schedule.js";

/** Bounds of cosineDecay(): cd runs from 1 down to 0 (at decay_steps, within int32). */
export function cosineRange(init: number, alpha: number, exponent: number): Range {
  return hull(init * ((1 - alpha) * Math.pow(0, exponent) + alpha), init * ((1 - alpha) * 1 + alpha));
}

/** exponent >= 0: cd reaches 0 at decay_steps, and 0 to a negative power is infinite. */
export const exponentCheck = checks.number((x) => x >= 0, "exponent must be >= 0: the cosine factor reaches 0 at the end of the decay, and 0 to a negative power is infinite");

/** init·((1-alpha)·cd^exponent + alpha), cd = ½(1 + cos(π·min(count, steps)/steps)). */
export function cosineDecay(b: Builder, init: number, steps: number, alpha: number, exponent: number, count: Id): Id {
  const c = b.binary("min", count, b.const(steps));
  const cd = b.mul(b.const(0.5), b.add(b.const(1), b.unary("cos", b.div(b.mul(b.const(Math.PI), c), b.const(steps)))));
  const shaped = exponent === 1 ? cd : b.binary("pow", cd, b.const(exponent));
  return b.mul(b.const(init), b.add(b.mul(b.const(1 - alpha), shaped), b.const(alpha)));
}

export const def: ScheduleDef = {
  name: "cosine_decay_schedule",
  category: "schedule",
  module: "optax",
  doc: "Cosine decay from init_value to alpha·init_value over decay_steps.",
  params: [param.number("init_value"), param.int("decay_steps", undefined, { check: checks.positive("decay_steps") }), param.number("alpha", 0.0), param.number("exponent", 1.0, { check: exponentCheck })],
  lower: (b, a, count) => cosineDecay(b, a.num("init_value"), a.num("decay_steps"), a.num("alpha"), a.num("exponent"), count),
  range: (args) => cosineRange(num(args, "init_value"), num(args, "alpha"), num(args, "exponent")),
};
