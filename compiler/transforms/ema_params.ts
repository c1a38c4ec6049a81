/**
 * ema_params(inner, decay): Polyak averaging of the params. optax has no transform for it, only
 * the helper optax.incremental_update(new, old, step_size) that users call after each
 * apply_updates; optc keeps the average as a state slot updated in the same fused pass as the
 * params: ema ← step·p' + (1 − step)·ema with step = 1 − decay, p' the params this step stores.
 * It starts as a copy of the initial params. run.emaParams() reads it, snapshots carry it.
 *
 * It must be the whole optimizer (E306): only there is p + u the params the step stores.
 */
import { EMA_PARAMS_SLOT } from "../../format/arena_names.js";
import { error } from "../../dsl/diagnostic.js";
import { checks, param, type TransformDef } from "../registry/define.js";

export const def: TransformDef = {
  name: "ema_params",
  category: "combinator",
  module: "optax",
  doc: "Keeps an exponential moving average of the params (Polyak averaging, optax.incremental_update with step_size = 1 - decay) beside inner's step: run.emaParams() reads it; must be the outermost optimizer.",
  passesUpdates: true,
  params: [param.transform("inner"), param.number("decay", 0.999, { check: checks.unitClosed("decay") })],
  validate: (call, context) => {
    if (!context.paramsRoot) context.report(error("E306", "ema_params must be the outermost optimizer", call.span, "it averages the params the step stores: wrap the whole optimizer (inject_hyperparams may wrap it), e.g. ema_params(chain(clip_by_global_norm(1.0), adam(1e-3)), 0.999)"));
  },
  lower: (l, a, g) => {
    const b = l.b;
    const u = l.child(a.value("inner"), g);
    // The very node the root stores into the params (hash-consed: computed once).
    const next = b.f32(b.add(l.params, u));
    const step = 1 - a.num("decay");
    const ema = l.slot(EMA_PARAMS_SLOT, { copy: "params" });
    ema.store(b.add(b.mul(b.const(step), next), b.mul(b.const(1 - step), ema.old)));
    return u;
  },
};
