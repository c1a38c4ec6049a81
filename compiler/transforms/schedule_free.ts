/**
 * optax.contrib.schedule_free(base_optimizer, learning_rate, b1, weight_lr_power): replaces the
 * base optimizer's momentum by interpolation and averaging. z (a copy of the initial params, a
 * state slot) takes the base updates; the params y the caller holds are b1·x + (1 − b1)·z with x
 * the weighted average, x = (y − (1 − b1)·z_old)/b1 recovered each step; run.evalParams() gives x
 * (schedule_free_eval_params). The scalars are optax's float32 state: max_lr, weight_sum and
 * step_count, which **starts at 1** (optax's quirk: the wrapper reads the schedule at step_count
 * while the base optimizer's own learning rate reads its own count from 0).
 */
import type { Value } from "../check/types.js";
import { error } from "../../dsl/diagnostic.js";
import type { Id } from "../ir/builder.js";
import type { Lowering } from "../lower/context.js";
import { hnode, hsub } from "../lower/host_num.js";
import { checks, param, type TransformDef, type ValidateContext } from "../registry/define.js";
import type { CallValue } from "../check/types.js";

export interface ScheduleFreeOptions {
  learningRate: Value;
  b1: Value;
  weightLrPower: number;
}

/** The wrapper around an already-lowered base update `base(g)`. */
export function lowerScheduleFree(l: Lowering, o: ScheduleFreeOptions, base: (g: Id) => Id, g: Id): Id {
  const b = l.b;
  const f32 = (x: Id) => b.f32(x);
  const y = l.params;
  const b1 = l.num(o.b1);
  const stepCount = l.counter("step_count", 1);
  const maxLr = l.counter("max_lr", 0, true);
  const weightSum = l.counter("weight_sum", 0, true);
  const lr = f32(l.schedule(o.learningRate, stepCount.old));
  const maxLr1 = f32(b.binary("max", maxLr.old, lr));
  const weight = f32(b.binary("pow", maxLr1, b.const(o.weightLrPower)));
  const total = f32(b.add(weightSum.old, weight));
  // nan_to_num(weight / total, nan=0): only 0/0 (no weight yet) is NaN for finite learning rates.
  const ck = b.select(b.binary("eq", total, b.const(0)), b.const(0), f32(b.div(weight, total)));
  maxLr.store(maxLr1);
  weightSum.store(total);
  stepCount.store(l.satInc(stepCount.old));

  const u = base(g);
  const z = l.slot("z", { copy: "params" });
  const z1 = z.store(b.add(z.old, u));
  const oneMinusB1 = hnode(b, hsub(b, 1, b1));
  const prevX = b.div(b.sub(y, b.mul(oneMinusB1, z.old)), hnode(b, b1));
  const x = b.add(b.mul(b.sub(b.const(1), ck), prevX), b.mul(ck, z1));
  const next = b.add(b.mul(hnode(b, b1), x), b.mul(oneMinusB1, z1));
  const b1Node = typeof b1 === "number" ? undefined : b.nodes[b1.node];
  l.layout.evalParams = { z: `${l.path}.z`, b1: b1Node?.op === "input" ? { input: b1Node.input } : (b1 as number) };
  return b.sub(next, y);
}

export const scheduleFreeParams = [
  param.number("b1", 0.9, { check: checks.number((x) => x > 0 && x <= 1, "b1 must be in (0, 1]: the eval params divide by it (optax requires b1 > 0)") }),
  param.number("weight_lr_power", 2.0),
  param.dtype("state_dtype"),
];

/** The params it reads are the ones the step stores: outermost (inject_hyperparams and ema_params may wrap it). */
export function validateScheduleFree(call: CallValue, context: ValidateContext): void {
  if (!context.paramsRoot) context.report(error("E306", `${call.name} must be the outermost optimizer`, call.span, "its updates move the params to b1·x + (1 − b1)·z: wrap the whole optimizer (inject_hyperparams and ema_params may wrap it)"));
}

export const def: TransformDef = {
  name: "schedule_free",
  category: "combinator",
  module: "optax.contrib",
  doc: "Schedule-Free wrapper (Defazio et al. 2024): base_optimizer's updates go to z, the params become b1·x + (1 − b1)·z with x a max_lr^weight_lr_power-weighted average; run.evalParams() gives x. Turn the base optimizer's momentum off.",
  params: [param.transform("base_optimizer"), param.learningRate(), ...scheduleFreeParams],
  validate: validateScheduleFree,
  lower: (l, a, g) =>
    lowerScheduleFree(l, { learningRate: a.value("learning_rate"), b1: a.value("b1"), weightLrPower: a.num("weight_lr_power") }, (x) => l.child(a.value("base_optimizer"), x), g),
};
