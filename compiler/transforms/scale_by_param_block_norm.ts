import type { Id } from "../ir/builder.js";
import type { Lowering } from "../lower/context.js";
import { checks, param, type TransformDef } from "../registry/define.js";

/** Elements per tensor: params are finite at every step (the runtime refuses others, R206), so isfinite(p) sums to the size. */
export function segmentSize(l: Lowering): Id {
  return l.b.reduce(l.b.unary("isfinite", l.params), "segment");
}

/** Per tensor: sqrt(mean(x²)). */
export function segmentRms(l: Lowering, x: Id): Id {
  const b = l.b;
  return b.sqrt(b.div(b.reduce(b.mul(x, x), "segment"), segmentSize(l)));
}

export const minScale = param.number("min_scale", 1e-3, { check: checks.nonNegative("min_scale") });

export const def: TransformDef = {
  name: "scale_by_param_block_norm",
  category: "transform",
  module: "optax",
  doc: "Scales each tensor's updates by max(‖p‖, min_scale), its params' L2 norm.",
  reduces: true,
  params: [minScale],
  // optax's safe_norm: min_scale where the norm is <= min_scale, else the norm.
  lower: (l, a, g) => l.b.mul(g, l.b.binary("max", l.segmentNorm(l.params), l.b.const(a.num("min_scale")))),
};
