/**
 * What the GPU runs (WebGPU, gpu.js) share beyond the step protocol (BaseRun): phases driven
 * asynchronously through the phase driver with commit-on-success, the device-side NaN check of
 * the gradients, reading tensors back, and the cycle's device I/O (perturbed params read back
 * for the caller's gradFn, its gradient uploaded). A backend supplies how an arena is read and
 * written and how a kernel runs.
 */
import { GRADS, PARAMS } from "../format/arena_names.js";
import type { CompiledStep, PhaseArtifact } from "../format/artifact.js";
import { fail } from "./errors.js";
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
  /** Saves arenas for a cycle of phases; restore() puts them back, release() frees the copy. */
  protected abstract saveArenas(arenas: string[]): { restore(): void; release(): void };

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
      let pass = -1;
      const next = await drivePhase(art, inputs, (call) => {
        if (call.pass !== pass) {
          pass = call.pass;
          this.beginPass();
        }
        return this.dispatch(call);
      });
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
    const read = new Set(art.passes.flatMap((p) => p.kernels.flatMap((k) => k.kernel.bindings.filter((b) => b.read).map((b) => b.name))));
    for (const [arena, kernel] of Object.entries(this.artifact.validation ?? {})) {
      if (!read.has(arena)) continue;
      const [sums] = await this.dispatch({ pass: 0, kernel, uniforms: [], segvals: [] });
      if ((typeof sums === "number" ? sums : sums.reduce((a, b) => a + b, 0)) === 0) continue;
      const data = await this.readArena(arena);
      const bad = data.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) this.refuseNonFinite(arena, data, bad);
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
    const staging = new Float32Array(this.layout.total);
    copyNamed(staging, this.layout, grads, "grads");
    this.writeArena(GRADS, staging);
  }

  async readParams(): Promise<Tensors> {
    return viewsOf(await this.readArena(PARAMS), this.layout);
  }

  /** The unperturbed params: SAM's cache while perturbed, else the params. */
  async readTrueParams(): Promise<Tensors> {
    return viewsOf(await this.readArena(this.trueParamsArena() ?? PARAMS), this.layout);
  }

  /** A state arena as named tensors (e.g. "adam.mu"). */
  async state(slot: string): Promise<Tensors> {
    if (!this.hasArena(slot)) fail("R108", `no state slot '${slot}'`, `slots: ${this.artifact.arenas.map((x) => x.name).join(", ")}`);
    return viewsOf(await this.readArena(slot), this.layout);
  }

  async saveState(): Promise<StateSnapshot> {
    const arenas: Record<string, Float32Array> = {};
    for (const name of savedArenas(this.artifact)) arenas[name] = await this.readArena(name);
    return this.snapshotOf(arenas);
  }
}
