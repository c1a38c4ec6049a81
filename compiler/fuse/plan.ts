/**
 * fuse(StepProgram) → KernelPlan: the fewest memory passes.
 *
 * A pass boundary exists only where an element value consumes a reduction of the same step.
 * Each state arena is written in the pass that computes it; later passes that need a stored
 * value read the arena back (recompute, don't materialise). When a later pass still needs an
 * arena's old value, that arena's store moves to the later pass. Guards (host checks that can
 * refuse a step) are evaluated before any store, so a refused step changes nothing.
 *
 * A pass is one kernel unless the target's caps say otherwise: with at most `maxOutputs`
 * outputs per kernel, or reductions that cannot share a kernel with stores (gpu.js), the pass
 * becomes several kernels over the same inputs, each computing only what it needs; the bytes
 * moved count every kernel's reads and writes, so they are true per target.
 */
import type { HostNode, HostOp, PhaseArtifact } from "../../format/artifact.js";
import type { Kernel, KernelBinding, KernelOp, KernelReduction, KernelStore } from "../../format/kernel.js";
import type { RendererCaps } from "../../targets/target.js";
import { mapAlu } from "../../format/ops.js";
import { operands, type IrNode, type StepProgram } from "../ir/node.js";

export interface KernelPlan {
  kernel: Kernel;
  /** Host node indices (into PhasePlan.host) feeding the kernel's uniforms / segvals. */
  uniforms: number[];
  segvals: number[];
  /** Phase reduction index for each kernel reduction. */
  reductions: number[];
  /** Arenas read as old values, read back after an earlier pass stored them, and written. */
  reads: string[];
  readsBack: string[];
  writes: string[];
  /** Only finiteness counting (set by planDevice): skipped by `validate: false`. */
  checkOnly?: boolean;
}

export interface PassPlan {
  kernels: KernelPlan[];
}

/** A phase as the artifact holds it, before its kernels are rendered (render adds their code). */
export interface PhasePlan extends Omit<PhaseArtifact, "passes"> {
  passes: PassPlan[];
}

/**
 * `inputs` are the arenas whose loaded values a guarded run checks for finiteness (params and
 * gradients, unless the config handles non-finite gradients itself).
 */
export function fuse(prog: StepProgram, caps: RendererCaps, inputs: readonly string[] = []): PhasePlan {
  const { nodes } = prog;
  const level = computeLevels(prog);
  const reductionPass = prog.reductions.map((r) => Math.max(level[r.value], r.mask === undefined ? 0 : level[r.mask]));
  const guardLevel = prog.guards.reduce((m, g) => Math.max(m, level[g.cond]), 0);
  const storePass = new Map<string, number>();
  for (const s of prog.stores) storePass.set(s.arena, Math.max(level[s.value], guardLevel));
  const valueStoredIn = new Map<number, string>();
  for (const s of prog.stores) if (!valueStoredIn.has(s.value)) valueStoredIn.set(s.value, s.arena);

  // Fixpoint: move a store later while a later pass needs the arena's old value.
  let contents: PassContents[] = [];
  for (;;) {
    const passCount = 1 + Math.max(0, ...storePass.values(), ...reductionPass);
    contents = [];
    let moved = false;
    for (let pass = 0; pass < passCount; pass++) {
      const c = collectPass(prog, pass, storePass, reductionPass, valueStoredIn);
      for (const arena of c.oldReads) {
        const sp = storePass.get(arena);
        if (sp !== undefined && sp < pass) {
          storePass.set(arena, pass);
          moved = true;
        }
      }
      contents.push(c);
    }
    if (!moved) break;
  }

  // Host program: every scalar/segment node, renumbered.
  const hostIndex = new Map<number, number>();
  const host: HostNode[] = [];
  nodes.forEach((n, id) => {
    if (n.rank === "element") return;
    hostIndex.set(id, host.length);
    host.push({ ...toHostOp(n, hostIndex), rank: n.rank, level: level[id] } as HostNode);
  });

  const passes = contents.map((c, pass): PassPlan => {
    const parts = splitForCaps(c, caps, `${prog.name}.pass${pass}`);
    const kernels = parts.map((part, j) => buildKernel(prog, parts.length === 1 ? `${prog.name}.pass${pass}` : `${prog.name}.pass${pass}.${j}`, collectFrom(prog, pass, part.stores, part.reductions, storePass, valueStoredIn), hostIndex, inputs));
    return { kernels };
  });
  const bytesPerElement = passes.reduce((sum, p) => sum + p.kernels.reduce((s, k) => s + 4 * (k.reads.length + k.readsBack.length + k.writes.length), 0), 0);
  return {
    name: prog.name,
    host,
    reductions: prog.reductions.map((r) => ({ scope: r.scope })),
    passes,
    guards: prog.guards.map((g) => ({ cond: hostIndex.get(g.cond)!, level: level[g.cond], code: g.code, message: g.message, hint: g.hint, ...(g.finiteness ? { finiteness: true } : {}), ...(g.arenas ? { arenas: g.arenas } : {}) })),
    counterStores: prog.counterStores.map((s) => ({ counter: s.counter, value: hostIndex.get(s.value)! })),
    bytesPerElement,
  };
}

