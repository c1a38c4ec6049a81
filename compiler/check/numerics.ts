/**
 * Numeric refusals at check time. The rule: every config the checker accepts has no reachable
 * non-finite step for finite inputs (any finite gradients, any step up to the int32 counters'
 * 2^31-1), except where a finite value overflows float32 when it is stored — that depends on the
 * data (huge gradients, or a huge hyperparameter times moderate ones) and is the runtime's to
 * refuse. Everything else that can give NaN or Inf is refused here, the caret on the argument:
 *
 * Representable numbers
 * - E106 (dsl): a literal that overflows float64 (`1e999`); E109 (dsl): a literal written non-zero
 *   that float64 reads as 0 (`1e-400`).
 * - E308 (conform.ts): a float hyperparameter (a `number` parameter, or a number given for a
 *   schedule) beyond float32's range, |x| > 3.4028235e38 (`sgd(1e308)`, `scale(1e39)`):
 *   optax holds hyperparameters in float32, where it is Inf. An integer (step counts,
 *   boundaries) beyond 2^53 is E308 too: it is not a whole number any more.
 * - E308 (check.ts): a schedule given as a hyperparameter must stay within float32's range, and
 *   never be NaN, at every count 0..2^31-1 (from each schedule's `range`): exponential_decay with
 *   decay_rate > 1 and no end_value (`exponential_decay(1.0, 2, 2.0)` is Inf by count 2,048 and
 *   beyond float32 by 256), init_value 0 times such a growth (NaN), a piecewise product that
 *   overflows, a cosine alpha that takes the value past float32.
 * - Counts compared with int32 counters must fit in int32 (E302): sam's sync_period, apply_every's
 *   k, MultiSteps' every_k_schedule in [1, 2^31-1]; apply_if_finite's max_consecutive_errors in
 *   [0, 2^31-1]. Schedule lengths (transition_steps, decay_steps, boundaries) may exceed int32,
 *   as optax's float conversion allows (spec §6.5): the count saturates and the schedule never
 *   ends.
 * Denominators that can be 0 (E302). An eps below 1.2e-38 (float32's smallest normal) counts as 0
 * here, since the GPU targets flush subnormals to 0.
 * - scale_by_adam, adam, adamw, nadam, nadamw, lamb: eps and eps_root both 0: m̂/(sqrt(v̂+eps_root)+eps)
 *   is 0/0 for an all-zero gradient history.
 * - scale_by_belief, adabelief: the same (v̂ also decays to 0 for a constant gradient).
 * - scale_by_rms, scale_by_stddev, rmsprop: eps = 0, unless decay = 1 and initial_scale > 0 (the
 *   only case where ν never reaches 0: with decay < 1 it decays to 0 under zero gradients, and the
 *   centered variance is 0 for a constant gradient); initial_scale < 0 (sqrt of a negative).
 * - scale_by_adamax, adamax: eps = 0 (max(|g| + eps, b2·ν) is 0 for zero gradients).
 * - normalize_by_update_norm: eps = 0 (g / (‖g‖ + eps)). normalize keeps optax's eps = 0 and
 *   refuses a zero-norm step at run time (R203); a non-zero eps below 1.2e-38 is refused.
 * - Not refused, because they cannot divide by 0: scale_by_rss/adagrad with eps = 0 and
 *   initial_accumulator_value = 0 (the update is 0 where the sum of squares is 0, as optax),
 *   scale_by_trust_ratio (ratio 1 when either norm is 0, as optax; optc selects it the same way),
 *   clip_by_global_norm (max_norm > 0 already).
 * - Centered RMS (scale_by_stddev, rmsprop(centered=True)): ν̂ - μ̂² is clamped at 0 in the
 *   lowering; rounding ν and μ to float32 separately can make it slightly negative (decay = 0
 *   always risks it), where optax's sqrt gives NaN. Results differ from optax only there.
 * Bias corrections 1 - β^t that can be 0 (E302)
 * - ema with debias=True: decay in [0, 1) (decay = 1 gives 0/0, decay = -1 divides by 0 every other
 *   step); without debias: decay in [0, 1] (outside it the average grows geometrically).
 * - scale_by_rms, scale_by_stddev, rmsprop with bias_correction=True: decay < 1.
 * - Adam's, AdaBelief's and Adamax's b1, b2 are in [0, 1) already.
 * Unbounded growth (E302)
 * - trace's decay, sgd's and rmsprop's momentum in [-1, 1]: a larger |decay| grows the trace
 *   geometrically for a constant gradient until it overflows.
 * Schedules (E302)
 * - exponential_decay, warmup_exponential_decay_schedule: decay_rate >= 0 (a negative rate to a
 *   fractional power is NaN; 0 is optax's constant init_value).
 * - polynomial_schedule: power >= 0 when transition_begin + transition_steps is within int32 (the
 *   base 1 - c/steps reaches 0 there, and 0 to a negative power is Inf).
 * - cosine_decay_schedule, warmup_cosine_decay_schedule: exponent >= 0 (the cosine factor
 *   reaches 0 at the end of the decay).
 * - warmup_constant_schedule, warmup_exponential_decay_schedule: warmup_steps >= 0 (as
 *   warmup_cosine_decay_schedule already); transition_steps > 0 and decay_steps > 0 as before
 *   (optax warns and holds init_value for transition_steps <= 0; optc has always refused it).
 * - join_schedules: boundaries >= 0 and strictly increasing (a schedule between two equal or
 *   decreasing boundaries is never used).
 * - piecewise_constant_schedule: scales >= 0 (optax), and the running product within float32
 *   (the E308 schedule rule).
 * - MultiSteps' every_k_schedule: a whole number in [1, 2^31-1]; a schedule's lower bound must be
 *   >= 1 (`constant_schedule(0)`, `linear_schedule(4, 0, 100)`: mini_step mod k is NaN for k = 0).
 *   A schedule with fractional values >= 1 is accepted, as optax does.
 */
