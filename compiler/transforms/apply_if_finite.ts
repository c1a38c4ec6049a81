import { checks, param, type TransformDef } from "../registry/define.js";

export const def: TransformDef = {
  name: "apply_if_finite",
  category: "combinator",
  module: "optax",
  doc: "Skips (zero update, state kept) steps whose updates contain NaN or Inf; after more than max_consecutive_errors in a row optax applies them anyway, optc stops with an error instead.",
  reduces: true,
  params: [param.transform("inner"), param.int("max_consecutive_errors", undefined, { check: checks.countFromZero("max_consecutive_errors") })],
  checksNonFinite: () => true,
  lower: (l, a, g) => {
    const b = l.b;
    const ok = l.allFinite(g);
    const notfinite = l.counter("notfinite_count");
    const lastFinite = l.counter("last_finite", 1);
    const total = l.counter("total_notfinite");
    const nf1 = b.select(ok, b.const(0), l.satInc(notfinite.old));
    const apply = b.binary("or", ok, b.binary("gt", nf1, b.const(a.num("max_consecutive_errors"))));
    b.guard(
      b.binary("or", ok, b.unary("not", apply)),
      "R202",
      `apply_if_finite gave up after more than ${a.num("max_consecutive_errors")} consecutive non-finite updates`,
      "optax would now apply NaN/Inf to the params; fix the gradients or raise max_consecutive_errors",
    );
    notfinite.store(nf1);
    lastFinite.store(ok);
    total.store(b.select(ok, total.old, l.satInc(total.old)));
    const gate = l.gate === undefined ? apply : b.binary("and", l.gate, apply);
    const inner = l.with({ gate }).child(a.value("inner"), g);
    return b.select(apply, inner, b.const(0));
  },
};
