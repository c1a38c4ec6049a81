import { checks, param, type TransformDef } from "../registry/define.js";

export const def: TransformDef = {
  name: "apply_every",
  category: "combinator",
  module: "optax",
  doc: "Accumulates k updates and emits their sum every k-th step (zeros otherwise).",
  params: [param.int("k", 1, { check: checks.count("k") })],
  lower: (l, a, g) => {
    const b = l.b;
    const k = a.num("k");
    const acc = l.slot("grad_acc", { fill: 0 });
    const count = l.counter("count");
    const c = count.old;
    const acc1 = acc.store(b.add(b.select(b.binary("ne", c, b.const(0)), acc.old, b.const(0)), g));
    const next = b.add(c, b.const(1));
    count.store(b.select(b.binary("ge", next, b.const(k)), b.const(0), next));
    return b.select(b.binary("eq", c, b.const(k - 1)), acc1, b.const(0));
  },
};