import { error, type Diagnostic, type Span } from "../../dsl/diagnostic.js";
import type { Range } from "../registry/define.js";
export { hull, union } from "../registry/define.js";
import { lookup } from "../registry/index.js";
import type { Value } from "./types.js";

import { FLT_MAX } from "../registry/define.js";
export { FLT_MAX, FLT_MIN_NORMAL, INT32_MAX } from "../registry/define.js";

/** Bounds on the values of a schedule (or a constant number) over all counts 0..2^31-1. */
export function scheduleRange(v: Value): Range {
  if (v.k === "number") return { lo: v.v, hi: v.v };
  if (v.k === "call") {
    const def = lookup(v.name);
    if (def?.category === "schedule") return def.range(v.args, scheduleRange);
  }
  return { lo: NaN, hi: NaN };
}

/** Why a float hyperparameter is not representable in float32, or undefined. */
export function float32Problem(x: number): string | undefined {
  return Math.abs(x) > FLT_MAX ? `${x} is beyond float32's range (at most 3.4028235e38 in magnitude), where optimizer hyperparameters live` : undefined;
}

/** Why an integer parameter is not a whole number float64 holds exactly, or undefined. */
export function integerProblem(x: number): string | undefined {
  return Math.abs(x) > Number.MAX_SAFE_INTEGER ? `${x} is too large to be an exact whole number (at most 2^53 - 1)` : undefined;
}

/** E308 for a schedule given as a hyperparameter whose values leave float32's range, or undefined. */
export function scheduleRangeProblem(v: Value, span: Span): Diagnostic | undefined {
  if (v.k !== "call" || v.category !== "schedule") return undefined;
  const r = scheduleRange(v);
  if (Number.isNaN(r.lo) || Number.isNaN(r.hi)) {
    return error("E308", `${v.name} reaches a value that is not a number (NaN) within 2^31-1 steps`, span, "check its arguments: e.g. 0 times a growth that overflows");
  }
  const worst = Math.abs(r.lo) > Math.abs(r.hi) ? r.lo : r.hi;
  if (Math.abs(worst) > FLT_MAX) {
    return error("E308", `${v.name} reaches ${worst} within 2^31-1 steps, beyond float32's range (3.4028235e38)`, span, "bound it, e.g. exponential_decay(..., end_value=...), or use a smaller rate");
  }
  return undefined;
}
