/**
 * The contract between the WGSL renderer (targets/wgsl) and the WebGPU runtime: binding slots
 * and how many elements a workgroup covers. The renderer imports these; the runtime owns them.
 */
export const BINDINGS = { uniforms: 0, workgroups: 1, segvals: 2, partials: 3, arenaBase: 4 } as const;
export const WORKGROUP_SIZE = 64;
/** Elements each invocation handles, strided by the workgroup size. */
export const ELEMENTS_PER_THREAD = 4;
export const ELEMENTS_PER_WORKGROUP = WORKGROUP_SIZE * ELEMENTS_PER_THREAD;
