/**
 * The contract between the WGSL renderer (targets/wgsl) and the WebGPU runtime: binding slots,
 * the shapes of kernels, folds and device programs, and the run-wide table buffer. The
 * renderer imports these; the runtime owns them.
 *
 * The table buffer (TB, u32 words) is shared by every dispatch of a run:
 *   [0, 4)            status: refusal id (0 = none), the refused step's number, 2 spare;
 *   [4, 4 + C)        the device counters (float32 bits);
 *   then per phase    its table (format/device.ts): 2 header words (the step's number, the
 *                     validate flag), its scalar slots, then its rows (one word per tensor).
 */
export const BINDINGS = { uniforms: 0, workgroups: 1, table: 2, partials: 3, arenaBase: 4 } as const;
export const WORKGROUP_SIZE = 64;
/** Arenas are bound as array<vec4<f32>>: rows whose bounds are multiples of 4 run four lanes at once. */
export const VECTOR_WIDTH = 4;

/**
 * vec4s each invocation handles, strided by the workgroup size so a workgroup's loads are
 * contiguous: a run-time choice (a uniform, so one shader serves every choice). On a software
 * adapter (SwiftShader: workgroups are CPU tasks, so fewer and larger ones win) 16, measured
 * fastest of 1-32 for sgd and adam at 1e6; on hardware 4 (16 floats in flight per invocation,
 * still 24k workgroups at 1e8 parameters; not measured here, no GPU was available).
 */
export const VECTORS_PER_INVOCATION = { software: 16, hardware: 4 } as const;

/** Kernels' uniform block: eight u32 (rows in this dispatch, its x size, tensors, partials stride, the phase's table base and scalar count, vec4s per invocation, 1 spare). */
export const UNIFORM_HEADER = ["rows", "groups_x", "segments", "partial_stride", "table_base", "table_scalars", "vectors", "pad0"] as const;
export const UNIFORM_BYTES = 4 * UNIFORM_HEADER.length;

export const STATUS_WORDS = 4;
export const STATUS = { refusal: 0, step: 1 } as const;
export const COUNTER_BASE = STATUS_WORDS;
/** A phase table's header words: the number of the step being run, and whether it validates. */
export const TABLE_HEADER = { step: 0, validate: 1 } as const;
export const TABLE_HEADER_WORDS = 2;

/** Folds: one workgroup per (fold row, reduction); each invocation sums strided partials (compensated). */
export const FOLD_BINDINGS = { uniforms: 0, partials: 1, rows: 2, sums: 3 } as const;
export const FOLD_THREADS = 64;
/** Partials one fold row covers at most (a tensor's partials are split into rows of this many). */
export const FOLD_ROW_PARTIALS = 65536;
export const FOLD_UNIFORM_HEADER = ["rows", "partial_stride", "pad0", "pad1"] as const;

/** Device programs: one invocation; fold f's sums at foldBase + 2f, its per-tensor fold rows at foldBase + 2f + 1. */
export const DEVICE_BINDINGS = { uniforms: 0, table: 1, foldBase: 2 } as const;
export const DEVICE_UNIFORM_HEADER = ["segments", "table_base", "table_scalars", "pad0"] as const;
