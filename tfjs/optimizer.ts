/**
 * tfjsOptimizer(config): an optc optimizer as a tf.Optimizer, for model.compile / model.fit,
 * optimizer.minimize(f) and applyGradients(). Variables are matched by name
 * (tf.engine().registeredVariables) and laid out once, at the first call; every step copies the
 * gradients into optc's grads arena, runs the compiled step (the JS target on cpu and wasm;
 * the gpu.js stepper on tfjs-webgl's own context where gpu.js is at hand, else the JS target;
 * the WebGPU stepper on webgpu) and writes the new params back into the variables.
 */
import * as tf from "@tensorflow/tfjs-core";
import { compile } from "../index.js";
import { fail } from "../runtime/errors.js";
import type { AllReduce } from "../runtime/opaque_cycle.js";
import type { Optimizer as OptcCompiled, Run } from "../runtime/optimizer.js";
import type { StateSnapshot } from "../runtime/state.js";
import { bridgeKind, emptyStats, readInto, writeVariable, type BridgeKind, type CopyStats } from "./bridge.js";
import { createWebGlStepper, gpuJsClass, sharedWebGl2 } from "./webgl.js";
import type { DeviceStepper } from "./stepper.js";
import { createWebGpuStepper } from "./webgpu.js";
import { hasOptcState, remapSnapshot, snapshotToWeights, weightsToSnapshot, type NamedTensor } from "./weights.js";

export interface TfjsOptimizerOptions {
  /** optc's finiteness guard (default true): a step with NaN/Inf gradients is refused (R201) and changes nothing. */
  validate?: boolean;
  /** sam(..., batch_axis_name=...): reduces each gradient evaluation across replicas, in place (not serialized). */
  allReduce?: AllReduce;
  /** The most optc's arenas may allocate (default 8 GiB; R111). */
  maxBytes?: number;
  /**
   * gpu.js's GPU class (`import { GPU } from "gpu.js"`; a global gpu.js, its browser bundle, is
   * found without it): on tfjs-webgl, optc's gpu.js kernels then run on tfjs's own WebGL2
   * context, with no download or upload per step (tfjs/webgl.ts). `false`: the JS target
   * even so. Not serialized.
   */
  gpujs?: unknown;
}

/** One variable optc updates, in optc's layout order (sorted by name). */
interface Slot {
  name: string;
  variable: tf.Variable;
  offset: number;
  size: number;
  shape: number[];
  /** The dataId optc last wrote or read: another one means someone assigned the variable. */
  dataId: object;
}

/** tfjs-webgpu's backend (under any registered name): optc's WebGPU stepper runs there. */
function isWebGpu(name: string): boolean {
  if (name === "webgpu") return true;
  const b = tf.backend() as unknown as { device?: unknown; tensorMap?: unknown; submitQueue?: unknown } | null;
  return !!b && typeof b === "object" && !!b.device && !!b.tensorMap && typeof b.submitQueue === "function";
}

type GradList = tf.NamedTensorMap | NamedTensor[];

const dataIdOf = (t: tf.Tensor): object => (t as unknown as { dataId: object }).dataId;

/** Named gradients from either form tfjs passes (R114 for anything else). */
function namedGradients(grads: unknown): Map<string, tf.Tensor | null> {
  const out = new Map<string, tf.Tensor | null>();
  const add = (name: unknown, t: unknown) => {
    if (typeof name !== "string") fail("R114", "applyGradients() got a gradient without a variable name", "pass { [variable.name]: gradient } or [{ name, tensor }]");
    if (t !== null && t !== undefined && !(t instanceof tf.Tensor)) fail("R114", `the gradient for '${name}' is not a tf.Tensor`, "pass tensors, e.g. from tf.variableGrads(f)");
    if (out.has(name)) fail("R114", `applyGradients() got two gradients for '${name}'`, "pass one gradient per variable");
    out.set(name, (t as tf.Tensor | null | undefined) ?? null);
  };
  if (Array.isArray(grads)) for (const g of grads) add((g as NamedTensor | null)?.name, (g as NamedTensor | null)?.tensor);
  else if (grads !== null && typeof grads === "object" && !(grads instanceof tf.Tensor)) for (const [name, t] of Object.entries(grads)) add(name, t);
  else fail("R114", `applyGradients() takes a NamedTensorMap or a NamedTensor[], got ${grads === null ? "null" : grads instanceof tf.Tensor ? "a tensor" : typeof grads}`, "pass { [variable.name]: gradient } or [{ name, tensor }]");
  if (out.size === 0) fail("R114", "applyGradients() got no gradients", "pass one gradient per variable the optimizer updates");
  return out;
}

