/** Shared fixtures: one config per catalog name, a multi-tensor model and its gradient. */
/** One config per catalog name (schedules appear as learning rates). */
export const CATALOG_CONFIGS: Record<string, string> = {
  sgd: "sgd(0.05, momentum=0.9, nesterov=true)",
  adam: "adam(0.01, eps_root=1e-8)",
  nadam: "nadam(0.01)",
  adamw: 'adamw(0.01, weight_decay=0.1, mask=["*", "!*.bias"])',
  nadamw: "nadamw(0.01, weight_decay=0.1)",
  adagrad: "adagrad(0.1)",
  rmsprop: "rmsprop(0.01, centered=true, momentum=0.9, nesterov=true)",
  lion: "lion(0.003, weight_decay=0.01)",
  lamb: "lamb(0.01, weight_decay=0.01)",
  adabelief: "adabelief(0.01, weight_decay=0.001, nesterov=true)",
  adamax: "adamax(0.01)",
  scale: "scale(-0.1)",
  scale_by_learning_rate: "scale_by_learning_rate(linear_schedule(0.1, 0.01, 5))",
  scale_by_schedule: "scale_by_schedule(exponential_decay(-0.1, 2, 0.5, staircase=true))",
  trace: "chain(trace(0.9), scale(-0.01))",
  ema: "chain(ema(0.9), scale(-0.1))",
  add_decayed_weights: "chain(add_decayed_weights(cosine_decay_schedule(0.1, 10)), scale(-0.1))",
  clip: "chain(clip(0.5), sgd(0.1))",
  clip_by_global_norm: "chain(clip_by_global_norm(1.0), sgd(0.1))",
  scale_by_adam: "chain(scale_by_adam(nesterov=true), scale(-0.01))",
  scale_by_rms: "chain(scale_by_rms(eps_in_sqrt=false, bias_correction=true), scale(-0.01))",
  scale_by_stddev: "chain(scale_by_stddev(initial_scale=1.0), scale(-0.01))",
  scale_by_rss: "chain(scale_by_rss(), scale(-0.1))",
  scale_by_lion: 'chain(scale_by_lion(mode="smooth", smooth_beta=2.0), scale(-0.01))',
  scale_by_belief: "chain(scale_by_belief(), scale(-0.01))",
  scale_by_adamax: "chain(scale_by_adamax(), scale(-0.01))",
  scale_by_trust_ratio: "chain(scale_by_adam(), scale_by_trust_ratio(min_norm=0.01, eps=1e-6), scale(-0.01))",
  normalize: "chain(normalize(), sgd(0.1))",
  normalize_by_update_norm: "chain(normalize_by_update_norm(), sgd(0.1))",
  identity: "chain(identity(), sgd(0.1))",
  set_to_zero: "set_to_zero()",
  chain: "chain(clip_by_global_norm(1.0), adamw(warmup_cosine_decay_schedule(0.0, 0.01, 2, 10), weight_decay=1e-4))",
  masked: 'chain(masked(scale_by_adam(), "*.weight"), scale(-0.01))',
  apply_every: "chain(apply_every(3), sgd(0.1))",
  MultiSteps: "MultiSteps(adam(0.01), every_k_schedule=2)",
  apply_if_finite: "apply_if_finite(adam(0.01), 3)",
  sam: "sam(adam(0.01), chain(normalize(), sgd(0.05)), sync=3)",
  constant_schedule: "sgd(constant_schedule(0.1))",
  linear_schedule: "sgd(linear_schedule(0.1, 0.0, 4, transition_begin=1))",
  polynomial_schedule: "adam(polynomial_schedule(0.1, 0.01, 2, 5))",
  exponential_decay: "sgd(exponential_decay(0.1, 2, 0.5, end_value=0.04))",
  cosine_decay_schedule: "sgd(cosine_decay_schedule(0.1, 5, alpha=0.1, exponent=2))",
  warmup_cosine_decay_schedule: "sgd(warmup_cosine_decay_schedule(0.0, 0.1, 2, 8, end_value=0.01))",
  piecewise_constant_schedule: "sgd(piecewise_constant_schedule(0.1, {2: 0.5, 4: 0.1}))",
  join_schedules: "sgd(join_schedules([constant_schedule(0.1), linear_schedule(0.1, 0.0, 3)], [2]))",
  warmup_constant_schedule: "sgd(warmup_constant_schedule(0.0, 0.1, 3))",
  warmup_exponential_decay_schedule: "sgd(warmup_exponential_decay_schedule(0.0, 0.1, 2, 2, 0.5))",
  skip_not_finite: "MultiSteps(sgd(0.1), 2, should_skip_update_fn=skip_not_finite)",
  // issue 18: the rest of optax's aliases, transforms and schedules.
  sign_sgd: "sign_sgd(0.01)",
  signum: "signum(0.01, beta=0.8)",
  scale_by_sign: "chain(scale_by_sign(), scale(-0.01))",
  amsgrad: "amsgrad(0.01, eps_root=1e-8)",
  scale_by_amsgrad: "chain(scale_by_amsgrad(bias_correction_nu=false), scale(-0.01))",
  yogi: "yogi(0.01)",
  scale_by_yogi: "chain(scale_by_yogi(initial_accumulator_value=0.1, eps_root=1e-8), scale(-0.01))",
  adamaxw: 'adamaxw(0.01, weight_decay=0.1, mask=["*", "!*.bias"])',
  adadelta: "adadelta(1.0, weight_decay=0.01)",
  scale_by_adadelta: "chain(scale_by_adadelta(rho=0.95), scale(-1.0))",
  rprop: "rprop(0.01)",
  scale_by_rprop: "chain(scale_by_rprop(0.05, eta_minus=0.4, max_step_size=0.1), scale(-1))",
  zero_nans: "chain(zero_nans(), sgd(0.1))",
  keep_params_nonnegative: "chain(sgd(0.5), keep_params_nonnegative())",
  piecewise_interpolate_schedule: 'sgd(piecewise_interpolate_schedule("cosine", 0.1, {2: 0.5, 5: 0.2}))',
  linear_onecycle_schedule: "sgd(linear_onecycle_schedule(10, 0.1))",
  cosine_onecycle_schedule: "sgd(cosine_onecycle_schedule(6, 0.1, div_factor=5.0))",
  sgdr_schedule: 'sgd(sgdr_schedule([{"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 1, "decay_steps": 3}, {"init_value": 0.05, "peak_value": 0.05, "warmup_steps": 0, "decay_steps": 4, "end_value": 0.01}]))',
  novograd: "novograd(0.01, weight_decay=0.01)",
  scale_by_novograd: "chain(scale_by_novograd(b1=0.8, eps_root=1e-8), scale(-0.01))",
  lars: 'lars(0.1, weight_decay=0.01, trust_ratio_mask="*.weight", trust_coefficient=0.01, nesterov=true)',
  fromage: "fromage(cosine_decay_schedule(0.05, 10))",
  scale_by_param_block_norm: "chain(scale_by_param_block_norm(), scale(-0.01))",
  scale_by_param_block_rms: "chain(scale_by_param_block_rms(min_scale=0.5), scale(-0.01))",
  clip_by_block_rms: "chain(clip_by_block_rms(1.0), sgd(0.1))",
  skip_large_updates: "MultiSteps(sgd(0.1), 2, should_skip_update_fn=skip_large_updates(max_squared_norm=200.0))",
  radam: "radam(0.01, threshold=4.0)",
  scale_by_radam: "chain(scale_by_radam(b2=0.8, nesterov=true), scale(-0.01))",
  adan: "adan(0.01, weight_decay=0.01)",
  scale_by_adan: "chain(scale_by_adan(eps_root=1e-8), scale(-0.01))",
  optimistic_gradient_descent: "optimistic_gradient_descent(0.01, alpha=0.5, beta=0.8)",
  scale_by_optimistic_gradient: "chain(scale_by_optimistic_gradient(), scale(-0.01))",
  optimistic_adam_v2: "optimistic_adam_v2(0.01, beta=0.5)",
  optimistic_adam: "optimistic_adam(0.01, optimism=0.02)",
  reduce_on_plateau: "chain(adam(0.01), reduce_on_plateau(factor=0.5, patience=1, cooldown=1, accumulation_size=1, min_scale=0.2))",
  ema_params: "ema_params(chain(clip_by_global_norm(1.0), adam(0.01)), 0.9)",
  adopt: "adopt(0.01, b2=0.99, nesterov=true)",
  scale_by_adopt: "chain(scale_by_adopt(use_clipping=false), scale(-0.01))",
  ademamix: 'ademamix(0.01, b3=linear_schedule(0.9, 0.999, 4), alpha=2.0, weight_decay=0.01, mask=["*", "!*.bias"])',
  scale_by_ademamix: "chain(scale_by_ademamix(b3=0.99, eps_root=1e-8), scale(-0.01))",
  simplified_ademamix: "simplified_ademamix(0.01, alpha=linear_schedule(0.0, 2.0, 5), weight_decay=0.01)",
  scale_by_simplified_ademamix: "chain(scale_by_simplified_ademamix(b1=0.9, alpha=1.0), scale(-0.01))",
  schedule_free: "schedule_free(adam(warmup_constant_schedule(0.0, 0.01, 3), b1=0.0), warmup_constant_schedule(0.0, 0.01, 3), b1=0.8)",
  schedule_free_sgd: "schedule_free_sgd(0.1, warmup_steps=2, weight_decay=0.01)",
  schedule_free_adamw: "schedule_free_adamw(0.01, b1=0.85, weight_decay=0.01)",
  prodigy: 'prodigy(0.5, betas=[0.9, 0.99], weight_decay=0.01, weight_decay_mask=["*.weight"])',
  dowg: "dowg(0.5, weight_decay=0.01)",
  scale_by_dowg: "chain(scale_by_dowg(init_estim_sq_dist=0.01), scale(-0.5))",
  cocob: "cocob(0.5, alpha=50.0, weight_decay=0.01)",
  scale_by_cocob: "chain(scale(0.5), scale_by_cocob())",
  dadapt_adamw: "dadapt_adamw(linear_schedule(1.0, 0.0, 10), betas=[0.9, 0.99], weight_decay=0.01)",
  dog: "dog(0.5, weight_decay=0.01)",
  scale_by_dog: 'chain(scale_by_dog(("learning_rate", 0.1)), scale(-0.5))',
  mechanize: "mechanize(adam(0.01), weight_decay=0.1, num_betas=3)",
  inject_hyperparams: "inject_hyperparams(chain(clip_by_global_norm(1.0), adamw(0.01, b1=0.8, weight_decay=0.1, nesterov=true), trace(0.5)))",
};

/**
 * The loss every trajectory passes to step({ loss }) (read by reduce_on_plateau, ignored by the
 * rest): it improves, then plateaus, so the scale drops within a few steps.
 */
export function plateauLoss(step: number): number {
  return Math.max(1, 4 - step) + 0.25 * (step % 2);
}

/** A model of several tensors, sizes 1, 5, 7 and 9 (none a multiple of 4). */
export function model(): Record<string, number[]> {
  const gen = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.sin(1 + i * 1.7 + k) * 2);
  return { "a.weight": gen(7, 0), "a.bias": gen(5, 1), "b.weight": gen(9, 2), "b.bias": gen(1, 3) };
}

/** A non-quadratic gradient so every transform sees changing, sign-flipping inputs. */
export function wavyGrad(p: Record<string, Float32Array>, out: Record<string, Float32Array>): void {
  for (const [k, x] of Object.entries(p)) for (let i = 0; i < x.length; i++) out[k][i] = 2 * x[i] + Math.cos(3 * x[i] + i);
}

