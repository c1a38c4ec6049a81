/**
 * WGSL renderer: one compute shader per kernel. Elements are laid out by a per-dispatch
 * workgroup table (segment, first, end, global workgroup index), so a workgroup never spans two
 * tensors: per-tensor values need no search, and each workgroup's reduction partial belongs to
 * one tensor. Reductions are a shared-memory tree per workgroup; the host adds the partials
 * (float64) in workgroup order, then folds tensors in order, as the kernel format defines.
 * Math is float32, so results match the interpreter within a few ulps per step.
 */
import { BINDINGS, ELEMENTS_PER_THREAD, UNIFORM_HEADER, WORKGROUP_SIZE } from "../../format/abi_webgpu.js";
import type { Kernel } from "../../format/kernel.js";
import { bindingComments, boolToNumber, renderValues, type Dialect } from "../c_like.js";
import { commentSafe, wgslFloat } from "../print_number.js";
import type { Renderer } from "../target.js";

const WGSL: Dialect = {
  literal: (x) => `(${wgslFloat(x)})`,
  one: "1.0f",
  zero: "0.0f",
  call: (fn, args) => `${fn}(${args.join(", ")})`,
  cond: (c, a, b) => `select(${b}, ${a}, ${c})`,
  // truthy() and is_finite() are bit tests defined in every shader (below): WGSL's float
  // comparisons need not follow IEEE for NaN.
  truthy: (x) => `truthy(${x})`,
  eq: "==",
  ne: "!=",
  declare: (name, expr) => `let ${name} = ${expr};`,
  overrides: {
    // Every WGSL value is already float32.
    f32: ([a]) => a,
    isfinite: ([a], { d }) => boolToNumber(d, `is_finite(${a})`),
  },
};

export interface WgslOptions {
  /**
   * Reduce with subgroupAdd (the `subgroups` feature): one barrier instead of a six-step tree.
   * Subgroup membership is the driver's, so sums may round differently from run to run.
   */
  subgroups?: boolean;
}

export function renderWgsl(k: Kernel, options: WgslOptions = {}): string {
  const useSubgroups = options.subgroups === true && k.reductions.length > 0;
  const L: string[] = [];
  if (useSubgroups) L.push("enable subgroups;");
  const uVec4 = Math.max(1, Math.ceil(k.uniformCount / 4));
  L.push(`// kernel ${commentSafe(k.name)}`, ...bindingComments(k));
  L.push(`struct Uniforms {`, ...UNIFORM_HEADER.map((field) => `  ${field}: u32,`), `  u: array<vec4<f32>, ${uVec4}>,`, `}`);
  L.push(`@group(0) @binding(${BINDINGS.uniforms}) var<uniform> P: Uniforms;`);
  L.push(`@group(0) @binding(${BINDINGS.workgroups}) var<storage, read> WG: array<vec4<u32>>;`);
  if (k.segvalCount > 0) L.push(`@group(0) @binding(${BINDINGS.segvals}) var<storage, read> SV: array<f32>;`);
  if (k.reductions.length > 0) L.push(`@group(0) @binding(${BINDINGS.partials}) var<storage, read_write> PARTIALS: array<f32>;`);
  k.bindings.forEach((b, i) => L.push(`@group(0) @binding(${BINDINGS.arenaBase + i}) var<storage, ${b.write ? "read_write" : "read"}> a${i}: array<f32>;`));
  k.reductions.forEach((_, j) => L.push(`var<workgroup> red${j}: array<f32, ${WORKGROUP_SIZE}>;`));
  L.push(
    `fn truthy(x: f32) -> bool { let m = bitcast<u32>(x) & 0x7fffffffu; return m != 0u && m <= 0x7f800000u; }`,
    `fn is_finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }`,
  );
  L.push(`@compute @workgroup_size(${WORKGROUP_SIZE})`);
  L.push(
    useSubgroups
      ? `fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) sg_lane: u32) {`
      : `fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {`,
  );
  L.push(`  let w = wid.x + wid.y * P.groups_x;`);
  L.push(`  if (w >= P.workgroups) { return; }`);
  L.push(`  let info = WG[w];`);
  L.push(`  let s = info.x;`);
  k.reductions.forEach((_, j) => L.push(`  var r${j}: f32 = 0.0f;`));
  L.push(`  for (var e = 0u; e < ${ELEMENTS_PER_THREAD}u; e = e + 1u) {`);
  L.push(`    let i = info.y + lid + e * ${WORKGROUP_SIZE}u;`);
  L.push(`    if (i < info.z) {`);
  const leaves = {
    load: (arena: number) => ({ expr: `a${arena}[i]` }),
    uniform: (u: number) => ({ inline: `P.u[${u >> 2}][${u & 3}]` }),
    segval: (v: number) => ({ expr: `SV[${v}u * P.segments + s]` }),
  };
  const name = renderValues(k, WGSL, leaves, (n) => `t${n}`, L, "      ");
  for (const st of k.stores) L.push(`      a${st.arena}[i] = ${name[st.value]};`);
  k.reductions.forEach((r, j) => L.push(`      r${j} = r${j} + ${name[r.value]};`));
  L.push(`    }`);
  L.push(`  }`);
  if (useSubgroups) {
    // Each subgroup's first lane holds its sum; invocation 0 adds those up.
    k.reductions.forEach((_, j) => L.push(`  let s${j} = subgroupAdd(r${j});`, `  red${j}[lid] = select(0.0f, s${j}, sg_lane == 0u);`));
    L.push(`  workgroupBarrier();`, `  if (lid == 0u) {`);
    k.reductions.forEach((_, j) => {
      L.push(`    var acc${j} = 0.0f;`, `    for (var q = 0u; q < ${WORKGROUP_SIZE}u; q = q + 1u) { acc${j} = acc${j} + red${j}[q]; }`, `    PARTIALS[${j}u * P.partial_stride + info.w] = acc${j};`);
    });
    L.push(`  }`, `}`);
    return L.join("\n");
  }
  k.reductions.forEach((_, j) => {
    L.push(`  red${j}[lid] = r${j};`);
  });
  if (k.reductions.length > 0) {
    L.push(`  workgroupBarrier();`);
    L.push(`  for (var stride = ${WORKGROUP_SIZE / 2}u; stride > 0u; stride = stride >> 1u) {`);
    L.push(`    if (lid < stride) {`);
    k.reductions.forEach((_, j) => L.push(`      red${j}[lid] = red${j}[lid] + red${j}[lid + stride];`));
    L.push(`    }`, `    workgroupBarrier();`, `  }`);
    L.push(`  if (lid == 0u) {`);
    k.reductions.forEach((_, j) => L.push(`    PARTIALS[${j}u * P.partial_stride + info.w] = red${j}[0];`));
    L.push(`  }`);
  }
  L.push(`}`);
  return L.join("\n");
}

export const wgslRenderer: Renderer = {
  target: "webgpu",
  caps: { maxOutputs: Infinity, reduceWithStores: true, kernelsReadPassInputs: false },
  render: (kernel) => (kernel.reductions.length > 0 ? { wgsl: renderWgsl(kernel), wgslSubgroups: renderWgsl(kernel, { subgroups: true }) } : { wgsl: renderWgsl(kernel) }),
};
