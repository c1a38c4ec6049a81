/**
 * Sharpness-Aware Minimization, optax.contrib.sam (spec §9): parameters, rules, state and
 * phases in one place. At the root of a config SAM is the whole step: it writes its phases and
 * the protocol (data in the artifact) by which the runtime picks one per step, on the host, so
 * no branch is computed and discarded (optax blends both and can leak NaN).
 *
 * Transparent mode, k = sync_period >= 2 (spec §9.3), s = steps_since_sync:
 *   adversarial_first (s = 0):     cache ← θ; θ ← θ - A(g; params θ)
 *   adversarial       (0 < s < k-1): θ ← θ - A(g; params θ)
 *   outer             (s = k-1):   θ ← θ + ((cache - θ) + O(g; params cache)); A's state re-initialised
 * Transparent k = 1 is the plain outer optimizer (port decision 1, warning W402).
 * Opaque mode (spec §9.4), one step() = one cycle; x is a scratch arena of perturbed params and
 * d the gradient the caller's gradFn returns at x:
 *   opaque_adversarial_first: x ← θ - A(g; θ);   opaque_adversarial: x ← x - A(d; x)
 *   opaque_outer: θ ← θ + O(d, or g when k = 1; params θ); A's state re-initialised
 */
import { error, warning } from "../../dsl/diagnostic.js";
import { GRADS, PARAMS } from "../../format/arena_names.js";
import type { Protocol } from "../../format/artifact.js";
import type { CallValue } from "../check/types.js";
import { Builder, type Id } from "../ir/builder.js";
import type { StepProgram } from "../ir/node.js";
import type { Ownership, PhaseContext } from "../lower/context.js";
import { checks, param, type TransformDef, type ValidateContext } from "../registry/define.js";

/** SAM's state: the true params while perturbed, the opaque cycle's scratch, and the phase counter. */
const SAM_CACHE = "sam.cache";
const SAM_PERTURBED = "sam.perturbed";
const SAM_ADV_GRADS = "sam.adv_grads";
const SAM_STEPS = "sam.steps_since_sync";

/** The phases, by name (the names the runtime reports as run.phase). */
export const SAM_PHASES = {
  adversarialFirst: "adversarial_first",
  adversarial: "adversarial",
  outer: "outer",
  opaqueCycle: "opaque_cycle",
  opaqueAdversarialFirst: "opaque_adversarial_first",
  opaqueAdversarial: "opaque_adversarial",
  opaqueOuter: "opaque_outer",
} as const;

function validate(call: CallValue, context: ValidateContext): void {
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
}

