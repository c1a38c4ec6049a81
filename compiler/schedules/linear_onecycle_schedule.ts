import { checks, param, type ScheduleDef } from "../registry/define.js";
import type { Args } from "../check/types.js";
import { piecewiseInterpolate, piecewiseRange, type BoundaryScale } from "./piecewise_interpolate_schedule.js";
import { num, transitionSteps } from "./polynomial_schedule.js";

/** optax's knots: peak/div at 0, peak at int(pct_start·T), peak/div at int(pct_final·T), peak/(div·final_div) at T. */
function knots(args: Args): { init: number; entries: BoundaryScale[] } {
  const steps = num(args, "transition_steps");
  const div = num(args, "div_factor");
  return {
    init: num(args, "peak_value") / div,
    entries: [
      [Math.trunc(num(args, "pct_start") * steps), div],
      [Math.trunc(num(args, "pct_final") * steps), 1 / div],
      [steps, 1 / num(args, "final_div_factor")],
    ],
  };
}

export const pctCheck = (name: string) => checks.number((x) => x >= 0 && x <= 1, `${name} must be in [0, 1]: it is a fraction of transition_steps`);
export const divCheck = (name: string) => checks.number((x) => x > 0, `${name} must be > 0: the schedule divides by it (and optax refuses a negative scale)`);

export const def: ScheduleDef = {
  name: "linear_onecycle_schedule",
  category: "schedule",
  module: "optax",
  doc: "One-cycle: linear up from peak/div_factor to peak_value, down to peak/div_factor, then to peak/(div_factor·final_div_factor).",
  params: [
    transitionSteps(),
    param.number("peak_value"),
    param.number("pct_start", 0.3, { check: pctCheck("pct_start") }),
    param.number("pct_final", 0.85, { check: pctCheck("pct_final") }),
    param.number("div_factor", 25.0, { check: divCheck("div_factor") }),
    param.number("final_div_factor", 1e4, { check: divCheck("final_div_factor") }),
  ],
  lower: (b, a, count) => {
    const k = knots(a.args);
    return piecewiseInterpolate(b, "linear", k.init, k.entries, count);
  },
  range: (args) => {
    const k = knots(args);
    return piecewiseRange(k.init, k.entries);
  },
};
