import type { Id } from "../ir/builder.js";
import type { ArgReader, Lowering } from "../lower/context.js";
import { checks, param, type TransformDef } from "../registry/define.js";

export interface NovogradOptions {
  b1: number;
  b2: number;
  eps: number;
  epsRoot: number;
  weightDecay: number;
}

/**
 * NovoGrad: one ν per tensor, ν = ‖g‖² on the first step and b2·ν + (1-b2)‖g‖² after;
 * a = g / (sqrt(ν + eps_root) + eps) + wd·p; m = a on the first step, b1·m + a after (no 1-b1).
 * ν is kept in an element arena, each element of a tensor holding the tensor's ν (the state has
 * no per-tensor scalars), so every element computes the same ν from the same inputs.
 */
export function lowerNovogradCore(l: Lowering, o: NovogradOptions, g: Id): Id {
  const b = l.b;
  const mu = l.slot("mu", { fill: 0 });
  const nu = l.slot("nu", { fill: 0 });
  const count = l.counter("count");
  const t = l.satInc(count.old);
  count.store(t);
  const first = b.binary("eq", t, b.const(1));
  const sq = b.reduce(b.mul(g, g), "segment");
  const nu1 = nu.store(b.select(first, sq, b.add(b.mul(b.const(o.b2), nu.old), b.mul(b.const(1 - o.b2), sq))));
  let a = b.div(g, b.add(b.sqrt(b.add(nu1, b.const(o.epsRoot))), b.const(o.eps)));
  if (o.weightDecay !== 0) a = b.add(a, b.mul(b.const(o.weightDecay), l.params));
  return mu.store(b.select(first, a, b.add(b.mul(b.const(o.b1), mu.old), a)));
}

export function novogradParams(eps: number) {
  return [
    param.number("b1", 0.9, { check: checks.momentum("b1") }),
    param.number("b2", 0.25, { check: checks.unitClosed("b2") }),
    param.number("eps", eps, { check: checks.adamEps() }),
    param.number("eps_root", 0.0, { check: checks.nonNegative("eps_root") }),
    param.number("weight_decay", 0.0),
  ];
}

export function novogradOptions(a: ArgReader): NovogradOptions {
  return { b1: a.num("b1"), b2: a.num("b2"), eps: a.num("eps"), epsRoot: a.num("eps_root"), weightDecay: a.num("weight_decay") };
}

export const def: TransformDef = {
  name: "scale_by_novograd",
  category: "transform",
  module: "optax",
  doc: "NovoGrad's layer-wise second moment (one ν per tensor from ‖g‖²) and first moment without the 1-b1 factor.",
  reduces: true,
  params: [...novogradParams(1e-8), param.dtype("mu_dtype")],
  lower: (l, a, g) => lowerNovogradCore(l, novogradOptions(a), g),
};
