import { checks, param, type TransformDef } from "../registry/define.js";
import { segmentRms } from "./scale_by_param_block_norm.js";

export const def: TransformDef = {
  name: "clip_by_block_rms",
  category: "transform",
  module: "optax",
  doc: "Per tensor: u / max(1, rms(u) / threshold), so no tensor's update RMS exceeds threshold.",
  reduces: true,
  params: [param.number("threshold", undefined, { check: checks.positive("threshold") })],
  lower: (l, a, g) => {
    const b = l.b;
    return b.div(g, b.binary("max", b.const(1), b.div(segmentRms(l, g), b.const(a.num("threshold")))));
  },
};
