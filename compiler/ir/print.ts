/**
 * A text form of the step IR, for debugging and tests: one line per node in id order, then the
 * reductions, guards, stores and counter stores. The output depends only on the program, so it
 * is stable across runs. `sgd(0.1)` prints as
 *
 *   phase step
 *     %0 element = load params
 *     %1 element = load grads
 *     %2 scalar  = const -0.1
 *     %3 element = mul %2, %1
 *     %4 element = add %0, %3
 *     %5 element = f32 %4
 *     store params ← %5
 *
 * Leaves show their payload: `const` its value (shortest round-trip form, `-0`, `NaN`,
 * `Infinity`), `counter` and `load` a name, `reduce` a reduction (`r0`), `maskflag` a layout mask
 * (`m0`). Reductions print as `r0 = global sum %7 mask %2`; guards as
 * `guard %9 else R203 "message" hint "hint"` (strings JSON-quoted); counter stores as
 * `counter name ← %4`. Guards come before stores, as the interpreter evaluates them.
 */
import { isAlu, aluOperands, type AluOp } from "../../format/ops.js";
import type { LoweredConfig } from "../lower/lower.js";
import type { IrNode, StepProgram } from "./node.js";

/** The shortest text that reads back as the same float64 (String(), plus `-0`). */
export function irNumber(x: number): string {
  return Object.is(x, -0) ? "-0" : String(x);
}

const ref = (id: number): string => `%${id}`;

/** The right-hand side of a node's line: op and operands, or a leaf's payload. */
export function printNode(n: IrNode): string {
  switch (n.op) {
    case "const":
      return `const ${irNumber(n.value)}`;
    case "counter":
      return `counter ${n.counter}`;
    case "input":
      return `input ${n.input}`;
    case "load":
      return `load ${n.arena}`;
    case "reduce":
      return `reduce r${n.reduction}`;
    case "maskflag":
      return `maskflag m${n.mask}`;
  }
  if (isAlu(n)) return `${n.op} ${aluOperands(n as AluOp).map(ref).join(", ")}`;
  return `?${JSON.stringify(n)}`;
}

/** One phase: a `phase NAME` header, then its nodes, reductions, guards, stores and counter stores. */
export function printProgram(prog: StepProgram): string {
  const width = String(Math.max(0, prog.nodes.length - 1)).length;
  const lines = [`phase ${prog.name}`];
  prog.nodes.forEach((n, id) => lines.push(`  ${ref(id).padEnd(width + 1)} ${n.rank.padEnd(7)} = ${printNode(n)}`));
  prog.reductions.forEach((r, i) => lines.push(`  r${i} = ${r.scope} sum ${ref(r.value)}${r.mask === undefined ? "" : ` mask ${ref(r.mask)}`}`));
  for (const g of prog.guards) lines.push(`  guard ${ref(g.cond)} else ${g.code} ${JSON.stringify(g.message)} hint ${JSON.stringify(g.hint)}`);
  for (const s of prog.stores) lines.push(`  store ${s.arena} ← ${ref(s.value)}`);
  for (const s of prog.counterStores) lines.push(`  counter ${s.counter} ← ${ref(s.value)}`);
  return lines.join("\n") + "\n";
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * A whole lowered config: a header line (protocol, phase names), the layout the phases share
 * (arenas with role and init, counters with init, masks by index), then every phase.
 */
export function printLowered(lowered: LoweredConfig): string {
  const { layout, protocol, phases } = lowered;
  const lines = [`lowered: protocol ${protocol.owner} (${protocol.summary}), ${plural(phases.length, "phase")} (${phases.map((p) => p.name).join(", ")})${lowered.handlesNonFinite ? ", handles non-finite" : ""}`];
  for (const a of layout.arenas) lines.push(`  arena ${a.name}: ${a.role}, ${"copy" in a.init ? `copy ${a.init.copy}` : `fill ${irNumber(a.init.fill)}`}`);
  for (const c of layout.counters) lines.push(`  counter ${c.name}: init ${irNumber(c.init)}${c.real ? ", real" : ""}`);
  for (const i of layout.inputs) lines.push(`  input ${i.input}: init ${irNumber(i.init)}`);
  layout.masks.forEach((m, i) => lines.push(`  mask m${i}: ${m.owner} ${JSON.stringify(m.patterns)}`));
  return [lines.join("\n") + "\n", ...phases.map(printProgram)].join("\n");
}
