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
import { runCycle, type AllReduce, type CycleIo, type GradFn } from "./opaque_cycle.js";
import { isOuterPhase, isPerturbed, nextPhase } from "./protocol.js";
import { checkedSnapshot, makeSnapshot, savedArenas, type StateSnapshot } from "./state.js";
import type { TensorLayout } from "./tensors.js";

export interface StepOptions {
  /** Copied into the grads arena first (names and sizes checked); or write the grads in place. */
  grads?: Record<string, ArrayLike<number>>;
  /** A step that evaluates gradients itself (opaque SAM): the gradient at the perturbed params. */
  gradFn?: GradFn;
  allReduce?: AllReduce;
}

export abstract class BaseRun {
  readonly tensors: TensorLayout["tensors"];
  /** Steps taken (calls of step() that completed). */
  count = 0;
  /** Outer (optimizer) updates taken; equals count except inside SAM. */
  outerCount = 0;
  protected readonly counters = new Map<string, number>();
  protected readonly maskflags: Float64Array[];
  private busy = false;

  protected constructor(
    readonly artifact: CompiledStep,
    protected readonly layout: TensorLayout,
    protected readonly allReduce: AllReduce | undefined,
    /** Refuse steps whose gradients hold NaN/Inf (R201) before anything runs. */
    protected readonly validate: boolean,
  ) {
    this.tensors = layout.tensors;
    for (const c of artifact.counters) this.counters.set(c.name, c.init);
    this.maskflags = artifact.masks.map((m) => Float64Array.from(layout.tensors, (t) => (matchesMask(t.name, m.patterns) ? 1 : 0)));
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
  /** Copies named gradients into the grads arena (names and sizes checked). */
  abstract writeGrads(grads: Record<string, ArrayLike<number>>): void;

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

  /** Where the unperturbed params are: the protocol's true-params arena while perturbed. */
  protected trueParamsArena(): string | undefined {
    return this.perturbed ? this.artifact.protocol.perturbed?.trueParams : undefined;
  }

  async step(options: StepOptions = {}): Promise<void> {
    this.enter("step()");
    try {
      if (options.grads) this.writeGrads(options.grads);
      const step = this.artifact.protocol.step;
      if (step.kind === "cycle") await this.runCycle(step, options);
      else await this.stepOnePhase();
      this.count++;
    } finally {
      this.busy = false;
    }
  }

  /** Claims the run for one step; a second concurrent step is R109. */
  protected enter(what: string): void {
    if (this.busy) fail("R109", `${what} called while another step() is running`, "await each step before the next");
    this.busy = true;
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
    await runCycle(cycle, this.cycleIo(), options.gradFn, allReduce);
    if (isOuterPhase(this.artifact.protocol, cycle.last)) this.outerCount++;
  }

  /** A snapshot, given the saved arenas' contents. */
  protected snapshotOf(arenas: Record<string, Float32Array>): StateSnapshot {
    return makeSnapshot(this.artifact, this.layout, arenas, this.counters, this.count, this.outerCount);
  }

  /** Restores a snapshot of this config and layout (checked first: a refused one changes nothing). */
  loadState(snapshot: StateSnapshot | Uint8Array): void {
    const s = checkedSnapshot(snapshot, this.artifact, this.layout);
    for (const name of savedArenas(this.artifact)) this.writeArena(name, s.arenas[name]);
    this.counters.clear();
    for (const c of this.artifact.counters) this.counters.set(c.name, s.counters[c.name] ?? c.init);
    this.count = s.count;
    this.outerCount = s.outerCount;
  }

  /** The R201 refusal, naming the first non-finite gradient element. */
  protected refuseNonFinite(arena: string, data: Float32Array, index: number): never {
    const t = this.tensors.find((x) => index >= x.offset && index < x.offset + x.size)!;
    const what = arena === GRADS ? "the gradients" : "gradFn's gradients";
    return fail("R201", `${what} contain ${String(data[index])} at ${t.name}[${index - t.offset}]`, "params and state are unchanged; wrap the optimizer in apply_if_finite(..., max_consecutive_errors=N) to skip such steps");
  }
}
