/**
 * The contract between the gpu.js renderer (targets/gpujs) and the gpu.js runtime: what a
 * rendered program is, its arguments, and the fixed sizes both sides rely on.
 */

/** Outputs per program: WebGL2 guarantees 4 draw buffers (the return value plus 3 mapped). */
export const MAX_OUTPUTS = 4;
/** Elements each partial-sum thread adds up (one tensor's elements only). */
export const CHUNK = 128;
/**
 * The argument type the renderer writes for arena textures; the runtime replaces it with what
 * the kernel type takes ("Array" in cpu mode, "MemoryOptimizedNumberTexture" with
 * optimizeFloatMemory).
 */
export const TEXTURE_ARGUMENT = "ArrayTexture(1)";

export interface GpuJsArgument {
  name: string;
  /**
   * arena: a page of binding `index` (texture); segment: each element's tensor index (texture);
   * table: partial programs' chunk rows (start, end, tensor); segvals: per-tensor values,
   * value j of tensor s at j * nseg + s; uniform: per-step scalar `index`.
   */
  kind: "arena" | "segment" | "table" | "segvals" | "uniform";
  index: number;
}

export interface GpuJsProgram {
  kind: "store" | "partial";
  /** The kernel function, in gpu.js's JavaScript subset. */
  source: string;
  /** createKernelMap's functions, named out1..outN; empty for a single output. */
  map: Record<string, string>;
  /** What each output holds (result, out1, ...): store: a binding index; partial: a reduction index. */
  outputs: number[];
  args: GpuJsArgument[];
  /** Explicit gpu.js settings; the runtime adds output size and constants (nseg, W). */
  settings: {
    argumentTypes: Record<string, string>;
    precision: "single";
    pipeline: boolean;
    immutable: boolean;
  };
}
