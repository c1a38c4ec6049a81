/**
 * load(artifact) → Optimizer; init(params) → Run, which owns every state buffer and updates
 * the caller's params in place. The step protocol is BaseRun's (runtime/run_base.ts); this is
 * the CPU backend: arenas are Float32Arrays, params and grads are zero-copy views of them.
 */
import { GRADS, PARAMS } from "../format/arena_names.js";
import { ARTIFACT_VERSION, type CompiledStep } from "../format/artifact.js";
import { jsExecutor } from "./backends/js/executor.js";
import { fail } from "./errors.js";
import type { Backing, BackingFactory, ExecutorContext, ExecutorFactory, PhaseExecutor } from "./executor.js";
import type { KernelSource } from "./kernels.js";
import { runCycleSync, type AllReduce, type CycleIo, type Tensors } from "./opaque_cycle.js";
import { isOuterPhase } from "./protocol.js";
import { evalParamsOf, evalParamsSource } from "./eval_params.js";
import { emaParamsArena } from "./run_inputs.js";
import { BaseRun, checkedStepOptions, throwIfAborted, type StepOptions } from "./run_base.js";
import { encodeState, savedArenas, type StateSnapshot } from "./state.js";
import { copyNamed, fillArena, initialArena, packParams, viewsOf, type TensorInit } from "./tensors.js";

export type { AllReduce, GradFn, GradResult, Tensors } from "./opaque_cycle.js";
export type { StepOptions } from "./run_base.js";

export interface InitOptions {
  /** Refuse steps whose gradients contain NaN/Inf (default true; configs with apply_if_finite check themselves). */
  validate?: boolean;
  allReduce?: AllReduce;
  /** How phases run; default: the compiled JS kernels. */
  executor?: ExecutorFactory;
  /** Where the arenas live (the wasm target: one WebAssembly.Memory) and the executor that goes with them. */
  backing?: BackingFactory;
  /**
   * The wasm target only: "f64" (default) computes in f64x2 lanes, bit for bit the interpreter's
   * results; "f32" in f32x4 lanes, faster where divisions and square roots bound the step, within
   * a stated ulp bound (README, WebAssembly).
   */
  precision?: "f64" | "f32";
  /**
   * The wasm target only, with `await opt.init()`: split each pass across this many threads
   * (Node's worker_threads, or Web Workers in a cross-origin-isolated page, sharing the memory;
   * results are the same for every count). Where cross-origin isolation, SharedArrayBuffer or
   * workers are missing the run uses one thread and says why (console.warn). run.close() stops them.
   */
  threads?: number;
  /** The most the run may allocate for its arenas (default 8 GiB): a larger model is R111 before anything is allocated. */
  maxBytes?: number;
}

export class Optimizer {
  constructor(
    readonly artifact: CompiledStep,
    readonly kernels: KernelSource,
    /** Options every init() starts from (compileReference's executor). */
    private readonly defaults: InitOptions = {},
  ) {
    if (artifact?.version !== ARTIFACT_VERSION) {
      fail("R100", `this compiled optimizer has artifact version ${String(artifact?.version)}, the runtime reads ${ARTIFACT_VERSION}`, "recompile the config with this optc version");
    }
  }

  get config(): string {
    return this.artifact.config;
  }

  async init(params: Record<string, TensorInit>, options: InitOptions = {}): Promise<Run> {
    const run = new Run(this.artifact, this.kernels, params, { ...this.defaults, ...options });
    await run.ready();
    return run;
  }

  /** Same as init(), for CPU backends that need no awaiting (no threads: they start asynchronously). */
  initSync(params: Record<string, TensorInit>, options: InitOptions = {}): Run {
    if (options !== null && typeof options === "object" && typeof options.threads === "number" && options.threads > 1) fail("R118", "init(params, { threads }) starts worker threads, which needs await opt.init(params, { threads })", "await opt.init(...) instead of initSync(), or leave threads out");
    return new Run(this.artifact, this.kernels, params, { ...this.defaults, ...options });
  }
}

/** Loads a compiled artifact with its kernels (prebuiltKernels for build-time modules). */
export function load(artifact: CompiledStep, kernels: KernelSource, defaults: InitOptions = {}): Optimizer {
  return new Optimizer(artifact, kernels, defaults);
}

