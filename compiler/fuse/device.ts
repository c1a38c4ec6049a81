/**
 * Device placement for the GPU targets: which of a phase's host values the device computes
 * (everything that depends on a reduction or on a device counter), which counters live on the
 * device (those whose new value is such a value, across all phases), the table of slots and rows
 * where the kernels and device programs find host values, and one device program per level
 * (format/device.ts). Values that depend only on counters stay host values: the host writes
 * them into the table before each step, so a step never waits for the device.
 */
import type { HostNode, Protocol } from "../../format/artifact.js";
import type { DeviceOp, DeviceProgram, DeviceTable, StepDevice } from "../../format/device.js";
import { aluOperands, mapAlu, type AluOp } from "../../format/ops.js";
import type { PhasePlan } from "./plan.js";

/** A phase's device side before rendering. */
export interface PhaseDevicePlan {
  table: DeviceTable;
  programs: DeviceProgram[];
}

function operandsOf(n: HostNode): number[] {
  return n.op === "const" || n.op === "counter" || n.op === "input" || n.op === "reduce" || n.op === "maskflag" ? [] : aluOperands(n as AluOp);
}

function placeOnDevice(host: readonly HostNode[], deviceCounters: ReadonlySet<string>): boolean[] {
  const on: boolean[] = [];
  host.forEach((n, id) => {
    on[id] = n.op === "reduce" || (n.op === "counter" && deviceCounters.has(n.counter)) || operandsOf(n).some((x) => on[x]);
  });
  return on;
}

/**
 * Plans the device side of every phase; marks each kernel whose only work is finiteness
 * counting (`finiteness[i]`: phase i's reductions that only finiteness guards read) check-only.
 */
export function planDevice(plans: PhasePlan[], protocol: Protocol, finiteness: ReadonlySet<number>[]): { step: StepDevice; phases: PhaseDevicePlan[] } {
  const counters = new Set<string>();
  // A counter stored from a device value is a device counter, which makes its readers device
  // values in every phase: repeat until no new counter moves.
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of plans) {
      const on = placeOnDevice(p.host, counters);
      for (const s of p.counterStores) {
        if (!on[s.value] || counters.has(s.counter)) continue;
        counters.add(s.counter);
        changed = true;
      }
    }
  }
  const protocolCounters = [protocol.step.kind === "counted" ? protocol.step.counter : undefined, protocol.perturbed?.counter];
  for (const c of protocolCounters) if (c !== undefined && counters.has(c)) throw new Error(`internal: the protocol's counter ${c} would live on the device`);
  const step: StepDevice = { counters: [...counters].sort(), refusals: [] };
  const phases = plans.map((p, i) => planPhase(p, step, finiteness[i] ?? new Set()));
  return { step, phases };
}

function planPhase(p: PhasePlan, step: StepDevice, finiteness: ReadonlySet<number>): PhaseDevicePlan {
  const counterIndex = new Map(step.counters.map((c, i) => [c, i]));
  const onDevice = placeOnDevice(p.host, new Set(step.counters));
  for (const g of p.guards) {
    if (!onDevice[g.cond]) continue;
    const same = step.refusals.findIndex((r) => r.code === g.code && r.message === g.message && r.hint === g.hint && String(r.arenas) === String(g.arenas));
    g.refusal = same >= 0 ? same + 1 : step.refusals.push({ code: g.code, message: g.message, hint: g.hint, finiteness: g.finiteness === true, ...(g.arenas ? { arenas: g.arenas } : {}) });
  }
  for (const pass of p.passes) for (const k of pass.kernels) if (k.kernel.stores.length === 0 && k.reductions.length > 0 && k.reductions.every((r) => finiteness.has(r))) k.checkOnly = true;

  // The host values the device reads: kernels' uniforms and segvals, reduction masks, and the
  // operands of device-computed values; then every device-computed value.
  const needed = new Set<number>();
  for (const pass of p.passes) {
    for (const k of pass.kernels) {
      k.uniforms.forEach((h) => needed.add(h));
      k.segvals.forEach((h) => needed.add(h));
    }
  }
  p.host.forEach((n, id) => {
    if (!onDevice[id]) return;
    needed.add(id);
    for (const x of operandsOf(n)) if (p.host[x].op !== "const") needed.add(x);
  });
  const slot = p.host.map(() => -1);
  const row = p.host.map(() => -1);
  const order = [...needed].sort((a, b) => a - b);
  let scalars = 0;
  let rows = 0;
  const assign = (device: boolean) => {
    for (const id of order) {
      if (onDevice[id] !== device) continue;
      if (p.host[id].rank === "scalar") slot[id] = scalars++;
      else row[id] = rows++;
    }
  };
  assign(false);
  const hostScalars = scalars;
  const hostRows = rows;
  assign(true);
  const table: DeviceTable = { onDevice, slot, row, hostScalars, scalars, hostRows, rows };

  const programs: DeviceProgram[] = [];
  for (let level = 0; level <= p.passes.length; level++) {
    const ids = p.host.map((_, id) => id).filter((id) => onDevice[id] && p.host[id].level === level);
    const guards = p.guards.filter((g) => g.refusal !== undefined && g.level === level);
    const last = level === p.passes.length;
    const stores = last ? p.counterStores.filter((s) => counterIndex.has(s.counter)) : [];
    if (ids.length === 0 && guards.length === 0 && stores.length === 0) continue;
    programs.push(buildProgram(p, level, table, ids, guards, stores, counterIndex));
  }
  return { table, programs };
}

