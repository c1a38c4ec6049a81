/**
 * Compute pipelines with explicit bind group layouts (an "auto" layout drops bindings a shader
 * does not use, which would make bind groups depend on the code), created once per device and
 * shader source.
 */
/// <reference types="@webgpu/types" />

export type BindingKind = "uniform" | "read" | "write";

const cache = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

export function pipelineFor(device: GPUDevice, code: string, bindings: [number, BindingKind][]): GPUComputePipeline {
  let byCode = cache.get(device);
  if (!byCode) cache.set(device, (byCode = new Map()));
  const key = `${bindings.map(([b, k]) => `${b}${k[0]}`).join(",")}\n${code}`;
  let pipeline = byCode.get(key);
  if (!pipeline) {
    const layout = device.createBindGroupLayout({
      entries: bindings.map(([binding, kind]) => ({
        binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: kind === "uniform" ? "uniform" : kind === "read" ? "read-only-storage" : "storage" },
      })),
    });
    pipeline = device.createComputePipeline({ layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module: device.createShaderModule({ code }), entryPoint: "main" } });
    byCode.set(key, pipeline);
  }
  return pipeline;
}

/** The conditional restore of opaque SAM: copies src to dst (vec4s) and the counters backup into the table, only if the device refused step `step`. */
export const RESTORE_IF_REFUSED = `
struct Uniforms { vectors: u32, step: u32, counters: u32, counter_base: u32, groups_x: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> P: Uniforms;
@group(0) @binding(1) var<storage, read_write> TB: array<u32>;
@group(0) @binding(2) var<storage, read> SRC: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> DST: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> CB: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (TB[0] == 0u || TB[1] != P.step) { return; }
  let i = gid.x + gid.y * P.groups_x * 64u;
  if (i < P.vectors) { DST[i] = SRC[i]; }
  if (i < P.counters) { TB[P.counter_base + i] = CB[i]; }
}
`;
