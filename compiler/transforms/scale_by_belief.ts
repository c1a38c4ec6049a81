import type { Id } from "../ir/builder.js";
import type { Lowering } from "../lower/context.js";
import { checks, param, type TransformDef } from "../registry/define.js";
import { hnode, hsub } from "../lower/host_num.js";
import { adamOptions, debiasedMean, type AdamOptions } from "./scale_by_adam.js";

/** AdaBelief: nu tracks (g - mu')², with eps_root accumulated into the stored state. */
export function lowerBeliefCore(l: Lowering, o: AdamOptions, g: Id): Id {
  const b = l.b;
  const mu = l.slot("mu", { fill: 0 });
  const nu = l.slot("nu", { fill: 0 });
  const count = l.counter("count");
  const mu1 = mu.store(b.add(b.mul(hnode(b, hsub(b, 1, o.b1)), g), b.mul(hnode(b, o.b1), mu.old)));
  const r = b.sub(g, mu1);
  const nu1 = nu.store(b.add(b.add(b.mul(hnode(b, hsub(b, 1, o.b2)), b.mul(r, r)), b.mul(hnode(b, o.b2), nu.old)), hnode(b, o.epsRoot)));
  const t = l.satInc(count.old);
  count.store(t);
  const mHat = debiasedMean(l, mu1, g, o.b1, t, o.nesterov);
  const vHat = b.div(nu1, b.sub(b.const(1), b.binary("pow", hnode(b, o.b2), t)));
  return b.div(mHat, b.add(b.sqrt(vHat), hnode(b, o.eps)));
}

export const beliefParams = [
  param.number("b1", 0.9, { check: checks.unitOpen("b1") }),
  param.number("b2", 0.999, { check: checks.unitOpen("b2") }),
  param.number("eps", 1e-16, { check: checks.adamEps() }),
  param.number("eps_root", 1e-16, { check: checks.nonNegative("eps_root") }),
];

export const def: TransformDef = {
  name: "scale_by_belief",
  category: "transform",
  module: "optax",
  doc: "AdaBelief's scaling by the belief in the observed gradient.",
  params: [...beliefParams, param.bool("nesterov", false, { kwOnly: true })],
  lower: (l, a, g) =>
    lowerBeliefCore(l, adamOptions(l, a, a.bool("nesterov")), g),
};
