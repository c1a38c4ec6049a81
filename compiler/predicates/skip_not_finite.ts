import type { PredicateDef } from "../registry/define.js";

/** For MultiSteps(should_skip_update_fn=skip_not_finite): skip mini-steps with NaN/Inf grads. */
export const def: PredicateDef = {
  name: "skip_not_finite",
  category: "predicate",
  module: "optax",
  doc: "Skips a mini-step whose gradients contain NaN or Inf.",
  params: [],
};
