/**
 * load(artifact) → Optimizer; init(params) → Run, which owns every state buffer and
 * updates the caller's params in place. SAM's phases are chosen here, on the host.
 */
import { GRADS, PARAMS, SAM_ADV_GRADS as ADV_GRADS, SAM_CACHE as CACHE, SAM_PERTURBED as PERTURBED } from "../format/arena_names.js";
import { ARTIFACT_VERSION, type CompiledStep } from "../format/artifact.js";
import type { KernelSource } from "./kernels.js";
import { jsExecutor } from "./backends/js/executor.js";
import type { ExecutorContext, ExecutorFactory, PhaseExecutor } from "./executor.js";
import { fail } from "./errors.js";
import { matchesMask } from "./glob.js";
import { checkedSnapshot, isOuterPhase, isPerturbed, makeSnapshot, nextPhase, savedArenas } from "./protocol.js";
import { encodeState, type StateSnapshot } from "./state.js";
import { copyNamed, layoutTensors, viewsOf, type TensorInit, type TensorLayout } from "./tensors.js";

import { opaqueCycle, type AllReduce, type GradFn, type Tensors } from "./opaque_cycle.js";

export type { AllReduce, GradFn, GradResult, Tensors } from "./opaque_cycle.js";

export interface InitOptions {
  /** Refuse steps whose gradients contain NaN/Inf (default true; configs with apply_if_finite check themselves). */
  validate?: boolean;
  allReduce?: AllReduce;
  /** How phases run; default: the compiled JS kernels. */
  executor?: ExecutorFactory;
}

export interface StepOptions {
  /** Copied into the grads arena first (names and sizes checked); or write run.grads in place. */
  grads?: Record<string, ArrayLike<number>>;
  gradFn?: GradFn;
  allReduce?: AllReduce;
}



export class Optimizer {
  constructor(
    readonly artifact: CompiledStep,
    readonly kernels: KernelSource,
  ) {
    if (artifact?.version !== ARTIFACT_VERSION) {
      fail("R100", `this compiled optimizer has artifact version ${String(artifact?.version)}, the runtime reads ${ARTIFACT_VERSION}`, "recompile the config with this optc version");
    }
  }

  get config(): string {
    return this.artifact.config;
  }

  async init(params: Record<string, TensorInit>, options: InitOptions = {}): Promise<Run> {
    return this.initSync(params, options);
  }

  /** Same as init(), for CPU backends that need no awaiting. */
  initSync(params: Record<string, TensorInit>, options: InitOptions = {}): Run {
    return new Run(this.artifact, this.kernels, params, options);
  }
}

/** Loads a compiled artifact with its kernels (prebuiltKernels for build-time modules). */
export function load(artifact: CompiledStep, kernels: KernelSource): Optimizer {
  return new Optimizer(artifact, kernels);
}

export class Run {
  readonly tensors: TensorLayout["tensors"];
  /** Views of the params the caller holds (zero copy; perturbed during a transparent SAM cycle). */
  readonly params: Tensors;
  /** Views of the gradient buffer step() reads. */
  readonly grads: Tensors;
  /** Steps taken (calls of step() that completed). */
  count = 0;
  /** Outer (sync) updates taken; equals count except inside SAM. */
  outerCount = 0;
  private readonly layout: TensorLayout;
  private readonly arenas = new Map<string, Float32Array>();
  private readonly counters = new Map<string, number>();
  private readonly maskflags: Float64Array[];
  private readonly executor: PhaseExecutor;
  private readonly finiteChecks = new Map<string, () => number>();
  private readonly validate: boolean;
  private readonly allReduce: AllReduce | undefined;
  private readonly initialParams: Float32Array;
  private busy = false;

  constructor(
    readonly artifact: CompiledStep,
    private readonly kernels: KernelSource,
    params: Record<string, TensorInit>,
    options: InitOptions,
  ) {
    const { layout, data } = layoutTensors(params);
    this.layout = layout;
    this.tensors = layout.tensors;
    const n = layout.total;
    const p = new Float32Array(n);
    for (const t of layout.tensors) {
      const d = data.get(t.name);
      if (d) p.set(d, t.offset);
    }
    this.initialParams = p.slice();
    for (const a of artifact.arenas) {
      if (a.role === "params") this.arenas.set(a.name, p);
      else this.arenas.set(a.name, "copy" in a.init ? p.slice() : new Float32Array(n).fill(a.init.fill));
    }
    for (const c of artifact.counters) this.counters.set(c.name, c.init);
    this.maskflags = artifact.masks.map((m) => Float64Array.from(layout.tensors, (t) => (matchesMask(t.name, m.patterns) ? 1 : 0)));
    this.params = viewsOf(p, layout);
    this.grads = viewsOf(this.arena(GRADS), layout);
    const proto = artifact.protocol;
    this.allReduce = options.allReduce;
    if (proto.kind === "sam" && proto.allReduce && proto.opaque && !options.allReduce) {
      fail("R107", "this sam config sets batch_axis_name, so init() needs an allReduce callback", "pass init(params, { allReduce: (grads) => { /* mean over replicas, in place */ } })");
    }
    this.validate = options.validate ?? true;
    const context: ExecutorContext = { artifact, arenas: this.arenas, counters: this.counters, maskflags: this.maskflags, seg: layout.seg, kernels };
    this.executor = (options.executor ?? jsExecutor)(context);
  }

  private arena(name: string): Float32Array {
    const a = this.arenas.get(name);
    if (!a) throw new Error(`internal: no arena ${name}`);
    return a;
  }

  /** The phase the next step() runs: "step" for plain optimizers; SAM: adversarial_first / adversarial / outer, or opaque_cycle. */
  get phase(): string {
    return nextPhase(this.artifact.protocol, this.counters);
  }

