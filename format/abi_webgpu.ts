/**
 * The contract between the WGSL renderer (targets/wgsl) and the WebGPU runtime: binding slots
 * and how many elements a workgroup covers. The renderer imports these; the runtime owns them.
 */
export const BINDINGS = { uniforms: 0, workgroups: 1, segvals: 2, partials: 3, arenaBase: 4 } as const;
export const WORKGROUP_SIZE = 64;
/** Elements each invocation handles, strided by the workgroup size. */
export const ELEMENTS_PER_THREAD = 4;
export const ELEMENTS_PER_WORKGROUP = WORKGROUP_SIZE * ELEMENTS_PER_THREAD;

/**
 * The uniform block of every shader: a header of four u32 (workgroups of this dispatch, its
 * x size, segments, the stride between reductions' partials), then the kernel's uniforms as
 * vec4<f32>s (at least one).
 */
export const UNIFORM_HEADER = ["workgroups", "groups_x", "segments", "partial_stride"] as const;

export function uniformBlockBytes(uniformCount: number): number {
  return 4 * UNIFORM_HEADER.length + 16 * Math.max(1, Math.ceil(uniformCount / 4));
}
