import type { Builder, Id } from "../ir/builder.js";
import { checks, param, type ScheduleDef } from "../registry/define.js";

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
  params: [param.number("init_value"), param.int("decay_steps", undefined, { check: checks.positive("decay_steps") }), param.number("alpha", 0.0), param.number("exponent", 1.0)],
  lower: (b, a, count) => cosineDecay(b, a.num("init_value"), a.num("decay_steps"), a.num("alpha"), a.num("exponent"), count),
};
