import type { Id } from "../ir/builder.js";
import type { Lowering } from "../lower/context.js";
import { checks, param, type TransformDef } from "../registry/define.js";

export interface AdamOptions {
  b1: number;
  b2: number;
  eps: number;
  epsRoot: number;
  nesterov: boolean;
}

export const adamParams = [
  param.number("b1", 0.9, { check: checks.unitOpen("b1") }),
  param.number("b2", 0.999, { check: checks.unitOpen("b2") }),
  param.number("eps", 1e-8, { check: checks.adamEps() }),
  param.number("eps_root", 0.0, { check: checks.nonNegative("eps_root") }),
  param.dtype("mu_dtype"),
];

/** Bias-corrected first moment, including the nesterov form (spec §3.8 step 4). */
export function debiasedMean(l: Lowering, mu: Id, g: Id, b1: number, t: Id, nesterov: boolean): Id {
  const b = l.b;
  const bc1 = b.sub(b.const(1), b.binary("pow", b.const(b1), t));
  if (!nesterov) return b.div(mu, bc1);
  const bc1Next = b.sub(b.const(1), b.binary("pow", b.const(b1), b.add(t, b.const(1))));
  return b.add(b.div(b.mul(b.const(b1), mu), bc1Next), b.div(b.mul(b.const(1 - b1), g), bc1));
}

/** mu/nu moments with bias correction; u = m̂ / (sqrt(v̂ + eps_root) + eps). */
export function lowerAdamCore(l: Lowering, o: AdamOptions, g: Id): Id {
  const b = l.b;
  const mu = l.slot("mu", { fill: 0 });
  const nu = l.slot("nu", { fill: 0 });
  const count = l.counter("count");
  const mu1 = mu.store(b.add(b.mul(b.const(1 - o.b1), g), b.mul(b.const(o.b1), mu.old)));
  const nu1 = nu.store(b.add(b.mul(b.const(1 - o.b2), b.mul(g, g)), b.mul(b.const(o.b2), nu.old)));
  const t = l.satInc(count.old);
  count.store(t);
  const mHat = debiasedMean(l, mu1, g, o.b1, t, o.nesterov);
  const bc2 = b.sub(b.const(1), b.binary("pow", b.const(o.b2), t));
  const vHat = b.div(nu1, bc2);
  return b.div(mHat, b.add(b.sqrt(b.add(vHat, b.const(o.epsRoot))), b.const(o.eps)));
}

export const def: TransformDef = {
  name: "scale_by_adam",
  category: "transform",
  module: "optax",
  doc: "Adam's moment estimates and bias correction (sign-preserving, no learning rate).",
  params: [...adamParams, param.bool("nesterov", false, { kwOnly: true })],
  lower: (l, a, g) =>
    lowerAdamCore(l, { b1: a.num("b1"), b2: a.num("b2"), eps: a.num("eps"), epsRoot: a.num("eps_root"), nesterov: a.bool("nesterov") }, g),
};
