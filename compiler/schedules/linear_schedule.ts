import { param, type ScheduleDef } from "../registry/define.js";
import { num, polynomial, polynomialRange, transitionSteps } from "./polynomial_schedule.js";

export const def: ScheduleDef = {
  name: "linear_schedule",
  category: "schedule",
  module: "optax",
  doc: "Linear interpolation from init_value to end_value (polynomial_schedule with power 1).",
  params: [param.number("init_value"), param.number("end_value"), transitionSteps(), param.int("transition_begin", 0)],
  lower: (b, a, count) => polynomial(b, b.const(a.num("init_value")), b.const(a.num("end_value")), 1, a.num("transition_steps"), a.num("transition_begin"), count),
  range: (args) => polynomialRange(num(args, "init_value"), num(args, "end_value"), 1, num(args, "transition_steps"), num(args, "transition_begin")),
};
