/**
 * The step protocol, once for every run (JS, WebGPU, gpu.js): counters and mask flags, one step
 * at a time, the phase the artifact's protocol picks (or a whole cycle of phases with the
 * caller's gradient evaluations), outer-update counting, and loading snapshots. A backend
 * supplies how a phase runs and how arenas are read and written.
 */
import { GRADS } from "../format/arena_names.js";
import type { CompiledStep, PhaseCycle } from "../format/artifact.js";
import { fail } from "./errors.js";
import { matchesMask } from "./glob.js";
import { runCycle, type AllReduce, type CycleIo, type DeviceGradFn, type GradFn, type SavedArenas } from "./opaque_cycle.js";
import { isOuterPhase, isPerturbed, nextPhase } from "./protocol.js";
import { applyStepInputs, checkedHyperparam, hyperparamValues, initialInputs } from "./run_inputs.js";
import { checkedSnapshot, makeSnapshot, type StateSnapshot } from "./state.js";
import type { TensorLayout } from "./tensors.js";

/** What optc uses of an AbortSignal (structural, so no DOM or Node types are needed). */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener?(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener?(type: "abort", listener: () => void): void;
}

export interface StepOptions {
  /** Copied into the grads arena first (names and sizes checked); or write the grads in place. */
  grads?: Record<string, ArrayLike<number>>;
  /** A step that evaluates gradients itself (opaque SAM): the gradient at the perturbed params. */
  gradFn?: GradFn;
  /** WebGPU: opaque SAM's gradient computed on the run's own GPU buffers (opaque_cycle.ts's DeviceGradIo), so nothing is read back. */
  deviceGradFn?: DeviceGradFn;
  allReduce?: AllReduce;
  /**
   * Aborts the step (R208, params and state unchanged): checked before the step starts and,
   * in a cycle, while gradFn runs and between its phases (AbortSignal.timeout(ms) bounds a
   * gradFn that never resolves).
   */
  signal?: AbortSignalLike;
  /** The step's loss, for configs that read it (reduce_on_plateau): a finite number, required there (R133). */
  loss?: number;
}

/** Refuses step options of the wrong shape (R112) before anything runs. */
export function checkedStepOptions(options: unknown): StepOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object") fail("R112", `step() takes an options object, got ${options === null ? "null" : typeof options}`, "call step() or step({ grads, gradFn, signal })");
  const o = options as Record<string, unknown>;
  for (const key of ["gradFn", "deviceGradFn", "allReduce"] as const) {
    if (o[key] !== undefined && typeof o[key] !== "function") fail("R112", `step({ ${key} }) must be a function, got ${o[key] === null ? "null" : typeof o[key]}`, key === "gradFn" ? "gradFn(params, i, out) returns (or writes into out) the gradient at params" : key === "deviceGradFn" ? "deviceGradFn({ device, params, grads, tensors }, i) writes the gradient at params into grads on the GPU" : "allReduce(grads) reduces the gradients across replicas");
  }
  const signal = o.signal as AbortSignalLike | undefined;
  if (signal !== undefined && (signal === null || typeof signal !== "object" || typeof signal.aborted !== "boolean")) fail("R112", "step({ signal }) must be an AbortSignal", "pass an AbortController's signal, or AbortSignal.timeout(ms)");
  return o as StepOptions;
}

/** R208 when the signal has fired. */
export function throwIfAborted(signal: AbortSignalLike | undefined, where: string): void {
  if (signal?.aborted) fail("R208", `the step was aborted ${where}${signal.reason instanceof Error ? `: ${signal.reason.message}` : ""}`, "params, grads and state are unchanged");
}

export abstract class BaseRun {
  readonly tensors: TensorLayout["tensors"];
  /** Steps taken (calls of step() that completed). */
  count = 0;
  /** Outer (optimizer) updates taken; equals count except inside SAM. */
  outerCount = 0;
  protected readonly counters = new Map<string, number>();
  protected readonly maskflags: Float64Array[];
  /** Runtime inputs by input name: hyperparameters (kept) and this step's values (runtime/run_inputs.ts). */
  protected readonly inputs: Map<string, number>;
  private busy = false;

