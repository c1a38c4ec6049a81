import type { Builder, Id } from "../ir/builder.js";
import type { ArgReader } from "../lower/context.js";
import { param, type ScheduleDef } from "../registry/define.js";
import { transitionSteps } from "./polynomial_schedule.js";

export interface ExpDecay {
  init: number;
  steps: number;
  rate: number;
  begin: number;
  staircase: boolean;
  end: number | undefined;
}

/** The decay's options from a call's arguments (shared with warmup_exponential_decay_schedule). */
export function expDecayOptions(a: ArgReader, init: number): ExpDecay {
  const end = a.value("end_value");
  return { init, steps: a.num("transition_steps"), rate: a.num("decay_rate"), begin: a.num("transition_begin"), staircase: a.bool("staircase"), end: end.k === "number" ? end.v : undefined };
}

/** init·rate^((count-begin)/steps), held at init until begin, clamped at end_value. */
export function exponentialDecay(b: Builder, o: ExpDecay, count: Id): Id {
  const init = b.const(o.init);
  let value: Id;
  if (o.steps <= 0 || o.rate === 0) value = init;
  else {
    const d = b.sub(count, b.const(Math.max(0, o.begin)));
    let q = b.div(d, b.const(o.steps));
    if (o.staircase) q = b.unary("floor", q);
    value = b.select(b.binary("le", d, b.const(0)), init, b.mul(init, b.binary("pow", b.const(o.rate), q)));
  }
  if (o.end === undefined) return value;
  return b.binary(o.rate < 1 ? "max" : "min", value, b.const(o.end));
}

export const def: ScheduleDef = {
  name: "exponential_decay",
  category: "schedule",
  module: "optax",
  doc: "init_value · decay_rate^((count - transition_begin) / transition_steps), optionally staircased and clamped at end_value.",
  params: [
    param.number("init_value"),
    transitionSteps(),
    param.number("decay_rate"),
    param.int("transition_begin", 0),
    param.bool("staircase", false),
    param.number("end_value", null),
  ],
  lower: (b, a, count) => exponentialDecay(b, expDecayOptions(a, a.num("init_value")), count),
};
