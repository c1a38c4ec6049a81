import type { Id } from "../ir/builder.js";
import type { Lowering } from "../lower/context.js";
import { allOf, boolArg, checks, effectivelyZero, numArg, param, type TransformDef } from "../registry/define.js";
import type { Args, Value } from "../check/types.js";

export interface RmsOptions {
  decay: number;
  eps: number;
  initialScale: number;
  epsInSqrt: boolean;
  biasCorrection: boolean;
  centered: boolean;
}

/**
 * eps = 0 leaves the denominator sqrt(ν̂ (- μ̂²) + eps) at 0 once ν reaches 0 — at once for an
 * all-zero gradient history without initial_scale, after enough zero gradients with it (ν decays
 * by decay each step and underflows), and the centered variance is 0 for a constant gradient.
 * Only decay = 1 with initial_scale > 0 keeps ν (and the variance) at initial_scale for good.
 */
export function rmsEpsCheck(v: Value, args: Args): string | undefined {
  if (v.k !== "number") return undefined;
  if (v.v < 0) return "eps must be >= 0";
  if (!effectivelyZero(v.v) || (numArg(args, "decay") === 1 && !effectivelyZero(numArg(args, "initial_scale") ?? 0))) return undefined;
  return "eps must be > 0, at least 1.2e-38 (float32's smallest normal; GPUs flush smaller values to 0): with eps = 0 the denominator is 0 once the average of squared gradients reaches 0 (an all-zero gradient history, or a constant one when centered)";
}

/** With bias_correction the average is divided by 1 - decay^t, which is 0 for decay = 1. */
export const rmsDecayCheck = allOf(checks.unitClosed("decay"), (v: Value, args: Args) =>
  v.k === "number" && v.v === 1 && boolArg(args, "bias_correction") === true ? "decay must be < 1 with bias_correction=True: the correction divides by 1 - decay^t, which is 0 for decay = 1" : undefined,
);

export const rmsParams = [
  param.number("decay", 0.9, { check: rmsDecayCheck }),
  param.number("eps", 1e-8, { check: rmsEpsCheck }),
  param.number("initial_scale", 0.0, { check: checks.number((x) => x >= 0, "initial_scale must be >= 0: the denominator takes its square root") }),
  param.bool("eps_in_sqrt", true),
  param.bool("bias_correction", false),
];

/** RMSProp's scaling, plain (scale_by_rms) or centered (scale_by_stddev), spec §3.9-3.10. */
export function lowerRmsCore(l: Lowering, o: RmsOptions, g: Id): Id {
  const b = l.b;
  const d = o.decay;
  const mu = o.centered ? l.slot("mu", { fill: 0 }) : undefined;
  const nu = l.slot("nu", { fill: o.initialScale });
  const count = o.biasCorrection ? l.counter("count") : undefined;
  const nu1 = nu.store(b.add(b.mul(b.const(1 - d), b.mul(g, g)), b.mul(b.const(d), nu.old)));
  const mu1 = mu ? mu.store(b.add(b.mul(b.const(1 - d), g), b.mul(b.const(d), mu.old))) : undefined;
  let nHat = nu1;
  let mHat = mu1;
  if (count) {
    const t = l.satInc(count.old);
    count.store(t);
    const bc = b.sub(b.const(1), b.binary("pow", b.const(d), t));
    nHat = b.div(nu1, bc);
    if (mu1 !== undefined) mHat = b.div(mu1, bc);
  }
  // Centered: ν̂ - μ̂² is >= 0 in exact arithmetic, but ν and μ are rounded to float32 separately,
  // so it can come out slightly negative (decay=0: f32(g²) - f32(g)²), and optax's sqrt is then
  // NaN. optc clamps it at 0, which differs from optax only where optax gives NaN.
  const variance = mHat === undefined ? nHat : b.binary("max", b.sub(nHat, b.mul(mHat, mHat)), b.const(0));
  const denom = o.epsInSqrt ? b.sqrt(b.add(variance, b.const(o.eps))) : b.add(b.sqrt(variance), b.const(o.eps));
  return b.div(g, denom);
}

export function rmsOptions(a: { num(n: string): number; bool(n: string): boolean }, centered: boolean): RmsOptions {
  return {
    decay: a.num("decay"),
    eps: a.num("eps"),
    initialScale: a.num("initial_scale"),
    epsInSqrt: a.bool("eps_in_sqrt"),
    biasCorrection: a.bool("bias_correction"),
    centered,
  };
}

export const def: TransformDef = {
  name: "scale_by_rms",
  category: "transform",
  module: "optax",
  doc: "Divides by the root of an EMA of squared updates (eps inside the sqrt by default).",
  params: rmsParams,
  lower: (l, a, g) => lowerRmsCore(l, rmsOptions(a, false), g),
};
