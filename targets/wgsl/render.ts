/**
 * WGSL renderer: one compute shader per kernel, plus the fold and device programs
 * (targets/wgsl/device.ts). Elements are laid out by a per-dispatch workgroup table (tensor,
 * first, end, global row), so a workgroup never spans two tensors: per-tensor values are read
 * once per workgroup, and each invocation's reduction partial belongs to one tensor.
 *
 * Arenas are array<vec4<f32>>. A workgroup whose row starts and ends on a multiple of 4 (every
 * row but a tensor's first and last, when tensors are not multiples of 4) runs the vec4 body;
 * the others run the same math one lane at a time. The choice is per workgroup, never per
 * invocation, so no workgroup diverges. Each invocation handles P.vectors vec4s (the run's
 * choice: format/abi_webgpu.ts) strided by the workgroup size and writes one partial per
 * reduction; the fold adds them.
 *
 * Host values (uniforms, per-tensor values) come from the run's table buffer (format/abi_webgpu.ts),
 * where the host or a device program wrote them; a recorded refusal makes every kernel return
 * before it stores anything. Math is float32: results match the interpreter within a few ulps.
 */
import { BINDINGS, STATUS, TABLE_HEADER_WORDS, UNIFORM_HEADER, VECTOR_WIDTH, WORKGROUP_SIZE } from "../../format/abi_webgpu.js";
import type { Kernel } from "../../format/kernel.js";
import { bindingComments, renderValues, type Dialect } from "../c_like.js";
import { commentSafe } from "../print_number.js";
import type { KernelContext, Renderer } from "../target.js";
import { renderDeviceProgram, renderFold } from "./device.js";
import { WGSL, WGSL_HELPERS, WGSL_VEC4 } from "./dialect.js";

function slotOf(ctx: KernelContext | undefined, hostId: number, what: "slot" | "row"): number {
  const at = ctx ? ctx.table[what][hostId] : -1;
  if (at === undefined || at < 0) throw new Error(`internal: host value ${hostId} has no table ${what}`);
  return at;
}

/** The per-element body for one lane or four; loads and stores through `at`. */
function body(k: Kernel, d: Dialect, vec: boolean, index: string, L: string[], indent: string): void {
  const at = vec ? `[${index}]` : `[${index} >> 2u][${index} & 3u]`;
  const leaves = {
    load: (arena: number) => ({ expr: `a${arena}${at}` }),
    uniform: (u: number) => ({ inline: vec ? `u${u}v` : `u${u}` }),
    segval: (v: number) => ({ inline: vec ? `sv${v}v` : `sv${v}` }),
  };
  const name = renderValues(k, d, leaves, (n) => `t${n}`, L, indent);
  for (const st of k.stores) L.push(`${indent}a${st.arena}${at} = ${name[st.value]};`);
  k.reductions.forEach((r, j) => L.push(vec ? `${indent}r${j} = r${j} + ${name[r.value]};` : `${indent}r${j}.x = r${j}.x + ${name[r.value]};`));
}

export function renderWgsl(k: Kernel, ctx?: KernelContext): string {
  const L: string[] = [];
  L.push(`// kernel ${commentSafe(k.name)}`, ...bindingComments(k));
  L.push(`struct Uniforms {`, ...UNIFORM_HEADER.map((field) => `  ${field}: u32,`), `}`);
  L.push(`@group(0) @binding(${BINDINGS.uniforms}) var<uniform> P: Uniforms;`);
  L.push(`@group(0) @binding(${BINDINGS.workgroups}) var<storage, read> WG: array<vec4<u32>>;`);
  L.push(`@group(0) @binding(${BINDINGS.table}) var<storage, read> TB: array<u32>;`);
  if (k.reductions.length > 0) L.push(`@group(0) @binding(${BINDINGS.partials}) var<storage, read_write> PARTIALS: array<f32>;`);
  k.bindings.forEach((b, i) => L.push(`@group(0) @binding(${BINDINGS.arenaBase + i}) var<storage, ${b.write ? "read_write" : "read"}> a${i}: array<vec4<f32>>;`));
  L.push(...WGSL_HELPERS);
  L.push(`@compute @workgroup_size(${WORKGROUP_SIZE})`);
  L.push(`fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {`);
  L.push(`  let w = wid.x + wid.y * P.groups_x;`);
  // A refused step (this one or one queued before it) stores nothing.
  L.push(`  if (w >= P.rows || TB[${STATUS.refusal}u] != 0u) { return; }`);
  L.push(`  let info = WG[w];`);
  L.push(`  let s = info.x;`);
  const slots = `P.table_base + ${TABLE_HEADER_WORDS}u`;
  for (let u = 0; u < k.uniformCount; u++) {
    L.push(`  let u${u} = bitcast<f32>(TB[${slots} + ${slotOf(ctx, ctx?.uniforms[u] ?? -1, "slot")}u]);`, `  let u${u}v = vec4<f32>(u${u});`);
  }
  for (let v = 0; v < k.segvalCount; v++) {
    L.push(`  let sv${v} = bitcast<f32>(TB[${slots} + P.table_scalars + ${slotOf(ctx, ctx?.segvals[v] ?? -1, "row")}u * P.segments + s]);`, `  let sv${v}v = vec4<f32>(sv${v});`);
  }
  k.reductions.forEach((_, j) => L.push(`  var r${j} = vec4<f32>(0.0f);`));
  L.push(`  if (((info.y | info.z) & ${VECTOR_WIDTH - 1}u) == 0u) {`);
  L.push(`    for (var v = 0u; v < P.vectors; v = v + 1u) {`);
  L.push(`      let q = (info.y >> 2u) + lid + v * ${WORKGROUP_SIZE}u;`);
  L.push(`      if (q < (info.z >> 2u)) {`);
  body(k, WGSL_VEC4, true, "q", L, "        ");
  L.push(`      }`, `    }`, `  } else {`);
  L.push(`    for (var e = 0u; e < P.vectors * ${VECTOR_WIDTH}u; e = e + 1u) {`);
  L.push(`      let i = info.y + lid + e * ${WORKGROUP_SIZE}u;`);
  L.push(`      if (i < info.z) {`);
  body(k, WGSL, false, "i", L, "        ");
  L.push(`      }`, `    }`, `  }`);
  k.reductions.forEach((_, j) => L.push(`  PARTIALS[${j}u * P.partial_stride + info.w * ${WORKGROUP_SIZE}u + lid] = (r${j}.x + r${j}.y) + (r${j}.z + r${j}.w);`));
  L.push(`}`);
  return L.join("\n");
}

export const wgslRenderer: Renderer = {
  target: "webgpu",
  caps: { maxOutputs: Infinity, reduceWithStores: true, kernelsReadPassInputs: false },
  device: true,
  render: (kernel, ctx) => ({ wgsl: renderWgsl(kernel, ctx) }),
  renderDevice: (program) => ({ wgsl: renderDeviceProgram(program) }),
  renderFold: () => ({ wgsl: renderFold() }),
};