const sameSet = (a: string[], b: Set<string>) => a.length === b.size && a.every((n) => b.has(n));

export class OptcOptimizer extends tf.Optimizer {
  static get className(): string {
    return "OptcOptimizer";
  }

  /** The canonical config (optc's printer), what getConfig() carries. */
  readonly config: string;
  readonly options: TfjsOptimizerOptions;
  private readonly compiled: OptcCompiled;
  private readonly opaque: boolean;
  /** The config reads each step's loss (reduce_on_plateau): minimize passes its cost as step({ loss }). */
  private readonly needsLoss: boolean;
  /** The loss of the step minimize() is taking (needsLoss), read once from its cost. */
  private stepLoss?: number;
  private run?: Run;
  private stepper?: DeviceStepper;
  private slots: Slot[] = [];
  private names = new Set<string>();
  private backendName = "";
  private kind: BridgeKind = "copy";
  private pending?: { snapshot: StateSnapshot; order: string[] };
  /** The variables in the order tfjs passed them at the first step. */
  private order: string[] = [];
  private inGradFn = false;
  /** What the last step copied. */
  lastStep: CopyStats = emptyStats();

  constructor(config: string, options: TfjsOptimizerOptions = {}) {
    super();
    if (options === null || typeof options !== "object") fail("R112", "tfjsOptimizer()'s options must be an object", "e.g. tfjsOptimizer(config, { validate: false })");
    if (options.gpujs !== undefined && options.gpujs !== false && !gpuJsClass(options.gpujs)) {
      fail("R112", "tfjsOptimizer's gpujs option must be gpu.js's GPU class (or false)", 'import { GPU } from "gpu.js" and pass { gpujs: GPU }, or leave it out');
    }
    this.compiled = compile(config);
    this.config = this.compiled.config;
    this.options = { ...options };
    this.opaque = this.compiled.artifact.protocol.step.kind === "cycle";
    this.needsLoss = (this.compiled.artifact.stepInputs ?? []).some((s) => s.name === "loss");
    if (this.compiled.artifact.protocol.allReduce && typeof options.allReduce !== "function") {
      fail("R107", "this sam config sets batch_axis_name, so tfjsOptimizer() needs an allReduce callback", "pass tfjsOptimizer(config, { allReduce: (grads) => { /* mean over replicas, in place */ } })");
    }
  }

  /** Steps optc has taken (SAM: every call; outerCount counts outer updates). */
  get count(): number {
    return this.stepper?.count ?? this.run?.count ?? this.pending?.snapshot.count ?? 0;
  }

