/**
 * CompiledStep: the versioned, JSON-serialisable artifact between the compiler and the
 * runtime. Kernels, state layout and the host program; never a parser or a compiler.
 */
import type { Kernel } from "./kernel.js";
import type { GpuJsProgram } from "./abi_gpujs.js";
import type { AluOp } from "./ops.js";

export const ARTIFACT_VERSION = 1;

export type Target = "js" | "webgpu" | "gpujs";
export const TARGETS: readonly Target[] = ["js", "webgpu", "gpujs"];

/** A host-program value: a leaf (literal, counter, reduction result, mask flag) or ALU math. */
export type HostOp = { op: "const"; value: number } | { op: "counter"; counter: string } | { op: "reduce"; reduction: number } | { op: "maskflag"; mask: number } | AluOp;

/** A host value: a float64 scalar, or one value per segment (tensor). */
export type HostRank = "scalar" | "segment";

export type HostNode = HostOp & {
  rank: HostRank;
  /** Evaluated before pass `level` (after the reductions of pass level-1). */
  level: number;
};

export type ArenaRole = "params" | "grads" | "state" | "scratch";

export interface ArenaDecl {
  name: string;
  role: ArenaRole;
  /** Initial contents: a constant, or a copy of the initial params. */
  init: { fill: number } | { copy: "params" };
  /** Path of the transform that owns it (for explain and snapshots). */
  owner: string;
}

export interface CounterDecl {
  name: string;
  init: number;
  owner: string;
}

/** A tensor mask: tensors whose name matches the glob patterns (gitignore-style, last match wins). */
export interface MaskDecl {
  owner: string;
  patterns: string[];
}

export interface Guard {
  cond: number;
  level: number;
  code: string;
  message: string;
  hint: string;
}

export interface PassArtifact {
  kernel: Kernel;
  /** Host node ids feeding the kernel's uniforms, in uniform index order. */
  uniforms: number[];
  /** Host node ids (segment rank) feeding the kernel's segvals. */
  segvals: number[];
  /** Phase reduction index produced by each kernel reduction, in kernel order. */
  reductions: number[];
  /**
   * Rendered code per target. wgslSubgroups: the same kernel reducing with subgroupAdd, used
   * when the device has `subgroups`. gpujs: the kernel's gpu.js programs.
   */
  code: { js?: string; wgsl?: string; wgslSubgroups?: string; gpujs?: GpuJsProgram[] };
}

export interface PhaseArtifact {
  name: string;
  host: HostNode[];
  reductions: { scope: "global" | "segment" }[];
  passes: PassArtifact[];
  guards: Guard[];
  counterStores: { counter: string; value: number }[];
  /** Logical bytes read+written per parameter per step by all passes. */
  bytesPerElement: number;
}

export type Protocol =
  | { kind: "plain" }
  | { kind: "sam"; syncPeriod: number; opaque: boolean; resetState: boolean; allReduce: boolean; advArenas: string[]; advCounters: string[] };

export interface CompiledStep {
  version: number;
  optcVersion: string;
  /** The canonical form of the config this was compiled from. */
  config: string;
  target: Target;
  arenas: ArenaDecl[];
  counters: CounterDecl[];
  masks: MaskDecl[];
  protocol: Protocol;
  phases: Record<string, PhaseArtifact>;
  /** Hash of config + layout; snapshots from a different fingerprint are refused. */
  fingerprint: string;
  /** The config checks non-finite values itself (apply_if_finite, MultiSteps skip): no pre-step validation. */
  handlesNonFinite: boolean;
  /** GPU targets: one kernel per gradient arena that counts its non-finite elements. */
  validation?: Record<string, PassArtifact>;
  /** Warnings the checker gave, so `compile()` users can see them. */
  warnings: string[];
}
