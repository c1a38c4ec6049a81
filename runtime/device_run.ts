/**
 * What the GPU runs (WebGPU, gpu.js) share beyond the step protocol (BaseRun): steps that never
 * wait. A step evaluates the host values that depend only on counters, checks the guards that
 * depend only on them, and hands the phase to the backend, which writes those values into the
 * device's table and queues the phase's kernels, folds and device programs (format/device.ts);
 * nothing is read back. Refusals are recorded on the device, where every later store of the
 * step and of the steps queued after it is skipped; `sync()` reads the record, rolls the host's
 * counters back to before the refused step, and throws its R-code.
 *
 * The contract, exactly:
 * - `step()` resolves once the step is queued. `count`, `outerCount` and the host counters
 *   count steps issued; counters the device decides (counterValues) are updated at sync().
 * - `sync()` waits for every queued step. If none was refused it returns { steps } (how many
 *   it confirmed). Otherwise it throws the first refusal, "step k: ...": step k and every step
 *   queued after it changed nothing, so params and state are exactly as before step k, and
 *   count, outerCount and counters are as they were then. The run goes on from there.
 * - readParams(), state(), saveState() are reads the user asked for: they sync first (and throw
 *   a pending refusal as sync() would). opaque SAM with a CPU gradFn reads the perturbed params
 *   back; a deviceGradFn reads nothing.
 * - After MAX_UNSYNCED_STEPS steps without a sync, step() syncs by itself.
 */
import { GRADS, PARAMS } from "../format/arena_names.js";
import { type CompiledStep, type PhaseArtifact } from "../format/artifact.js";
import type { StepDevice } from "../format/device.js";
import { truthy } from "../format/ops.js";
import { fail, OptcRuntimeError } from "./errors.js";
import { firstNonFinite, nonFiniteError } from "./finite.js";
import { evalHost, type HostInputs, type HostValue } from "./host.js";
import { evalParamsOf, evalParamsSource } from "./eval_params.js";
import { runCycleSync, type AllReduce, type CycleIo, type DeviceGradFn, type DeviceGradIo, type SavedArenas, type Tensors } from "./opaque_cycle.js";
import { isOuterPhase } from "./protocol.js";
import { emaParamsArena, inputValue } from "./run_inputs.js";
import { BaseRun, type StepOptions } from "./run_base.js";
import { savedArenas, type StateSnapshot } from "./state.js";
import { copyNamed, viewsOf, type TensorLayout } from "./tensors.js";

export type DeviceStepOptions = StepOptions;

/** Steps a run queues before step() waits for them itself (sync()). */
export const MAX_UNSYNCED_STEPS = 4096;

/** What sync() confirmed: the steps queued since the last sync, all applied. */
export interface SyncReport {
  steps: number;
}

/** What the device recorded: the first refusal (0 = none) and the step it refused, and the device counters. */
export interface DeviceStatus {
  refusal: number;
  step: number;
  counters: Float32Array;
}

/** A step as it was issued: what to roll the host back to if the device refuses it. */
interface IssuedStep {
  step: number;
  count: number;
  outerCount: number;
  counters: Map<string, number>;
}

export abstract class DeviceRun extends BaseRun {
  private issued: IssuedStep[] = [];
  private readonly deviceCounters: ReadonlySet<string>;

  protected constructor(artifact: CompiledStep, layout: TensorLayout, allReduce: AllReduce | undefined, validate: boolean) {
    super(artifact, layout, allReduce, validate);
    if (!artifact.device) fail("R110", `this artifact (version ${artifact.version}) has no device plan`, "compile it again with this optc version");
    this.deviceCounters = new Set(artifact.device.counters);
  }

  /** An arena's contents (layout.total floats), read back now (the caller synced if it had to). */
  protected abstract readArena(name: string): Promise<Float32Array>;
  protected abstract hasArena(name: string): boolean;
  /**
   * Queues one phase: writes its host values (`values`, by host node; the table says which the
   * device reads) and the step's number and validate flag into the table, then the phase's
   * kernels, folds and device programs, in one submission where the backend can.
   */
  protected abstract encodePhase(art: PhaseArtifact, values: HostValue[], step: number): void;
  /** Waits for the queue and reads the status words and device counters. */
  protected abstract readStatus(): Promise<DeviceStatus>;
  /** Clears a recorded refusal (queued after everything before it). */
  protected abstract clearStatus(): void;
  /** Replaces the device counters (loadState). */
  protected abstract writeDeviceCounters(values: Float32Array): void;
  /** The backend's buffers for a deviceGradFn (WebGPU only; others leave it out). */
  protected deviceGradIo?(perturbed: string, gradients: string): DeviceGradIo;