function buildProgram(p: PhasePlan, level: number, table: DeviceTable, ids: number[], guards: PhasePlan["guards"], stores: PhasePlan["counterStores"], counterIndex: Map<string, number>): DeviceProgram {
  const ops: DeviceOp[] = [];
  const local = new Map<number, number>();
  const leaf = new Map<number, number>();
  const previous = level > 0 ? p.passes[level - 1].kernels : [];
  const reducing = previous.map((k, i) => ({ k, i })).filter(({ k }) => k.reductions.length > 0);
  const folds = reducing.map(({ k, i }) => ({ kernel: i, reductions: k.reductions.length }));
  /** An operand: a value of this program, or a leaf reading the table (or a literal). */
  const value = (id: number): number => {
    const got = local.get(id) ?? leaf.get(id);
    if (got !== undefined) return got;
    const n = p.host[id];
    let op: DeviceOp;
    if (n.op === "const") op = { op: "const", value: n.value, rank: "scalar" };
    else if (n.rank === "scalar") {
      if (table.slot[id] < 0) throw new Error(`internal: host value ${id} has no slot`);
      op = { op: "slot", slot: table.slot[id], rank: "scalar" };
    } else {
      if (table.row[id] < 0) throw new Error(`internal: host value ${id} has no row`);
      op = { op: "row", row: table.row[id], rank: "segment" };
    }
    const i = ops.push(op) - 1;
    leaf.set(id, i);
    return i;
  };
  for (const id of ids) {
    const n = p.host[id];
    const out = n.rank === "scalar" ? { slot: table.slot[id] } : { row: table.row[id] };
    let op: DeviceOp;
    switch (n.op) {
      case "reduce": {
        const f = reducing.findIndex(({ k }) => k.reductions.includes(n.reduction));
        if (f < 0) throw new Error(`internal: reduction ${n.reduction} of ${p.name} is not in pass ${level - 1}`);
        const k = reducing[f].k;
        const j = k.reductions.indexOf(n.reduction);
        const red = k.kernel.reductions[j];
        op = { op: "fold", fold: f, reduction: j, scope: red.scope, rank: n.rank, ...out };
        if (red.mask !== undefined) op.maskRow = table.row[k.segvals[red.mask]];
        break;
      }
      case "counter":
        op = { op: "counter", index: counterIndex.get(n.counter)!, rank: "scalar", ...out };
        break;
      case "const":
      case "input":
      case "maskflag":
        throw new Error(`internal: ${n.op} placed on the device`);
      default:
        op = { ...mapAlu(n as AluOp, value), rank: n.rank, ...out };
    }
    local.set(id, ops.push(op) - 1);
  }
  return {
    name: `${p.name}.device${level}`,
    level,
    folds,
    ops,
    guards: guards.map((g) => ({ value: value(g.cond), refusal: g.refusal!, finiteness: g.finiteness === true })),
    counterStores: stores.map((s) => ({ value: value(s.value), counter: counterIndex.get(s.counter)! })),
  };
}
