/**
 * What the GPU runs (WebGPU, gpu.js) share beyond the step protocol (BaseRun): phases driven
 * asynchronously through the phase driver with commit-on-success, the device-side NaN check of
 * the gradients, reading tensors back, and the cycle's device I/O (perturbed params read back
 * for the caller's gradFn, its gradient uploaded). A backend supplies how an arena is read and
 * written and how a kernel runs.
 */
import { GRADS, PARAMS } from "../format/arena_names.js";
import { checkedInputs, type CompiledStep, type PhaseArtifact } from "../format/artifact.js";
import { fail } from "./errors.js";
import { firstNonFinite, nonFiniteError } from "./finite.js";
import type { AllReduce, CycleIo, Tensors } from "./opaque_cycle.js";
import { drivePhase, type KernelCall, type KernelSums } from "./phase_driver.js";
import { BaseRun, type StepOptions } from "./run_base.js";
import { savedArenas, type StateSnapshot } from "./state.js";
import { copyNamed, viewsOf, type TensorLayout } from "./tensors.js";

export type DeviceStepOptions = StepOptions;

export abstract class DeviceRun extends BaseRun {
  protected constructor(artifact: CompiledStep, layout: TensorLayout, allReduce: AllReduce | undefined, validate: boolean) {
    super(artifact, layout, allReduce, validate);
  }

  /** An arena's contents (layout.total floats). */
  protected abstract readArena(name: string): Promise<Float32Array>;
  protected abstract hasArena(name: string): boolean;
  /** Runs one kernel of a phase; returns its per-tensor reduction sums. */
  protected abstract dispatch(call: KernelCall): Promise<KernelSums>;
  /** A new pass of the running phase begins (a backend whose kernels read the pass's inputs marks them). */
  protected beginPass(): void {}
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
    const kernels = art.passes.flatMap((p) => p.kernels);
    const written = [...new Set(kernels.flatMap(({ kernel }) => kernel.stores.map((s) => kernel.bindings[s.arena].name)))];
    if (this.validate) {
      const read = new Set(kernels.flatMap(({ kernel }) => kernel.bindings.filter((b) => b.read).map((b) => b.name)));
      const inputs = checkedInputs(this.artifact.protocol, this.artifact.handlesNonFinite).filter((a) => read.has(a));
      await this.refuseNonFinite(inputs, false);
    }
    // A backend that writes in place keeps copies of what the phase writes, to undo a refused one.
    const backup = this.validate && this.writesInPlace ? this.saveArenas(written) : undefined;
    try {
      const inputs = { counters: this.counters, maskflags: this.maskflags, segments: this.layout.tensors.length };
      let pass = -1;
      const next = await drivePhase(art, inputs, (call) => {
        if (call.pass !== pass) {
          pass = call.pass;
          this.beginPass();
        }
        return this.dispatch(call);
      });
      this.endPasses();
      if (this.validate) await this.refuseNonFinite(written, true);
      this.commit();
      for (const [c, v] of next) this.counters.set(c, v);
    } catch (e) {
      this.abandon();
      backup?.restore();
      throw e;
    } finally {
      backup?.release();
    }
  }

  /** Whether a phase's kernels write the arenas themselves (WebGPU) rather than new textures committed at the end (gpu.js). */
  protected abstract readonly writesInPlace: boolean;
  /** The passes of the running phase are done (what the kernels wrote is what an arena now reads). */
  protected endPasses(): void {}

  /**
   * Refuses a non-finite value in `arenas` (R201/R206 for inputs, R207 for what a phase wrote):
   * a small kernel counts them, and only when it finds some is the arena read back to name the first.
   */
  protected async refuseNonFinite(arenas: string[], stored: boolean): Promise<void> {
    for (const arena of arenas) {
      const kernel = this.artifact.validation?.[arena];
      if (!kernel) continue;
      const [sums] = await this.dispatch({ pass: 0, kernel, uniforms: [], segvals: [] });
      if ((typeof sums === "number" ? sums : sums.reduce((a, b) => a + b, 0)) === 0) continue;
      const data = await this.readArena(arena);
      const bad = firstNonFinite(data);
      if (bad >= 0) throw nonFiniteError(arena, data[bad], bad, this.tensors, stored);
    }
  }

  /** A cycle on a device: gradFn gets the perturbed params read back, its gradient is uploaded. */
  protected cycleIo(): CycleIo {
    return {
      layout: this.layout,
      counters: this.counters,
      runPhase: (name) => this.runPhase(name),
      saveArenas: (arenas) => this.saveArenas(arenas),
      viewArena: async (name) => viewsOf(await this.readArena(name), this.layout),
      gradientBuffer: () => {
        const buffer = new Float32Array(this.layout.total);
        return { buffer, views: viewsOf(buffer, this.layout) };
      },
      commitGradients: (name, buffer) => this.writeArena(name, buffer),
    };
  }

  writeGrads(grads: Record<string, ArrayLike<number>>): void {
    this.idle("writeGrads()");
    this.stageGradients(grads);
  }

  /** Copies named gradients into the grads arena (the step's own path: the run is busy then). */
  protected override stageGradients(grads: Record<string, ArrayLike<number>>): void {
    const staging = new Float32Array(this.layout.total);
    copyNamed(staging, this.layout, grads, "grads");
    this.writeArena(GRADS, staging);
  }

  async readParams(): Promise<Tensors> {
    this.idle("readParams()");
    return viewsOf(await this.readArena(PARAMS), this.layout);
  }

  /** The unperturbed params: SAM's cache while perturbed, else the params. */
  async readTrueParams(): Promise<Tensors> {
    this.idle("readTrueParams()");
    return viewsOf(await this.readArena(this.trueParamsArena() ?? PARAMS), this.layout);
  }

  /** A state arena as named tensors (e.g. "adam.mu"). */
  async state(slot: string): Promise<Tensors> {
    this.idle("state()");
    if (!this.hasArena(slot)) fail("R108", `no state slot '${slot}'`, `slots: ${this.artifact.arenas.map((x) => x.name).join(", ")}`);
    return viewsOf(await this.readArena(slot), this.layout);
  }

  async saveState(): Promise<StateSnapshot> {
    this.idle("saveState()");
    const arenas: Record<string, Float32Array> = {};
    for (const name of savedArenas(this.artifact)) arenas[name] = await this.readArena(name);
    return this.snapshotOf(arenas);
  }
}