  /** Which optc target runs, on which tfjs backend, and what a step copies. */
  describe(): string {
    if (!this.run && !this.stepper) return `optc ${this.config}: not laid out yet (the first applyGradients() lays out its variables)`;
    if (this.stepper) return `optc ${this.config} on tfjs-${this.backendName}: ${this.stepper.describe}`;
    const n = this.run!.tensors.reduce((s, t) => s + t.size, 0);
    const s = this.lastStep;
    const how: Record<BridgeKind, string> = {
      cpu: "gradients copied from tfjs-cpu's values arrays into optc's grads arena (no dataSync); params written into the variables' values arrays in place (variable.assign of a fresh tensor where the memory is shared)",
      wasm: "gradients copied from the wasm heap (a view made per copy) into optc's grads arena; params copied into a fresh heap tensor per variable and assigned (XNNPACK caches packed weights by tensor id, so in place would be stale)",
      copy:
        `gradients read with dataSync() (a download from tfjs-${this.backendName}) and params uploaded with variable.assign(tf.tensor(...))` +
        (sharedWebGl2(tf.backend()) ? " (pass tfjsOptimizer(config, { gpujs: GPU }) with gpu.js's GPU class, or load gpu.js's browser bundle, to run optc's gpu.js kernels on tfjs's WebGL2 context instead)" : ""),
    };
    return (
      `optc ${this.config}: ${this.compiled.artifact.target === "wasm" ? "the wasm target (SIMD kernels over one WebAssembly.Memory)" : "the JS target (CPU kernels over float32 arenas)"} for tfjs-${this.backendName}, ${this.slots.length} variables, ${n} params. ` +
      `Per step: ${how[this.kind]}: ${4 * n} B in, ${4 * n} B out. ` +
      `Last step: ${s.gradBytes} B of gradients (${s.directReads} direct, ${s.syncReads} dataSync), ${s.paramBytes} B of params (${s.inPlaceWrites} in place, ${s.assigns} assigned).`
    );
  }

  /** Waits for queued GPU steps (webgpu); resolves at once on the CPU backends. */
  async sync(): Promise<unknown> {
    return this.stepper ? this.stepper.sync() : undefined;
  }

  override applyGradients(variableGradients: GradList): void {
    if (this.opaque && !this.inGradFn) {
      fail("R204", "this optimizer evaluates gradients itself (sam(..., opaque_mode=true)): use optimizer.minimize(f) or model.fit, not applyGradients()", "minimize(f) evaluates f's gradient at the perturbed params itself");
    }
    const grads = namedGradients(variableGradients);
    this.prepare(grads);
    if (this.stepper) {
      // The GPU steppers queue steps without host values; a step's loss would also stall the queue.
      if (this.needsLoss) fail("R133", `this config reads the loss every step (reduce_on_plateau), which optc/tfjs passes to its CPU runs only, not to the stepper on tfjs-${this.backendName}`, "use tfjs-cpu or tfjs-wasm for this optimizer (or { gpujs: false } on tfjs-webgl)");
      const map = new Map<string, tf.Tensor>();
      for (const s of this.slots) {
        const g = grads.get(s.name);
        map.set(s.name, g ?? tf.zeros(s.shape));
      }
      this.stepper.step(map);
      for (const s of this.slots) if (!grads.get(s.name)) map.get(s.name)!.dispose();
    } else {
      this.stageGradients(grads);
      this.run!.stepSync(this.stepLoss === undefined ? {} : { loss: this.stepLoss });
      this.writeParams();
    }
    this.incrementIterations();
  }

  /**
   * minimize(f): for opaque SAM, the whole cycle in one call: f's gradient at the params, then
   * (sync_period - 1) times at the perturbed params (assigned to the variables for each
   * evaluation), then the outer update; the variables end at the new params. A throwing f
   * leaves variables and optimizer state as they were.
   */
  override minimize(f: () => tf.Scalar, returnCost = false, varList?: tf.Variable[]): tf.Scalar | null {
    if (this.needsLoss && !this.opaque) return this.minimizeWithLoss(f, returnCost, varList);
    if (!this.opaque) return super.minimize(f, returnCost, varList);
    const { value, grads } = this.computeGradients(f, varList);
    try {
      const named = namedGradients(varList ? varList.map((v) => ({ name: v.name, tensor: grads[v.name] })) : grads);
      this.prepare(named);
      const vars = this.slots.map((s) => s.variable);
      const gradAt = () => {
        const evaluated = tf.variableGrads(f, vars);
        evaluated.value.dispose();
        return evaluated.grads;
      };
      if (this.stepper) this.stepper.stepCycle(new Map([...named].filter((e): e is [string, tf.Tensor] => e[1] !== null)), gradAt);
      else this.cycleOnCpu(named, gradAt);
      this.incrementIterations();
    } catch (e) {
      value.dispose();
      throw e;
    } finally {
      tf.dispose(grads);
    }
    if (returnCost) return value;
    value.dispose();
    return null;
  }