  /** Device counter values by index, from the counters map (for loadState and init). */
  protected deviceCounterValues(): Float32Array {
    return Float32Array.from(this.artifact.device!.counters, (c) => this.counters.get(c) ?? 0);
  }

  override async step(stepOptions?: StepOptions): Promise<void> {
    const entry: IssuedStep = { step: this.count + 1, count: this.count, outerCount: this.outerCount, counters: new Map(this.counters) };
    await super.step(stepOptions);
    this.issued.push(entry);
    if (this.issued.length >= MAX_UNSYNCED_STEPS) await this.sync();
  }

  /**
   * step() without a promise, for callers that cannot await (tfjs's synchronous applyGradients
   * and model.fit): the step is encoded and submitted before it returns. An opaque SAM cycle
   * needs a synchronous `deviceGradFn` (it submits the gradient's work before returning, so
   * nothing is read back); refusals are reported by sync() as for step().
   */
  stepQueued(options: { deviceGradFn?: DeviceGradFn } = {}): void {
    const step = this.artifact.protocol.step;
    if (options === null || typeof options !== "object" || (options.deviceGradFn !== undefined && typeof options.deviceGradFn !== "function")) {
      fail("R112", "stepQueued() takes { deviceGradFn } (a function) or nothing", "stepQueued() for a plain step, stepQueued({ deviceGradFn }) for opaque SAM");
    }
    if (step.kind === "cycle" && options.deviceGradFn === undefined) fail("R112", "stepQueued() runs an opaque SAM cycle only with a synchronous deviceGradFn", "stepQueued({ deviceGradFn }), or await run.step({ gradFn })");
    if (step.kind !== "cycle" && options.deviceGradFn !== undefined) fail("R112", "stepQueued({ deviceGradFn }) is for opaque SAM (sam(..., opaque_mode=true))", "this optimizer takes its gradients in the grads arena: stepQueued()");
    // step() would sync here by itself; a caller that cannot await must do it.
    if (this.issued.length >= MAX_UNSYNCED_STEPS) fail("R113", `${MAX_UNSYNCED_STEPS} steps are queued without a sync()`, "await run.sync() at least every MAX_UNSYNCED_STEPS steps (it reports refused steps)");
    const entry: IssuedStep = { step: this.count + 1, count: this.count, outerCount: this.outerCount, counters: new Map(this.counters) };
    this.enter("stepQueued()");
    try {
      // A config that reads step({ loss }) cannot take a step without one (R133).
      this.stepInputs({})();
      if (step.kind === "cycle") {
        runCycleSync(step, this.cycleIo(), { deviceGradFn: options.deviceGradFn }, undefined);
        if (isOuterPhase(this.artifact.protocol, step.last)) this.outerCount++;
      } else if (this.stepOnePhase()) throw new Error("internal: a device phase awaited");
      this.count++;
    } finally {
      this.leave();
    }
    this.issued.push(entry);
  }

  /** Queues one phase: host values and host guards now, everything else on the device. */
  protected runPhase(name: string): void {
    const art: PhaseArtifact | undefined = this.artifact.phases[name];
    if (!art?.device) throw new Error(`internal: no device phase ${name}`);
    const vals: HostValue[] = [];
    const inputs: HostInputs = {
      counter: (c) => this.counters.get(c) ?? 0,
      input: (name) => inputValue(this.inputs, name),
      reduction: () => {
        throw new Error("internal: a reduction read on the host");
      },
      maskflags: (m) => this.maskflags[m],
      segments: this.layout.tensors.length,
    };
    evalHost(art.host, vals, inputs, 0, Infinity, art.device.table.onDevice);
    // Guards that depend only on counters refuse the step here, before anything is queued.
    for (const g of art.guards) if (g.refusal === undefined && !truthy(vals[g.cond] as number)) fail(g.code, g.message, `${g.hint}; params and state are unchanged`);
    this.encodePhase(art, vals, this.count + 1);
    for (const s of art.counterStores) if (!this.deviceCounters.has(s.counter)) this.counters.set(s.counter, vals[s.value] as number);
  }

  /**
   * Waits for the queued steps. Returns how many were applied, or throws the first refusal
   * (step k: every step from k on changed nothing; count and counters go back to before k).
   */
  async sync(): Promise<SyncReport> {
    this.enter("sync()");
    try {
      return await this.syncNow();
    } finally {
      this.leave();
    }
  }