  protected constructor(
    readonly artifact: CompiledStep,
    protected readonly layout: TensorLayout,
    protected readonly allReduce: AllReduce | undefined,
    /** Refuse steps whose gradients hold NaN/Inf (R201) before anything runs. */
    protected readonly validate: boolean,
  ) {
    this.tensors = layout.tensors;
    this.inputs = initialInputs(artifact);
    for (const c of artifact.counters) this.counters.set(c.name, c.init);
    this.maskflags = artifact.masks.map((m) => Float64Array.from(layout.tensors, (t) => (matchesMask(t.name, m.patterns) ? 1 : 0)));
    if (allReduce !== undefined && typeof allReduce !== "function") fail("R107", `init's allReduce must be a function, got ${allReduce === null ? "null" : typeof allReduce}`, "pass init(params, { allReduce: (grads) => { /* mean over replicas, in place */ } })");
    if (artifact.protocol.allReduce && !allReduce) {
      fail("R107", "this sam config sets batch_axis_name, so init() needs an allReduce callback", "pass init(params, { ..., allReduce: (grads) => { /* mean over replicas, in place */ } })");
    }
  }

  /** Runs one phase atomically: a refused phase changes no arena and no counter. */
  protected abstract runPhase(name: string): void | Promise<void>;
  /** Replaces an arena's contents. */
  protected abstract writeArena(name: string, data: Float32Array): void;
  /** What a cycle of phases needs from this backend (reading the perturbed params, writing gradients). */
  protected abstract cycleIo(): CycleIo;
  /** Copies named gradients into the grads arena (names and sizes checked); refused while a step runs. */
  abstract writeGrads(grads: Record<string, ArrayLike<number>>): void;
  /** The same copy, for step({ grads }) itself. */
  protected abstract stageGradients(grads: Record<string, ArrayLike<number>>): void;

  /** The phase the next step() runs: "step" for plain optimizers; SAM: adversarial_first / adversarial / outer, or opaque_cycle. */
  get phase(): string {
    return nextPhase(this.artifact.protocol, this.counters);
  }

  /** True while the params the caller holds are SAM's perturbed ones (transparent mode, mid-cycle). */
  get perturbed(): boolean {
    return isPerturbed(this.artifact.protocol, this.counters);
  }

  /** Counter values by slot path (e.g. "adam.count"). */
  get counterValues(): Record<string, number> {
    return Object.fromEntries(this.counters);
  }

  /** The runtime hyperparameters (inject_hyperparams) by path, with their current values; {} without any. */
  get hyperparams(): Record<string, number> {
    return hyperparamValues(this.artifact, this.inputs);
  }

  /**
   * Sets a runtime hyperparameter (a path of run.hyperparams): steps issued after this call use
   * it, on every backend, without recompiling. R130 an unknown path, R131 a schedule or a value
   * compiled in, R132 a value that is not a finite number; a refused call changes nothing.
   */
  setHyperparam(name: string, value: number): void {
    this.idle("setHyperparam()");
    this.inputs.set(checkedHyperparam(this.artifact, name, value, this.inputs), value);
  }

  /** Puts this step's values (step({ loss })) in place, checked (R133); the returned function removes them. */
  protected stepInputs(options: StepOptions): () => void {
    return applyStepInputs(this.artifact, this.inputs, options as Record<string, unknown>);
  }

  /** Hyperparameters back to their compiled values (reset()). */
  protected resetHyperparams(): void {
    for (const h of this.artifact.hyperparams ?? []) this.inputs.set(h.input, h.init);
  }

