/** The registry: every name the language knows, built from one definition file per name. */
import type { Def, ScheduleDef, TransformDef } from "./define.js";
import { def as transforms_MultiSteps } from "../transforms/MultiSteps.js";
import { def as transforms_adabelief } from "../transforms/adabelief.js";
import { def as transforms_adagrad } from "../transforms/adagrad.js";
import { def as transforms_adam } from "../transforms/adam.js";
import { def as transforms_adamax } from "../transforms/adamax.js";
import { def as transforms_adamw } from "../transforms/adamw.js";
import { def as transforms_add_decayed_weights } from "../transforms/add_decayed_weights.js";
import { def as transforms_apply_every } from "../transforms/apply_every.js";
import { def as transforms_apply_if_finite } from "../transforms/apply_if_finite.js";
import { def as transforms_chain } from "../transforms/chain.js";
import { def as transforms_clip } from "../transforms/clip.js";
import { def as transforms_clip_by_global_norm } from "../transforms/clip_by_global_norm.js";
import { def as transforms_ema } from "../transforms/ema.js";
import { def as transforms_identity } from "../transforms/identity.js";
import { def as transforms_lamb } from "../transforms/lamb.js";
import { def as transforms_lion } from "../transforms/lion.js";
import { def as transforms_masked } from "../transforms/masked.js";
import { def as transforms_nadam } from "../transforms/nadam.js";
import { def as transforms_nadamw } from "../transforms/nadamw.js";
import { def as transforms_normalize } from "../transforms/normalize.js";
import { def as transforms_normalize_by_update_norm } from "../transforms/normalize_by_update_norm.js";
import { def as transforms_rmsprop } from "../transforms/rmsprop.js";
import { def as transforms_sam } from "../transforms/sam.js";
import { def as transforms_scale } from "../transforms/scale.js";
import { def as transforms_scale_by_adam } from "../transforms/scale_by_adam.js";
import { def as transforms_scale_by_adamax } from "../transforms/scale_by_adamax.js";
import { def as transforms_scale_by_belief } from "../transforms/scale_by_belief.js";
import { def as transforms_scale_by_learning_rate } from "../transforms/scale_by_learning_rate.js";
import { def as transforms_scale_by_lion } from "../transforms/scale_by_lion.js";
import { def as transforms_scale_by_rms } from "../transforms/scale_by_rms.js";
import { def as transforms_scale_by_rss } from "../transforms/scale_by_rss.js";
import { def as transforms_scale_by_schedule } from "../transforms/scale_by_schedule.js";
import { def as transforms_scale_by_stddev } from "../transforms/scale_by_stddev.js";
import { def as transforms_scale_by_trust_ratio } from "../transforms/scale_by_trust_ratio.js";
import { def as transforms_set_to_zero } from "../transforms/set_to_zero.js";
import { def as transforms_sgd } from "../transforms/sgd.js";
import { def as transforms_trace } from "../transforms/trace.js";
import { def as schedules_constant_schedule } from "../schedules/constant_schedule.js";
import { def as schedules_cosine_decay_schedule } from "../schedules/cosine_decay_schedule.js";
import { def as schedules_exponential_decay } from "../schedules/exponential_decay.js";
import { def as schedules_join_schedules } from "../schedules/join_schedules.js";
import { def as schedules_linear_schedule } from "../schedules/linear_schedule.js";
import { def as schedules_piecewise_constant_schedule } from "../schedules/piecewise_constant_schedule.js";
import { def as schedules_polynomial_schedule } from "../schedules/polynomial_schedule.js";
import { def as schedules_warmup_constant_schedule } from "../schedules/warmup_constant_schedule.js";
import { def as schedules_warmup_cosine_decay_schedule } from "../schedules/warmup_cosine_decay_schedule.js";
import { def as schedules_warmup_exponential_decay_schedule } from "../schedules/warmup_exponential_decay_schedule.js";
import { def as predicates_skip_not_finite } from "../predicates/skip_not_finite.js";
// issue 18: the rest of optax's aliases, transforms and schedules.
import { def as transforms_adamaxw } from "../transforms/adamaxw.js";
import { def as transforms_adadelta } from "../transforms/adadelta.js";
import { def as transforms_scale_by_adadelta } from "../transforms/scale_by_adadelta.js";
import { def as transforms_amsgrad } from "../transforms/amsgrad.js";
import { def as transforms_scale_by_amsgrad } from "../transforms/scale_by_amsgrad.js";
import { def as transforms_keep_params_nonnegative } from "../transforms/keep_params_nonnegative.js";
import { def as transforms_rprop } from "../transforms/rprop.js";
import { def as transforms_scale_by_rprop } from "../transforms/scale_by_rprop.js";
import { def as transforms_scale_by_sign } from "../transforms/scale_by_sign.js";
import { def as transforms_scale_by_yogi } from "../transforms/scale_by_yogi.js";
import { def as transforms_sign_sgd } from "../transforms/sign_sgd.js";
import { def as transforms_signum } from "../transforms/signum.js";
import { def as transforms_yogi } from "../transforms/yogi.js";
import { def as transforms_zero_nans } from "../transforms/zero_nans.js";
import { def as schedules_piecewise_interpolate_schedule } from "../schedules/piecewise_interpolate_schedule.js";
import { def as schedules_linear_onecycle_schedule } from "../schedules/linear_onecycle_schedule.js";
import { def as schedules_cosine_onecycle_schedule } from "../schedules/cosine_onecycle_schedule.js";
import { def as schedules_sgdr_schedule } from "../schedules/sgdr_schedule.js";
import { def as transforms_adan } from "../transforms/adan.js";
import { def as transforms_clip_by_block_rms } from "../transforms/clip_by_block_rms.js";
import { def as transforms_fromage } from "../transforms/fromage.js";
import { def as transforms_lars } from "../transforms/lars.js";
import { def as transforms_novograd } from "../transforms/novograd.js";
import { def as transforms_optimistic_adam } from "../transforms/optimistic_adam.js";
import { def as transforms_optimistic_adam_v2 } from "../transforms/optimistic_adam_v2.js";
import { def as transforms_optimistic_gradient_descent } from "../transforms/optimistic_gradient_descent.js";
import { def as transforms_radam } from "../transforms/radam.js";
import { def as transforms_scale_by_adan } from "../transforms/scale_by_adan.js";
import { def as transforms_scale_by_novograd } from "../transforms/scale_by_novograd.js";
import { def as transforms_scale_by_optimistic_gradient } from "../transforms/scale_by_optimistic_gradient.js";
import { def as transforms_scale_by_param_block_norm } from "../transforms/scale_by_param_block_norm.js";
import { def as transforms_scale_by_param_block_rms } from "../transforms/scale_by_param_block_rms.js";
import { def as transforms_scale_by_radam } from "../transforms/scale_by_radam.js";
import { def as predicates_skip_large_updates } from "../predicates/skip_large_updates.js";
import { def as transforms_inject_hyperparams } from "../transforms/inject_hyperparams.js";
import { def as transforms_reduce_on_plateau } from "../transforms/reduce_on_plateau.js";
import { def as transforms_ema_params } from "../transforms/ema_params.js";
import { def as transforms_scale_by_adopt } from "../transforms/scale_by_adopt.js";
import { def as transforms_adopt } from "../transforms/adopt.js";
import { def as transforms_scale_by_ademamix } from "../transforms/scale_by_ademamix.js";
import { def as transforms_ademamix } from "../transforms/ademamix.js";
import { def as transforms_scale_by_simplified_ademamix } from "../transforms/scale_by_simplified_ademamix.js";
import { def as transforms_simplified_ademamix } from "../transforms/simplified_ademamix.js";
import { def as transforms_schedule_free } from "../transforms/schedule_free.js";
import { def as transforms_schedule_free_sgd } from "../transforms/schedule_free_sgd.js";
import { def as transforms_schedule_free_adamw } from "../transforms/schedule_free_adamw.js";
import { def as transforms_prodigy } from "../transforms/prodigy.js";
import { def as transforms_scale_by_dowg } from "../transforms/scale_by_dowg.js";
import { def as transforms_dowg } from "../transforms/dowg.js";
import { def as transforms_scale_by_cocob } from "../transforms/scale_by_cocob.js";
import { def as transforms_cocob } from "../transforms/cocob.js";
import { def as transforms_dadapt_adamw } from "../transforms/dadapt_adamw.js";
import { def as transforms_scale_by_dog } from "../transforms/scale_by_dog.js";
import { def as transforms_dog } from "../transforms/dog.js";
import { def as transforms_mechanize } from "../transforms/mechanize.js";

