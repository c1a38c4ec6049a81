import { checks, param, union, type ScheduleDef } from "../registry/define.js";
import { decayRateCheck, expDecayOptions, expDecayRange, expDecayRangeOptions, exponentialDecay } from "./exponential_decay.js";
import { joinAt } from "./join_schedules.js";
import { num, polynomial, polynomialRange, transitionSteps } from "./polynomial_schedule.js";

export const def: ScheduleDef = {
  name: "warmup_exponential_decay_schedule",
  category: "schedule",
  module: "optax",
  doc: "Linear warmup to peak_value, then exponential decay from it.",
  params: [
    param.number("init_value"),
    param.number("peak_value"),
    param.int("warmup_steps", undefined, { check: checks.nonNegative("warmup_steps") }),
    transitionSteps(),
    param.number("decay_rate", undefined, { check: decayRateCheck }),
    param.int("transition_begin", 0),
    param.bool("staircase", false),
    param.number("end_value", null),
  ],
  lower: (b, a, count) => {
    const peak = a.num("peak_value");
    const warmup = a.num("warmup_steps");
    return joinAt(b, count, [
      (c) => polynomial(b, b.const(a.num("init_value")), b.const(peak), 1, warmup, 0, c),
      (c) => exponentialDecay(b, expDecayOptions(a, peak), c),
    ], [warmup]);
  },
  range: (args) =>
    union(polynomialRange(num(args, "init_value"), num(args, "peak_value"), 1, num(args, "warmup_steps"), 0), expDecayRange(expDecayRangeOptions(args, num(args, "peak_value")))),
};
