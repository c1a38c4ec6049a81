/**
 * optax.contrib.scale_by_ademamix (AdEMAMix): Adam's bias-corrected moments plus a slow,
 * uncorrected EMA m2 (decay b3) weighted by alpha; b3 and alpha may be schedules of their own
 * count (count_m2, from 0). u = (m̂1 + alpha·m2) / (sqrt(ν̂ + eps_root) + eps).
 */
import type { Id } from "../ir/builder.js";
import type { ArgReader, Lowering } from "../lower/context.js";
import { hnode, hsub, type HostNum } from "../lower/host_num.js";
import { checks, param, type TransformDef } from "../registry/define.js";

export function ademamixParams(alpha: number) {
  return [
    param.number("b1", 0.9, { check: checks.unitOpen("b1") }),
    param.number("b2", 0.999, { check: checks.unitOpen("b2") }),
    param.schedule("b3", 0.9999, { check: checks.unitOpen("b3") }),
    param.schedule("alpha", alpha),
    param.number("eps", 1e-8, { check: checks.adamEps() }),
    param.number("eps_root", 0.0, { check: checks.nonNegative("eps_root") }),
    param.dtype("mu_dtype"),
  ];
}

export function lowerAdemamix(l: Lowering, a: ArgReader, g: Id): Id {
  const b = l.b;
  const b1: HostNum = l.num(a.value("b1"));
  const b2: HostNum = l.num(a.value("b2"));
  const m1 = l.slot("m1", { fill: 0 });
  const m2 = l.slot("m2", { fill: 0 });
  const nu = l.slot("nu", { fill: 0 });
  const count = l.counter("count");
  const countM2 = l.counter("count_m2");
  const b3 = l.schedule(a.value("b3"), countM2.old);
  const alpha = l.schedule(a.value("alpha"), countM2.old);
  const m1n = m1.store(b.add(b.mul(hnode(b, hsub(b, 1, b1)), g), b.mul(hnode(b, b1), m1.old)));
  const m2n = m2.store(b.add(b.mul(b.sub(b.const(1), b3), g), b.mul(b3, m2.old)));
  const nun = nu.store(b.add(b.mul(hnode(b, hsub(b, 1, b2)), b.mul(g, g)), b.mul(hnode(b, b2), nu.old)));
  const t = l.satInc(count.old);
  count.store(t);
  countM2.store(l.satInc(countM2.old));
  const m1Hat = b.div(m1n, b.sub(b.const(1), b.binary("pow", hnode(b, b1), t)));
  const nuHat = b.div(nun, b.sub(b.const(1), b.binary("pow", hnode(b, b2), t)));
  const den = b.add(b.sqrt(b.add(nuHat, hnode(b, l.num(a.value("eps_root"))))), hnode(b, l.num(a.value("eps"))));
  return b.div(b.add(m1Hat, b.mul(alpha, m2n)), den);
}

export const def: TransformDef = {
  name: "scale_by_ademamix",
  category: "transform",
  module: "optax.contrib",
  doc: "AdEMAMix's scaling: (m̂1 + alpha·m2) / (sqrt(ν̂ + eps_root) + eps), m2 a slow EMA (b3) without bias correction; b3 and alpha may be schedules.",
  params: ademamixParams(6.0),
  lower: lowerAdemamix,
};
