/**
 * optax.contrib.prodigy: learning-rate-free AdamW. A distance estimate d (estim_lr, float32 state,
 * from estim_lr0) scales the gradients; its update needs two sums over every element,
 * Σ g·(p0 − p) and Σ|s'|, so a step is a reduce pass and an apply pass. optax's quirk, kept: the
 * update's eps is scaled by the *new* estimate d' (optax reassigns estim_lr before the update),
 * while dlr and dg use the old d. p0 (a copy of the initial params) is a state slot.
 */
import { beta, betasParam } from "./betas.js";
import { param, checks, type TransformDef } from "../registry/define.js";
import { lowerMasked, maskArg } from "./masked.js";

export const def: TransformDef = {
  name: "prodigy",
  category: "alias",
  module: "optax.contrib",
  doc: "Prodigy (Mishchenko & Defazio 2023): AdamW whose step size d is estimated from Σg·(p0 − p) and Σ|s|; eps is scaled by the new d (as in optax). Two passes per step.",
  reduces: true,
  params: [
    param.schedule("learning_rate", 1.0),
    betasParam(),
    param.number("beta3", null, { check: checks.unitOpen("beta3") }),
    param.number("eps", 1e-8, { check: checks.guard("eps", "the first update divides by sqrt(v) + d·eps with v = 0 where a gradient is 0") }),
    param.number("estim_lr0", 1e-6, { check: checks.positive("estim_lr0") }),
    param.number("estim_lr_coef", 1.0, { check: checks.nonNegative("estim_lr_coef") }),
    param.number("weight_decay", 0.0),
    param.bool("safeguard_warmup", false),
    param.mask("weight_decay_mask"),
  ],
  lower: (l, a, g) => {
    const b = l.b;
    const c = (x: number) => b.const(x);
    const b1 = beta(a.value("betas"), 0);
    const b2 = beta(a.value("betas"), 1);
    const b3 = a.isNone("beta3") ? Math.sqrt(b2) : a.num("beta3");
    const d0 = a.num("estim_lr0");
    const m = l.slot("exp_avg", { fill: 0 });
    const v = l.slot("exp_avg_sq", { fill: 0 });
    const s = l.slot("grad_sum", { fill: 0 });
    const p0 = l.slot("params0", { copy: "params" });
    const d = l.counter("estim_lr", d0, true);
    const r = l.counter("numerator_weighted", 0, true);
    const count = l.counter("count");
    const t = l.satInc(count.old);
    count.store(t);
    const sched = l.schedule(a.value("learning_rate"), count.old);
    const bc = b.div(b.sqrt(b.sub(c(1), b.binary("pow", c(b2), t))), b.sub(c(1), b.binary("pow", c(b1), t)));
    const dlr = b.f32(b.mul(b.mul(d.old, sched), bc));
    const dg = b.mul(d.old, g);
    const numerator = b.reduce(b.mul(g, b.sub(p0.old, l.params)), "global");
    const m1 = m.store(b.add(b.mul(c(b1), m.old), b.mul(c(1 - b1), dg)));
    const v1 = v.store(b.add(b.mul(c(b2), v.old), b.mul(b.mul(c(1 - b2), dg), dg)));
    const sWeight = a.bool("safeguard_warmup") ? d.old : dlr;
    const s1 = s.store(b.add(b.mul(c(b3), s.old), b.div(b.mul(sWeight, dg), c(d0))));
    const r1 = b.f32(b.add(b.mul(c(b3), r.old), b.mul(b.mul(b.div(d.old, c(d0)), dlr), numerator)));
    r.store(r1);
    const denominator = b.reduce(b.unary("abs", s1), "global");
    const d1 = b.f32(b.binary("max", d.old, b.div(b.mul(c(a.num("estim_lr_coef")), r1), denominator)));
    d.store(d1);
    const u = b.div(b.mul(b.neg(dlr), m1), b.add(b.sqrt(v1), b.mul(d1, c(a.num("eps")))));
    const wd = a.num("weight_decay");
    if (wd === 0) return u;
    const decay = (_li: typeof l, x: number) => b.sub(x, b.mul(b.mul(c(wd), dlr), l.params));
    const mask = maskArg(a.value("weight_decay_mask"));
    return mask === undefined ? decay(l, u) : lowerMasked(l, mask, decay, u);
  },
};
