/**
 * The gpu.js side of a step that stays on the device (format/device.ts, format/abi_gpujs.ts):
 * - device programs: one gpu.js kernel over the state texture per program. Thread i writes
 *   entry i: the refusal and its step (0, 1), a device counter, a table slot, or row entry
 *   (r, s). It recomputes the part of the program it needs (the scalars; the per-tensor values
 *   of its own tensor s), which is tiny, and copies every entry the program does not write, so
 *   the state texture carries the refusal and the counters from step to step.
 * - the fold: sums of at most FOLD partial sums of one tensor per thread, compensated (Kahan),
 *   plus the previous page's sum; applied until one value per tensor is left.
 * - small helpers the runtime queues: writing entries of the state texture (clearing the
 *   refusal, loading counters) and opaque SAM's restore-if-refused.
 * The fold and the helpers go into the artifact once (renderStepKernels), as the WGSL fold does.
 */
import { FOLD, MAX_OUTPUTS, SMALL_TEXTURE_ARGUMENT, STATE_HEADER, type GpuJsDeviceArgument, type GpuJsDeviceProgram, type GpuJsSource, type GpuJsStepKernels } from "../../format/abi_gpujs.js";
import type { DeviceOp, DeviceProgram, DeviceTable } from "../../format/device.js";
import type { Kernel } from "../../format/kernel.js";
import { aluOperands, isAlu, type AluOp } from "../../format/ops.js";
import { renderAlu } from "../c_like.js";
import { commentSafe } from "../print_number.js";
import { GPUJS, idx } from "./dialect.js";

function argumentTypes(args: GpuJsDeviceArgument[]): Record<string, string> {
  const types: Record<string, string> = {};
  for (const a of args) types[a.name] = a.kind === "state" || a.kind === "fold" ? SMALL_TEXTURE_ARGUMENT : a.kind === "host" ? "Array" : "Float";
  return types;
}

/** Merges sorted single entries and ranges into [lo, hi) ranges. */
function ranges(entries: [number, number][]): [number, number][] {
  const sorted = [...entries].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1]) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

