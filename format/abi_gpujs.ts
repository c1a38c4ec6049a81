/**
 * The contract between the gpu.js renderer (targets/gpujs) and the gpu.js runtime: what a
 * rendered program is, its arguments, and the fixed sizes both sides rely on.
 *
 * A step never reads the GPU back. Besides the arenas, a run keeps one small "state" texture
 * (one float per entry; every device program writes a new one):
 *   [0] the refusal recorded (0 = none; refusal id k is CompiledStep.device.refusals[k - 1]),
 *   [1] the step it refused, mod STEP_MODULUS,
 *   [2, tb) the device counters (tb = STATE_HEADER + counters, a kernel constant),
 *   [tb, tb + scalars) the running phase's device table slots, then its rows (row r of tensor s
 *   at tb + scalars + r * nseg + s). Host slots and rows are not in it: kernels take those as
 *   uniforms and `sv`, device programs as `hv`.
 * A store program stores each element's old value while [0] is not 0, so a refused step (and
 * every step queued after it) changes nothing; sync() reads [0, tb) back, once.
 */

/** Outputs per program: WebGL2 guarantees 4 draw buffers (the return value plus 3 mapped). */
export const MAX_OUTPUTS = 4;
/** Elements each partial-sum thread adds up (one tensor's elements only). */
export const CHUNK = 128;
/** Partial sums each fold thread adds up, compensated (one tensor's only). */
export const FOLD = 256;
/** Entries of the state texture before the device counters: the refusal and its step. */
export const STATE_HEADER = 2;
/** Step numbers are recorded mod 2^24, where float32 still counts exactly (the host knows which step it was). */
export const STEP_MODULUS = 2 ** 24;
/**
 * The argument type the renderer writes for arena textures; the runtime replaces it with what
 * the kernel type takes ("Array" in cpu mode, "MemoryOptimizedNumberTexture" with
 * optimizeFloatMemory).
 */
export const TEXTURE_ARGUMENT = "ArrayTexture(1)";
/**
 * The argument type the renderer writes for the run's small textures (the state, partial-sum
 * rows, fold sums): single floats, never memory-optimized; "Array" in cpu mode.
 */
export const SMALL_TEXTURE_ARGUMENT = "SmallTexture";

export interface GpuJsArgument {
  name: string;
  /**
   * arena: a page of binding `index` (texture); segment: each element's tensor index (texture);
   * table: partial programs' chunk rows (start, end, tensor; a small texture); state: the state
   * texture; segvals: the host's per-tensor values, value j of tensor s at j * nseg + s;
   * uniform: the host's per-step scalar `index` (uniforms the device computes are read from
   * the state texture).
   */
  kind: "arena" | "segment" | "table" | "state" | "segvals" | "uniform";
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
  /** Explicit gpu.js settings; the runtime adds output size and constants (nseg, W, tb). */
  settings: {
    argumentTypes: Record<string, string>;
    precision: "single";
    pipeline: boolean;
    immutable: boolean;
  };
}

export interface GpuJsDeviceArgument {
  name: string;
  /**
   * state: the state texture before the program; host: the phase's host slots, then its host
   * rows (row r of tensor s at hostScalars + r * nseg + s); step: the step's number mod
   * STEP_MODULUS; validate: 1 when the run checks finiteness, else 0; fold: the per-tensor sums
   * of reduction `reduction` of fold `index` (format/device.ts's DeviceProgram.folds).
   */
  kind: "state" | "host" | "step" | "validate" | "fold";
  index: number;
  reduction?: number;
}

/**
 * A device program (format/device.ts) as one gpu.js kernel over the state texture: thread i
 * writes entry i, recomputing what it needs of the program (device programs are tiny), and
 * copies every entry the program does not write.
 */
export interface GpuJsDeviceProgram {
  kind: "device";
  source: string;
  args: GpuJsDeviceArgument[];
  settings: {
    argumentTypes: Record<string, string>;
    precision: "single";
    pipeline: true;
    immutable: true;
  };
}

/** A gpu.js kernel source and its createKernelMap functions (out1..outN; empty for one output). */
export interface GpuJsSource {
  source: string;
  map: Record<string, string>;
}

/**
 * The run's own small kernels, rendered once per artifact (CompiledStep.device.fold.gpujs), so
 * the runtime never generates code: the fold of n = 1..MAX_OUTPUTS reductions (`first`: a page's
 * partial sums; `next`: plus the sums of the pages before), writing entries of the state texture,
 * and opaque SAM's restores, which act only if the device refused the step.
 */
export interface GpuJsStepKernels {
  kind: "step";
  fold: { first: GpuJsSource; next: GpuJsSource }[];
  writeState: string;
  restorePageIfRefused: string;
  restoreCountersIfRefused: string;
}
