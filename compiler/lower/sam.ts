/**
 * SAM (optax.contrib.sam) lowered into phases. The runtime picks the phase on the host from
 * steps_since_sync, so no branch is computed and discarded (optax blends both and can leak NaN).
 *
 * Transparent mode, k = sync_period >= 2 (spec §9.3):
 *   adversarial_first (s = 0): cache ← θ; θ ← θ - A(g; params θ)
 *   adversarial (0 < s < k-1): θ ← θ - A(g; params θ)
 *   outer       (s = k-1):     θ ← θ + ((cache - θ) + O(g; params cache)); A's state re-initialised
 * Transparent k = 1 is the plain outer optimizer (port decision 1).
 * Opaque mode (spec §9.4): x is a scratch arena of perturbed params, d the gradient at x:
 *   opaque_adversarial_first: x ← θ - A(g; θ);   opaque_adversarial: x ← x - A(d; x)
 *   opaque_outer: θ ← θ + O(d or g; params θ); A's state re-initialised
 */
import { SAM_ADV_GRADS, SAM_CACHE, SAM_PERTURBED, SAM_STEPS } from "../../format/arena_names.js";
import type { Protocol } from "../../format/artifact.js";
import type { CallValue } from "../check/types.js";
import { Builder, type Id } from "../ir/builder.js";
import type { StepProgram } from "../ir/node.js";
import type { Ownership } from "./context.js";
import { GRADS, PARAMS, type Layout } from "./layout.js";
import { lowerTransform } from "./lower.js";


export function lowerSam(tree: CallValue, layout: Layout): { phases: StepProgram[]; protocol: Protocol } {
  const num = (n: string) => (tree.args[n].k === "number" ? (tree.args[n] as { v: number }).v : NaN);
  const flag = (n: string) => tree.args[n].k === "bool" && (tree.args[n] as { v: boolean }).v;
  const k = num("sync_period");
  const opaque = flag("opaque_mode");
  const reset = flag("reset_state");
  const outer = tree.args.optimizer as CallValue;
  const adv = tree.args.adv_optimizer as CallValue;
  const advOwned: Ownership = { arenas: new Set(), counters: new Set() };
  const phases: StepProgram[] = [];

  const advance = (b: Builder) => {
    const s = b.counter(layout.counter(SAM_STEPS, 0, "sam"));
    const next = b.add(s, b.const(1));
    b.storeCounter(SAM_STEPS, b.select(b.binary("ge", next, b.const(k)), b.const(0), next));
  };
  /** Adversarial ascent: x + (-A(g)). */
  const ascend = (b: Builder, g: Id, x: Id) => b.f32(b.add(x, b.neg(lowerTransform(b, layout, adv, g, x, [advOwned]))));
  const resetAdversary = (b: Builder) => {
    if (!reset) return;
    for (const name of advOwned.arenas) {
      const decl = layout.arenas.find((a) => a.name === name);
      if (decl && "fill" in decl.init) b.store(name, b.const(decl.init.fill));
    }
    for (const name of advOwned.counters) b.storeCounter(name, b.const(layout.counters.find((c) => c.name === name)?.init ?? 0));
  };

  if (!opaque && k === 1) {
    const b = new Builder("outer");
    const p = b.load(PARAMS);
    b.store(PARAMS, b.f32(b.add(p, lowerTransform(b, layout, outer, b.load(GRADS), p))));
    advance(b);
    phases.push(b.program());
  } else if (!opaque) {
    const first = new Builder("adversarial_first");
    {
      const p = first.load(PARAMS);
      layout.arena(SAM_CACHE, "state", { copy: "params" }, "sam");
      first.store(SAM_CACHE, p);
      first.store(PARAMS, ascend(first, first.load(GRADS), p));
      advance(first);
      phases.push(first.program());
    }
    if (k > 2) {
      const b = new Builder("adversarial");
      const p = b.load(PARAMS);
      b.store(PARAMS, ascend(b, b.load(GRADS), p));
      advance(b);
      phases.push(b.program());
    }
    const b = new Builder("outer");
    const p = b.load(PARAMS);
    const cache = b.load(SAM_CACHE);
    const o = lowerTransform(b, layout, outer, b.load(GRADS), cache);
    // optax returns (cache - θ) + o and the caller adds θ; keep that operand order.
    b.store(PARAMS, b.f32(b.add(p, b.add(b.sub(cache, p), o))));
    resetAdversary(b);
    advance(b);
    phases.push(b.program());
  } else {
    if (k >= 2) {
      layout.arena(SAM_PERTURBED, "scratch", { fill: 0 }, "sam");
      layout.arena(SAM_ADV_GRADS, "scratch", { fill: 0 }, "sam");
      const first = new Builder("opaque_adversarial_first");
      first.store(SAM_PERTURBED, ascend(first, first.load(GRADS), first.load(PARAMS)));
      phases.push(first.program());
    }
    if (k >= 3) {
      const b = new Builder("opaque_adversarial");
      b.store(SAM_PERTURBED, ascend(b, b.load(SAM_ADV_GRADS), b.load(SAM_PERTURBED)));
      phases.push(b.program());
    }
    const b = new Builder("opaque_outer");
    const p = b.load(PARAMS);
    const d = b.load(k >= 2 ? SAM_ADV_GRADS : GRADS);
    b.store(PARAMS, b.f32(b.add(p, lowerTransform(b, layout, outer, d, p))));
    resetAdversary(b);
    phases.push(b.program());
  }
  return {
    phases,
    protocol: {
      kind: "sam",
      syncPeriod: k,
      opaque,
      resetState: reset,
      allReduce: tree.args.batch_axis_name.k === "string",
      advArenas: [...advOwned.arenas],
      advCounters: [...advOwned.counters],
    },
  };
}
