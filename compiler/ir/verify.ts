/**
 * A verifier for the step IR: the invariants the builder maintains and the interpreter
 * (compiler/ir/interp.ts) and fusion (compiler/fuse/plan.ts) rely on, checked on a finished
 * StepProgram. `verifyProgram` lists every problem found (empty when the program is valid);
 * `assertValid` throws them as one internal error.
 *
 * Nodes
 * - every node has a known op and a rank among scalar | segment | element;
 * - an ALU op has exactly the operand fields its arity needs (unary: a; binary: a, b;
 *   select: c, a, b), and every operand is an earlier node (ids are topological);
 * - ranks: const, counter and input are scalar, maskflag segment, load element, reduce scalar for a
 *   global reduction and segment for a per-segment one; an ALU node has the highest rank of
 *   its operands (so no host value ever depends on an element value);
 * - a leaf's payload is well formed: a numeric const, a counter or arena name, a reduction
 *   index of this program, a mask index (within the layout's masks when a layout is given);
 * - a reduce node comes after its reduction's value and mask (no reduction reads itself).
 * Reductions
 * - sum an element-rank value (the interpreter indexes it per element), with scope global or
 *   segment; a mask is a segment-rank node and only on a global reduction (the kernel format
 *   and the interpreter ignore it otherwise).
 * Stores, counter stores, guards
 * - a store's value is element rank, or scalar (SAM's state reset stores constants, filled
 *   over the arena); a segment value is refused (the interpreter would copy the per-segment
 *   vector into the arena's first elements); each arena is stored at most once;
 * - a counter store's value is scalar, each counter stored at most once;
 * - a guard's condition is scalar, with a code, a message and a hint.
 * With a layout (verifyLowered), every loaded or stored arena, every counter and every mask
 * must be declared in it, and phase names must be distinct.
 */
import { isBinaryOp, isUnaryOp } from "../../format/ops.js";
import type { LoweredConfig } from "../lower/lower.js";
import { maxRank, type IrNode, type Rank, type StepProgram } from "./node.js";

/** The parts of a layout the verifier checks names against (compiler/lower/layout.ts). */
export interface LayoutNames {
  arenas: readonly { name: string }[];
  counters: readonly { name: string }[];
  masks: readonly unknown[];
  /** Runtime inputs (hyperparameters, step values) by input name. */
  inputs?: readonly { input: string }[];
}

const RANKS: readonly string[] = ["scalar", "segment", "element"];
const OPERAND_FIELDS = ["c", "a", "b"] as const;

const isIndex = (x: unknown): x is number => typeof x === "number" && Number.isInteger(x) && x >= 0;
const isName = (x: unknown): x is string => typeof x === "string" && x.length > 0;

/** The operand fields an op takes, or undefined for a leaf or an unknown op. */
function aluFields(op: string): readonly ("a" | "b" | "c")[] | undefined {
  if (op === "select") return ["c", "a", "b"];
  if (isBinaryOp(op)) return ["a", "b"];
  if (isUnaryOp(op)) return ["a"];
  return undefined;
}

