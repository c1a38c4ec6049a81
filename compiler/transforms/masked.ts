import type { Id } from "../ir/builder.js";
import type { Lowering } from "../lower/context.js";
import { param, type TransformDef } from "../registry/define.js";
import { maskArg } from "./add_decayed_weights.js";

/**
 * The inner transform applies to tensors whose name matches the mask; the others pass
 * through unchanged and their inner state is never written.
 */
export function lowerMasked(l: Lowering, patterns: string[], inner: (l: Lowering, g: Id) => Id, g: Id): Id {
  const b = l.b;
  const flag = b.maskflag(l.layout.mask(l.path, patterns));
  const mask = l.mask === undefined ? flag : b.binary("and", l.mask, flag);
  const u = inner(l.with({ mask }), g);
  return b.select(flag, u, g);
}

export const def: TransformDef = {
  name: "masked",
  category: "combinator",
  module: "optax",
  doc: 'Applies inner only to tensors whose names match mask (globs, e.g. "*.weight" or ["*", "!*.bias"]).',
  params: [param.transform("inner"), param.raw("mask", { t: "mask" }, undefined)],
  lower: (l, a, g) => lowerMasked(l, maskArg(a.value("mask")) ?? [], (li, x) => li.child(a.value("inner"), x), g),
};
