import { param, type ScheduleDef } from "../registry/define.js";
import type { Args } from "../check/types.js";
import { divCheck, pctCheck } from "./linear_onecycle_schedule.js";
import { piecewiseInterpolate, piecewiseRange, type BoundaryScale } from "./piecewise_interpolate_schedule.js";
import { num, transitionSteps } from "./polynomial_schedule.js";

/** optax's knots: peak/div at 0, peak at int(pct_start·T), peak/(div·final_div) at T. */
function knots(args: Args): { init: number; entries: BoundaryScale[] } {
  const steps = num(args, "transition_steps");
  const div = num(args, "div_factor");
  return {
    init: num(args, "peak_value") / div,
    entries: [
      [Math.trunc(num(args, "pct_start") * steps), div],
      [steps, 1 / (div * num(args, "final_div_factor"))],
    ],
  };
}

export const def: ScheduleDef = {
  name: "cosine_onecycle_schedule",
  category: "schedule",
  module: "optax",
  doc: "One-cycle with cosine interpolation: peak/div_factor up to peak_value at pct_start, then down to peak/(div_factor·final_div_factor).",
  params: [
    transitionSteps(),
    param.number("peak_value"),
    param.number("pct_start", 0.3, { check: pctCheck("pct_start") }),
    param.number("div_factor", 25.0, { check: divCheck("div_factor") }),
    param.number("final_div_factor", 1e4, { check: divCheck("final_div_factor") }),
  ],
  lower: (b, a, count) => {
    const k = knots(a.args);
    return piecewiseInterpolate(b, "cosine", k.init, k.entries, count);
  },
  range: (args) => {
    const k = knots(args);
    return piecewiseRange(k.init, k.entries);
  },
};
