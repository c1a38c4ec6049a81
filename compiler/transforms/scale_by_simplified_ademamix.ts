/**
 * optax.contrib.scale_by_simplified_ademamix: m = g + b1·m (no (1 − b1)); n = lerp(b2, g², n)
 * = g² + b2·(n − g²), optax's exact form; u = (m + alpha·g) / (sqrt(n̂ + eps_root) + eps) with
 * n̂ bias-corrected and alpha a number or a schedule of the count before the step.
 */
import type { Id } from "../ir/builder.js";
import type { ArgReader, Lowering } from "../lower/context.js";
import { hnode } from "../lower/host_num.js";
import { checks, param, type TransformDef } from "../registry/define.js";

export const simplifiedAdemamixParams = [
  param.number("b1", 0.99, { check: checks.momentum("b1") }),
  param.number("b2", 0.95, { check: checks.unitOpen("b2") }),
  param.schedule("alpha", 0.0),
  param.number("eps", 1e-8, { check: checks.adamEps() }),
  param.number("eps_root", 0.0, { check: checks.nonNegative("eps_root") }),
];

export function lowerSimplifiedAdemamix(l: Lowering, a: ArgReader, g: Id): Id {
  const b = l.b;
  const b1 = hnode(b, l.num(a.value("b1")));
  const b2 = hnode(b, l.num(a.value("b2")));
  const m = l.slot("m", { fill: 0 });
  const n = l.slot("n", { fill: 0 });
  const count = l.counter("t");
  const alpha = l.schedule(a.value("alpha"), count.old);
  const m1 = m.store(b.add(g, b.mul(b1, m.old)));
  const g2 = b.mul(g, g);
  const n1 = n.store(b.add(g2, b.mul(b2, b.sub(n.old, g2))));
  const t = l.satInc(count.old);
  count.store(t);
  const nHat = b.div(n1, b.sub(b.const(1), b.binary("pow", b2, t)));
  const den = b.add(b.sqrt(b.add(nHat, hnode(b, l.num(a.value("eps_root"))))), hnode(b, l.num(a.value("eps"))));
  return b.div(b.add(m1, b.mul(alpha, g)), den);
}

export const def: TransformDef = {
  name: "scale_by_simplified_ademamix",
  category: "transform",
  module: "optax.contrib",
  doc: "Simplified AdEMAMix's scaling: (m + alpha·g) / (sqrt(n̂ + eps_root) + eps), m = g + b1·m, n = lerp(b2, g², n).",
  params: simplifiedAdemamixParams,
  lower: lowerSimplifiedAdemamix,
};
