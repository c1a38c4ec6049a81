/**
 * The step IR: one graph per step program. Nodes are scalars evaluated on the host
 * (float64: constants, counters, schedules, reduction results), per-segment vectors
 * (mask flags, per-tensor norms), or per-element device values. Node ids are in
 * topological order: every node's operands have smaller ids.
 */
import type { BinaryOp, UnaryOp } from "../../runtime/ops.js";

export type NodeOp =
  | { op: "const"; value: number }
  | { op: "counter"; counter: string }
  | { op: "reduce"; reduction: number }
  | { op: "maskflag"; mask: number }
  | { op: "load"; arena: string }
  | { op: UnaryOp; a: number }
  | { op: BinaryOp; a: number; b: number }
  | { op: "select"; c: number; a: number; b: number };

export type Rank = "scalar" | "segment" | "element";

export type IrNode = NodeOp & { rank: Rank };

export interface Reduction {
  /** Element-rank node summed over each segment. */
  value: number;
  scope: "global" | "segment";
  /** Segment-rank node: only segments where it is true contribute (global scope). */
  mask?: number;
}

export interface Store {
  arena: string;
  value: number;
}

export interface CounterStore {
  counter: string;
  value: number;
}

export interface GuardDecl {
  cond: number;
  code: string;
  message: string;
  hint: string;
}

/** Everything one phase of a step does, before planning into passes. */
export interface StepProgram {
  name: string;
  nodes: IrNode[];
  reductions: Reduction[];
  stores: Store[];
  counterStores: CounterStore[];
  guards: GuardDecl[];
}

export function operands(n: NodeOp): number[] {
  if ("c" in n) return [n.c, n.a, n.b];
  if ("b" in n) return [n.a, n.b];
  if ("a" in n) return [n.a];
  return [];
}

const RANK_ORDER: Record<Rank, number> = { scalar: 0, segment: 1, element: 2 };
export function maxRank(ranks: Rank[]): Rank {
  let r: Rank = "scalar";
  for (const x of ranks) if (RANK_ORDER[x] > RANK_ORDER[r]) r = x;
  return r;
}
