import type { Value } from "../check/types.js";
import type { Id } from "../ir/builder.js";
import type { Lowering } from "../lower/context.js";
import { hnode } from "../lower/host_num.js";
import { param, type TransformDef } from "../registry/define.js";
import { lowerMasked, maskArg } from "./masked.js";

/** u = g + λ·p; a schedule λ uses its own count; mask limits it to some tensors. */
export function lowerDecay(l: Lowering, weightDecay: Value, mask: string[] | undefined, g: Id): Id {
  const inner = (li: Lowering, x: Id): Id => {
    const b = li.b;
    if (weightDecay.k === "number") {
      // A runtime weight decay (inject_hyperparams) keeps its term even at 0: it may be set later.
      if (weightDecay.v === 0 && weightDecay.hyper === undefined) return x;
      return b.add(x, b.mul(hnode(b, li.num(weightDecay)), li.params));
    }
    const count = li.counter("count");
    const lambda = li.schedule(weightDecay, count.old);
    count.store(li.satInc(count.old));
    return b.add(x, b.mul(lambda, li.params));
  };
  return mask === undefined ? inner(l, g) : lowerMasked(l, mask, inner, g);
}

export const def: TransformDef = {
  name: "add_decayed_weights",
  category: "transform",
  module: "optax",
  doc: "Adds weight_decay * params to the updates (decoupled weight decay).",
  params: [param.schedule("weight_decay", 0.0), param.mask("mask")],
  lower: (l, a, g) => lowerDecay(l, a.value("weight_decay"), maskArg(a.value("mask")), g),
};
