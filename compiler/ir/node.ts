/**
 * The step IR: one graph per step program. Nodes are scalars evaluated on the host
 * (float64: constants, counters, schedules, reduction results), per-segment vectors
 * (mask flags, per-tensor norms), or per-element device values. Node ids are in
 * topological order: every node's operands have smaller ids.
 */
import { aluOperands, isAlu, type AluOp } from "../../format/ops.js";

/** An IR node: a leaf (literal, counter, runtime input, reduction result, mask flag, arena element) or ALU math over node ids. */
export type NodeOp = { op: "const"; value: number } | { op: "counter"; counter: string } | { op: "input"; input: string } | { op: "reduce"; reduction: number } | { op: "maskflag"; mask: number } | { op: "load"; arena: string } | AluOp;

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
  /** Added by guardFiniteness (GPU targets): skipped by `validate: false`. */
  finiteness?: boolean;
  /** The input arenas a finiteness guard checks, params first (the refusal names the first non-finite element). */
  arenas?: string[];
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
  return isAlu(n) ? aluOperands(n as AluOp) : [];
}

const RANK_ORDER: Record<Rank, number> = { scalar: 0, segment: 1, element: 2 };
export function maxRank(ranks: Rank[]): Rank {
  let r: Rank = "scalar";
  for (const x of ranks) if (RANK_ORDER[x] > RANK_ORDER[r]) r = x;
  return r;
}
