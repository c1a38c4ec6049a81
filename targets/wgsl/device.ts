/**
 * The WGSL of the device side of a step: the fold (one shader for every reducing kernel: adds
 * the per-invocation partials of each fold row, compensated) and device programs (one
 * invocation running the part of the host program that depends on reductions or device
 * counters: format/device.ts). Per-tensor sums are compensated too (Kahan), so a reduction's
 * error stays near one float32 rounding however many partials it has.
 */
import { COUNTER_BASE, DEVICE_BINDINGS, DEVICE_UNIFORM_HEADER, FOLD_BINDINGS, FOLD_THREADS, FOLD_UNIFORM_HEADER, STATUS, TABLE_HEADER, TABLE_HEADER_WORDS } from "../../format/abi_webgpu.js";
import type { DeviceOp, DeviceProgram } from "../../format/device.js";
import { aluOperands, isAlu, type AluOp } from "../../format/ops.js";
import type { Kernel } from "../../format/kernel.js";
import { renderAlu } from "../c_like.js";
import { commentSafe } from "../print_number.js";
import { WGSL, WGSL_HELPERS } from "./dialect.js";

/** The fold shader: workgroup (row, j) sums reduction j's partials over fold row `row`; invocation lid strides by FOLD_THREADS. */
export function renderFold(): string {
  return [
    `// fold: partial sums per fold row, ${FOLD_THREADS} compensated lanes each`,
    `struct Uniforms {`,
    ...FOLD_UNIFORM_HEADER.map((f) => `  ${f}: u32,`),
    `}`,
    `@group(0) @binding(${FOLD_BINDINGS.uniforms}) var<uniform> P: Uniforms;`,
    `@group(0) @binding(${FOLD_BINDINGS.partials}) var<storage, read> PARTIALS: array<f32>;`,
    `@group(0) @binding(${FOLD_BINDINGS.rows}) var<storage, read> ROWS: array<vec2<u32>>;`,
    `@group(0) @binding(${FOLD_BINDINGS.sums}) var<storage, read_write> SUMS: array<f32>;`,
    `@compute @workgroup_size(${FOLD_THREADS})`,
    `fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {`,
    `  let r = wid.x;`,
    `  let j = wid.y;`,
    `  if (r >= P.rows) { return; }`,
    `  let range = ROWS[r];`,
    `  var sum = 0.0f;`,
    `  var c = 0.0f;`,
    `  for (var i = range.x + lid; i < range.y; i = i + ${FOLD_THREADS}u) {`,
    `    let y = PARTIALS[j * P.partial_stride + i] - c;`,
    `    let t = sum + y;`,
    `    c = (t - sum) - y;`,
    `    sum = t;`,
    `  }`,
    `  SUMS[(r * nwg.y + j) * ${FOLD_THREADS}u + lid] = sum;`,
    `}`,
  ].join("\n");
}

const f32Of = (word: string) => `bitcast<f32>(${word})`;

