import type { Id } from "../ir/builder.js";
import type { ArgReader, Lowering } from "../lower/context.js";
import { checks, param, type TransformDef } from "../registry/define.js";

export interface AdanOptions {
  b1: number;
  b2: number;
  b3: number;
  eps: number;
  epsRoot: number;
}

/**
 * Adan: Δ = g - g_prev (0 on the first step); m = b1·m + (1-b1)g; v = b2·v + (1-b2)Δ;
 * n = b3·n + (1-b3)(g + (1-b2)Δ)²; u = (m̂ + (1-b2)·v̂) / (sqrt(n̂ + eps_root) + eps).
 */
export function lowerAdanCore(l: Lowering, o: AdanOptions, g: Id): Id {
  const b = l.b;
  const m = l.slot("m", { fill: 0 });
  const v = l.slot("v", { fill: 0 });
  const n = l.slot("n", { fill: 0 });
  const prev = l.slot("g", { fill: 0 });
  const count = l.counter("t");
  const diff = b.select(b.binary("eq", count.old, b.const(0)), b.const(0), b.sub(g, prev.old));
  const m1 = m.store(b.add(b.mul(b.const(1 - o.b1), g), b.mul(b.const(o.b1), m.old)));
  const v1 = v.store(b.add(b.mul(b.const(1 - o.b2), diff), b.mul(b.const(o.b2), v.old)));
  const sq = b.add(g, b.mul(b.const(1 - o.b2), diff));
  const n1 = n.store(b.add(b.mul(b.const(1 - o.b3), b.mul(sq, sq)), b.mul(b.const(o.b3), n.old)));
  prev.store(g);
  const t = l.satInc(count.old);
  count.store(t);
  const debias = (x: Id, beta: number) => b.div(x, b.sub(b.const(1), b.binary("pow", b.const(beta), t)));
  const u = b.add(debias(m1, o.b1), b.mul(b.const(1 - o.b2), debias(v1, o.b2)));
  return b.div(u, b.add(b.sqrt(b.add(debias(n1, o.b3), b.const(o.epsRoot))), b.const(o.eps)));
}

export function adanParams(epsRoot: number) {
  return [
    param.number("b1", 0.98, { check: checks.unitOpen("b1") }),
    param.number("b2", 0.92, { check: checks.unitOpen("b2") }),
    param.number("b3", 0.99, { check: checks.unitOpen("b3") }),
    param.number("eps", 1e-8, { check: checks.adamEps() }),
    param.number("eps_root", epsRoot, { check: checks.nonNegative("eps_root") }),
  ];
}

export function adanOptions(a: ArgReader): AdanOptions {
  return { b1: a.num("b1"), b2: a.num("b2"), b3: a.num("b3"), eps: a.num("eps"), epsRoot: a.num("eps_root") };
}

export const def: TransformDef = {
  name: "scale_by_adan",
  category: "transform",
  module: "optax",
  doc: "Adan's three moments (gradient, gradient difference, squared Nesterov-corrected gradient); keeps the previous gradient.",
  params: adanParams(0.0),
  lower: (l, a, g) => lowerAdanCore(l, adanOptions(a), g),
};