/** The pass before which each node's value is available. */
function computeLevels(prog: StepProgram): number[] {
  const level: number[] = [];
  prog.nodes.forEach((n, id) => {
    if (n.op === "reduce") {
      const r = prog.reductions[n.reduction];
      level[id] = 1 + Math.max(level[r.value], r.mask === undefined ? 0 : level[r.mask]);
    } else {
      level[id] = operands(n).reduce((m, a) => Math.max(m, level[a]), 0);
    }
  });
  return level;
}

interface PassContents {
  /** Element nodes computed in this pass, in id order. */
  compute: number[];
  /** Element nodes replaced by reading back an arena stored by an earlier pass. */
  readBack: Map<number, string>;
  /** Host nodes used directly by element nodes (uniforms or segvals). */
  hostUses: number[];
  oldReads: Set<string>;
  stores: { arena: string; value: number }[];
  reductions: number[];
}

function collectPass(prog: StepProgram, pass: number, storePass: Map<string, number>, reductionPass: number[], valueStoredIn: Map<number, string>): PassContents {
  const stores = prog.stores.filter((s) => storePass.get(s.arena) === pass);
  const reductions = prog.reductions.map((_, i) => i).filter((i) => reductionPass[i] === pass);
  return collectFrom(prog, pass, stores, reductions, storePass, valueStoredIn);
}

/** The outputs of one kernel of a pass, split as the target's caps require. */
function splitForCaps(c: PassContents, caps: RendererCaps, pass: string): { stores: PassContents["stores"]; reductions: number[] }[] {
  const chunks = <T>(items: T[]): T[][] => {
    const out: T[][] = [];
    for (let i = 0; i < items.length; i += caps.maxOutputs) out.push(items.slice(i, i + caps.maxOutputs));
    return out;
  };
  let parts: { stores: PassContents["stores"]; reductions: number[] }[];
  if (caps.reduceWithStores) {
    const outputs = [...c.stores.map((s) => ({ store: s })), ...c.reductions.map((r) => ({ reduction: r }))];
    parts = chunks(outputs).map((group) => ({ stores: group.flatMap((o) => ("store" in o ? [o.store] : [])), reductions: group.flatMap((o) => ("reduction" in o ? [o.reduction] : [])) }));
  } else {
    parts = [...chunks(c.stores).map((stores) => ({ stores, reductions: [] })), ...chunks(c.reductions).map((reductions) => ({ stores: [], reductions }))];
  }
  if (parts.length > 1 && !caps.kernelsReadPassInputs) throw new Error(`internal: ${pass} would need ${parts.length} kernels on a target whose kernels write in place`);
  return parts;
}

/** What computing the given stores and reductions of a pass needs: the element nodes, read-backs and host values. */
function collectFrom(prog: StepProgram, pass: number, stores: PassContents["stores"], reductions: number[], storePass: Map<string, number>, valueStoredIn: Map<number, string>): PassContents {
  const { nodes } = prog;
  const compute = new Set<number>();
  const readBack = new Map<number, string>();
  const hostUses = new Set<number>();
  const oldReads = new Set<string>();
  const visit = (id: number): void => {
    const n = nodes[id];
    if (n.rank !== "element") {
      hostUses.add(id);
      return;
    }
    if (compute.has(id) || readBack.has(id)) return;
    const storedIn = valueStoredIn.get(id);
    if (storedIn !== undefined && (storePass.get(storedIn) ?? Infinity) < pass) {
      readBack.set(id, storedIn);
      return;
    }
    if (n.op === "load") oldReads.add(n.arena);
    compute.add(id);
    operands(n).forEach(visit);
  };
  for (const s of stores) visit(s.value);
  for (const r of reductions) {
    visit(prog.reductions[r].value);
    const m = prog.reductions[r].mask;
    if (m !== undefined) hostUses.add(m);
  }
  return { compute: [...compute].sort((a, b) => a - b), readBack, hostUses: [...hostUses].sort((a, b) => a - b), oldReads, stores, reductions };
}

