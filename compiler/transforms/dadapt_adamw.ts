/**
 * optax.contrib.dadapt_adamw (D-Adaptation, Defazio & Mishchenko 2023): AdamW whose step size d
 * (estim_lr, float32 state from estim_lr0) grows with Σ g·s/(sqrt(ν) + eps) over the old state
 * and Σ|s'|. Unlike prodigy, the new d is used from the next step on, so the sums do not hold
 * this step's update back: they are read after the pass.
 */
import { beta, betasParam } from "./betas.js";
import { checks, param, type TransformDef } from "../registry/define.js";

export const def: TransformDef = {
  name: "dadapt_adamw",
  category: "alias",
  module: "optax.contrib",
  doc: "D-Adaptation AdamW (Defazio & Mishchenko 2023): learning-rate-free AdamW whose step size d is estimated from Σg·s/(sqrt(ν) + eps) and Σ|s|; use a schedule with 1.0 as its peak.",
  reduces: true,
  params: [
    param.schedule("learning_rate", 1.0),
    betasParam(),
    param.number("eps", 1e-8, { check: checks.guard("eps", "the update divides by sqrt(ν) + eps with ν = 0 where a gradient is 0") }),
    param.number("estim_lr0", 1e-6, { check: checks.positive("estim_lr0") }),
    param.number("weight_decay", 0.0),
  ],
  lower: (l, a, g) => {
    const b = l.b;
    const c = (x: number) => b.const(x);
    const b1 = beta(a.value("betas"), 0);
    const b2 = beta(a.value("betas"), 1);
    const sb2 = b2 ** 0.5;
    const eps = c(a.num("eps"));
    const m = l.slot("exp_avg", { fill: 0 });
    const v = l.slot("exp_avg_sq", { fill: 0 });
    const s = l.slot("grad_sum", { fill: 0 });
    const d = l.counter("estim_lr", a.num("estim_lr0"), true);
    const r = l.counter("numerator_weighted", 0, true);
    const count = l.counter("count");
    const t = l.satInc(count.old);
    count.store(t);
    const sched = l.schedule(a.value("learning_rate"), count.old);
    const bc = b.div(b.sqrt(b.sub(c(1), b.binary("pow", c(b2), t))), b.sub(c(1), b.binary("pow", c(b1), t)));
    const dlr = b.f32(b.mul(b.mul(d.old, sched), bc));
    const numerator = b.reduce(b.mul(g, b.div(s.old, b.add(b.sqrt(v.old), eps))), "global");
    const m1 = m.store(b.add(b.mul(c(b1), m.old), b.mul(b.mul(c(1 - b1), dlr), g)));
    const v1 = v.store(b.add(b.mul(c(b2), v.old), b.mul(b.mul(c(1 - b2), g), g)));
    const s1 = s.store(b.add(b.mul(c(sb2), s.old), b.mul(b.mul(c(1 - sb2), dlr), g)));
    const l1 = b.reduce(b.unary("abs", s1), "global");
    const r1 = b.f32(b.add(b.mul(c(sb2), r.old), b.mul(b.mul(c(1 - sb2), dlr), numerator)));
    r.store(r1);
    d.store(b.f32(b.binary("max", d.old, b.div(r1, b.mul(c(1 - sb2), l1)))));
    const decay = b.mul(b.mul(c(-a.num("weight_decay")), dlr), l.params);
    return b.sub(decay, b.div(m1, b.add(b.sqrt(v1), eps)));
  },
};
