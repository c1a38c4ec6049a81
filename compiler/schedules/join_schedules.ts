import type { Builder, Id } from "../ir/builder.js";
import { param, union, type ScheduleDef } from "../registry/define.js";

/** schedules[0](count) until boundaries[0]; then schedules[i+1](count - boundaries[i]). */
export function joinAt(b: Builder, count: Id, schedules: ((count: Id) => Id)[], boundaries: number[]): Id {
  let out = schedules[0](count);
  boundaries.forEach((bound, i) => {
    const next = schedules[i + 1](b.sub(count, b.const(bound)));
    out = b.select(b.binary("lt", count, b.const(bound)), out, next);
  });
  return out;
}

export const def: ScheduleDef = {
  name: "join_schedules",
  category: "schedule",
  module: "optax",
  doc: "Switches between schedules at absolute step boundaries; each later schedule counts from its boundary.",
  params: [
    param.raw("schedules", { t: "list", of: { t: "schedule" } }, undefined),
    param.raw("boundaries", { t: "list", of: { t: "int" } }, undefined, {
      check: (v, args) => {
        const s = args.schedules;
        if (v.k !== "list") return undefined;
        if (s?.k === "list" && v.items.length !== s.items.length - 1) return `boundaries needs exactly one fewer entry than schedules (${s.items.length} schedules, ${v.items.length} boundaries)`;
        const bounds = v.items.map((x) => (x.k === "number" ? x.v : NaN));
        if (bounds.some((x) => x < 0)) return "every boundary must be >= 0 (a step count)";
        if (bounds.some((x, i) => i > 0 && !(x > bounds[i - 1]))) return "boundaries must be strictly increasing (a schedule between two equal or decreasing boundaries is never used)";
        return undefined;
      },
    }),
  ],
  lower: (b, a, count, l) => {
    const s = a.value("schedules");
    const bounds = a.value("boundaries");
    if (s.k !== "list" || bounds.k !== "list") throw new Error("internal: join_schedules arguments");
    return joinAt(b, count, s.items.map((item) => (c: Id) => l.schedule(item, c)), bounds.items.map((x) => (x.k === "number" ? x.v : 0)));
  },
  range: (args, of) => {
    const s = args.schedules;
    return s?.k === "list" ? union(...s.items.map(of)) : { lo: NaN, hi: NaN };
  },
};
