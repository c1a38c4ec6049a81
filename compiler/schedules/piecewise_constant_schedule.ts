import { hull, param, type ScheduleDef } from "../registry/define.js";
import { num } from "./polynomial_schedule.js";

export const def: ScheduleDef = {
  name: "piecewise_constant_schedule",
  category: "schedule",
  module: "optax",
  doc: "init_value multiplied by every scale whose boundary has been reached ({1000: 0.1, 2000: 0.1}).",
  params: [
    param.number("init_value"),
    param.raw("boundaries_and_scales", { t: "optional", of: { t: "map", key: { t: "int" }, value: { t: "number" } } }, null, {
      check: (v) => (v.k === "map" && v.entries.some(([, s]) => s.k === "number" && s.v < 0) ? "every scale must be >= 0" : undefined),
    }),
  ],
  lower: (b, a, count) => {
    let v = b.const(a.num("init_value"));
    const m = a.value("boundaries_and_scales");
    if (m.k !== "map") return v;
    const entries = m.entries.map(([k, s]) => [k.k === "number" ? k.v : 0, s.k === "number" ? s.v : 1] as const).sort((x, y) => x[0] - y[0]);
    for (const [bound, scale] of entries) v = b.select(b.binary("ge", count, b.const(bound)), b.mul(v, b.const(scale)), v);
    return v;
  },
  range: (args) => {
    // init times the running product of the scales, boundaries in ascending order.
    let v = num(args, "init_value");
    const m = args.boundaries_and_scales;
    if (m?.k !== "map") return hull(v);
    const values = [v];
    const entries = m.entries.map(([k, s]) => [k.k === "number" ? k.v : 0, s.k === "number" ? s.v : NaN] as const).sort((x, y) => x[0] - y[0]);
    for (const [, scale] of entries) values.push((v = v * scale));
    return hull(...values);
  },
};
