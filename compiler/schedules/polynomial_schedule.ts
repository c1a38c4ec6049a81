import type { Builder, Id } from "../ir/builder.js";
import { checks, param, type ScheduleDef } from "../registry/define.js";

/** (init - end)·(1 - c/steps)^power + end, c = clip(count - begin, 0, steps); constant init when steps <= 0. */
export function polynomial(b: Builder, init: Id, end: Id, power: number, steps: number, begin: number, count: Id): Id {
  if (steps <= 0) return init;
  const c = b.binary("min", b.binary("max", b.sub(count, b.const(Math.max(0, begin))), b.const(0)), b.const(steps));
  const frac = b.sub(b.const(1), b.div(c, b.const(steps)));
  const shaped = power === 1 ? frac : b.binary("pow", frac, b.const(power));
  return b.add(b.mul(b.sub(init, end), shaped), end);
}

export const transitionSteps = () => param.int("transition_steps", undefined, { check: checks.positive("transition_steps") });

export const def: ScheduleDef = {
  name: "polynomial_schedule",
  category: "schedule",
  module: "optax",
  doc: "Polynomial interpolation from init_value to end_value over transition_steps.",
  params: [param.number("init_value"), param.number("end_value"), param.number("power"), transitionSteps(), param.int("transition_begin", 0)],
  lower: (b, a, count) =>
    polynomial(b, b.const(a.num("init_value")), b.const(a.num("end_value")), a.num("power"), a.num("transition_steps"), a.num("transition_begin"), count),
};
