/**
 * The finiteness guard as IR, for the GPU targets: where the JS target checks params and
 * gradients with a scan and keeps backups of what it overwrites, a GPU step must decide on the
 * device, before any store, whether it would be refused. So the check becomes reductions and
 * guards like any other: per checked input arena, the count of its non-finite elements (R206 for
 * params, R201 for gradients), and the count of non-finite float32 values the step would store
 * (R207). The fuser then puts every store after them; the input counts share the first pass
 * with whatever else reads the inputs, and the stored-value count is one pass that recomputes the
 * values without storing them (a "check-only" kernel, which `validate: false` skips).
 */
import { GRADS, PARAMS } from "../../format/arena_names.js";
import type { GuardDecl, IrNode, Reduction, StepProgram } from "../ir/node.js";

const HINT_GRADS = "params and state are unchanged; wrap the optimizer in apply_if_finite(..., max_consecutive_errors=N) to skip such steps";

/**
 * The guard over the step's inputs: one count over params and gradients together (one
 * accumulator in the kernel, the cheapest check). Which of them held the non-finite value is
 * decided when the refusal is reported: a refused step leaves the params as they were, so if
 * they are finite then, it was the gradients (R201); otherwise R206.
 */
function inputGuard(arenas: string[]): Omit<GuardDecl, "cond"> {
  if (arenas.length === 1 && arenas[0] === PARAMS) return { code: "R206", message: "the params contain NaN or Inf", hint: "params and state are unchanged; the params were already non-finite before this step (set them again, or loadState() a saved snapshot)", finiteness: true, arenas };
  const grads = arenas.includes(GRADS) ? "the gradients" : "gradFn's gradients";
  return { code: "R201", message: `${grads} contain NaN or Inf`, hint: HINT_GRADS, finiteness: true, arenas };
}

const STORED: Omit<GuardDecl, "cond"> = {
  code: "R207",
  message: "the step would store NaN or Inf (a float32 overflow, or 0/0 the checker could not rule out)",
  hint: "params and state are unchanged; lower the learning rate, clip the gradients (clip_by_global_norm), or wrap the optimizer in apply_if_finite",
  finiteness: true,
};

/** `prog` with the finiteness reductions and guards added; `inputs` are the arenas a guarded run refuses when non-finite. */
export function guardFiniteness(prog: StepProgram, inputs: readonly string[]): StepProgram {
  const nodes: IrNode[] = [...prog.nodes];
  const reductions: Reduction[] = [...prog.reductions];
  const add = (n: IrNode): number => nodes.push(n) - 1;
  const zero = add({ op: "const", value: 0, rank: "scalar" });
  const one = add({ op: "const", value: 1, rank: "scalar" });
  /** A guard that holds when no element of `value` (1 per non-finite element) is counted. */
  const noneCounted = (value: number, decl: Omit<GuardDecl, "cond">): GuardDecl => {
    const reduction = reductions.push({ value, scope: "global" }) - 1;
    const count = add({ op: "reduce", reduction, rank: "scalar" });
    return { ...decl, cond: add({ op: "eq", a: count, b: zero, rank: "scalar" }) };
  };
  const nonFinite = (value: number) => add({ op: "sub", a: one, b: add({ op: "isfinite", a: value, rank: "element" }), rank: "element" });
  const sum = (ids: number[]) => ids.slice(1).reduce((s, c) => add({ op: "add", a: s, b: c, rank: "element" }), ids[0]);
  const loads = new Map<string, number>();
  prog.nodes.forEach((n, id) => {
    if (n.op === "load" && inputs.includes(n.arena) && !loads.has(n.arena)) loads.set(n.arena, id);
  });
  // Params first, then gradients (the order a refusal looks for the culprit in).
  const checked = inputs.filter((a) => loads.has(a));
  const before = checked.length > 0 ? [noneCounted(sum(checked.map((a) => nonFinite(loads.get(a)!))), inputGuard(checked))] : [];
  const after = prog.stores.length > 0 ? [noneCounted(sum(prog.stores.map((s) => nonFinite(add({ op: "f32", a: s.value, rank: "element" })))), STORED)] : [];
  return { ...prog, nodes, reductions, guards: [...before, ...prog.guards, ...after] };
}

/** The reductions guardFiniteness added to a program (their indices), given the program before. */
export function finitenessReductions(original: StepProgram, guarded: StepProgram): Set<number> {
  const out = new Set<number>();
  for (let i = original.reductions.length; i < guarded.reductions.length; i++) out.add(i);
  return out;
}
