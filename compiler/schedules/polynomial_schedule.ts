import type { Builder, Id } from "../ir/builder.js";
import { checks, hull, INT32_MAX, numArg, param, type Range, type ScheduleDef } from "../registry/define.js";
import type { Args, Value } from "../check/types.js";

/** (init - end)·(1 - c/steps)^power + end, c = clip(count - begin, 0, steps); constant init when steps <= 0. */
export function polynomial(b: Builder, init: Id, end: Id, power: number, steps: number, begin: number, count: Id): Id {
  if (steps <= 0) return init;
  const c = b.binary("min", b.binary("max", b.sub(count, b.const(Math.max(0, begin))), b.const(0)), b.const(steps));
  const frac = b.sub(b.const(1), b.div(c, b.const(steps)));
  const shaped = power === 1 ? frac : b.binary("pow", frac, b.const(power));
  return b.add(b.mul(b.sub(init, end), shaped), end);
}

export const transitionSteps = () => param.int("transition_steps", undefined, { check: checks.positive("transition_steps") });

/** The smallest base 1 - c/steps the count reaches before int32 saturates (0 when the transition ends). */
function smallestBase(steps: number, begin: number): number {
  return 1 - Math.min(steps, Math.max(0, INT32_MAX - Math.max(0, begin))) / steps;
}

/** Bounds of polynomial(): between init and the value at the smallest base (end, once the transition ends). */
export function polynomialRange(init: number, end: number, power: number, steps: number, begin: number): Range {
  if (steps <= 0) return hull(init);
  return hull(init, (init - end) * Math.pow(smallestBase(steps, begin), power) + end);
}

/** power >= 0 where the base reaches 0 (0 to a negative power is Inf). */
function powerCheck(v: Value, args: Args): string | undefined {
  const steps = numArg(args, "transition_steps") ?? 1;
  if (v.k !== "number" || v.v >= 0 || steps <= 0 || smallestBase(steps, numArg(args, "transition_begin") ?? 0) > 0) return undefined;
  return "power must be >= 0: the base (1 - count/transition_steps) reaches 0 at the end of the transition, and 0 to a negative power is infinite";
}

export const def: ScheduleDef = {
  name: "polynomial_schedule",
  category: "schedule",
  module: "optax",
  doc: "Polynomial interpolation from init_value to end_value over transition_steps.",
  params: [param.number("init_value"), param.number("end_value"), param.number("power", undefined, { check: powerCheck }), transitionSteps(), param.int("transition_begin", 0)],
  lower: (b, a, count) =>
    polynomial(b, b.const(a.num("init_value")), b.const(a.num("end_value")), a.num("power"), a.num("transition_steps"), a.num("transition_begin"), count),
  range: (args) => polynomialRange(num(args, "init_value"), num(args, "end_value"), num(args, "power"), num(args, "transition_steps"), num(args, "transition_begin")),
};

/** A number argument for a range; NaN (an unknown bound) if it is not a number. */
export function num(args: Args, name: string): number {
  return numArg(args, name) ?? NaN;
}