export function renderGpuJsDevice(p: DeviceProgram, table: DeviceTable): GpuJsDeviceProgram {
  const ops = p.ops;
  const used = new Set<string>();
  for (const op of ops) if (op.op === "fold") used.add(`${op.fold} ${op.reduction}`);
  const readsHost = ops.some((op) => (op.op === "slot" && op.slot < table.hostScalars) || (op.op === "row" && op.row < table.hostRows));
  const args: GpuJsDeviceArgument[] = [{ name: "st", kind: "state", index: 0 }];
  if (readsHost) args.push({ name: "hv", kind: "host", index: 0 });
  if (p.guards.length > 0) args.push({ name: "step", kind: "step", index: 0 });
  if (p.guards.some((g) => g.finiteness)) args.push({ name: "validate", kind: "validate", index: 0 });
  const foldName = (f: number, j: number) => `f${f}r${j}`;
  for (const key of [...used].sort()) {
    const [f, j] = key.split(" ").map(Number);
    args.push({ name: foldName(f, j), kind: "fold", index: f, reduction: j });
  }
  const segmentOps = ops.some((op) => op.rank === "segment");
  const L: string[] = [`function (${args.map((a) => a.name).join(", ")}) {`, `  // device program ${commentSafe(p.name)}: level ${p.level}`];
  L.push(`  const i = this.thread.x + 0.0;`, `  const tb = this.constants.tb;`, `  const nseg = this.constants.nseg;`);
  const rowsAt = `tb + ${idx(table.scalars)}`;
  if (segmentOps) {
    // Row entry q of the rows: row qr, tensor s ((q + 0.5) / nseg: a division that rounds down still finds the row).
    L.push(`  const q = i - tb - ${idx(table.scalars)};`, `  const qr = Math.floor((q + 0.5) / nseg);`, `  const s = q - qr * nseg;`);
  }
  // The entries this program writes: the header (refusal, step, counters) and its slots and rows.
  const written: [number, number][] = [];
  for (const op of ops) {
    if (op.op === "const" || op.op === "slot" || op.op === "row") continue;
    if (op.rank === "scalar" && op.slot !== undefined) written.push([op.slot, op.slot + 1]);
  }
  const rowWrites = ops.filter((op) => op.op !== "const" && op.op !== "slot" && op.op !== "row" && op.rank === "segment" && op.row !== undefined).map((op) => op.row!);
  const mine = [`i < tb`, ...ranges(written).map(([lo, hi]) => (hi === lo + 1 ? `i == tb + ${idx(lo)}` : `(i >= tb + ${idx(lo)} && i < tb + ${idx(hi)})`))];
  if (rowWrites.length) mine.push(`(q >= 0.0 && qr < ${idx(Math.max(...rowWrites) + 1)})`);
  L.push(`  let rv = st[i];`);
  L.push(`  if (st[0] == 0.0 && (${mine.join(" || ")})) {`);
  const I = "    ";
  /** A value's expression: scalar values by name, segment values at tensor s (or `at` in a loop). */
  const read = (i: number, at = "s"): string => {
    const op = ops[i];
    if (op.op === "const") return GPUJS.literal(op.value);
    if (op.rank === "segment") {
      if (op.op === "row") return rowRead(op.row, at);
      if (op.op === "fold") return `${foldName(op.fold, op.reduction)}[${at}]`;
      if (at !== "s") throw new Error(`internal: ${p.name} reads segment value ${i} across tensors`);
      return `w${i}`;
    }
    return `v${i}`;
  };
  const rowRead = (row: number, at: string): string => (row < table.hostRows ? `hv[${idx(table.hostScalars)} + ${idx(row)} * nseg + ${at}]` : `st[${rowsAt} + ${idx(row)} * nseg + ${at}]`);
  ops.forEach((op, i) => {
    switch (op.op) {
      case "const":
      case "row":
        return;
      case "slot":
        L.push(`${I}const v${i} = ${op.slot < table.hostScalars ? `hv[${idx(op.slot)}]` : `st[tb + ${idx(op.slot)}]`};`);
        return;
      case "counter":
        L.push(`${I}const v${i} = st[${idx(STATE_HEADER + op.index)}];`);
        return;
      case "fold": {
        if (op.scope === "segment") {
          L.push(`${I}const w${i} = ${foldName(op.fold, op.reduction)}[s];`);
          return;
        }
        // Tensors in order from 0, skipping those the mask excludes (the kernel format's fold).
        const term = `${foldName(op.fold, op.reduction)}[g]`;
        L.push(`${I}let v${i} = 0.0;`, `${I}for (let g = 0; g < this.constants.nseg; g++) {`);
        if (op.maskRow === undefined) L.push(`${I}  v${i} += ${term};`);
        else L.push(`${I}  if (${GPUJS.truthy(rowRead(op.maskRow, "g"))}) {`, `${I}    v${i} += ${term};`, `${I}  }`);
        L.push(`${I}}`);
        return;
      }
      default: {
        if (!isAlu(op)) throw new Error(`internal: device op ${(op as DeviceOp).op}`);
        const operands = aluOperands(op as AluOp);
        if (op.rank === "scalar" && operands.some((x) => ops[x].rank === "segment")) throw new Error(`internal: scalar op ${i} of ${p.name} reads a per-tensor value`);
        // The op table looks operands up in a kernel's ops (the x * 0 test): a program's ops serve.
        const expr = renderAlu(GPUJS, op as AluOp, operands.map((x) => read(x)), { ops } as unknown as Kernel);
        L.push(`${I}const ${op.rank === "segment" ? "w" : "v"}${i} = ${expr};`);
      }
    }
  });
  // Guards in order: the first false one is the program's refusal (finiteness ones only when the run validates).
  L.push(`${I}let rf = 0.0;`);
  for (const g of p.guards) {
    const when = g.finiteness ? ` && validate > 0.5` : "";
    L.push(`${I}if (rf == 0.0 && !(${GPUJS.truthy(read(g.value))})${when}) {`, `${I}  rf = ${idx(g.refusal)};`, `${I}}`);
  }
  L.push(`${I}if (i == 0.0) {`, `${I}  rv = rf;`, `${I}}`);
  if (p.guards.length) L.push(`${I}if (i == 1.0 && rf > 0.5) {`, `${I}  rv = step;`, `${I}}`);
  L.push(`${I}if (rf == 0.0) {`);
  for (const c of p.counterStores) L.push(`${I}  if (i == ${idx(STATE_HEADER + c.counter)}) {`, `${I}    rv = ${read(c.value)};`, `${I}  }`);
  ops.forEach((op, i) => {
    if (op.op === "const" || op.op === "slot" || op.op === "row") return;
    if (op.rank === "scalar" && op.slot !== undefined) L.push(`${I}  if (i == tb + ${idx(op.slot)}) {`, `${I}    rv = v${i};`, `${I}  }`);
    if (op.rank === "segment") {
      if (op.row === undefined) throw new Error(`internal: segment value ${i} of ${p.name} has no row`);
      L.push(`${I}  if (q >= 0.0 && qr == ${idx(op.row)}) {`, `${I}    rv = ${read(i)};`, `${I}  }`);
    }
  });
  L.push(`${I}}`, `  }`, `  return rv;`, `}`);
  return { kind: "device", source: L.join("\n"), args, settings: { argumentTypes: argumentTypes(args), precision: "single", pipeline: true, immutable: true } };
}

