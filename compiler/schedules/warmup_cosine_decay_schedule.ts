import { checks, hull, param, union, type ScheduleDef } from "../registry/define.js";
import { cosineDecay, cosineRange, exponentCheck } from "./cosine_decay_schedule.js";
import { joinAt } from "./join_schedules.js";
import { num, polynomial } from "./polynomial_schedule.js";

export const def: ScheduleDef = {
  name: "warmup_cosine_decay_schedule",
  category: "schedule",
  module: "optax",
  doc: "Linear warmup to peak_value over warmup_steps, then cosine decay to end_value; decay_steps includes the warmup.",
  params: [
    param.number("init_value"),
    param.number("peak_value"),
    param.int("warmup_steps", undefined, { check: checks.nonNegative("warmup_steps") }),
    param.int("decay_steps", undefined, {
      check: (v, args) => {
        const w = args.warmup_steps;
        return v.k === "number" && w?.k === "number" && v.v <= w.v ? "decay_steps must be greater than warmup_steps (it includes the warmup)" : undefined;
      },
    }),
    param.number("end_value", 0.0),
    param.number("exponent", 1.0, { check: exponentCheck }),
  ],
  lower: (b, a, count) => {
    const peak = a.num("peak_value");
    const warmup = a.num("warmup_steps");
    const alpha = peak === 0 ? 0 : a.num("end_value") / peak;
    return joinAt(b, count, [
      (c) => polynomial(b, b.const(a.num("init_value")), b.const(peak), 1, warmup, 0, c),
      (c) => cosineDecay(b, peak, a.num("decay_steps") - warmup, alpha, a.num("exponent"), c),
    ], [warmup]);
  },
  range: (args) => {
    const peak = num(args, "peak_value");
    return union(hull(num(args, "init_value"), peak), cosineRange(peak, peak === 0 ? 0 : num(args, "end_value") / peak, num(args, "exponent")));
  },
};
