/**
 * A host scalar a lowering computes with: a number known at compile time, or a node (a runtime
 * hyperparameter, compiler/transforms/inject_hyperparams.ts). Arithmetic on two numbers stays
 * JavaScript float64 arithmetic and adds no IR node, so a config without runtime
 * hyperparameters lowers to exactly the IR it always did; with a node it is host IR math, which
 * the runtime evaluates in the same float64.
 */
import type { Builder, Id } from "../ir/builder.js";

export type HostNum = number | { node: Id };

/** The value as an IR node (a constant, or the node itself). */
export function hnode(b: Builder, x: HostNum): Id {
  return typeof x === "number" ? b.const(x) : x.node;
}

export function hsub(b: Builder, x: HostNum, y: HostNum): HostNum {
  return typeof x === "number" && typeof y === "number" ? x - y : { node: b.sub(hnode(b, x), hnode(b, y)) };
}

export function hmul(b: Builder, x: HostNum, y: HostNum): HostNum {
  return typeof x === "number" && typeof y === "number" ? x * y : { node: b.mul(hnode(b, x), hnode(b, y)) };
}

export function hneg(b: Builder, x: HostNum): HostNum {
  return typeof x === "number" ? -x : { node: b.neg(x.node) };
}
