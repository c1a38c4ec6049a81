/**
 * optc's WebGPU step inside TensorFlow.js's WebGPU backend, on the backend's own GPUDevice:
 * nothing goes through the CPU. Per step:
 *
 * 1. tfjs's deferred commands are submitted (backend.submitQueue()), so the gradients exist;
 * 2. one command buffer copies each gradient's GPUBuffer into optc's grads arena (its offset);
 * 3. optc's step is queued (GpuRun.stepQueued(): device programs, fused kernels, folds);
 * 4. one command buffer copies the new params from optc's params arena into each variable's
 *    own GPUBuffer, in place (the variable keeps its dataId).
 *
 * So a step copies 2 × 4 bytes per parameter on the device (gradients in, params out) and maps
 * nothing: no mapAsync, no readSync. Refusals (a NaN gradient: R201) are recorded on the device
 * and reported by sync(); a refused step, and every step queued after it, writes the params it
 * had (unchanged) back into the variables.
 *
 * Opaque SAM (stepCycle, from OptcOptimizer.minimize): the cycle runs as one queued step whose
 * deviceGradFn copies the perturbed params from optc's arena into the variables' buffers, runs
 * the caller's tf.variableGrads there (tfjs's kernels, on this device) and copies the gradients
 * into the buffer optc lends, so each evaluation adds 8 bytes per parameter of device copies and
 * still maps nothing.
 *
 * In-place writes need the variable's data to be its own: when its dataId is shared with another
 * tensor (tf.variable(x) shares x's data; assign(y) shares y's), the variable is given fresh data
 * first (once), so x and y never change. A variable the caller assigned between steps is read
 * back into optc's params (a device copy) before the next step: assign() wins, as with tfjs's
 * own optimizers. A cached CPU copy of a variable's values (after dataSync()) is dropped at each
 * write, so the next read downloads the new values.
 */
/// <reference types="@webgpu/types" />
import * as tf from "@tensorflow/tfjs-core";
import { GRADS, PARAMS } from "../format/arena_names.js";
import { compile } from "../index.js";
import { GpuRun, type GpuDeviceGradIo } from "../runtime/backends/webgpu/run.js";
import { fail } from "../runtime/errors.js";
import { queuedStepper, type DeviceStepper } from "./stepper.js";


/** What this module uses of tfjs-backend-webgpu's WebGPUBackend (public members, 4.x). */
interface TensorData {
  values: unknown;
  dtype: string;
  shape: number[];
  refCount: number;
  resource?: unknown;
}
interface WebGpuBackendLike {
  device: GPUDevice;
  tensorMap: { get(dataId: object): TensorData | undefined; has(dataId: object): boolean };
  submitQueue(): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  uploadToGPU(dataId: object): void;
  write(values: null, shape: number[], dtype: "float32"): object;
}

const REGISTER_HINT =
  "register tfjs's WebGPU backend on a device with the adapter's limits and use it: " +
  "const adapter = await navigator.gpu.requestAdapter(); " +
  "const device = await adapter.requestDevice({ requiredLimits: { maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage } }); " +
  'tf.registerBackend("webgpu-optc", () => new WebGPUBackend(device)); await tf.setBackend("webgpu-optc") ' +
  "(WebGPUBackend from @tensorflow/tfjs-backend-webgpu; tfjs's stock backend keeps the default limit of 8)";

function asBackend(backend: unknown): WebGpuBackendLike {
  const b = backend as Partial<WebGpuBackendLike> | null;
  if (!b || typeof b !== "object" || !b.device || typeof b.device.createBuffer !== "function" || !b.tensorMap || typeof b.submitQueue !== "function" || typeof b.uploadToGPU !== "function") {
    fail("R403", "createWebGpuStepper needs tfjs's WebGPU backend (tf.backend() with tf.getBackend() === 'webgpu')", "await tf.setBackend('webgpu') after importing @tensorflow/tfjs-backend-webgpu");
  }
  return b as WebGpuBackendLike;
}