/**
 * The fold of `n` reductions' partial sums: output i adds x_j[lo, hi) with lo, hi = rg[2i],
 * rg[2i + 1] (at most FOLD of them, one tensor's), compensated; with `prev`, plus p_j[i] (the
 * tensor's sum over the pages before).
 */
export function renderFold(n: number, prev: boolean): GpuJsSource {
  const js = Array.from({ length: n }, (_, j) => j);
  const args = ["rg", ...js.map((j) => `x${j}`), ...(prev ? js.map((j) => `p${j}`) : [])];
  const L = [`function (${args.join(", ")}) {`, `  // fold: at most ${FOLD} partial sums of one tensor per output, compensated`];
  L.push(`  const lo = rg[this.thread.x * 2.0];`, `  const hi = rg[this.thread.x * 2.0 + 1.0];`);
  for (const j of js) L.push(`  let s${j} = 0.0;`, `  let c${j} = 0.0;`);
  L.push(`  for (let k = 0; k < ${FOLD}; k++) {`, `    const q = lo + k;`, `    if (q < hi) {`);
  for (const j of js) L.push(`      const y${j} = x${j}[q] - c${j};`, `      const t${j} = s${j} + y${j};`, `      c${j} = (t${j} - s${j}) - y${j};`, `      s${j} = t${j};`);
  L.push(`    }`, `  }`);
  const result = (j: number) => (prev ? `(p${j}[this.thread.x] + (s${j} - c${j}))` : `(s${j} - c${j})`);
  for (const j of js.slice(1)) L.push(`  out${j}(${result(j)});`);
  L.push(`  return ${result(0)};`, `}`);
  const map: Record<string, string> = {};
  for (const j of js.slice(1)) map[`out${j}`] = `function out${j}(v) { return v; }`;
  return { source: L.join("\n"), map };
}

/** Entries [lo, lo + n) of the state texture become pv[0, n). */
const WRITE_STATE = `function (st, pv, lo, n) {
  const i = this.thread.x + 0.0;
  let rv = st[i];
  if (i >= lo && i < lo + n) {
    rv = pv[i - lo];
  }
  return rv;
}`;

/** Opaque SAM: a page of an arena goes back to its saved value when the device refused step `step`. */
const RESTORE_PAGE_IF_REFUSED = `function (st, cur, saved, step) {
  const x = this.thread.x;
  const y = this.thread.y;
  let rv = cur[y][x];
  if (st[0] > 0.5 && st[1] == step) {
    rv = saved[y][x];
  }
  return rv;
}`;

/** Opaque SAM: the device counters go back to their saved values when the device refused step `step`. */
const RESTORE_COUNTERS_IF_REFUSED = `function (st, saved, step) {
  const i = this.thread.x + 0.0;
  let rv = st[i];
  if (st[0] > 0.5 && st[1] == step && i >= 2.0 && i < this.constants.tb) {
    rv = saved[i];
  }
  return rv;
}`;

/** The run's small kernels, for the artifact (format/abi_gpujs.ts's GpuJsStepKernels). */
export function renderStepKernels(): GpuJsStepKernels {
  const fold = Array.from({ length: MAX_OUTPUTS }, (_, i) => ({ first: renderFold(i + 1, false), next: renderFold(i + 1, true) }));
  return { kind: "step", fold, writeState: WRITE_STATE, restorePageIfRefused: RESTORE_PAGE_IF_REFUSED, restoreCountersIfRefused: RESTORE_COUNTERS_IF_REFUSED };
}
