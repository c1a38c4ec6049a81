import { checks, param, type ScheduleDef } from "../registry/define.js";
import { num, polynomial, polynomialRange } from "./polynomial_schedule.js";

export const def: ScheduleDef = {
  name: "warmup_constant_schedule",
  category: "schedule",
  module: "optax",
  doc: "Linear warmup from init_value to peak_value, then constant.",
  params: [param.number("init_value"), param.number("peak_value"), param.int("warmup_steps", undefined, { check: checks.nonNegative("warmup_steps") })],
  lower: (b, a, count) => polynomial(b, b.const(a.num("init_value")), b.const(a.num("peak_value")), 1, a.num("warmup_steps"), 0, count),
  range: (args) => polynomialRange(num(args, "init_value"), num(args, "peak_value"), 1, num(args, "warmup_steps"), 0),
};
