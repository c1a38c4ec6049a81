/** lower(typed tree) → one StepProgram per phase, the state layout they share, and the step protocol. */
import type { Protocol } from "../../format/artifact.js";
import type { CallValue, Value } from "../check/types.js";
import { Builder } from "../ir/builder.js";
import type { StepProgram } from "../ir/node.js";
import { boundsOf, pairRuleOf } from "../registry/define.js";
import { lookup, scheduleDef, transformDef } from "../registry/index.js";
import { ArgReader, Lowering, type DefLookup, type PhaseContext } from "./context.js";
import { GRADS, Layout, PARAMS } from "./layout.js";

export interface LoweredConfig {
  layout: Layout;
  phases: StepProgram[];
  protocol: Protocol;
  /** True when the config handles non-finite gradients itself (apply_if_finite, MultiSteps skip). */
  handlesNonFinite: boolean;
}

const defs: DefLookup = {
  transform: (name) => {
    const lowerer = transformDef(name).lower;
    if (!lowerer) throw new Error(`internal: ${name} has no update (it owns the whole step)`);
    return lowerer;
  },
  schedule: (name) => scheduleDef(name).lower,
  varargs: (name) => lookup(name)?.params.find((p) => p.varargs)?.name,
  bounds: (name, param) => {
    const spec = lookup(name)?.params.find((p) => p.name === param);
    return spec ? boundsOf(spec) : undefined;
  },
  pairRule: (name, param) => {
    const spec = lookup(name)?.params.find((p) => p.name === param);
    return spec ? pairRuleOf(spec) : undefined;
  },
};

/** Lowers `t` as the transform at the root of a fresh Lowering, given grads and params nodes. */
function lowerTransform(b: Builder, layout: Layout, t: CallValue, g: number, params: number, owned: Lowering["owned"] = []): number {
  const l = new Lowering(b, layout, defs, t.path, params, undefined, undefined, owned);
  return defs.transform(t.name)(l, new ArgReader(t.args), g);
}

export function lower(tree: CallValue): LoweredConfig {
  const layout = new Layout();
  const handlesNonFinite = mentions(tree, (c) => {
    const def = lookup(c.name);
    return def !== undefined && "checksNonFinite" in def && def.checksNonFinite?.(c) === true;
  });
  const ownsStep = transformDef(tree.name).lowerPhases;
  if (ownsStep) {
    const ctx: PhaseContext = { layout, lowerChild: (b, t, g, params, owned) => lowerTransform(b, layout, t, g, params, owned) };
    return { layout, ...ownsStep(tree, ctx), handlesNonFinite };
  }
  const b = new Builder("step");
  const p = b.load(PARAMS);
  const u = lowerTransform(b, layout, tree, b.load(GRADS), p);
  b.store(PARAMS, b.f32(b.add(p, u)));
  return { layout, phases: [b.program()], protocol: { owner: "plain", step: { kind: "fixed", phase: "step" }, outerPhases: ["step"], allReduce: false, summary: "plain: one phase per step" }, handlesNonFinite };
}

function mentions(v: Value, pred: (c: CallValue) => boolean): boolean {
  if (v.k === "call") return pred(v) || Object.values(v.args).some((a) => mentions(a, pred));
  if (v.k === "list") return v.items.some((i) => mentions(i, pred));
  return false;
}