  /**
   * minimize(f) for a config that reads the loss (reduce_on_plateau): tf.Optimizer's minimize,
   * with f's cost passed to the step as step({ loss }). That is one scalar read (dataSync) per
   * step, which tfjs's own minimize does not make; model.fit calls minimize, so fit works
   * unchanged. applyGradients() alone has no loss and stays R133.
   */
  private minimizeWithLoss(f: () => tf.Scalar, returnCost: boolean, varList?: tf.Variable[]): tf.Scalar | null {
    const { value, grads } = this.computeGradients(f, varList);
    try {
      this.stepLoss = value.dataSync()[0];
      this.applyGradients(varList ? varList.map((v) => ({ name: v.name, tensor: grads[v.name] })) : grads);
    } catch (e) {
      value.dispose();
      throw e;
    } finally {
      this.stepLoss = undefined;
      tf.dispose(grads);
    }
    if (returnCost) return value;
    value.dispose();
    return null;
  }

  /** Opaque SAM on the CPU backends: each evaluation assigns the perturbed params to the variables and reads tfjs's gradient into optc's buffer. */
  private cycleOnCpu(named: Map<string, tf.Tensor | null>, gradAt: () => tf.NamedTensorMap): void {
    this.stageGradients(named);
    try {
      this.run!.stepSync({
        gradFn: (params, _i, out) => {
          for (const s of this.slots) writeVariable(this.kind, s.variable, params[s.name], this.lastStep);
          const evaluated = gradAt();
          try {
            for (const s of this.slots) {
              const g = evaluated[s.name];
              if (g) readInto(this.kind, g, out[s.name], this.lastStep);
              else out[s.name].fill(0);
            }
          } finally {
            tf.dispose(evaluated);
          }
        },
      });
    } finally {
      // The true params (new ones, or the old ones after a refused cycle) go back into the variables.
      this.writeParams();
    }
  }

  /** Lays out the variables at the first call; checks every later call against that layout. */
  private prepare(grads: Map<string, tf.Tensor | null>): void {
    const backend = tf.getBackend();
    if (!this.run && !this.stepper) this.layOut(grads, backend);
    else if (!sameSet([...grads.keys()], this.names)) {
      const added = [...grads.keys()].filter((n) => !this.names.has(n));
      const missing = [...this.names].filter((n) => !grads.has(n));
      fail(
        "R114",
        `the variables changed since the first step: ${[added.length ? `new ${added.map((n) => `'${n}'`).join(", ")}` : "", missing.length ? `missing ${missing.map((n) => `'${n}'`).join(", ")}` : ""].filter(Boolean).join("; ")}`,
        "an optc optimizer lays out its variables once; use one tfjsOptimizer per set of variables (e.g. per model)",
      );
    } else if (this.stepper ? backend !== this.backendName : isWebGpu(backend)) {
      fail("R116", `the tfjs backend changed from '${this.backendName}' to '${backend}' since the first step`, "optc's state lives on the first step's backend; create the optimizer after tf.setBackend()");
    }
    this.backendName = backend;
    this.kind = bridgeKind(backend);
    this.lastStep = emptyStats();
    for (const s of this.slots) {
      const g = grads.get(s.name);
      if (g && g.dtype !== "float32") fail("R115", `the gradient for '${s.name}' is ${g.dtype}, not float32`, "optc updates float32 variables with float32 gradients");
      if (g && (g.shape.length !== s.shape.length || g.shape.some((d, i) => d !== s.shape[i]))) {
        fail("R114", `the gradient for '${s.name}' has shape [${g.shape.join(", ")}], the variable [${s.shape.join(", ")}]`, "pass one gradient per variable, of its shape");
      }
    }
  }

