import type { Builder, Id } from "../ir/builder.js";
import type { ArgReader } from "../lower/context.js";
import type { Args } from "../check/types.js";
import { checks, hull, INT32_MAX, numArg, param, type Range, type ScheduleDef } from "../registry/define.js";
import { num, transitionSteps } from "./polynomial_schedule.js";

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

/** The same options read for a range (NaN where a bound is unknown). */
export function expDecayRangeOptions(args: Args, init: number): ExpDecay {
  const staircase = args.staircase;
  return { init, steps: num(args, "transition_steps"), rate: num(args, "decay_rate"), begin: num(args, "transition_begin"), staircase: staircase?.k === "bool" && staircase.v, end: numArg(args, "end_value") };
}

/** Bounds of exponentialDecay(): |init·rate^q| is monotone in q, so the extremes are q = 0 and the last count's q. */
export function expDecayRange(o: ExpDecay): Range {
  let r = hull(o.init);
  if (!(o.steps <= 0 || o.rate === 0)) {
    let qMax = (INT32_MAX - Math.max(0, o.begin)) / o.steps;
    if (o.staircase) qMax = Math.floor(qMax);
    if (qMax > 0) r = hull(o.init, o.init * Math.pow(o.rate, qMax));
  }
  if (o.end === undefined) return r;
  const clamp = o.rate < 1 ? Math.max : Math.min;
  return hull(clamp(r.lo, o.end), clamp(r.hi, o.end));
}

/** decay_rate >= 0: a negative base to a fractional power is NaN (0 is optax's constant schedule). */
export const decayRateCheck = checks.number((x) => x >= 0, "decay_rate must be >= 0: a negative rate to a fractional power is NaN (0 gives the constant init_value, as optax)");

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
    param.number("decay_rate", undefined, { check: decayRateCheck }),
    param.int("transition_begin", 0),
    param.bool("staircase", false),
    param.number("end_value", null),
  ],
  lower: (b, a, count) => exponentialDecay(b, expDecayOptions(a, a.num("init_value")), count),
  range: (args) => expDecayRange(expDecayRangeOptions(args, num(args, "init_value"))),
};