  /** Where the unperturbed params are: the protocol's true-params arena while perturbed. */
  protected trueParamsArena(): string | undefined {
    return this.perturbed ? this.artifact.protocol.perturbed?.trueParams : undefined;
  }

  async step(stepOptions?: StepOptions): Promise<void> {
    const options = checkedStepOptions(stepOptions);
    this.enter("step()");
    let clearInputs: (() => void) | undefined;
    try {
      throwIfAborted(options.signal, "before it started");
      clearInputs = this.stepInputs(options);
      await this.withStagedGrads(options.grads, async () => {
        const step = this.artifact.protocol.step;
        if (step.kind === "cycle") await this.runCycle(step, options);
        else await this.stepOnePhase();
      });
      this.count++;
    } finally {
      clearInputs?.();
      this.busy = false;
    }
  }

  /** Saves arenas' contents; restore() puts them back, release() frees the copy. */
  protected abstract saveArenas(arenas: string[]): SavedArenas;

  /**
   * Runs `body` with `grads` copied into the grads arena; if the step fails, the grads arena gets
   * its previous contents back (a refused step changes nothing, the caller's grads included).
   */
  protected withStagedGrads<T>(grads: StepOptions["grads"], body: () => T | Promise<T>): T | Promise<T> {
    if (!grads) return body();
    const saved = this.saveArenas([GRADS]);
    const undo = (e: unknown) => {
      saved.restore();
      throw e;
    };
    try {
      this.stageGradients(grads);
      const r = body();
      if (r instanceof Promise) return r.catch(undo).finally(() => saved.release());
      saved.release();
      return r;
    } catch (e) {
      saved.restore();
      saved.release();
      throw e;
    }
  }

  /** Claims the run for one step; a second concurrent step is R109. */
  protected enter(what: string): void {
    this.idle(what);
    this.busy = true;
  }

  /**
   * A run is a small state machine: while a step is in flight (an opaque cycle awaiting gradFn,
   * a GPU sync() or read awaiting the device) nothing else may read or change its state, or it would see
   * or make a torn state (R109). Await the step first.
   */
  protected idle(what: string): void {
    if (this.busy) fail("R109", `${what} called while a step() is running`, "await the step first (one call at a time per run)");
  }

  protected leave(): void {
    this.busy = false;
  }

  /** One call of a plain optimizer, or one phase of a transparent SAM cycle. */
  protected stepOnePhase(): void | Promise<void> {
    const phase = this.phase;
    const count = () => {
      if (isOuterPhase(this.artifact.protocol, phase)) this.outerCount++;
    };
    const done = this.runPhase(phase);
    if (!done) return count();
    return done.then(count);
  }

  private async runCycle(cycle: PhaseCycle, options: StepOptions): Promise<void> {
    const allReduce = this.artifact.protocol.allReduce ? (options.allReduce ?? this.allReduce) : undefined;
    await runCycle(cycle, this.cycleIo(), { gradFn: options.gradFn, deviceGradFn: options.deviceGradFn }, allReduce, options.signal);
    if (isOuterPhase(this.artifact.protocol, cycle.last)) this.outerCount++;
  }

  /** A snapshot, given the saved arenas' contents. */
  protected snapshotOf(arenas: Record<string, Float32Array>): StateSnapshot {
    return makeSnapshot(this.artifact, this.layout, arenas, this.counters, this.count, this.outerCount, this.inputs);
  }

  /** Restores a snapshot of this config and layout (validated completely first: a refused one changes nothing). */
  loadState(snapshot: StateSnapshot | Uint8Array): void {
    this.idle("loadState()");
    const s = checkedSnapshot(snapshot, this.artifact, this.layout);
    for (const [name, data] of Object.entries(s.arenas)) this.writeArena(name, data);
    this.counters.clear();
    for (const [c, v] of s.counters) this.counters.set(c, v);
    this.count = s.count;
    this.outerCount = s.outerCount;
    for (const [input, v] of s.hyperparams) this.inputs.set(input, v);
  }
}
