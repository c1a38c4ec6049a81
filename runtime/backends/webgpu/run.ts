/**
 * The WebGPU backend: params, grads and every state slot live in GPU buffers; the host program,
 * guards, counters and SAM's phase choice stay on the CPU. Pipelines are created once per
 * device and kernel source. Each pass is one dispatch per chunk; a pass that reduces reads
 * its per-workgroup partials back before the next pass's uniforms are known.
 */
/// <reference types="@webgpu/types" />
import { BINDINGS, UNIFORM_HEADER, uniformBlockBytes } from "../../../format/abi_webgpu.js";
import type { CompiledStep, KernelArtifact } from "../../../format/artifact.js";
import { DeviceRun, type DeviceStepOptions } from "../../device_run.js";
import { fail } from "../../errors.js";
import type { AllReduce } from "../../opaque_cycle.js";
import type { KernelCall, KernelSums } from "../../phase_driver.js";
import { initialArena, packParams, packSegvals, type TensorInit } from "../../tensors.js";
import { dispatchSize, planChunks, type Chunk } from "./layout.js";

export type { Tensors } from "../../opaque_cycle.js";

declare global {
  // The two WebGPU types in optc's public signatures, declared empty so that optc's .d.ts files
  // stand alone: with @webgpu/types (or a lib that has WebGPU) these merge into the real
  // interfaces, and a consumer without them still type-checks (skipLibCheck off).
  interface GPUDevice {}
  interface GPUBuffer {}
}

export interface GpuInitOptions {
  device: GPUDevice;
  /** Refuse steps whose gradients contain NaN/Inf (default true). */
  validate?: boolean;
  allReduce?: AllReduce;
  /** Split arenas into bindings of at most this many elements (default: the device's limit). */
  chunkElements?: number;
  /** The most the run may allocate for its arenas (default 8 GiB): R111 before anything is allocated. */
  maxBytes?: number;
}

export type GpuStepOptions = DeviceStepOptions;

const pipelineCache = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

interface BoundKernel {
  art: KernelArtifact;
  pipeline: GPUComputePipeline;
  chunks: { chunk: Chunk; uniforms: GPUBuffer; bindGroup: GPUBindGroup }[];
  segvals?: GPUBuffer;
  partials?: GPUBuffer;
  readback?: GPUBuffer;
}

export class GpuRun extends DeviceRun {
  private readonly device: GPUDevice;
  private readonly arenas = new Map<string, GPUBuffer>();
  private readonly kernels = new Map<KernelArtifact, BoundKernel>();
  private readonly chunkPlan: ReturnType<typeof planChunks>;
  private lost: string | undefined;
  /** Kernels write the arenas' buffers: a guarded phase backs up what it writes. */
  protected readonly writesInPlace = true;

