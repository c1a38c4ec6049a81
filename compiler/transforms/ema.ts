import { boolArg, param, type TransformDef } from "../registry/define.js";

export const def: TransformDef = {
  name: "ema",
  category: "transform",
  module: "optax",
  doc: "Exponential moving average of the updates; stores the un-debiased average.",
  params: [
    param.number("decay", undefined, {
      // Debiasing divides by 1 - decay^t: 0 for decay = 1, and every other step for decay = -1.
      check: (v, args) => {
        if (v.k !== "number") return undefined;
        const debias = boolArg(args, "debias") !== false;
        if (debias && !(v.v >= 0 && v.v < 1)) return "decay must be in [0, 1) with debias=True: the average is divided by 1 - decay^t, which is 0 for decay = 1";
        if (!debias && !(v.v >= 0 && v.v <= 1)) return "decay must be in [0, 1]: outside it the average grows geometrically until it overflows";
        return undefined;
      },
    }), param.bool("debias", true), param.dtype("accumulator_dtype")],
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
