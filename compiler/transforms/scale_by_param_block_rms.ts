import type { TransformDef } from "../registry/define.js";
import { minScale, segmentRms } from "./scale_by_param_block_norm.js";

export const def: TransformDef = {
  name: "scale_by_param_block_rms",
  category: "transform",
  module: "optax",
  doc: "Scales each tensor's updates by max(rms(p), min_scale), its params' root mean square.",
  reduces: true,
  params: [minScale],
  lower: (l, a, g) => l.b.mul(g, l.b.binary("max", segmentRms(l, l.params), l.b.const(a.num("min_scale")))),
};