  /** True while the params the caller holds are SAM's perturbed ones (transparent mode, mid-cycle). */
  get perturbed(): boolean {
    return isPerturbed(this.artifact.protocol, this.counters);
  }

  /** The unperturbed params: the cache while perturbed, else the params themselves. */
  get trueParams(): Tensors {
    return this.perturbed ? viewsOf(this.arena(CACHE), this.layout) : this.params;
  }

  /** Counter values by slot path (e.g. "adam.count"). */
  get counterValues(): Record<string, number> {
    return Object.fromEntries(this.counters);
  }

  /** A copy of a state arena as named tensors (e.g. "adam.mu"). */
  state(slot: string): Tensors {
    const a = this.arenas.get(slot);
    if (!a) fail("R108", `no state slot '${slot}'`, `slots: ${this.artifact.arenas.map((x) => x.name).join(", ")}`);
    return viewsOf(a.slice(), this.layout);
  }

  writeGrads(grads: Record<string, ArrayLike<number>>): void {
    copyNamed(this.arena(GRADS), this.layout, grads, "grads");
  }

  /** A copy of the params (the views in run.params are live). */
  readParams(): Tensors {
    return viewsOf(this.arena(PARAMS).slice(), this.layout);
  }

  async step(options: StepOptions = {}): Promise<void> {
    if (this.busy) fail("R109", "step() called while another step() is running", "await each step before the next");
    this.busy = true;
    try {
      if (options.grads) this.writeGrads(options.grads);
      const proto = this.artifact.protocol;
      if (proto.kind === "sam" && proto.opaque) await this.opaqueCycle(options);
      else this.transparentStep();
      this.count++;
    } finally {
      this.busy = false;
    }
  }

  /** Synchronous step for CPU use without SAM's opaque mode. */
  stepSync(options: Omit<StepOptions, "gradFn"> = {}): void {
    const proto = this.artifact.protocol;
    if (proto.kind === "sam" && proto.opaque) fail("R204", "opaque SAM steps need step({ gradFn }) (async)", "use await run.step({ gradFn })");
    if (this.busy) fail("R109", "stepSync() called while another step() is running", "await each step before the next");
    if (options.grads) this.writeGrads(options.grads);
    this.transparentStep();
    this.count++;
  }

  /** One call of a plain optimizer, or one phase of a transparent SAM cycle. */
  private transparentStep(): void {
    const phase = this.phase;
    this.runPhase(phase);
    if (isOuterPhase(phase)) this.outerCount++;
  }

  private async opaqueCycle(options: StepOptions): Promise<void> {
    const backend = {
      layout: this.layout,
      counters: this.counters,
      runPhase: (name: string) => this.runPhase(name),
      saveAdversarial: (arenas: string[]) => {
        const copies = arenas.map((a) => [a, this.arena(a).slice()] as const);
        return { restore: () => copies.forEach(([a, copy]) => this.arena(a).set(copy)), release: () => {} };
      },
      perturbed: () => viewsOf(this.arena(PERTURBED), this.layout),
      advGrads: () => ({ buffer: this.arena(ADV_GRADS), views: viewsOf(this.arena(ADV_GRADS), this.layout) }),
      commitAdvGrads: () => {},
    };
    await opaqueCycle(this.artifact.protocol, backend, options.gradFn, options.allReduce ?? this.allReduce);
    this.outerCount++;
  }

  private runPhase(name: string): void {
    if (this.validate && !this.artifact.handlesNonFinite) {
      for (const g of this.executor.gradientArenas(name)) {
        let check = this.finiteChecks.get(g);
        if (!check) this.finiteChecks.set(g, (check = this.kernels.finiteCheck(this.arena(g))));
        const bad = check();
        if (bad >= 0) {
          const t = this.tensors.find((x) => bad >= x.offset && bad < x.offset + x.size)!;
          const what = g === GRADS ? "the gradients" : "gradFn's gradients";
          fail("R201", `${what} contain ${String(this.arena(g)[bad])} at ${t.name}[${bad - t.offset}]`, "params and state are unchanged; wrap the optimizer in apply_if_finite(..., max_consecutive_errors=N) to skip such steps");
        }
      }
    }
    const done = this.executor.run(name);
    if (done) throw new Error("internal: an asynchronous executor needs the async step path");
  }

  // ------------------------------------------------------------ snapshots

  saveState(): StateSnapshot {
    const arenas = Object.fromEntries(savedArenas(this.artifact).map((name) => [name, this.arena(name).slice()]));
    return makeSnapshot(this.artifact, this.layout, arenas, this.counters, this.count, this.outerCount);
  }

  saveStateBinary(): Uint8Array {
    return encodeState(this.saveState());
  }

  loadState(snapshot: StateSnapshot | Uint8Array): void {
    const s = checkedSnapshot(snapshot, this.artifact, this.layout);
    for (const name of savedArenas(this.artifact)) this.arena(name).set(s.arenas[name]);
    this.counters.clear();
    for (const c of this.artifact.counters) this.counters.set(c.name, s.counters[c.name] ?? c.init);
    this.count = s.count;
    this.outerCount = s.outerCount;
  }

  /** Resets every state slot, counter and the params to their initial values. */
  reset(): void {
    const p = this.arena(PARAMS);
    p.set(this.initialParams);
    for (const a of this.artifact.arenas) {
      if (a.role === "params") continue;
      const arena = this.arena(a.name);
      if ("copy" in a.init) arena.set(this.initialParams);
      else arena.fill(a.init.fill);
    }
    for (const c of this.artifact.counters) this.counters.set(c.name, c.init);
    this.count = 0;
    this.outerCount = 0;
  }
}
