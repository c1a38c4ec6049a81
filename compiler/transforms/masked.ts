import type { Id } from "../ir/builder.js";
import type { Lowering } from "../lower/context.js";
import { param, type TransformDef } from "../registry/define.js";
import type { Value } from "../check/types.js";

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

/** A mask argument's glob patterns (a string or a list of strings, as the checker allows), or undefined for None. */
export function maskArg(v: Value): string[] | undefined {
  if (v.k === "string") return [v.v];
  if (v.k === "list") {
    return v.items.map((i) => {
      if (i.k !== "string") throw new Error("internal: a mask list holds a non-string (the checker allows none)");
      return i.v;
    });
  }
  return undefined;
}

export const def: TransformDef = {
  name: "masked",
  category: "combinator",
  module: "optax",
  doc: 'Applies inner only to tensors whose names match mask (globs, e.g. "*.weight" or ["*", "!*.bias"]).',
  params: [param.transform("inner"), param.raw("mask", { t: "mask" }, undefined)],
  lower: (l, a, g) => lowerMasked(l, maskArg(a.value("mask")) ?? [], (li, x) => li.child(a.value("inner"), x), g),
};
