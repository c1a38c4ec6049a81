import { checks, param, type TransformDef } from "../registry/define.js";

/** Sharpness-Aware Minimization. Lowered into phases by compiler/lower/sam.ts, not here. */
export const def: TransformDef = {
  name: "sam",
  category: "combinator",
  module: "optax.contrib",
  doc: "Sharpness-Aware Minimization: k-1 adversarial steps with adv_optimizer, then one outer step with optimizer from the cached true params.",
  params: [
    param.transform("optimizer"),
    param.transform("adv_optimizer"),
    param.int("sync_period", 2, { aliases: ["sync"], check: checks.atLeastOne("sync_period") }),
    param.bool("reset_state", true),
    param.bool("opaque_mode", false),
    param.raw("batch_axis_name", { t: "optional", of: { t: "string" } }, null),
  ],
  lower: () => {
    throw new Error("internal: sam is lowered into phases by lower/sam.ts");
  },
};