  private async syncNow(): Promise<SyncReport> {
    const issued = this.issued;
    this.issued = [];
    const status = await this.readStatus();
    const dev = this.artifact.device!;
    const refused = status.refusal === 0 ? -1 : issued.findIndex((e) => e.step === status.step);
    if (status.refusal !== 0) {
      const entry = issued[refused];
      if (entry) {
        this.count = entry.count;
        this.outerCount = entry.outerCount;
        this.counters.clear();
        for (const [c, v] of entry.counters) this.counters.set(c, v);
      }
      this.clearStatus();
    }
    dev.counters.forEach((c, i) => this.counters.set(c, status.counters[i]));
    if (status.refusal === 0) return { steps: issued.length };
    const later = refused >= 0 ? issued.length - refused - 1 : 0;
    const cause = await this.refusalCause(dev.refusals[status.refusal - 1]);
    throw new OptcRuntimeError(cause.code, `step ${status.step}: ${cause.message}; it and the ${later} step${later === 1 ? "" : "s"} queued after it changed nothing`, `${cause.hint.replace(/^params and state are unchanged; /, "")}; params and state are as before step ${status.step}`);
  }

  /**
   * What a refusal reports. The inputs' finiteness guard counts params and gradients together;
   * only now, on the failure path, are they read back to tell which: the refused step (and those
   * after it) left the params as they were, so non-finite params are R206 (naming the element);
   * otherwise it was the gradients (R201), named if they still hold the value (the caller may
   * have written new ones since).
   */
  private async refusalCause(r: StepDevice["refusals"][number]): Promise<{ code: string; message: string; hint: string }> {
    for (const arena of r.arenas ?? []) {
      if (!this.hasArena(arena)) continue;
      const data = await this.readArena(arena);
      const bad = firstNonFinite(data);
      if (bad >= 0) {
        const e = nonFiniteError(arena, data[bad], bad, this.tensors, false);
        return { code: e.code, message: e.summary, hint: e.hint };
      }
    }
    return r;
  }

  /** A read the user asked for: the queued steps first (a pending refusal is thrown here). */
  private async synced<T>(what: string, read: () => Promise<T>): Promise<T> {
    this.idle(what);
    if (this.issued.length > 0) await this.sync();
    this.enter(what);
    try {
      return await read();
    } finally {
      this.leave();
    }
  }

  /** A cycle on a device: a CPU gradFn gets the perturbed params read back and its gradient uploaded; a deviceGradFn gets the buffers. */
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
      ...(this.deviceGradIo ? { deviceGradIo: (p: string, g: string) => this.deviceGradIo!(p, g) } : {}),
    };
  }

  protected abstract override saveArenas(arenas: string[]): SavedArenas;

  writeGrads(grads: Record<string, ArrayLike<number>>): void {
    this.idle("writeGrads()");
    this.stageGradients(grads);
  }

  /** Copies named gradients into the grads arena (queued: the steps before it read the gradients they were given). */
  protected override stageGradients(grads: Record<string, ArrayLike<number>>): void {
    const staging = new Float32Array(this.layout.total);
    copyNamed(staging, this.layout, grads, "grads");
    this.writeArena(GRADS, staging);
  }

  async readParams(): Promise<Tensors> {
    return this.synced("readParams()", async () => viewsOf(await this.readArena(PARAMS), this.layout));
  }

  /** The unperturbed params: SAM's cache while perturbed, else the params. */
  async readTrueParams(): Promise<Tensors> {
    return this.synced("readTrueParams()", async () => viewsOf(await this.readArena(this.trueParamsArena() ?? PARAMS), this.layout));
  }

  /** A state arena as named tensors (e.g. "adam.mu"). */
  /** schedule_free's eval params, (params − (1 − b1)·z)/b1, read back (syncs first); R108 without schedule_free. */
  async evalParams(): Promise<Tensors> {
    const { z, b1 } = evalParamsSource(this.artifact, this.inputs);
    return this.synced("evalParams()", async () => viewsOf(evalParamsOf(await this.readArena(PARAMS), await this.readArena(z), b1), this.layout));
  }

  /** ema_params' moving average of the params, read back (syncs first, as state() does); R108 without ema_params. */
  emaParams(): Promise<Tensors> {
    return this.state(emaParamsArena(this.artifact));
  }

  async state(slot: string): Promise<Tensors> {
    if (!this.hasArena(slot)) fail("R108", `no state slot '${slot}'`, `slots: ${this.artifact.arenas.map((x) => x.name).join(", ")}`);
    return this.synced("state()", async () => viewsOf(await this.readArena(slot), this.layout));
  }

  async saveState(): Promise<StateSnapshot> {
    return this.synced("saveState()", async () => {
      const arenas: Record<string, Float32Array> = {};
      for (const name of savedArenas(this.artifact)) arenas[name] = await this.readArena(name);
      return this.snapshotOf(arenas);
    });
  }

  /** A snapshot replaces everything, a pending refusal included: the queued steps are forgotten. */
  override loadState(snapshot: StateSnapshot | Uint8Array): void {
    super.loadState(snapshot);
    this.issued = [];
    this.clearStatus();
    this.writeDeviceCounters(this.deviceCounterValues());
  }
}
