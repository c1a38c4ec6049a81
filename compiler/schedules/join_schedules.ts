import type { Builder, Id } from "../ir/builder.js";
import { param, type ScheduleDef } from "../registry/define.js";

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
        return v.k === "list" && s?.k === "list" && v.items.length !== s.items.length - 1
          ? `boundaries needs exactly one fewer entry than schedules (${s.items.length} schedules, ${v.items.length} boundaries)`
          : undefined;
      },
    }),
  ],
  lower: (b, a, count, l) => {
    const s = a.value("schedules");
    const bounds = a.value("boundaries");
    if (s.k !== "list" || bounds.k !== "list") throw new Error("internal: join_schedules arguments");
    return joinAt(b, count, s.items.map((item) => (c: Id) => l.schedule(item, c)), bounds.items.map((x) => (x.k === "number" ? x.v : 0)));
  },
};