  private constructor(artifact: CompiledStep, params: Record<string, TensorInit>, options: GpuInitOptions) {
    const device = options?.device;
    if (!device || typeof device.createBuffer !== "function") fail("R403", "the webgpu target needs init(params, { device }) with a GPUDevice", "get one from navigator.gpu (browsers) or the webgpu package's create([]) (Node)");
    const { layout, values } = packParams(params, artifact.arenas.length, options.maxBytes);
    super(artifact, layout, options.allReduce, options.validate ?? true);
    this.device = device;
    const limits = device.limits;
    const maxBindings = Math.max(...Object.values(artifact.phases).flatMap((p) => p.passes.flatMap((pass) => pass.kernels.map(({ kernel }) => kernel.bindings.length + 2 + (kernel.reductions.length ? 1 : 0)))));
    if (maxBindings > limits.maxStorageBuffersPerShaderStage) {
      fail("R402", `a kernel of this config needs ${maxBindings} storage buffers, the device allows ${limits.maxStorageBuffersPerShaderStage}`, "request a device with a higher maxStorageBuffersPerShaderStage, or simplify the config");
    }
    if (limits.maxComputeWorkgroupSizeX < 64 || limits.maxComputeInvocationsPerWorkgroup < 64) fail("R402", "the device cannot run 64-thread workgroups", "use a WebGPU device with the default limits");
    const bytes = Math.max(4, layout.total * 4);
    if (bytes > limits.maxBufferSize) fail("R402", `the model needs ${bytes} bytes per buffer, the device allows ${limits.maxBufferSize}`, "request a device with a larger maxBufferSize");
    const maxChunk = Math.floor(limits.maxStorageBufferBindingSize / 4);
    this.chunkPlan = planChunks(layout.seg, layout.total, Math.min(options.chunkElements ?? maxChunk, maxChunk));
    for (const a of artifact.arenas) {
      const buf = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, label: a.name });
      device.queue.writeBuffer(buf, 0, (a.role === "params" ? values : initialArena(a, values)) as Float32Array<ArrayBuffer>);
      this.arenas.set(a.name, buf);
    }
    void device.lost.then((info) => {
      this.lost = info.message || info.reason || "unknown reason";
    });
  }

  static async create(artifact: CompiledStep, params: Record<string, TensorInit>, options: GpuInitOptions): Promise<GpuRun> {
    if (artifact.target !== "webgpu") fail("R110", `this optimizer was compiled for ${artifact.target}, not webgpu`, "compile(config, { target: 'webgpu' })");
    const run = new GpuRun(artifact, params, options);
    run.device.pushErrorScope("validation");
    for (const phase of Object.values(artifact.phases)) for (const pass of phase.passes) pass.kernels.forEach((k) => run.bind(k));
    for (const k of Object.values(artifact.validation ?? {})) run.bind(k);
    const err = await run.device.popErrorScope();
    if (err) fail("R404", `the device rejected a kernel: ${err.message}`, "please report this with the config");
    return run;
  }

  private buffer(name: string): GPUBuffer {
    const b = this.arenas.get(name);
    if (!b) throw new Error(`internal: no arena ${name}`);
    return b;
  }

  private bind(art: KernelArtifact): void {
    const { device } = this;
    // Subgroup reductions when the caller's device has the feature; the tree otherwise.
    const code = device.features.has("subgroups") && art.code.wgslSubgroups ? art.code.wgslSubgroups : art.code.wgsl;
    if (code === undefined) fail("R110", `kernel ${art.kernel.name} has no WGSL code`, "compile with { target: 'webgpu' }");
    let cache = pipelineCache.get(device);
    if (!cache) pipelineCache.set(device, (cache = new Map()));
    let pipeline = cache.get(code);
    if (!pipeline) {
      pipeline = device.createComputePipeline({ layout: "auto", compute: { module: device.createShaderModule({ code }), entryPoint: "main" } });
      cache.set(code, pipeline);
    }
    const k = art.kernel;
    const nseg = this.layout.tensors.length;
    const W = this.chunkPlan.workgroups;
    const segvals = k.segvalCount ? device.createBuffer({ size: 4 * Math.max(1, k.segvalCount * nseg), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST }) : undefined;
    const partialBytes = 4 * Math.max(1, k.reductions.length * W);
    const partials = k.reductions.length ? device.createBuffer({ size: partialBytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC }) : undefined;
    const readback = partials ? device.createBuffer({ size: partialBytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }) : undefined;
    const uniformBytes = uniformBlockBytes(k.uniformCount);
    const chunks = this.chunkPlan.chunks
      .filter((c) => c.workgroups > 0)
      .map((chunk) => {
        const uniforms = device.createBuffer({ size: uniformBytes, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
        const table = device.createBuffer({ size: chunk.table.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
        device.queue.writeBuffer(table, 0, chunk.table as Uint32Array<ArrayBuffer>);
        const entries: GPUBindGroupEntry[] = [
          { binding: BINDINGS.uniforms, resource: { buffer: uniforms } },
          { binding: BINDINGS.workgroups, resource: { buffer: table } },
        ];
        if (segvals) entries.push({ binding: BINDINGS.segvals, resource: { buffer: segvals } });
        if (partials) entries.push({ binding: BINDINGS.partials, resource: { buffer: partials } });
        k.bindings.forEach((b, i) => entries.push({ binding: BINDINGS.arenaBase + i, resource: { buffer: this.buffer(b.name), offset: chunk.start * 4, size: Math.max(4, chunk.length * 4) } }));
        return { chunk, uniforms, bindGroup: device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }) };
      });
    this.kernels.set(art, { art, pipeline, chunks, segvals, partials, readback });
  }

  /** Runs one kernel; returns its reductions as per-segment sums (float64). */
  protected async dispatch({ kernel: art, uniforms, segvals }: KernelCall): Promise<KernelSums> {
    if (this.lost) fail("R401", `the GPU device was lost: ${this.lost}`, "create a new device and a new run, then loadState() a saved snapshot");
    const bp = this.kernels.get(art)!;
    const { device } = this;
    const k = art.kernel;
    const nseg = this.layout.tensors.length;
    if (bp.segvals) device.queue.writeBuffer(bp.segvals, 0, packSegvals(segvals, nseg) as Float32Array<ArrayBuffer>);
    const enc = device.createCommandEncoder();
    for (const { chunk, uniforms: ub, bindGroup } of bp.chunks) {
      const [x, y] = dispatchSize(chunk.workgroups);
      const data = new ArrayBuffer(uniformBlockBytes(k.uniformCount));
      const header: Record<(typeof UNIFORM_HEADER)[number], number> = { workgroups: chunk.workgroups, groups_x: x, segments: nseg, partial_stride: this.chunkPlan.workgroups };
      new Uint32Array(data, 0, UNIFORM_HEADER.length).set(UNIFORM_HEADER.map((f) => header[f]));
      new Float32Array(data, 4 * UNIFORM_HEADER.length).set(uniforms);
      device.queue.writeBuffer(ub, 0, data);
      const pass = enc.beginComputePass();
      pass.setPipeline(bp.pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(x, y);
      pass.end();
    }
    if (!bp.partials || !bp.readback) {
      device.queue.submit([enc.finish()]);
      return [];
    }
    enc.copyBufferToBuffer(bp.partials, 0, bp.readback, 0, bp.readback.size);
    device.queue.submit([enc.finish()]);
    await bp.readback.mapAsync(GPUMapMode.READ);
    const partials = new Float32Array(bp.readback.getMappedRange().slice(0));
    bp.readback.unmap();
    const W = this.chunkPlan.workgroups;
    const segOf = this.chunkPlan.segmentOfWorkgroup;
    return k.reductions.map((_, j) => {
      const sums = new Float64Array(nseg);
      for (let w = 0; w < W; w++) sums[segOf[w]] += partials[j * W + w];
      return sums;
    });
  }

  /** Passes write in place; the plan puts every guard before the first store, so nothing to undo. */
  protected abandon(): void {}

  protected async readArena(name: string): Promise<Float32Array> {
    const src = this.buffer(name);
    const dst = this.device.createBuffer({ size: src.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = this.device.createCommandEncoder();
    enc.copyBufferToBuffer(src, 0, dst, 0, src.size);
    this.device.queue.submit([enc.finish()]);
    await dst.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(dst.getMappedRange().slice(0, this.layout.total * 4));
    dst.unmap();
    dst.destroy();
    return out;
  }

  // ------------------------------------------------------------ public API

  /** The GPU buffers of every arena (params, grads, state slots); tensors give each tensor's offset. */
  get buffers(): Record<string, GPUBuffer> {
    return Object.fromEntries(this.arenas);
  }

  protected writeArena(name: string, data: Float32Array): void {
    this.device.queue.writeBuffer(this.buffer(name), 0, data as Float32Array<ArrayBuffer>);
  }

  protected hasArena(name: string): boolean {
    return this.arenas.has(name);
  }

  protected saveArenas(arenas: string[]): { restore(): void; release(): void } {
    const { device } = this;
    const copyBuffers = (pairs: (readonly [GPUBuffer, GPUBuffer])[]) => {
      const enc = device.createCommandEncoder();
      for (const [from, to] of pairs) enc.copyBufferToBuffer(from, 0, to, 0, from.size);
      device.queue.submit([enc.finish()]);
    };
    const copies = arenas.map((a) => [this.buffer(a), device.createBuffer({ size: this.buffer(a).size, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST })] as const);
    copyBuffers(copies);
    return { restore: () => copyBuffers(copies.map(([arena, copy]) => [copy, arena] as const)), release: () => copies.forEach(([, copy]) => copy.destroy()) };
  }

  /** Frees every GPU buffer of this run (the device stays the caller's). */
  destroy(): void {
    for (const b of this.arenas.values()) b.destroy();
    for (const bp of this.kernels.values()) {
      bp.segvals?.destroy();
      bp.partials?.destroy();
      bp.readback?.destroy();
      for (const c of bp.chunks) c.uniforms.destroy();
    }
  }
}
