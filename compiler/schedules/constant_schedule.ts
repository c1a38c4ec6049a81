import { hull, numArg, param, type ScheduleDef } from "../registry/define.js";

export const def: ScheduleDef = {
  name: "constant_schedule",
  category: "schedule",
  module: "optax",
  doc: "The same value at every step.",
  params: [param.number("value")],
  lower: (b, a) => b.const(a.num("value")),
  range: (args) => hull(numArg(args, "value") ?? NaN),
};
