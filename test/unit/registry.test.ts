/** Every name the spec lists resolves, with optax's argument names, order, defaults and `*` markers. */
import { describe, expect, it } from "vitest";
import { signature } from "../../compiler/check/signature.js";
import { lookup } from "../../compiler/registry/index.js";
import { compileSource } from "../../compiler/pipeline.js";
import { OPTC_VERSION } from "../../compiler/version.js";
import { readFileSync } from "node:fs";

// Written from the spec (§3-§9, §6), not from the registry.
const SIGNATURES = [
  "sgd(learning_rate, momentum=None, nesterov=False, accumulator_dtype=None)",
  "adam(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, mu_dtype=None, *, nesterov=False)",
  "nadam(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, mu_dtype=None)",
  "adamw(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, mu_dtype=None, weight_decay=0.0001, mask=None, *, nesterov=False)",
  "nadamw(learning_rate, b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, mu_dtype=None, weight_decay=0.0001, mask=None)",
  "adagrad(learning_rate, initial_accumulator_value=0.1, eps=1e-7)",
  "rmsprop(learning_rate, decay=0.9, eps=1e-8, initial_scale=0.0, eps_in_sqrt=True, centered=False, momentum=None, nesterov=False, bias_correction=False)",
  "lion(learning_rate, b1=0.9, b2=0.99, mu_dtype=None, weight_decay=0.001, mask=None)",
  "lamb(learning_rate, b1=0.9, b2=0.999, eps=0.000001, eps_root=0.0, weight_decay=0.0, mask=None)",
  "adabelief(learning_rate, b1=0.9, b2=0.999, eps=1e-16, eps_root=1e-16, weight_decay=None, weight_decay_mask=None, *, nesterov=False)",
  "adamax(learning_rate, b1=0.9, b2=0.999, eps=1e-8)",
  "scale(step_size)",
  "scale_by_learning_rate(learning_rate=None, *, flip_sign=True)",
  "scale_by_schedule(step_size_fn)",
  "trace(decay, nesterov=False, accumulator_dtype=None)",
  "ema(decay, debias=True, accumulator_dtype=None)",
  "add_decayed_weights(weight_decay=0.0, mask=None)",
  "clip(max_delta)",
  "clip_by_global_norm(max_norm)",
  "scale_by_adam(b1=0.9, b2=0.999, eps=1e-8, eps_root=0.0, mu_dtype=None, *, nesterov=False)",
  "scale_by_rms(decay=0.9, eps=1e-8, initial_scale=0.0, eps_in_sqrt=True, bias_correction=False)",
  "scale_by_stddev(decay=0.9, eps=1e-8, initial_scale=0.0, eps_in_sqrt=True, bias_correction=False)",
  "scale_by_rss(initial_accumulator_value=0.1, eps=1e-7)",
  "scale_by_lion(b1=0.9, b2=0.99, mu_dtype=None, *, mode=\"hard\", smooth_beta=1.0)",
  "scale_by_belief(b1=0.9, b2=0.999, eps=1e-16, eps_root=1e-16, *, nesterov=False)",
  "scale_by_adamax(b1=0.9, b2=0.999, eps=1e-8)",
  "scale_by_trust_ratio(min_norm=0.0, trust_coefficient=1.0, eps=0.0)",
  "normalize(eps=0.0)",
  "identity()",
  "set_to_zero()",
  "chain(*transforms)",
  "masked(inner, mask)",
  "apply_every(k=1)",
  "MultiSteps(opt, every_k_schedule, use_grad_mean=True, should_skip_update_fn=None, accumulator_dtype=None)",
  "apply_if_finite(inner, max_consecutive_errors)",
  "sam(optimizer, adv_optimizer, sync_period=2, reset_state=True, opaque_mode=False, batch_axis_name=None)",
  "constant_schedule(value)",
  "linear_schedule(init_value, end_value, transition_steps, transition_begin=0)",
  "polynomial_schedule(init_value, end_value, power, transition_steps, transition_begin=0)",
  "exponential_decay(init_value, transition_steps, decay_rate, transition_begin=0, staircase=False, end_value=None)",
  "cosine_decay_schedule(init_value, decay_steps, alpha=0.0, exponent=1.0)",
  "warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps, decay_steps, end_value=0.0, exponent=1.0)",
  "piecewise_constant_schedule(init_value, boundaries_and_scales=None)",
  "join_schedules(schedules, boundaries)",
];

describe("the catalog", () => {
  for (const sig of SIGNATURES) {
    const name = sig.slice(0, sig.indexOf("("));
    it(name, () => {
      const def = lookup(name);
      expect(def, `${name} is missing`).toBeDefined();
      expect(signature(def!)).toBe(sig);
    });
  }
  it("contrib names carry their module; sync is an alias of sync_period", () => {
    expect(lookup("sam")?.module).toBe("optax.contrib");
    expect(lookup("normalize")?.module).toBe("optax.contrib");
    expect(compileSource("sam(sgd(1), sgd(1), sync=3)").canonical).toBe("sam(sgd(1), sgd(1), sync_period=3)");
  });
  it("a learning rate may be a number or a schedule everywhere", () => {
    for (const alias of ["sgd", "adam", "nadam", "adamw", "nadamw", "adagrad", "rmsprop", "lion", "lamb", "adabelief", "adamax"]) {
      expect(compileSource(`${alias}(1e-3)`).artifact).toBeDefined();
      expect(compileSource(`${alias}(cosine_decay_schedule(1e-3, 100))`).artifact).toBeDefined();
    }
  });
  it("optax. and optax.contrib. prefixes resolve", () => {
    expect(compileSource("optax.contrib.sam(optax.sgd(0.1), optax.chain(optax.contrib.normalize(), optax.sgd(0.05)))").canonical).toBe("sam(sgd(0.1), chain(normalize(), sgd(0.05)))");
  });
  it("OPTC_VERSION matches package.json", () => {
    expect(JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version).toBe(OPTC_VERSION);
  });
});
