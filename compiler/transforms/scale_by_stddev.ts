import type { TransformDef } from "../registry/define.js";
import { lowerRmsCore, rmsOptions, rmsParams } from "./scale_by_rms.js";

export const def: TransformDef = {
  name: "scale_by_stddev",
  category: "transform",
  module: "optax",
  doc: "Centered RMS: divides by sqrt(E[g²] - E[g]² + eps).",
  params: rmsParams,
  lower: (l, a, g) => lowerRmsCore(l, rmsOptions(a, true), g),
};