export class Run extends BaseRun {
  /** Views of the params the caller holds (zero copy; perturbed during a transparent SAM cycle). */
  readonly params: Tensors;
  /** Views of the gradient buffer step() reads. */
  readonly grads: Tensors;
  private readonly arenas = new Map<string, Float32Array>();
  private readonly executor: PhaseExecutor;
  private readonly initialParams: Float32Array;
  private readonly backing: Backing | undefined;
  private closed = false;

  constructor(
    artifact: CompiledStep,
    private readonly kernels: KernelSource,
    params: Record<string, TensorInit>,
    options: InitOptions,
  ) {
    const guarded = options.validate ?? true;
    // A guarded run keeps a backup of every arena a step writes (all but the grads).
    const { layout, values } = packParams(params, artifact.arenas.length * (guarded ? 2 : 1) - (guarded ? 1 : 0), options.maxBytes);
    super(artifact, layout, options.allReduce, options.validate ?? true);
    this.initialParams = values.slice();
    if (options.precision !== undefined && (options.backing === undefined || (options.precision !== "f64" && options.precision !== "f32"))) {
      fail("R118", `init's precision must be "f64" or "f32" on the wasm target, got ${JSON.stringify(options.precision) ?? String(options.precision)}${options.backing ? "" : " on a JS run"}`, 'compile with { target: "wasm" } and pass precision: "f64" (exact) or "f32" (fast)');
    }
    const threads = options.threads;
    if (threads !== undefined && (!(Number.isInteger(threads) && threads >= 1 && threads <= 64) || (options.backing === undefined && threads !== 1))) {
      fail("R118", `init's threads must be a whole number from 1 to 64 on the wasm target, got ${String(threads)}${options.backing ? "" : " on a JS run"}`, 'compile with { target: "wasm" } and pass threads: 2 (or leave it out for one)');
    }
    const backing = options.backing?.(artifact, layout, { guarded, precision: options.precision, threads });
    this.backing = backing;
    for (const a of artifact.arenas) {
      if (!backing) this.arenas.set(a.name, a.role === "params" ? values : initialArena(a, values));
      else this.arenas.set(a.name, fillArena(backing.arena(a.name), a, values));
    }
    this.params = viewsOf(this.arena(PARAMS), layout);
    this.grads = viewsOf(this.arena(GRADS), layout);
    const context: ExecutorContext = { artifact, layout, guarded, arenas: this.arenas, counters: this.counters, inputs: this.inputs, maskflags: this.maskflags, seg: layout.seg, kernels };
    this.executor = (options.executor ?? backing?.executor ?? jsExecutor)(context);
  }

  /** Threads the steps run on (the wasm target with init's threads; else 1). */
  get threads(): number {
    return this.backing?.threads ?? 1;
  }

  /**
   * Stops the run's worker threads (the wasm target with init's threads) now rather than when the
   * run is garbage-collected; resolves once they have exited. Later steps are R101; the params,
   * state and snapshots stay readable. Twice, or on a one-thread or JS run, is harmless.
   */
  async close(): Promise<void> {
    this.idle("close()");
    this.closed = true;
    await this.backing?.close?.();
  }

  protected override enter(what: string): void {
    if (this.closed) fail("R101", `${what} on a run that was closed`, "init a new run: await opt.init(params, { threads })");
    super.enter(what);
  }

  /** Resolves once the run can step (the wasm target's worker threads have started). */
  async ready(): Promise<void> {
    await this.backing?.start?.();
  }

  private arena(name: string): Float32Array {
    const a = this.arenas.get(name);
    if (!a) throw new Error(`internal: no arena ${name}`);
    return a;
  }

  /** The unperturbed params: the cache while perturbed, else the params themselves. */
  get trueParams(): Tensors {
    const arena = this.trueParamsArena();
    return arena ? viewsOf(this.arena(arena), this.layout) : this.params;
  }

  /** A copy of a state arena as named tensors (e.g. "adam.mu"). */
  state(slot: string): Tensors {
    const a = this.arenas.get(slot);
    if (!a) fail("R108", `no state slot '${slot}'`, `slots: ${this.artifact.arenas.map((x) => x.name).join(", ")}`);
    return viewsOf(a.slice(), this.layout);
  }

