/**
 * What the GPU runs (WebGPU, gpu.js) share: counters, mask flags, the step protocol (plain phase,
 * SAM's transparent phases, opaque cycles), reading tensors back, and snapshots. A backend
 * supplies how an arena is read and written and how a phase runs.
 */
import { GRADS, PARAMS, SAM_ADV_GRADS, SAM_CACHE, SAM_PERTURBED } from "../format/arena_names.js";
import type { CompiledStep, PhaseArtifact } from "../format/artifact.js";
import { fail } from "./errors.js";
import { matchesMask } from "./glob.js";
import { drivePhase, type Dispatch } from "./phase_driver.js";
import { opaqueCycle, type AllReduce, type GradFn, type OpaqueBackend, type Tensors } from "./opaque_cycle.js";
import { checkedSnapshot, isOuterPhase, isPerturbed, makeSnapshot, nextPhase, savedArenas } from "./protocol.js";
import type { StateSnapshot } from "./state.js";
import { copyNamed, viewsOf, type TensorLayout } from "./tensors.js";

export interface DeviceStepOptions {
  /** Copied into the grads arena first (names and sizes checked). */
  grads?: Record<string, ArrayLike<number>>;
  /** Opaque SAM: the gradient at the perturbed params. */
  gradFn?: GradFn;
  allReduce?: AllReduce;
}

export abstract class DeviceRun {
  readonly tensors: TensorLayout["tensors"];
  /** Steps taken (calls of step() that completed). */
  count = 0;
  /** Outer (sync) updates taken; equals count except inside SAM. */
  outerCount = 0;
  protected readonly counters = new Map<string, number>();
  protected readonly maskflags: Float64Array[];
  private busy = false;

  protected constructor(
    readonly artifact: CompiledStep,
    protected readonly layout: TensorLayout,
    protected readonly allReduce: AllReduce | undefined,
    /** Refuse steps whose gradients hold NaN/Inf (R201) before anything runs. */
    private readonly validate: boolean,
  ) {
    this.tensors = layout.tensors;
    for (const c of artifact.counters) this.counters.set(c.name, c.init);
    this.maskflags = artifact.masks.map((m) => Float64Array.from(layout.tensors, (t) => (matchesMask(t.name, m.patterns) ? 1 : 0)));
    const proto = artifact.protocol;
    if (proto.kind === "sam" && proto.allReduce && proto.opaque && !allReduce) {
      fail("R107", "this sam config sets batch_axis_name, so init() needs an allReduce callback", "pass init(params, { ..., allReduce })");
    }
  }

  /** An arena's contents (layout.total floats). */
  protected abstract readArena(name: string): Promise<Float32Array>;
  /** Replaces an arena's contents. */
  protected abstract writeArena(name: string, data: Float32Array): void;
  protected abstract hasArena(name: string): boolean;
  /** Runs one pass of a phase; returns its per-tensor reduction sums. */
  protected abstract dispatch(...args: Parameters<Dispatch>): ReturnType<Dispatch>;
  /** Makes a completed phase's outputs the arenas (backends that write in place need nothing). */
  protected commit(): void {}
  /** Drops the outputs of a phase that was refused part way. */
  protected abstract abandon(): void;

  /**
   * Runs one phase atomically: guards run before the pass they precede, and a backend either
   * writes nothing before them or keeps its outputs aside until commit(); a refused phase
   * changes no arena and no counter.
   */
  protected async runPhase(name: string): Promise<void> {
    const art: PhaseArtifact | undefined = this.artifact.phases[name];
    if (!art) throw new Error(`internal: no phase ${name}`);
    if (this.validate && !this.artifact.handlesNonFinite) await this.checkFinite(art);
    try {
      const inputs = { counters: this.counters, maskflags: this.maskflags, segments: this.layout.tensors.length };
      const next = await drivePhase(art, inputs, (pass, uniforms, segvals) => this.dispatch(pass, uniforms, segvals));
      this.commit();
      for (const [c, v] of next) this.counters.set(c, v);
    } catch (e) {
      this.abandon();
      throw e;
    }
  }
  /**
   * Refuses a phase whose gradient arenas hold NaN/Inf (R201): a small kernel counts them, and
   * only when it finds some is the arena read back to name the first.
   */
  protected async checkFinite(art: PhaseArtifact): Promise<void> {
    const read = new Set(art.passes.flatMap((p) => p.kernel.bindings.filter((b) => b.read).map((b) => b.name)));
    for (const [arena, pass] of Object.entries(this.artifact.validation ?? {})) {
      if (!read.has(arena)) continue;
      const sums = await this.dispatch(pass, [], []);
      if (sums![0].reduce((a, b) => a + b, 0) === 0) continue;
      const data = await this.readArena(arena);
      const bad = data.findIndex((x) => !Number.isFinite(x));
      if (bad < 0) continue;
      const t = this.tensors.find((x) => bad >= x.offset && bad < x.offset + x.size)!;
      fail("R201", `${arena === GRADS ? "the gradients" : "gradFn's gradients"} contain ${String(data[bad])} at ${t.name}[${bad - t.offset}]`, "params and state are unchanged; wrap the optimizer in apply_if_finite(..., max_consecutive_errors=N) to skip such steps");
    }
  }

