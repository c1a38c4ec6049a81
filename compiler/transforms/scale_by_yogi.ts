import type { Id } from "../ir/builder.js";
import type { Lowering } from "../lower/context.js";
import { checks, param, type TransformDef } from "../registry/define.js";

/**
 * Yogi: m and v both start at initial_accumulator_value; v' = v - (1-b2)·sign(v - g²)·g²
 * (additive, so v only moves by (1-b2)·g² a step); u = m̂ / (sqrt(v̂ + eps_root) + eps).
 */
export function lowerYogiCore(l: Lowering, b1: number, b2: number, eps: number, epsRoot: number, initial: number, g: Id): Id {
  const b = l.b;
  const mu = l.slot("mu", { fill: initial });
  const nu = l.slot("nu", { fill: initial });
  const count = l.counter("count");
  const g2 = b.mul(g, g);
  const mu1 = mu.store(b.add(b.mul(b.const(1 - b1), g), b.mul(b.const(b1), mu.old)));
  const nu1 = nu.store(b.sub(nu.old, b.mul(b.mul(b.const(1 - b2), b.unary("sign", b.sub(nu.old, g2))), g2)));
  const t = l.satInc(count.old);
  count.store(t);
  const mHat = b.div(mu1, b.sub(b.const(1), b.binary("pow", b.const(b1), t)));
  const vHat = b.div(nu1, b.sub(b.const(1), b.binary("pow", b.const(b2), t)));
  return b.div(mHat, b.add(b.sqrt(b.add(vHat, b.const(epsRoot))), b.const(eps)));
}

export const yogiMoments = [param.number("b1", 0.9, { check: checks.unitOpen("b1") }), param.number("b2", 0.999, { check: checks.unitOpen("b2") })];

/** eps as optax's yogi: 1e-3, and with eps_root not both 0 (an all-zero history would give 0/0). */
export const yogiEps = param.number("eps", 1e-3, { check: checks.adamEps() });

export const def: TransformDef = {
  name: "scale_by_yogi",
  category: "transform",
  module: "optax",
  doc: "Yogi's additive second-moment update; both moments start at initial_accumulator_value.",
  params: [
    ...yogiMoments,
    yogiEps,
    param.number("eps_root", 0.0, { check: checks.nonNegative("eps_root") }),
    param.number("initial_accumulator_value", 1e-6, {
      check: checks.number((x) => x >= 0, "initial_accumulator_value must be >= 0: a negative v can stay negative, and its square root is NaN"),
    }),
  ],
  lower: (l, a, g) => lowerYogiCore(l, a.num("b1"), a.num("b2"), a.num("eps"), a.num("eps_root"), a.num("initial_accumulator_value"), g),
};