/** Every problem in `prog`, as one line each; empty when it is valid. */
export function verifyProgram(prog: StepProgram, layout?: LayoutNames): string[] {
  const problems: string[] = [];
  const bad = (msg: string) => problems.push(msg);
  for (const k of ["nodes", "reductions", "stores", "counterStores", "guards"] as const) {
    if (!Array.isArray(prog[k])) bad(`program field ${k} is not a list`);
  }
  if (problems.length > 0) return problems;
  if (!isName(prog.name)) bad(`program name ${JSON.stringify(prog.name)} is not a name`);
  const { nodes, reductions } = prog;
  const arenas = layout ? new Set(layout.arenas.map((a) => a.name)) : undefined;
  const counters = layout ? new Set(layout.counters.map((c) => c.name)) : undefined;
  const inputs = layout?.inputs ? new Set(layout.inputs.map((i) => i.input)) : undefined;

  /** The rank of node `id`, or undefined (after reporting) when `id` names no node. */
  const rankOf = (id: unknown, what: string): Rank | undefined => {
    if (!isIndex(id) || id >= nodes.length) {
      bad(`${what} refers to ${typeof id === "number" ? `%${id}` : JSON.stringify(id)}, which is not a node`);
      return undefined;
    }
    const r = nodes[id].rank;
    return RANKS.includes(r) ? r : undefined;
  };

  nodes.forEach((node: IrNode, id) => {
    const at = `%${id}`;
    if (node === null || typeof node !== "object") {
      bad(`${at} is not a node`);
      return;
    }
    const op = (node as { op: unknown }).op;
    const rank = node.rank as string;
    if (!RANKS.includes(rank)) bad(`${at} has rank ${JSON.stringify(rank)}, not scalar, segment or element`);
    let expected: Rank | undefined;
    const raw = node as unknown as Record<string, unknown>;
    switch (op) {
      case "const":
        if (typeof raw.value !== "number") bad(`${at} const has value ${JSON.stringify(raw.value)}, not a number`);
        expected = "scalar";
        break;
      case "counter":
        if (!isName(raw.counter)) bad(`${at} counter has no counter name`);
        else if (counters && !counters.has(raw.counter)) bad(`${at} reads counter ${raw.counter}, which the layout does not declare`);
        expected = "scalar";
        break;
      case "input":
        if (!isName(raw.input)) bad(`${at} input has no input name`);
        else if (inputs && !inputs.has(raw.input)) bad(`${at} reads input ${raw.input}, which the layout does not declare`);
        expected = "scalar";
        break;
      case "load":
        if (!isName(raw.arena)) bad(`${at} load has no arena name`);
        else if (arenas && !arenas.has(raw.arena)) bad(`${at} loads arena ${raw.arena}, which the layout does not declare`);
        expected = "element";
        break;
      case "maskflag":
        if (!isIndex(raw.mask)) bad(`${at} maskflag has mask ${JSON.stringify(raw.mask)}, not a mask index`);
        else if (layout && raw.mask >= layout.masks.length) bad(`${at} reads mask m${raw.mask}, but the layout has ${layout.masks.length} mask(s)`);
        expected = "segment";
        break;
      case "reduce": {
        const ri = raw.reduction;
        if (!isIndex(ri) || ri >= reductions.length) {
          bad(`${at} reads reduction ${JSON.stringify(ri)}, but the program has ${reductions.length} reduction(s)`);
          break;
        }
        const r = reductions[ri];
        if (isIndex(r.value) && r.value >= id) bad(`${at} reads r${ri} before its value %${r.value} is defined (forward reference)`);
        if (isIndex(r.mask) && r.mask >= id) bad(`${at} reads r${ri} before its mask %${r.mask} is defined (forward reference)`);
        if (r.scope === "global") expected = "scalar";
        else if (r.scope === "segment") expected = "segment";
        break;
      }
      default: {
        const fields = typeof op === "string" ? aluFields(op) : undefined;
        if (!fields) {
          bad(`${at} has unknown op ${JSON.stringify(op)}`);
          break;
        }
        const present = OPERAND_FIELDS.filter((f) => f in raw && raw[f] !== undefined);
        const arity = fields.length;
        if (present.length !== arity || !fields.every((f) => present.includes(f))) {
          bad(`${at} ${op} takes ${arity} operand${arity === 1 ? "" : "s"} (${fields.join(", ")}), got ${present.length}${present.length ? ` (${present.join(", ")})` : ""} (wrong arity)`);
          break;
        }
        const ranks: Rank[] = [];
        let ok = true;
        for (const f of fields) {
          const x = raw[f];
          if (isIndex(x) && x >= id && x < nodes.length) {
            bad(`${at} ${op} operand ${f} = %${x} is not an earlier node (forward reference)`);
            ok = false;
            continue;
          }
          const r = rankOf(x, `${at} ${op} operand ${f}`);
          if (r === undefined) ok = false;
          else ranks.push(r);
        }
        if (ok) expected = maxRank(ranks);
      }
    }
    if (expected !== undefined && RANKS.includes(rank) && rank !== expected) {
      bad(`${at} ${String(op)} has rank ${rank}, expected ${expected}${aluFields(String(op)) ? " (the highest rank of its operands)" : ""}`);
    }
  });

  reductions.forEach((r, i) => {
    const at = `r${i}`;
    if (r.scope !== "global" && r.scope !== "segment") bad(`${at} has scope ${JSON.stringify(r.scope)}, not global or segment`);
    const vr = rankOf(r.value, `${at} value`);
    if (vr !== undefined && vr !== "element") bad(`${at} sums %${r.value} of ${vr} rank; a reduction sums an element-rank value`);
    if (r.mask !== undefined) {
      const mr = rankOf(r.mask, `${at} mask`);
      if (mr !== undefined && mr !== "segment") bad(`${at} mask %${r.mask} has ${mr} rank; a mask is segment rank`);
      if (r.scope === "segment") bad(`${at} is a segment reduction with a mask; masks apply to global reductions only`);
    }
  });

  const storedAt = new Map<string, number>();
  prog.stores.forEach((s, i) => {
    const at = `store ${s.arena} ← %${s.value}`;
    if (!isName(s.arena)) bad(`store ${i} has no arena name`);
    else {
      const first = storedAt.get(s.arena);
      if (first !== undefined) bad(`arena ${s.arena} stored twice (stores ${first} and ${i})`);
      else storedAt.set(s.arena, i);
      if (arenas && !arenas.has(s.arena)) bad(`${at}: the layout does not declare arena ${s.arena}`);
    }
    const vr = rankOf(s.value, at);
    if (vr === "segment") bad(`${at}: value has segment rank; a store takes an element or scalar value`);
  });

  const counterAt = new Map<string, number>();
  prog.counterStores.forEach((s, i) => {
    const at = `counter store ${s.counter} ← %${s.value}`;
    if (!isName(s.counter)) bad(`counter store ${i} has no counter name`);
    else {
      const first = counterAt.get(s.counter);
      if (first !== undefined) bad(`counter ${s.counter} stored twice (counter stores ${first} and ${i})`);
      else counterAt.set(s.counter, i);
      if (counters && !counters.has(s.counter)) bad(`${at}: the layout does not declare counter ${s.counter}`);
    }
    const vr = rankOf(s.value, at);
    if (vr !== undefined && vr !== "scalar") bad(`${at}: value has ${vr} rank; a counter stores a scalar`);
  });

  prog.guards.forEach((g, i) => {
    const at = `guard ${i} (${g.code})`;
    const cr = rankOf(g.cond, `${at} condition`);
    if (cr !== undefined && cr !== "scalar") bad(`${at}: condition %${g.cond} has ${cr} rank; a guard's condition is scalar`);
    if (!isName(g.code)) bad(`guard ${i} has no code`);
    if (typeof g.message !== "string" || typeof g.hint !== "string") bad(`${at} needs a message and a hint`);
  });

  return problems;
}

/** Every problem in every phase of a lowered config, checked against its layout, prefixed with the phase. */
export function verifyLowered(lowered: LoweredConfig): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const p of lowered.phases) {
    if (seen.has(p.name)) problems.push(`phase ${p.name} appears twice`);
    seen.add(p.name);
    for (const x of verifyProgram(p, lowered.layout)) problems.push(`phase ${p.name}: ${x}`);
  }
  return problems;
}

/** Throws an internal error listing every problem when `prog` is not valid. */
export function assertValid(prog: StepProgram, layout?: LayoutNames): void {
  const problems = verifyProgram(prog, layout);
  if (problems.length > 0) throw new Error(`internal: invalid IR in phase ${prog.name}: ${problems.join("; ")}`);
}