function toHostOp(n: IrNode, hostIndex: Map<number, number>): HostOp {
  const h = (id: number) => {
    const x = hostIndex.get(id);
    if (x === undefined) throw new Error("internal: host node uses an element node");
    return x;
  };
  switch (n.op) {
    case "const":
      return { op: "const", value: n.value };
    case "counter":
      return { op: "counter", counter: n.counter };
    case "input":
      return { op: "input", input: n.input };
    case "reduce":
      return { op: "reduce", reduction: n.reduction };
    case "maskflag":
      return { op: "maskflag", mask: n.mask };
    case "load":
      throw new Error("internal: load on the host");
    default:
      return mapAlu(n, h);
  }
}

function buildKernel(prog: StepProgram, name: string, c: PassContents, hostIndex: Map<number, number>, inputs: readonly string[]): KernelPlan {
  const { nodes } = prog;
  const bindings: KernelBinding[] = [];
  const bindingOf = (arena: string, mode: "read" | "write"): number => {
    let i = bindings.findIndex((b) => b.name === arena);
    if (i < 0) {
      i = bindings.length;
      bindings.push(inputs.includes(arena) ? { name: arena, read: false, write: false, checkFinite: true } : { name: arena, read: false, write: false });
    }
    bindings[i][mode] = true;
    return i;
  };
  const ops: KernelOp[] = [];
  const valueOf = new Map<number, number>();
  const uniforms: number[] = [];
  const segvals: number[] = [];
  const emit = (op: KernelOp) => ops.push(op) - 1;
  const hostValue = (id: number): number => {
    const n = nodes[id];
    if (n.op === "const") return emit({ op: "const", value: n.value });
    const hi = hostIndex.get(id)!;
    if (n.rank === "scalar") {
      let u = uniforms.indexOf(hi);
      if (u < 0) u = uniforms.push(hi) - 1;
      return emit({ op: "uniform", index: u });
    }
    let s = segvals.indexOf(hi);
    if (s < 0) s = segvals.push(hi) - 1;
    return emit({ op: "segval", index: s });
  };
  for (const id of c.hostUses) valueOf.set(id, hostValue(id));
  const reads = new Set<string>();
  const readsBack = new Set<string>();
  for (const [id, arena] of c.readBack) {
    readsBack.add(arena);
    valueOf.set(id, emit({ op: "load", arena: bindingOf(arena, "read") }));
  }
  // Read-backs and host values are leaves; computed nodes follow in id (topological) order.
  for (const id of c.compute) {
    const n = nodes[id];
    const v = (x: number) => {
      const got = valueOf.get(x);
      if (got === undefined) throw new Error(`internal: operand ${x} of ${id} not available in ${name}`);
      return got;
    };
    let op: KernelOp;
    switch (n.op) {
      case "load":
        reads.add(n.arena);
        op = { op: "load", arena: bindingOf(n.arena, "read") };
        break;
      case "const":
      case "counter":
      case "input":
      case "reduce":
      case "maskflag":
        throw new Error("internal: host node in the element list");
      default:
        op = mapAlu(n, v);
    }
    valueOf.set(id, emit(op));
  }
  const stores: KernelStore[] = c.stores.map((s) => ({ arena: bindingOf(s.arena, "write"), value: valueOf.get(s.value)! }));
  const reductions: KernelReduction[] = c.reductions.map((r) => {
    const red = prog.reductions[r];
    const out: KernelReduction = { value: valueOf.get(red.value)!, scope: red.scope };
    if (red.mask !== undefined) out.mask = (ops[valueOf.get(red.mask)!] as { index: number }).index;
    return out;
  });
  const kernel: Kernel = { name, bindings, uniformCount: uniforms.length, segvalCount: segvals.length, ops, stores, reductions };
  return {
    kernel,
    uniforms,
    segvals,
    reductions: c.reductions,
    reads: [...reads],
    readsBack: [...readsBack],
    writes: c.stores.map((s) => s.arena),
  };
}
