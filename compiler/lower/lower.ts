/** lower(typed tree) → one StepProgram per phase, plus the state layout they share. */
import type { Protocol } from "../../format/artifact.js";
import type { CallValue, Value } from "../check/types.js";
import { Builder } from "../ir/builder.js";
import type { StepProgram } from "../ir/node.js";
import { scheduleDef, transformDef } from "../registry/index.js";
import { ArgReader, Lowering, type DefLookup } from "./context.js";
import { GRADS, Layout, PARAMS } from "./layout.js";
import { lowerSam } from "./sam.js";

export interface LoweredConfig {
  layout: Layout;
  phases: StepProgram[];
  protocol: Protocol;
  /** True when the config handles non-finite gradients itself (apply_if_finite, MultiSteps skip). */
  handlesNonFinite: boolean;
}

export const defs: DefLookup = {
  transform: (name) => transformDef(name).lower,
  schedule: (name) => scheduleDef(name).lower,
};

/** Lowers `t` as the transform at the root of a fresh Lowering, given grads and params nodes. */
export function lowerTransform(b: Builder, layout: Layout, t: CallValue, g: number, params: number, owned: Lowering["owned"] = []): number {
  const l = new Lowering(b, layout, defs, t.path, params, undefined, undefined, owned);
  return transformDef(t.name).lower(l, new ArgReader(t.args), g);
}

export function lower(tree: CallValue): LoweredConfig {
  const layout = new Layout();
  const handlesNonFinite = mentions(tree, (c) => c.name === "apply_if_finite" || (c.name === "MultiSteps" && c.args.should_skip_update_fn?.k === "call"));
  if (tree.name === "sam") {
    const { phases, protocol } = lowerSam(tree, layout);
    return { layout, phases, protocol, handlesNonFinite };
  }
  const b = new Builder("step");
  const p = b.load(PARAMS);
  const u = lowerTransform(b, layout, tree, b.load(GRADS), p);
  b.store(PARAMS, b.f32(b.add(p, u)));
  return { layout, phases: [b.program()], protocol: { kind: "plain" }, handlesNonFinite };
}

function mentions(v: Value, pred: (c: CallValue) => boolean): boolean {
  if (v.k === "call") return pred(v) || Object.values(v.args).some((a) => mentions(a, pred));
  if (v.k === "list") return v.items.some((i) => mentions(i, pred));
  return false;
}
