import { param, type TransformDef } from "../registry/define.js";

export const def: TransformDef = {
  name: "ema",
  category: "transform",
  module: "optax",
  doc: "Exponential moving average of the updates; stores the un-debiased average.",
  params: [param.number("decay"), param.bool("debias", true), param.dtype("accumulator_dtype")],
  lower: (l, a, g) => {
    const b = l.b;
    const d = a.num("decay");
    const e = l.slot("ema", { fill: 0 });
    const count = l.counter("count");
    const e1 = e.store(b.add(b.mul(b.const(1 - d), g), b.mul(b.const(d), e.old)));
    const t = l.satInc(count.old);
    count.store(t);
    if (!a.bool("debias")) return e1;
    return b.div(e1, b.sub(b.const(1), b.binary("pow", b.const(d), t)));
  },
};
