/**
 * optax.contrib.scale_by_adopt (ADOPT): the second moment is updated after it normalises the
 * gradient (the update uses the old ν), the normalised gradient is clipped to ±count^0.25, and
 * the first step only initialises ν (b1 and b2 act as 1 and 0 at count 0, so μ stays 0).
 */
import type { Id } from "../ir/builder.js";
import type { ArgReader, Lowering } from "../lower/context.js";
import { hnode, type HostNum } from "../lower/host_num.js";
import { checks, param, type TransformDef } from "../registry/define.js";

export const adoptParams = [
  param.number("b1", 0.9, { check: checks.unitOpen("b1") }),
  param.number("b2", 0.9999, { check: checks.unitOpen("b2") }),
  param.number("eps", 1e-6, { check: checks.guard("eps", "the first update divides the gradient by max(sqrt(ν), eps) with ν = 0") }),
  param.dtype("mu_dtype"),
  param.bool("nesterov", false, { kwOnly: true }),
  param.bool("use_clipping", true, { kwOnly: true }),
];

export function lowerAdopt(l: Lowering, o: { b1: HostNum; b2: HostNum; eps: HostNum; nesterov: boolean; clipping: boolean }, g: Id): Id {
  const b = l.b;
  const mu = l.slot("mu", { fill: 0 });
  const nu = l.slot("nu", { fill: 0 });
  const count = l.counter("count");
  const started = b.binary("gt", count.old, b.const(0));
  const b1 = b.select(started, hnode(b, o.b1), b.const(1));
  const b2 = b.select(started, hnode(b, o.b2), b.const(0));
  const one = b.const(1);
  nu.store(b.add(b.mul(b.sub(one, b2), b.mul(g, g)), b.mul(b2, nu.old)));
  let normalised = b.div(g, b.binary("max", b.sqrt(nu.old), hnode(b, o.eps)));
  if (o.clipping) {
    // optax's default clip_value_fn: count ** 0.25 (0 on the first step).
    const clip = b.binary("pow", count.old, b.const(0.25));
    normalised = b.binary("min", b.binary("max", normalised, b.neg(clip)), clip);
  }
  const mu1 = mu.store(b.add(b.mul(b.sub(one, b1), normalised), b.mul(b1, mu.old)));
  count.store(l.satInc(count.old));
  return o.nesterov ? b.add(b.mul(b.sub(one, b1), normalised), b.mul(b1, mu1)) : mu1;
}

export function adoptOptions(l: Lowering, a: ArgReader) {
  return { b1: l.num(a.value("b1")), b2: l.num(a.value("b2")), eps: l.num(a.value("eps")), nesterov: a.bool("nesterov"), clipping: a.bool("use_clipping") };
}

export const def: TransformDef = {
  name: "scale_by_adopt",
  category: "transform",
  module: "optax.contrib",
  doc: "ADOPT's scaling: g / max(sqrt(ν_old), eps) clipped to ±count^0.25, then its moving average; the first step only initialises ν.",
  params: adoptParams,
  lower: (l, a, g) => lowerAdopt(l, adoptOptions(l, a), g),
};