export const DEFS: readonly Def[] = [
  transforms_MultiSteps,
  transforms_adabelief,
  transforms_adagrad,
  transforms_adam,
  transforms_adamax,
  transforms_adamw,
  transforms_add_decayed_weights,
  transforms_apply_every,
  transforms_apply_if_finite,
  transforms_chain,
  transforms_clip,
  transforms_clip_by_global_norm,
  transforms_ema,
  transforms_identity,
  transforms_lamb,
  transforms_lion,
  transforms_masked,
  transforms_nadam,
  transforms_nadamw,
  transforms_normalize,
  transforms_normalize_by_update_norm,
  transforms_rmsprop,
  transforms_sam,
  transforms_scale,
  transforms_scale_by_adam,
  transforms_scale_by_adamax,
  transforms_scale_by_belief,
  transforms_scale_by_learning_rate,
  transforms_scale_by_lion,
  transforms_scale_by_rms,
  transforms_scale_by_rss,
  transforms_scale_by_schedule,
  transforms_scale_by_stddev,
  transforms_scale_by_trust_ratio,
  transforms_set_to_zero,
  transforms_sgd,
  transforms_trace,
  schedules_constant_schedule,
  schedules_cosine_decay_schedule,
  schedules_exponential_decay,
  schedules_join_schedules,
  schedules_linear_schedule,
  schedules_piecewise_constant_schedule,
  schedules_polynomial_schedule,
  schedules_warmup_constant_schedule,
  schedules_warmup_cosine_decay_schedule,
  schedules_warmup_exponential_decay_schedule,
  predicates_skip_not_finite,
  transforms_adamaxw,
  transforms_adadelta,
  transforms_scale_by_adadelta,
  transforms_amsgrad,
  transforms_scale_by_amsgrad,
  transforms_keep_params_nonnegative,
  transforms_rprop,
  transforms_scale_by_rprop,
  transforms_scale_by_sign,
  transforms_scale_by_yogi,
  transforms_sign_sgd,
  transforms_signum,
  transforms_yogi,
  transforms_zero_nans,
  schedules_piecewise_interpolate_schedule,
  schedules_linear_onecycle_schedule,
  schedules_cosine_onecycle_schedule,
  schedules_sgdr_schedule,
  transforms_adan,
  transforms_clip_by_block_rms,
  transforms_fromage,
  transforms_lars,
  transforms_novograd,
  transforms_optimistic_adam,
  transforms_optimistic_adam_v2,
  transforms_optimistic_gradient_descent,
  transforms_radam,
  transforms_scale_by_adan,
  transforms_scale_by_novograd,
  transforms_scale_by_optimistic_gradient,
  transforms_scale_by_param_block_norm,
  transforms_scale_by_param_block_rms,
  transforms_scale_by_radam,
  predicates_skip_large_updates,
  transforms_inject_hyperparams,
  transforms_reduce_on_plateau,
  transforms_ema_params,
  transforms_scale_by_adopt,
  transforms_adopt,
  transforms_scale_by_ademamix,
  transforms_ademamix,
  transforms_scale_by_simplified_ademamix,
  transforms_simplified_ademamix,
  transforms_schedule_free,
  transforms_schedule_free_sgd,
  transforms_schedule_free_adamw,
  transforms_prodigy,
  transforms_scale_by_dowg,
  transforms_dowg,
  transforms_scale_by_cocob,
  transforms_cocob,
  transforms_dadapt_adamw,
  transforms_scale_by_dog,
  transforms_dog,
  transforms_mechanize,
];

const byName = new Map<string, Def>(DEFS.map((d) => [d.name, d]));

export function lookup(name: string): Def | undefined {
  return byName.get(name);
}

export function allNames(): string[] {
  return DEFS.map((d) => d.name);
}

export function transformDef(name: string): TransformDef {
  const d = byName.get(name);
  if (!d || d.category === "schedule" || d.category === "predicate") throw new Error(`internal: ${name} is not a transform`);
  return d;
}

export function scheduleDef(name: string): ScheduleDef {
  const d = byName.get(name);
  if (!d || d.category !== "schedule") throw new Error(`internal: ${name} is not a schedule`);
  return d;
}