function lowerPhases(call: CallValue, ctx: PhaseContext): { phases: StepProgram[]; protocol: Protocol } {
  const { layout } = ctx;
  const num = (n: string) => (call.args[n].k === "number" ? (call.args[n] as { v: number }).v : NaN);
  const flag = (n: string) => call.args[n].k === "bool" && (call.args[n] as { v: boolean }).v;
  const k = num("sync_period");
  const opaque = flag("opaque_mode");
  const reset = flag("reset_state");
  const outer = call.args.optimizer as CallValue;
  const adv = call.args.adv_optimizer as CallValue;
  const advOwned: Ownership = { arenas: new Set(), counters: new Set() };
  const phases: StepProgram[] = [];

  const advance = (b: Builder) => {
    const s = b.counter(layout.counter(SAM_STEPS, 0, "sam"));
    const next = b.add(s, b.const(1));
    b.storeCounter(SAM_STEPS, b.select(b.binary("ge", next, b.const(k)), b.const(0), next));
  };
  /** Adversarial ascent: x + (-A(g)). */
  const ascend = (b: Builder, g: Id, x: Id) => b.f32(b.add(x, b.neg(ctx.lowerChild(b, adv, g, x, [advOwned]))));
  const resetAdversary = (b: Builder) => {
    if (!reset) return;
    for (const name of advOwned.arenas) {
      const decl = layout.arenas.find((a) => a.name === name);
      if (decl && "fill" in decl.init) b.store(name, b.const(decl.init.fill));
    }
    for (const name of advOwned.counters) b.storeCounter(name, b.const(layout.counters.find((c) => c.name === name)?.init ?? 0));
  };
  const summary = `sam, sync_period=${k}, ${opaque ? "opaque" : "transparent"}, reset_state=${reset}; the runtime picks each step's phase on the host`;
  const allReduce = opaque && call.args.batch_axis_name.k === "string";

  if (!opaque && k === 1) {
    const b = new Builder(SAM_PHASES.outer);
    const p = b.load(PARAMS);
    b.store(PARAMS, b.f32(b.add(p, ctx.lowerChild(b, outer, b.load(GRADS), p))));
    advance(b);
    phases.push(b.program());
    return { phases, protocol: { owner: "sam", step: { kind: "fixed", phase: SAM_PHASES.outer }, outerPhases: [SAM_PHASES.outer], allReduce, summary } };
  }
  if (!opaque) {
    const first = new Builder(SAM_PHASES.adversarialFirst);
    const p0 = first.load(PARAMS);
    layout.arena(SAM_CACHE, "state", { copy: "params" }, "sam");
    first.store(SAM_CACHE, p0);
    first.store(PARAMS, ascend(first, first.load(GRADS), p0));
    advance(first);
    phases.push(first.program());
    if (k > 2) {
      const b = new Builder(SAM_PHASES.adversarial);
      const p = b.load(PARAMS);
      b.store(PARAMS, ascend(b, b.load(GRADS), p));
      advance(b);
      phases.push(b.program());
    }
    const b = new Builder(SAM_PHASES.outer);
    const p = b.load(PARAMS);
    const cache = b.load(SAM_CACHE);
    const o = ctx.lowerChild(b, outer, b.load(GRADS), cache);
    // optax returns (cache - θ) + o and the caller adds θ; keep that operand order.
    b.store(PARAMS, b.f32(b.add(p, b.add(b.sub(cache, p), o))));
    resetAdversary(b);
    advance(b);
    phases.push(b.program());
    const ranges = [{ from: 0, to: 0, phase: SAM_PHASES.adversarialFirst }, ...(k > 2 ? [{ from: 1, to: k - 2, phase: SAM_PHASES.adversarial }] : []), { from: k - 1, to: k - 1, phase: SAM_PHASES.outer }];
    return {
      phases,
      protocol: { owner: "sam", step: { kind: "counted", counter: SAM_STEPS, ranges }, outerPhases: [SAM_PHASES.outer], perturbed: { counter: SAM_STEPS, trueParams: SAM_CACHE }, allReduce, summary },
    };
  }
  if (k >= 2) {
    layout.arena(SAM_PERTURBED, "scratch", { fill: 0 }, "sam");
    layout.arena(SAM_ADV_GRADS, "scratch", { fill: 0 }, "sam");
    const first = new Builder(SAM_PHASES.opaqueAdversarialFirst);
    first.store(SAM_PERTURBED, ascend(first, first.load(GRADS), first.load(PARAMS)));
    phases.push(first.program());
  }
  if (k >= 3) {
    const b = new Builder(SAM_PHASES.opaqueAdversarial);
    b.store(SAM_PERTURBED, ascend(b, b.load(SAM_ADV_GRADS), b.load(SAM_PERTURBED)));
    phases.push(b.program());
  }
  const b = new Builder(SAM_PHASES.opaqueOuter);
  const p = b.load(PARAMS);
  const d = b.load(k >= 2 ? SAM_ADV_GRADS : GRADS);
  b.store(PARAMS, b.f32(b.add(p, ctx.lowerChild(b, outer, d, p))));
  resetAdversary(b);
  phases.push(b.program());
  const cycle = {
    kind: "cycle" as const,
    name: SAM_PHASES.opaqueCycle,
    first: SAM_PHASES.opaqueAdversarialFirst,
    middle: SAM_PHASES.opaqueAdversarial,
    last: SAM_PHASES.opaqueOuter,
    evaluations: k - 1,
    perturbedParams: SAM_PERTURBED,
    gradients: SAM_ADV_GRADS,
    restoreArenas: [...advOwned.arenas],
  };
  return { phases, protocol: { owner: "sam", step: cycle, outerPhases: [SAM_PHASES.opaqueOuter], allReduce, summary } };
}

export const def: TransformDef = {
  name: "sam",
  category: "combinator",
  module: "optax.contrib",
  doc: "Sharpness-Aware Minimization: k-1 adversarial steps with adv_optimizer, then one outer step with optimizer from the cached true params.",
  params: [
    param.transform("optimizer"),
    param.transform("adv_optimizer"),
    param.int("sync_period", 2, { aliases: ["sync"], check: checks.count("sync_period") }),
    param.bool("reset_state", true),
    param.bool("opaque_mode", false),
    param.raw("batch_axis_name", { t: "optional", of: { t: "string" } }, null),
  ],
  validate,
  lowerPhases,
};
