import type { Id } from "../ir/builder.js";
import type { ArgReader, Lowering } from "../lower/context.js";
import { hnode, hsub, type HostNum } from "../lower/host_num.js";
import { checks, param, type TransformDef } from "../registry/define.js";

/** Numbers, or runtime hyperparameters under inject_hyperparams. */
export interface AdamOptions {
  b1: HostNum;
  b2: HostNum;
  eps: HostNum;
  epsRoot: HostNum;
  nesterov: boolean;
}

/** A call's b1, b2, eps, eps_root, as numbers or runtime hyperparameters. */
export function adamOptions(l: Lowering, a: ArgReader, nesterov: boolean): AdamOptions {
  return { b1: l.num(a.value("b1")), b2: l.num(a.value("b2")), eps: l.num(a.value("eps")), epsRoot: l.num(a.value("eps_root")), nesterov };
}

export const adamParams = [
  param.number("b1", 0.9, { check: checks.unitOpen("b1") }),
  param.number("b2", 0.999, { check: checks.unitOpen("b2") }),
  param.number("eps", 1e-8, { check: checks.adamEps() }),
  param.number("eps_root", 0.0, { check: checks.nonNegative("eps_root") }),
  param.dtype("mu_dtype"),
];

/** Bias-corrected first moment, including the nesterov form (spec §3.8 step 4). */
export function debiasedMean(l: Lowering, mu: Id, g: Id, b1: HostNum, t: Id, nesterov: boolean): Id {
  const b = l.b;
  const bc1 = b.sub(b.const(1), b.binary("pow", hnode(b, b1), t));
  if (!nesterov) return b.div(mu, bc1);
  const bc1Next = b.sub(b.const(1), b.binary("pow", hnode(b, b1), b.add(t, b.const(1))));
  return b.add(b.div(b.mul(hnode(b, b1), mu), bc1Next), b.div(b.mul(hnode(b, hsub(b, 1, b1)), g), bc1));
}

/** mu/nu moments with bias correction; u = m̂ / (sqrt(v̂ + eps_root) + eps). */
export function lowerAdamCore(l: Lowering, o: AdamOptions, g: Id): Id {
  const b = l.b;
  const mu = l.slot("mu", { fill: 0 });
  const nu = l.slot("nu", { fill: 0 });
  const count = l.counter("count");
  const mu1 = mu.store(b.add(b.mul(hnode(b, hsub(b, 1, o.b1)), g), b.mul(hnode(b, o.b1), mu.old)));
  const nu1 = nu.store(b.add(b.mul(hnode(b, hsub(b, 1, o.b2)), b.mul(g, g)), b.mul(hnode(b, o.b2), nu.old)));
  const t = l.satInc(count.old);
  count.store(t);
  const mHat = debiasedMean(l, mu1, g, o.b1, t, o.nesterov);
  const bc2 = b.sub(b.const(1), b.binary("pow", hnode(b, o.b2), t));
  const vHat = b.div(nu1, bc2);
  return b.div(mHat, b.add(b.sqrt(b.add(vHat, hnode(b, o.epsRoot))), hnode(b, o.eps)));
}

export const def: TransformDef = {
  name: "scale_by_adam",
  category: "transform",
  module: "optax",
  doc: "Adam's moment estimates and bias correction (sign-preserving, no learning rate).",
  params: [...adamParams, param.bool("nesterov", false, { kwOnly: true })],
  lower: (l, a, g) =>
    lowerAdamCore(l, adamOptions(l, a, a.bool("nesterov")), g),
};
