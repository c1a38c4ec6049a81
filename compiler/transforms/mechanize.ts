/**
 * optax.contrib.mechanize (Mechanic, Cutkosky et al. 2023): learns the scale of base_optimizer's
 * updates. Per step, with x0 the params of the first step (a state slot, re-taken while count is
 * 0 as optax does, so params replaced between init and the first step count) and S = Σs:
 *   g' = g + weight_decay·S·‖g‖/(‖p‖ + eps)·p,  Δ = (x0 − p)/(S + eps),  h = ⟨g', Δ⟩,
 * then for each of num_betas accumulators (βᵢ = 1 − 0.1^i, rounded to float32 as optax's array is)
 *   m = max(βm, |h| + eps), v = β²v + h², r = βr + clamp(h, −m_old, m_old)·s_old,
 *   s = (s_init/n·m + max(0, r))/(sqrt(v) + eps),
 * and the params move to x0 − Σs'·(Δ − u), u the base update of the raw gradients. ‖g‖ and ‖p‖
 * are one reduce pass, h (which needs them) a second, the params an apply pass. m, v, r and s are
 * float32 state, one real counter per accumulator (`m.0` … `m.5`): optax's length-n vectors.
 */
import type { Id } from "../ir/builder.js";
import { checks, param, type TransformDef } from "../registry/define.js";

/** More accumulators add nothing new: from i = 8 on, 1 − 0.1^i rounds to 1.0 in float32. */
export const MAX_BETAS = 32;

export const def: TransformDef = {
  name: "mechanize",
  category: "combinator",
  module: "optax.contrib",
  doc: "Mechanic (Cutkosky et al. 2023): learns the scale s of base_optimizer's updates from num_betas accumulators (βᵢ = 1 − 0.1^i), with a weight decay of its own; x0 is a copy of the first step's params. Three passes per step.",
  reduces: true,
  params: [
    param.transform("base_optimizer"),
    param.number("weight_decay", 1e-2, { check: checks.nonNegative("weight_decay") }),
    param.number("eps", 1e-8, { check: checks.guard("eps", "the first step divides by ‖p‖ + eps, S + eps and sqrt(v) + eps, each 0 for zero params and gradients") }),
    param.number("s_init", 1e-6, { check: checks.positive("s_init") }),
    param.int("num_betas", 6, {
      check: checks.number((x) => x >= 1 && x <= MAX_BETAS, `num_betas must be in [1, ${MAX_BETAS}]: from 8 on 1 − 0.1^i rounds to 1.0 in float32, so more accumulators only repeat the last one`),
    }),
  ],
  lower: (l, a, g) => {
    const b = l.b;
    const c = (x: number) => b.const(x);
    const f32 = (x: Id) => b.f32(x);
    const p = l.params;
    const wd = a.num("weight_decay");
    const eps = a.num("eps");
    const sInit = a.num("s_init");
    const n = a.num("num_betas");
    const sum = (xs: Id[]) => xs.reduce((acc, x) => b.add(acc, x));

    const u = l.child(a.value("base_optimizer"), g);
    const count = l.counter("count");
    const first = b.binary("eq", count.old, c(0));
    count.store(l.satInc(count.old));
    const x0Slot = l.slot("x0", { copy: "params" });
    const x0 = x0Slot.store(b.select(first, p, x0Slot.old));

    const acc = Array.from({ length: n }, (_, i) => ({
      beta: Math.fround(1 - 0.1 ** (i + 1)),
      m: l.counter(`m.${i}`, 0, true),
      v: l.counter(`v.${i}`, 0, true),
      r: l.counter(`r.${i}`, 0, true),
      s: l.counter(`s.${i}`, Math.fround(sInit), true),
    }));
    const sSum = sum(acc.map((x) => x.s.old));
    const gradNorm = l.globalNorm(g);
    const paramNorm = l.globalNorm(p);
    const decayed = b.add(g, b.mul(b.div(b.mul(b.mul(c(wd), sSum), gradNorm), b.add(paramNorm, c(eps))), p));
    const deltaPrev = b.div(b.sub(x0, p), b.add(sSum, c(eps)));
    const delta = b.sub(deltaPrev, u);
    const h = b.reduce(b.mul(decayed, deltaPrev), "global", l.mask);
    const absH = b.add(b.unary("abs", h), c(eps));
    const s1 = acc.map(({ beta, m, v, r, s }) => {
      const clipped = b.binary("min", b.binary("max", h, b.neg(m.old)), m.old);
      const m1 = f32(b.binary("max", b.mul(c(beta), m.old), absH));
      const v1 = f32(b.add(b.mul(c(beta * beta), v.old), b.mul(h, h)));
      const r1 = f32(b.add(b.mul(c(beta), r.old), b.mul(clipped, s.old)));
      const wealth = b.add(b.mul(c(sInit / n), m1), b.binary("max", c(0), r1));
      const next = f32(b.div(wealth, b.add(b.sqrt(v1), c(eps))));
      m.store(m1);
      v.store(v1);
      r.store(r1);
      s.store(next);
      return next;
    });
    return b.sub(b.sub(x0, b.mul(sum(s1), delta)), p);
  },
};