  private layOut(grads: Map<string, tf.Tensor | null>, backend: string): void {
    const registered = tf.engine().registeredVariables;
    const vars = [...grads.keys()].sort().map((name) => {
      const v = registered[name];
      if (!v) fail("R114", `there is a gradient for '${name}' but no variable of that name`, "gradients are matched to variables by name (tf.engine().registeredVariables); pass { [variable.name]: gradient }");
      if (v.dtype !== "float32") fail("R115", `variable '${name}' is ${v.dtype}; optc updates float32 variables only`, "make the variable float32 (tf.variable(x.cast('float32'))), or leave it out of varList");
      return v;
    });
    this.order = [...grads.keys()];
    this.backendName = backend;
    this.kind = bridgeKind(backend);
    const stepper = this.deviceStepper(backend, vars);
    if (stepper) {
      const byName = new Map(vars.map((v) => [v.name, v]));
      const sorted = [...byName.keys()].sort();
      if (this.pending) {
        let at = 0;
        const layout = sorted.map((name) => {
          const shape = [...byName.get(name)!.shape];
          const size = shape.reduce((a, b) => a * b, 1);
          return { name, shape, offset: (at += size) - size, size };
        });
        stepper.loadState(remapSnapshot(this.pending.snapshot, this.pending.order, this.order, layout));
        this.pending = undefined;
      }
      this.stepper = stepper;
      this.slots = sorted.map((name) => ({ name, variable: byName.get(name)!, offset: 0, size: 0, shape: [...byName.get(name)!.shape], dataId: dataIdOf(byName.get(name)!) }));
      this.names = new Set(sorted);
      return;
    }
    const init: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const v of vars) init[v.name] = { shape: [...v.shape], data: v.dataSync() as Float32Array };
    const run = this.compiled.initSync(init, { validate: this.options.validate, allReduce: this.options.allReduce, maxBytes: this.options.maxBytes });
    const byName = new Map(vars.map((v) => [v.name, v]));
    this.slots = run.tensors.map((t) => ({ name: t.name, variable: byName.get(t.name)!, offset: t.offset, size: t.size, shape: [...t.shape], dataId: dataIdOf(byName.get(t.name)!) }));
    this.names = new Set(this.slots.map((s) => s.name));
    if (this.pending) {
      run.loadState(remapSnapshot(this.pending.snapshot, this.pending.order, this.order, run.tensors));
      this.pending = undefined;
    }
    this.run = run;
    // The variables are the truth for the params (a loaded snapshot holds the same values).
    this.readParams();
  }

  /**
   * The step that runs on tfjs's own device, where there is one: WebGPU on tfjs-webgpu; gpu.js on
   * tfjs-webgl's WebGL2 context when gpu.js is at hand. Otherwise the JS target.
   */
  private deviceStepper(backend: string, vars: tf.Variable[]): DeviceStepper | undefined {
    const named = vars.map((variable) => ({ name: variable.name, variable }));
    if (isWebGpu(backend)) return createWebGpuStepper(this.config, named, tf.backend(), { validate: this.options.validate });
    if (this.options.gpujs === false) return undefined;
    const GPU = gpuJsClass(this.options.gpujs);
    if (!sharedWebGl2(tf.backend()) || !GPU) return undefined;
    return createWebGlStepper(this.config, named, tf.backend(), GPU, { validate: this.options.validate });
  }

  /** Variables someone else assigned since optc's last write: their values go into optc's params. */
  private readParams(force = true): void {
    for (const s of this.slots) {
      if (!force && dataIdOf(s.variable) === s.dataId) continue;
      readInto(this.kind, s.variable, this.run!.params[s.name], emptyStats());
      s.dataId = dataIdOf(s.variable);
    }
  }

  private stageGradients(grads: Map<string, tf.Tensor | null>): void {
    this.readParams(false);
    for (const s of this.slots) {
      const g = grads.get(s.name);
      if (g) readInto(this.kind, g, this.run!.grads[s.name], this.lastStep);
      else this.run!.grads[s.name].fill(0);
    }
  }

  private writeParams(): void {
    for (const s of this.slots) {
      writeVariable(this.kind, s.variable, this.run!.params[s.name], this.lastStep);
      s.dataId = dataIdOf(s.variable);
    }
  }

  // ------------------------------------------------------------ serialization

  override getConfig(): tf.serialization.ConfigDict {
    const c: tf.serialization.ConfigDict = {
      config: this.config,
      // tfjs-layers camel-cases every string of a loaded config (clip_by_global_norm → clipByGlobalNorm): the codes survive.
      configCodes: Array.from(this.config, (ch) => ch.charCodeAt(0)),
    };
    if (this.options.validate !== undefined) c.validate = this.options.validate;
    if (this.options.maxBytes !== undefined) c.maxBytes = this.options.maxBytes;
    return c;
  }

  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    const codes = config.configCodes;
    const source = Array.isArray(codes) && codes.every((c) => typeof c === "number") ? String.fromCharCode(...(codes as number[])) : config.config;
    const options: TfjsOptimizerOptions = {};
    if (typeof config.validate === "boolean") options.validate = config.validate;
    if (typeof config.maxBytes === "number") options.maxBytes = config.maxBytes;
    return new cls(source, options);
  }

  /** tfjs's `iter`, then optc's whole state (tfjs/weights.ts). */
  override async getWeights(): Promise<NamedTensor[]> {
    const iter = await this.saveIterations();
    if (this.pending) return [iter, ...snapshotToWeights(this.pending.snapshot, this.pending.order)];
    const s = this.stepper ? await this.stepper.saveState() : this.run ? this.run.saveState() : undefined;
    return s ? [iter, ...snapshotToWeights(s, this.order)] : [iter];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    if (!Array.isArray(weightValues) || weightValues.length === 0) fail("R301", "setWeights() needs the NamedTensor[] that getWeights() returned", "pass what getWeights() returned");
    const rest = await this.extractIterations(weightValues);
    if (!hasOptcState(rest)) {
      if (rest.length === 0 && !this.run && !this.stepper) return; // saved before the first step: nothing but iter
      fail("R301", "these optimizer weights hold no optc state (no optc/meta)", "pass what an OptcOptimizer's getWeights() returned");
    }
    const loaded = await weightsToSnapshot(rest);
    if (this.stepper) {
      let at = 0;
      const layout = this.slots.map((t) => ({ name: t.name, shape: t.shape, offset: (at += t.shape.reduce((a, b) => a * b, 1)) - t.shape.reduce((a, b) => a * b, 1), size: t.shape.reduce((a, b) => a * b, 1) }));
      this.stepper.loadState(remapSnapshot(loaded.snapshot, loaded.order, this.order, layout));
    } else if (this.run) {
      this.run.loadState(remapSnapshot(loaded.snapshot, loaded.order, this.order, this.run.tensors));
      this.writeParams();
    } else this.pending = loaded;
  }

  override dispose(): void {
    this.stepper?.dispose();
    this.stepper = undefined;
    this.run = undefined;
    super.dispose();
  }
}

tf.serialization.registerClass(OptcOptimizer);

/**
 * An optc optimizer for tfjs: model.compile({ optimizer: tfjsOptimizer("adamw(1e-3)"), loss }).
 * Throws OptcError (with carets) here for a config that does not compile.
 */
export function tfjsOptimizer(config: string, options?: TfjsOptimizerOptions): OptcOptimizer {
  return new OptcOptimizer(config, options);
}
