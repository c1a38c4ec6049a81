import type { Id } from "../ir/builder.js";
import type { Lowering } from "../lower/context.js";
import { checks, param, type TransformDef } from "../registry/define.js";

export interface RmsOptions {
  decay: number;
  eps: number;
  initialScale: number;
  epsInSqrt: boolean;
  biasCorrection: boolean;
  centered: boolean;
}

export const rmsParams = [
  param.number("decay", 0.9, { check: checks.unitClosed("decay") }),
  param.number("eps", 1e-8, { check: checks.nonNegative("eps") }),
  param.number("initial_scale", 0.0),
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
  const variance = mHat === undefined ? nHat : b.sub(nHat, b.mul(mHat, mHat));
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