  /** schedule_free's eval params, (params − (1 − b1)·z)/b1 (optax's schedule_free_eval_params), as named tensors; R108 without schedule_free. */
  evalParams(): Tensors {
    const { z, b1 } = evalParamsSource(this.artifact, this.inputs);
    return viewsOf(evalParamsOf(this.arena(this.trueParamsArena() ?? PARAMS), this.arena(z), b1), this.layout);
  }

  /** ema_params' moving average of the params (a copy), as named tensors; R108 without ema_params. */
  emaParams(): Tensors {
    return this.state(emaParamsArena(this.artifact));
  }

  writeGrads(grads: Record<string, ArrayLike<number>>): void {
    this.idle("writeGrads()");
    this.stageGradients(grads);
  }

  protected stageGradients(grads: Record<string, ArrayLike<number>>): void {
    copyNamed(this.arena(GRADS), this.layout, grads, "grads");
  }

  /** A copy of the params (the views in run.params are live). */
  readParams(): Tensors {
    return viewsOf(this.arena(PARAMS).slice(), this.layout);
  }

  /**
   * Synchronous step for CPU use. Opaque SAM (a cycle of phases) runs here too when
   * `gradFn` (and `allReduce`) return synchronously; one that returns a promise is R112.
   */
  stepSync(stepOptions?: Omit<StepOptions, "deviceGradFn">): void {
    const options = checkedStepOptions(stepOptions);
    const step = this.artifact.protocol.step;
    if (step.kind === "cycle" && options.gradFn === undefined) fail("R204", "opaque SAM steps need a gradFn: run.stepSync({ gradFn }) (synchronous) or await run.step({ gradFn })", "gradFn(params, i, out) returns (or writes into out) the gradient at the perturbed params");
    if ((options as StepOptions).deviceGradFn !== undefined) fail("R112", "stepSync({ deviceGradFn }) needs a GPU run", "on the CPU pass stepSync({ gradFn })");
    this.enter("stepSync()");
    let clearInputs: (() => void) | undefined;
    try {
      throwIfAborted(options.signal, "before it started");
      clearInputs = this.stepInputs(options);
      this.withStagedGrads(options.grads, () => {
        if (step.kind !== "cycle") return this.stepOnePhase();
        const allReduce = this.artifact.protocol.allReduce ? (options.allReduce ?? this.allReduce) : undefined;
        runCycleSync(step, this.cycleIo(), { gradFn: options.gradFn }, allReduce, options.signal);
        if (isOuterPhase(this.artifact.protocol, step.last)) this.outerCount++;
      });
      this.count++;
    } finally {
      clearInputs?.();
      this.leave();
    }
  }

  protected saveArenas(arenas: string[]): { restore(): void; release(): void } {
    const copies = arenas.map((a) => [a, this.arena(a).slice()] as const);
    return { restore: () => copies.forEach(([a, copy]) => this.arena(a).set(copy)), release: () => {} };
  }

  protected cycleIo(): CycleIo {
    return {
      layout: this.layout,
      counters: this.counters,
      runPhase: (name) => this.runPhase(name),
      saveArenas: (arenas) => this.saveArenas(arenas),
      viewArena: (name) => viewsOf(this.arena(name), this.layout),
      gradientBuffer: (name) => ({ buffer: this.arena(name), views: viewsOf(this.arena(name), this.layout) }),
      commitGradients: () => {},
    };
  }

  protected runPhase(name: string): void {
    const done = this.executor.run(name);
    if (done) throw new Error("internal: an asynchronous executor needs the async step path");
  }

  protected writeArena(name: string, data: Float32Array): void {
    this.arena(name).set(data);
  }

  // ------------------------------------------------------------ snapshots

  saveState(): StateSnapshot {
    this.idle("saveState()");
    return this.snapshotOf(Object.fromEntries(savedArenas(this.artifact).map((name) => [name, this.arena(name).slice()])));
  }

  saveStateBinary(): Uint8Array {
    return encodeState(this.saveState());
  }

  /** Resets every state slot, counter and the params to their initial values. */
  reset(): void {
    this.idle("reset()");
    for (const a of this.artifact.arenas) this.arena(a.name).set(a.role === "params" ? this.initialParams : initialArena(a, this.initialParams));
    for (const c of this.artifact.counters) this.counters.set(c.name, c.init);
    this.resetHyperparams();
    this.count = 0;
    this.outerCount = 0;
  }
}
