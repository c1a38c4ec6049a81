/**
 * CompiledStep: the versioned, JSON-serialisable artifact between the compiler and the
 * runtime. Kernels, state layout and the host program; never a parser or a compiler.
 */
import type { Kernel } from "./kernel.js";
import type { GpuJsProgram } from "./abi_gpujs.js";
import { GRADS, PARAMS } from "./arena_names.js";
import type { PhaseDevice, StepDevice } from "./device.js";
import type { ArgRelation } from "./arg_relations.js";
import type { AluOp } from "./ops.js";

/**
 * 2: a pass holds one or more kernels (KernelArtifact). 3: GPU targets keep guards, reductions'
 * folds and outcome-dependent counters on the device (format/device.ts); no validation kernels.
 */
export const ARTIFACT_VERSION = 3;
/**
 * The version of the state layout rules (arena order and contents): part of the fingerprint that
 * snapshots carry, so it changes only when a snapshot could no longer be read, not with the
 * artifact's shape.
 */
export const LAYOUT_VERSION = 1;

export type Target = "js" | "webgpu" | "gpujs" | "wasm";
export const TARGETS: readonly Target[] = ["js", "webgpu", "gpujs", "wasm"];

/** Arenas that hold gradients, checked for NaN/Inf before a phase reads them: the caller's, and a cycle's. */
export function gradientArenas(protocol: Protocol): string[] {
  return protocol.step.kind === "cycle" && protocol.step.evaluations > 0 ? [GRADS, protocol.step.gradients] : [GRADS];
}

/** The step's inputs a guarded run refuses when non-finite: params, and the gradients unless the config handles them itself. */
export function checkedInputs(protocol: Protocol, handlesNonFinite: boolean): string[] {
  return [PARAMS, ...(handlesNonFinite ? [] : gradientArenas(protocol))];
}

/** The key of a kernel's guarded JS form in a build-time module's table of kernels. */
export function guardedKernelKey(kernelName: string): string {
  return `${kernelName} (guarded)`;
}

export function isTarget(name: unknown): name is Target {
  return (TARGETS as readonly unknown[]).includes(name);
}

/** Input names: a runtime hyperparameter's, and a value every step() passes. */
export const HYPER_PREFIX = "hyper:";
export const STEP_INPUT_PREFIX = "step:";

/** A host-program value: a leaf (literal, counter, reduction result, mask flag) or ALU math. */
export type HostOp = { op: "const"; value: number } | { op: "counter"; counter: string } | { op: "input"; input: string } | { op: "reduce"; reduction: number } | { op: "maskflag"; mask: number } | AluOp;

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
  /**
   * A float scalar of state (reduce_on_plateau's scale and best value), not a count: the host
   * keeps it as a float32 value and snapshots accept any finite number for it.
   */
  real?: boolean;
}

/**
 * The value of a host `input` node the runtime supplies: a runtime hyperparameter
 * (inject_hyperparams; input name `hyper:<path>`, changed by run.setHyperparam) or a value every
 * step() passes (input name `step:<name>`, e.g. step({ loss }) for reduce_on_plateau).
 */
export interface InputDecl {
  /** The input node's name: `hyper:<path>` or `step:<name>`. */
  input: string;
  /** What the user names it: the hyperparameter's path ("learning_rate", "1.b1") or the step option ("loss"). */
  name: string;
  /** A hyperparameter's compiled value (the runtime starts from it); 0 for a step value. */
  init: number;
  owner: string;
  /** The range the checker holds the argument to, where it is a plain range (setHyperparam refuses values outside it, R132). */
  bounds?: InputBounds;
}

/**
 * A rule between two numeric arguments inside inject_hyperparams (format/arg_relations.ts), at
 * least one of them a runtime hyperparameter: setHyperparam and loadState refuse (R132, R307) a
 * pair of values the checker would have refused.
 */
export interface HyperparamRelation {
  /** The argument whose check holds the rule, then the other one. */
  operands: [RelationOperand, RelationOperand];
  relation: ArgRelation;
  /** The checker's message for a pair that breaks the rule. */
  message: string;
}

/** One side of a relation: its path, and the runtime input that holds it or the value compiled in. */
export interface RelationOperand {
  name: string;
  input?: string;
  value: number;
}

/** A numeric range: [min, max], either end open or absent; `integer`: whole numbers only. */
export interface InputBounds {
  min?: number;
  max?: number;
  minOpen?: boolean;
  maxOpen?: boolean;
  integer?: boolean;
  /** The checker's message for a value outside it. */
  message: string;
}

/**
 * A numeric argument inside inject_hyperparams that is not a runtime value, and why (for
 * setHyperparam's hint): a schedule, one the lowering compiles in, or one static_args names.
 */
