import type { Id } from "../ir/builder.js";
import type { Lowering } from "../lower/context.js";
import { checks, param, type TransformDef } from "../registry/define.js";

export interface LionOptions {
  b1: number;
  b2: number;
  mode: string;
  smoothBeta: number;
}

/** c = (1-b1)g + b1·mu; u = sign(c) (or tanh / refined); mu' = (1-b2)g + b2·mu. */
export function lowerLionCore(l: Lowering, o: LionOptions, g: Id): Id {
  const b = l.b;
  const mu = l.slot("mu", { fill: 0 });
  const count = l.counter("count");
  const c = b.add(b.mul(b.const(1 - o.b1), g), b.mul(b.const(o.b1), mu.old));
  let u: Id;
  if (o.mode === "smooth") u = b.unary("tanh", b.mul(b.const(o.smoothBeta), c));
  else if (o.mode === "refined") u = b.select(b.binary("lt", b.unary("abs", c), b.const(1)), c, b.unary("sign", c));
  else u = b.unary("sign", c);
  mu.store(b.add(b.mul(b.const(1 - o.b2), g), b.mul(b.const(o.b2), mu.old)));
  count.store(l.satInc(count.old));
  return u;
}

export const lionParams = [
  param.number("b1", 0.9, { check: checks.unitClosed("b1") }),
  param.number("b2", 0.99, { check: checks.unitClosed("b2") }),
  param.dtype("mu_dtype"),
];

export const def: TransformDef = {
  name: "scale_by_lion",
  category: "transform",
  module: "optax",
  doc: "Lion's sign of an interpolated momentum.",
  params: [
    ...lionParams,
    param.enumOf("mode", ["hard", "smooth", "refined"], "hard", { kwOnly: true }),
    param.number("smooth_beta", 1.0, { kwOnly: true }),
  ],
  lower: (l, a, g) => lowerLionCore(l, { b1: a.num("b1"), b2: a.num("b2"), mode: a.str("mode"), smoothBeta: a.num("smooth_beta") }, g),
};