export function renderDeviceProgram(p: DeviceProgram): string {
  const L: string[] = [`// device program ${commentSafe(p.name)}: level ${p.level}`];
  L.push(`struct Uniforms {`, ...DEVICE_UNIFORM_HEADER.map((f) => `  ${f}: u32,`), `}`);
  L.push(`@group(0) @binding(${DEVICE_BINDINGS.uniforms}) var<uniform> P: Uniforms;`);
  L.push(`@group(0) @binding(${DEVICE_BINDINGS.table}) var<storage, read_write> TB: array<u32>;`);
  p.folds.forEach((f, i) => {
    L.push(`// fold ${i}: kernel ${f.kernel} of the previous pass, ${f.reductions} reductions`);
    L.push(`@group(0) @binding(${DEVICE_BINDINGS.foldBase + 2 * i}) var<storage, read> SUMS${i}: array<f32>;`);
    L.push(`@group(0) @binding(${DEVICE_BINDINGS.foldBase + 2 * i + 1}) var<storage, read> TROWS${i}: array<vec2<u32>>;`);
  });
  L.push(...WGSL_HELPERS);
  L.push(`fn header(k: u32) -> u32 { return P.table_base + k; }`);
  L.push(`fn slot(k: u32) -> u32 { return P.table_base + ${TABLE_HEADER_WORDS}u + k; }`);
  L.push(`fn row(r: u32, s: u32) -> u32 { return P.table_base + ${TABLE_HEADER_WORDS}u + P.table_scalars + r * P.segments + s; }`);
  const sums = new Set<string>();
  for (const op of p.ops) if (op.op === "fold") sums.add(`${op.fold}_${op.reduction}`);
  for (const key of sums) {
    const [f, j] = key.split("_").map(Number);
    const nred = p.folds[f].reductions;
    L.push(
      `fn tensor_sum_${f}_${j}(s: u32) -> f32 {`,
      `  let rows = TROWS${f}[s];`,
      `  var sum = 0.0f;`,
      `  var c = 0.0f;`,
      `  for (var r = rows.x; r < rows.y; r = r + 1u) {`,
      `    for (var lane = 0u; lane < ${FOLD_THREADS}u; lane = lane + 1u) {`,
      `      let y = SUMS${f}[(r * ${nred}u + ${j}u) * ${FOLD_THREADS}u + lane] - c;`,
      `      let t = sum + y;`,
      `      c = (t - sum) - y;`,
      `      sum = t;`,
      `    }`,
      `  }`,
      `  return sum;`,
      `}`,
    );
  }
  L.push(`@compute @workgroup_size(1)`, `fn main() {`);
  L.push(`  if (TB[${STATUS.refusal}u] != 0u) { return; }`);
  /** A scalar value's expression, or a segment value's at tensor `s`. */
  const read = (i: number): string => {
    const op = p.ops[i];
    if (op.rank === "segment") return f32Of(`TB[row(${rowOf(op, i)}u, s)]`);
    return op.op === "const" ? WGSL.literal(op.value) : `v${i}`;
  };
  p.ops.forEach((_, i) => renderOp(p.ops, i, read, L));
  for (const g of p.guards) {
    // Finiteness guards only when the run validates (the header's flag, written per step).
    const when = g.finiteness ? ` && TB[header(${TABLE_HEADER.validate}u)] != 0u` : "";
    L.push(`  if (!truthy(${read(g.value)})${when}) {`, `    TB[${STATUS.refusal}u] = ${g.refusal}u;`, `    TB[${STATUS.step}u] = TB[header(${TABLE_HEADER.step}u)];`, `    return;`, `  }`);
  }
  for (const c of p.counterStores) L.push(`  TB[${COUNTER_BASE + c.counter}u] = bitcast<u32>(${read(c.value)});`);
  L.push(`}`);
  return L.join("\n");
}

function rowOf(op: DeviceOp, i: number): number {
  if (op.row === undefined) throw new Error(`internal: segment value ${i} has no row`);
  return op.row;
}

/** One op: a scalar `let` (written to its slot), or a loop over tensors writing its row. */
function renderOp(ops: DeviceOp[], i: number, read: (i: number) => string, L: string[]): void {
  const op = ops[i];
  let expr: string;
  switch (op.op) {
    case "const":
      return;
    case "row":
      return;
    case "slot":
      expr = f32Of(`TB[slot(${op.slot}u)]`);
      break;
    case "counter":
      expr = f32Of(`TB[${COUNTER_BASE + op.index}u]`);
      break;
    case "fold": {
      const sum = `tensor_sum_${op.fold}_${op.reduction}`;
      if (op.scope === "segment") {
        L.push(`  for (var s = 0u; s < P.segments; s = s + 1u) { TB[row(${rowOf(op, i)}u, s)] = bitcast<u32>(${sum}(s)); }`);
        return;
      }
      // Tensors in order from 0, skipping those the mask excludes (the kernel format's fold).
      const masked = op.maskRow === undefined ? "true" : `truthy(${f32Of(`TB[row(${op.maskRow}u, s)]`)})`;
      L.push(`  var g${i} = 0.0f;`, `  for (var s = 0u; s < P.segments; s = s + 1u) { if (${masked}) { g${i} = g${i} + ${sum}(s); } }`);
      expr = `g${i}`;
      break;
    }
    default: {
      if (!isAlu(op)) throw new Error(`internal: device op ${(op as DeviceOp).op}`);
      const args = aluOperands(op as AluOp).map(read);
      // The op table looks operands up in a kernel's ops (the x * 0 test): a program's ops serve.
      const alu = renderAlu(WGSL, op as AluOp, args, { ops } as unknown as Kernel);
      if (op.rank === "segment") {
        L.push(`  for (var s = 0u; s < P.segments; s = s + 1u) { TB[row(${rowOf(op, i)}u, s)] = bitcast<u32>(${alu}); }`);
        return;
      }
      expr = alu;
    }
  }
  L.push(`  let v${i} = ${expr};`);
  if (op.slot !== undefined) L.push(`  TB[slot(${op.slot}u)] = bitcast<u32>(v${i});`);
}