export interface FixedHyperparam {
  name: string;
  why: "schedule" | "compiled" | "static";
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
  /** A finiteness check the compiler added (R201, R206, R207): skipped by `validate: false`. */
  finiteness?: boolean;
  /** The input arenas a finiteness guard checks, params first. */
  arenas?: string[];
  /** GPU targets: decided on the device, as refusal `refusal` of CompiledStep.device. */
  refusal?: number;
}

/** Rendered code per target. gpujs: the kernel's gpu.js program. */
export interface KernelCode {
  js?: string;
  /** The JS kernel with the finiteness guard and backups (format/kernel.ts). */
  jsGuarded?: string;
  wgsl?: string;
  gpujs?: GpuJsProgram;
  /** The kernel's WebAssembly module (targets/wasm/render.ts), base64. */
  wasm?: string;
}

/** One kernel of a pass, with the host values it is fed and the reductions it produces. */
export interface KernelArtifact {
  kernel: Kernel;
  /** Host node ids feeding the kernel's uniforms, in uniform index order. */
  uniforms: number[];
  /** Host node ids (segment rank) feeding the kernel's segvals. */
  segvals: number[];
  /** Phase reduction index produced by each kernel reduction, in kernel order. */
  reductions: number[];
  code: KernelCode;
  /** Only finiteness checks: a run with `validate: false` skips it. */
  checkOnly?: boolean;
}

/**
 * One memory pass: the host program up to its level runs first, then its kernels. A target
 * whose kernels all read the pass's inputs (gpu.js: immutable textures) may get several kernels
 * per pass, split by the fuser within the target's caps; every other target gets one.
 */
export interface PassArtifact {
  kernels: KernelArtifact[];
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
  /** GPU targets: the host values on the device and the device programs. */
  device?: PhaseDevice;
}

/**
 * How the runtime runs a step(), as data the compiler writes (the runtime has no code for any
 * particular transform): which phase a step runs, which phases complete an outer update, and,
 * for a transform that evaluates gradients itself (opaque SAM), the cycle of phases and
 * gradient evaluations one step is.
 */
export interface Protocol {
  /** Who wrote it, for explain and tools ("plain", "sam"); the runtime never reads it. */
  owner: string;
  step: FixedPhase | CountedPhase | PhaseCycle;
  /** Phases that complete an outer (optimizer) update: run.outerCount counts them. */
  outerPhases: string[];
  /** While `counter` is not 0 the caller's params are a perturbed point; the true ones are in `trueParams`. */
  perturbed?: { counter: string; trueParams: string };
  /** Gradients the caller's gradFn returns go through init's allReduce (batch_axis_name). */
  allReduce: boolean;
  /** One line for explain: what the transform's options are. */
  summary: string;
}

export interface FixedPhase {
  kind: "fixed";
  phase: string;
}

/** The phase whose [from, to] range holds the counter's value (SAM: steps_since_sync). */
export interface CountedPhase {
  kind: "counted";
  counter: string;
  ranges: { from: number; to: number; phase: string }[];
}

/**
 * One step runs `first`, then `evaluations` times: the caller's gradFn at `perturbedParams`,
 * its result written into `gradients`, then `middle` (the last evaluation goes to `last`
 * instead). With no evaluations a step is `last` alone. A step that fails part way restores
 * the `restoreArenas` and every counter, so params and state are as they were.
 */
export interface PhaseCycle {
  kind: "cycle";
  /** What run.phase reports. */
  name: string;
  first: string;
  middle: string;
  last: string;
  evaluations: number;
  perturbedParams: string;
  gradients: string;
  restoreArenas: string[];
}

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
  /** GPU targets: device counters and the refusals device guards raise. */
  device?: StepDevice;
  /** Warnings the checker gave, so `compile()` users can see them. */
  warnings: string[];
  /** Runtime hyperparameters (inject_hyperparams), by path; absent when there are none. */
  hyperparams?: InputDecl[];
  /** Values every step() must pass (reduce_on_plateau: loss); absent when there are none. */
  stepInputs?: InputDecl[];
  /** inject_hyperparams' numeric arguments that are not runtime values (schedules, compiled-in ones). */
  fixedHyperparams?: FixedHyperparam[];
  /** Rules between two hyperparameters (or one and a compiled-in value) that setHyperparam keeps; absent when there are none. */
  hyperparamRelations?: HyperparamRelation[];
  /** schedule_free: run.evalParams() = (params − (1 − b1)·z) / b1 (schedule_free_eval_params). */
  evalParams?: EvalParamsDecl;
}

/** Where schedule_free's eval params come from: its z arena and b1 (a number, or a runtime hyperparameter). */
export interface EvalParamsDecl {
  z: string;
  b1: number | { input: string };
}
