/**
 * optax.contrib.scale_by_cocob (COntinuous COin Betting, Orabona & Tommasi 2017, algorithm 2):
 * per element, the largest |g| seen (L, from eps), Σ|g| (G), the reward R and −Σg (C); the params
 * move to p0 + C/(L·max(G + L, alpha·L))·(L + R), p0 the initial params (a state slot).
 */
import type { Id } from "../ir/builder.js";
import type { ArgReader, Lowering } from "../lower/context.js";
import { checks, param, type TransformDef } from "../registry/define.js";

export const cocobParams = [
  param.number("alpha", 100.0, { check: checks.positive("alpha") }),
  param.number("eps", 1e-8, { check: checks.guard("eps", "the first step divides by L·max(G + L, alpha·L) with L = eps for a zero gradient") }),
];

export function lowerCocob(l: Lowering, a: ArgReader, g: Id): Id {
  const b = l.b;
  const p = l.params;
  const p0 = l.slot("init_particles", { copy: "params" });
  const cum = l.slot("cumulative_gradients", { fill: 0 });
  const scale = l.slot("scale", { fill: a.num("eps") });
  const sub = l.slot("subgradients", { fill: 0 });
  const reward = l.slot("reward", { fill: 0 });
  const absG = b.unary("abs", g);
  const L = scale.store(b.binary("max", scale.old, absG));
  const G = sub.store(b.add(sub.old, absG));
  const R = reward.store(b.binary("max", b.sub(reward.old, b.mul(g, b.sub(p, p0.old))), b.const(0)));
  const C = cum.store(b.sub(cum.old, g));
  const bet = b.div(C, b.mul(L, b.binary("max", b.add(G, L), b.mul(b.const(a.num("alpha")), L))));
  return b.add(b.neg(p), b.add(p0.old, b.mul(bet, b.add(L, R))));
}

export const def: TransformDef = {
  name: "scale_by_cocob",
  category: "transform",
  module: "optax.contrib",
  doc: "COCOB's scaling: moves the params to p0 + C/(L·max(G + L, alpha·L))·(L + R) from per-element coin-betting state.",
  params: cocobParams,
  lower: lowerCocob,
};
