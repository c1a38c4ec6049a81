import { error, warning } from "../../dsl/diagnostic.js";
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
  validate(call, context) {
    if (!context.isRoot) {
      context.report(error("E306", "sam must be the outermost optimizer", call.span, "put other transforms inside its optimizer or adv_optimizer, e.g. sam(chain(clip_by_global_norm(1.0), sgd(0.1)), ...)"));
      context.skipNestedCalls();
      return;
    }
    const k = call.args.sync_period;
    const opaque = call.args.opaque_mode;
    if (k?.k === "number" && k.v === 1 && opaque?.k === "bool" && !opaque.v) {
      context.report(
        warning("W402", "sam with sync_period=1 in transparent mode runs the plain outer optimizer", k.span, "optax's current code diverges here (it re-bases on the previous params); optc follows the paper"),
      );
    }
    const axis = call.args.batch_axis_name;
    if (axis?.k === "string" && opaque?.k === "bool" && !opaque.v) {
      context.report(warning("W403", "batch_axis_name is ignored in transparent mode", axis.span, "set opaque_mode=true to all-reduce the adversarial gradients"));
    }
  },
};