export function createWebGpuStepper(config: string, vars: { name: string; variable: tf.Variable }[], backend: unknown, options: { validate?: boolean } = {}): DeviceStepper {
  const be = asBackend(backend);
  const device = be.device;
  if (vars.length === 0) fail("R101", "the optimizer got no variables", "pass at least one tf.Variable");
  for (const { name, variable } of vars) {
    if (variable.dtype !== "float32") fail("R101", `variable ${name} is ${variable.dtype}; optc steps float32 variables`, "cast it: tf.variable(x.cast(\"float32\"))");
  }
  const compiled = compile(config, { target: "webgpu" });
  let run: GpuRun;
  try {
    run = GpuRun.createQueued(compiled.artifact, Object.fromEntries(vars.map(({ name, variable }) => [name, { shape: variable.shape.length ? [...variable.shape] : [1] }])), { device, validate: options.validate ?? true });
  } catch (e) {
    if ((e as { code?: string }).code === "R402" && /storage buffers/.test((e as Error).message)) {
      fail("R402", `${(e as Error).message} (tfjs's backend requested this device)`, REGISTER_HINT);
    }
    throw e;
  }
  const byName = new Map(run.tensors.map((t) => [t.name, t]));
  const slots = vars.map(({ name, variable }) => {
    const t = byName.get(name);
    if (!t) throw new Error(`internal: no tensor ${name} in the run`);
    return { name, variable, offset: t.offset * 4, bytes: t.size * 4, dataId: undefined as object | undefined };
  });
  const paramsBuffer = run.buffers[PARAMS];
  const gradsBuffer = run.buffers[GRADS];
  const copies = compiled.artifact.arenas.filter((a) => "copy" in a.init && a.name !== PARAMS).map((a) => run.buffers[a.name]);

  /** tfjs's recorded commands, submitted: what it computed comes before what optc queues. */
  const flushTfjs = () => {
    be.ensureCommandEncoderReady();
    be.endComputePassEncoder();
    be.submitQueue();
  };
  /** A tensor's GPUBuffer, uploaded first if its data is still on the CPU (recorded in tfjs's encoder: flush after). */
  const bufferOf = (t: tf.Tensor, what: string): GPUBuffer => {
    const data = be.tensorMap.get(t.dataId);
    if (!data) fail("R101", `${what} was disposed`, "keep the tensors alive until step() returns");
    if (data.resource == null) be.uploadToGPU(t.dataId);
    const resource = be.tensorMap.get(t.dataId)!.resource;
    if (!(resource instanceof GPUBuffer)) fail("R101", `${what} is not in a GPUBuffer (a texture?)`, "pass tensors computed by tfjs's WebGPU backend");
    return resource;
  };
  /** The variable's own buffer: fresh data when its dataId is shared with other tensors. */
  const ownBuffer = (slot: (typeof slots)[number]): GPUBuffer => {
    const v = slot.variable;
    if (v.isDisposed) fail("R101", `variable ${slot.name} was disposed`, "create a new optimizer for the new variables");
    const data = be.tensorMap.get(v.dataId);
    if (data && data.refCount > 1) {
      const fresh = tf.engine().makeTensorFromDataId(be.write(null, [...v.shape], "float32"), v.shape, "float32", backend as tf.KernelBackend);
      v.assign(fresh);
      fresh.dispose();
    }
    slot.dataId = v.dataId;
    return bufferOf(v, `variable ${slot.name}`);
  };
  /** After a write: the variable's cached CPU values (dataSync) are stale. */
  const dropCache = (v: tf.Variable) => {
    const data = be.tensorMap.get(v.dataId);
    if (data) data.values = null;
  };
  /** optc's params into each variable's own buffer (re-read now: tfjs may have reallocated one), then its CPU cache dropped. */
  const writeParamsOut = () => {
    const targets = slots.map(ownBuffer);
    flushTfjs();
    const enc = device.createCommandEncoder();
    slots.forEach((s, i) => enc.copyBufferToBuffer(paramsBuffer, s.offset, targets[i], 0, s.bytes));
    device.queue.submit([enc.finish()]);
    for (const s of slots) dropCache(s.variable);
  };

  // Initial params: the variables' buffers, copied on the device (and into arenas that start as a copy of them).
  {
    const sources = slots.map((s) => {
      s.dataId = s.variable.dataId;
      return bufferOf(s.variable, `variable ${s.name}`);
    });
    flushTfjs();
    const enc = device.createCommandEncoder();
    slots.forEach((s, i) => enc.copyBufferToBuffer(sources[i], 0, paramsBuffer, s.offset, s.bytes));
    for (const c of copies) enc.copyBufferToBuffer(paramsBuffer, 0, c, 0, paramsBuffer.size);
    device.queue.submit([enc.finish()]);
  }

  const bytesPerStep = 2 * slots.reduce((a, s) => a + s.bytes, 0);
  const cycle = compiled.artifact.protocol.step;
  const evaluations = cycle.kind === "cycle" ? cycle.evaluations : 0;
  /** The gradients' GPUBuffers by slot (checked; undefined where a gradient is missing: zeros). */
  const gradientSources = (grads: Map<string, tf.Tensor> | tf.NamedTensorMap, where: string) =>
    slots.map((s) => {
      const g = grads instanceof Map ? grads.get(s.name) : grads[s.name];
      if (!g) return undefined;
      if (g.dtype !== "float32") fail("R115", `${where} of ${s.name} is ${g.dtype}`, "pass float32 gradients");
      if (g.size * 4 !== s.bytes) fail("R114", `${where} of ${s.name} has ${g.size} elements, the variable ${s.bytes / 4}`, "pass one gradient per variable, of its shape");
      return bufferOf(g, `${where} of ${s.name}`);
    });
  /** Copies gradients into `target` (optc's grads arena, or the buffer a cycle lends) at each tensor's offset. */
  const copyGradients = (enc: GPUCommandEncoder, sources: (GPUBuffer | undefined)[], target: GPUBuffer) =>
    slots.forEach((s, i) => {
      const src = sources[i];
      if (src) enc.copyBufferToBuffer(src, 0, target, s.offset, s.bytes);
      else enc.clearBuffer(target, s.offset, s.bytes);
    });
  /** A step's inputs: variables the caller assigned since the last step go into optc's params, then the gradients into its grads arena. */
  const stageStep = (grads: Map<string, tf.Tensor>) => {
    const assigned = slots.filter((s) => s.variable.dataId !== s.dataId);
    const assignedSources = assigned.map((s) => bufferOf(s.variable, `variable ${s.name}`));
    const sources = gradientSources(grads, "the gradient");
    flushTfjs();
    const enc = device.createCommandEncoder();
    assigned.forEach((s, i) => enc.copyBufferToBuffer(assignedSources[i], 0, paramsBuffer, s.offset, s.bytes));
    copyGradients(enc, sources, gradsBuffer);
    device.queue.submit([enc.finish()]);
  };
  /** One adversarial evaluation: the perturbed params into the variables, tfjs's gradient there into the lent buffer. */
  const evaluateAt = (io: GpuDeviceGradIo, gradAt: () => tf.NamedTensorMap) => {
    const targets = slots.map(ownBuffer);
    flushTfjs();
    const enc = device.createCommandEncoder();
    slots.forEach((s, i) => enc.copyBufferToBuffer(io.params, s.offset, targets[i], 0, s.bytes));
    device.queue.submit([enc.finish()]);
    for (const s of slots) dropCache(s.variable);
    const grads = gradAt();
    try {
      const sources = gradientSources(grads, "the adversarial gradient");
      flushTfjs();
      const copy = device.createCommandEncoder();
      copyGradients(copy, sources, io.grads);
      device.queue.submit([copy.finish()]);
    } finally {
      // Queue order keeps the copy ahead of any tfjs work that reuses these buffers.
      tf.dispose(grads);
    }
  };

  return queuedStepper(run, {
    stage: stageStep,
    writeParamsOut,
    evaluate: evaluateAt,
    describe:
      `optc webgpu: ${config} on tfjs's GPUDevice (${slots.length} variable${slots.length === 1 ? "" : "s"}, ${bytesPerStep / 8} params); ` +
      (evaluations > 0
        ? `per minimize() ${bytesPerStep * (evaluations + 1)} bytes copied on the device (the gradient and ${evaluations} adversarial gradients into optc's buffers, ${evaluations} perturbed and the new params into the variables' buffers), nothing mapped; refusals are reported at sync()`
        : `per step ${bytesPerStep} bytes copied on the device (gradients into optc's grads arena, new params into the variables' buffers), nothing mapped; refusals are reported at sync()`),
  });
}