  /** Saves SAM's adversarial arenas for an opaque cycle; restore() puts them back, release() frees the copy. */
  protected abstract saveAdversarial(arenas: string[]): { restore(): void; release(): void };

  /** Opaque SAM on a device: gradFn gets the perturbed params read back, its gradient is uploaded. */
  private opaqueBackend(): OpaqueBackend {
    return {
      layout: this.layout,
      counters: this.counters,
      runPhase: (name) => this.runPhase(name),
      saveAdversarial: (arenas) => this.saveAdversarial(arenas),
      perturbed: async () => viewsOf(await this.readArena(SAM_PERTURBED), this.layout),
      advGrads: () => {
        const buffer = new Float32Array(this.layout.total);
        return { buffer, views: viewsOf(buffer, this.layout) };
      },
      commitAdvGrads: (buffer) => this.writeArena(SAM_ADV_GRADS, buffer),
    };
  }

  /** The phase the next step() runs ("step"; SAM: adversarial_first / adversarial / outer, or opaque_cycle). */
  get phase(): string {
    return nextPhase(this.artifact.protocol, this.counters);
  }

  /** True while the params are SAM's perturbed ones (transparent mode, mid-cycle). */
  get perturbed(): boolean {
    return isPerturbed(this.artifact.protocol, this.counters);
  }

  get counterValues(): Record<string, number> {
    return Object.fromEntries(this.counters);
  }

  writeGrads(grads: Record<string, ArrayLike<number>>): void {
    const staging = new Float32Array(this.layout.total);
    copyNamed(staging, this.layout, grads, "grads");
    this.writeArena(GRADS, staging);
  }

  async readParams(): Promise<Tensors> {
    return viewsOf(await this.readArena(PARAMS), this.layout);
  }

  /** The unperturbed params: SAM's cache while perturbed, else the params. */
  async readTrueParams(): Promise<Tensors> {
    return viewsOf(await this.readArena(this.perturbed ? SAM_CACHE : PARAMS), this.layout);
  }

  /** A state arena as named tensors (e.g. "adam.mu"). */
  async state(slot: string): Promise<Tensors> {
    if (!this.hasArena(slot)) fail("R108", `no state slot '${slot}'`, `slots: ${this.artifact.arenas.map((x) => x.name).join(", ")}`);
    return viewsOf(await this.readArena(slot), this.layout);
  }

  async step(options: DeviceStepOptions = {}): Promise<void> {
    if (this.busy) fail("R109", "step() called while another step() is running", "await each step before the next");
    this.busy = true;
    try {
      if (options.grads) this.writeGrads(options.grads);
      const proto = this.artifact.protocol;
      if (proto.kind === "sam" && proto.opaque) {
        await opaqueCycle(proto, this.opaqueBackend(), options.gradFn, options.allReduce ?? this.allReduce);
        this.outerCount++;
      } else {
        const phase = this.phase;
        await this.runPhase(phase);
        if (isOuterPhase(phase)) this.outerCount++;
      }
      this.count++;
    } finally {
      this.busy = false;
    }
  }

  async saveState(): Promise<StateSnapshot> {
    const arenas: Record<string, Float32Array> = {};
    for (const name of savedArenas(this.artifact)) arenas[name] = await this.readArena(name);
    return makeSnapshot(this.artifact, this.layout, arenas, this.counters, this.count, this.outerCount);
  }

  loadState(snapshot: StateSnapshot | Uint8Array): void {
    const s = checkedSnapshot(snapshot, this.artifact, this.layout);
    for (const name of savedArenas(this.artifact)) this.writeArena(name, s.arenas[name]);
    this.counters.clear();
    for (const c of this.artifact.counters) this.counters.set(c.name, s.counters[c.name] ?? c.init);
    this.count = s.count;
    this.outerCount = s.outerCount;
  }
}
