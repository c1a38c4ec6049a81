import type { Id } from "../ir/builder.js";
import type { Lowering } from "../lower/context.js";
import { hnode, type HostNum } from "../lower/host_num.js";
import { checks, param, type TransformDef } from "../registry/define.js";

/** Momentum: τ' = g + decay·τ; u = nesterov ? g + decay·τ' : τ'. */
export function lowerTrace(l: Lowering, decay: HostNum, nesterov: boolean, g: Id): Id {
  const b = l.b;
  const tr = l.slot("trace", { fill: 0 });
  const t1 = tr.store(b.add(g, b.mul(hnode(b, decay), tr.old)));
  return nesterov ? b.add(g, b.mul(hnode(b, decay), t1)) : t1;
}

export const def: TransformDef = {
  name: "trace",
  category: "transform",
  module: "optax",
  doc: "Momentum without dampening: trace = g + decay * trace.",
  params: [param.number("decay", undefined, { check: checks.momentum("decay") }), param.bool("nesterov", false), param.dtype("accumulator_dtype")],
  lower: (l, a, g) => lowerTrace(l, l.num(a.value("decay")), a.bool("nesterov"), g),
};
