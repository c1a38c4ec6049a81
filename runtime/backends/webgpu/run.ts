/**
 * The WebGPU backend: params, grads, every state slot, the partial sums, the host values a step
 * needs and the device counters live in GPU buffers. A step writes its host values into the
 * table (writeBuffer) and submits one command buffer: per level, the device program (guards,
 * clip scales, trust ratios, counters: format/device.ts), then the pass's kernels (chunk by
 * chunk), then the fold of their partials. Nothing is read back until sync() or a read.
 * Pipelines are created once per device and shader source.
 */
/// <reference types="@webgpu/types" />
import { BINDINGS, COUNTER_BASE, DEVICE_BINDINGS, FOLD_BINDINGS, FOLD_THREADS, STATUS_WORDS, TABLE_HEADER, TABLE_HEADER_WORDS, UNIFORM_BYTES, VECTOR_WIDTH, VECTORS_PER_INVOCATION, WORKGROUP_SIZE } from "../../../format/abi_webgpu.js";
import type { CompiledStep, KernelArtifact, PhaseArtifact } from "../../../format/artifact.js";
import type { DeviceProgram } from "../../../format/device.js";
import { DeviceRun, type DeviceStatus } from "../../device_run.js";
import { fail } from "../../errors.js";
import type { HostValue } from "../../host.js";
import type { AllReduce, DeviceGradFn, DeviceGradIo, SavedArenas } from "../../opaque_cycle.js";
import type { StepOptions } from "../../run_base.js";
import { initialArena, packParams, type TensorInit } from "../../tensors.js";
import { dispatchSize, planShape, type ShapePlan } from "./layout.js";
import { pipelineFor, RESTORE_IF_REFUSED, type BindingKind } from "./pipelines.js";

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
  /** Refuse steps whose params or gradients hold NaN/Inf, or that would store them (default true). */
  validate?: boolean;
  allReduce?: AllReduce;
  /** Split arenas into bindings of at most this many elements (default: the device's limit). */
  chunkElements?: number;
  /** The most the run may allocate for its arenas (default 8 GiB): R111 before anything is allocated. */
  maxBytes?: number;
  /**
   * vec4s each kernel invocation handles (1-64): 16 on a software adapter (SwiftShader), 4 on
   * hardware by default (format/abi_webgpu.ts says why).
   */
  vectorsPerInvocation?: number;
}

/** A software adapter (SwiftShader, a fallback adapter): workgroups are CPU tasks. */
function softwareAdapter(device: GPUDevice): boolean {
  const info = (device as { adapterInfo?: { architecture?: string; description?: string; isFallbackAdapter?: boolean } }).adapterInfo;
  return info !== undefined && (info.isFallbackAdapter === true || /swiftshader|llvmpipe|warp/i.test(`${info.architecture ?? ""} ${info.description ?? ""}`));
}

/** step() options on WebGPU: deviceGradFn gets the run's own GPU buffers (opaque SAM). */
export type GpuStepOptions = Omit<StepOptions, "deviceGradFn"> & { deviceGradFn?: DeviceGradFn<GPUDevice, GPUBuffer> };
export type GpuDeviceGradIo = DeviceGradIo<GPUDevice, GPUBuffer>;

const STORAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

interface BoundKernel {
  art: KernelArtifact;
  pipeline: GPUComputePipeline;
  shape: ShapePlan;
  chunks: { bindGroup: GPUBindGroup; x: number; y: number }[];
  /** Reducing kernels: the fold's bind group and dispatch (fold rows, reductions), and the sums it writes. */
  fold?: { bindGroup: GPUBindGroup; sums: GPUBuffer };
}

interface BoundProgram {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
}

interface BoundPhase {
  /** Word offset of the phase's table in the table buffer. */
  base: number;
  /** Device programs by level. */
  programs: Map<number, BoundProgram>;
}

export class GpuRun extends DeviceRun {
  private readonly device: GPUDevice;
  private readonly arenas = new Map<string, GPUBuffer>();
  private readonly kernels = new Map<KernelArtifact, BoundKernel>();
  private readonly phaseBindings = new Map<string, BoundPhase>();
  private readonly shapes = new Map<number, { plan: ShapePlan; tables: GPUBuffer[]; foldRows: GPUBuffer; tensorRows: GPUBuffer; foldUniforms: GPUBuffer }>();
  private readonly table: GPUBuffer;
  private readonly statusRead: GPUBuffer;
  private readonly owned: GPUBuffer[] = [];
  /** The fold shader's pipeline (one for every reducing kernel), made with the first of them. */
  private foldPipeline: GPUComputePipeline | undefined;
  private readonly maxChunk: number;
  /** vec4s per kernel invocation, for the whole run. */
  readonly vectorsPerInvocation: number;
  private lost: string | undefined;
  /** Command buffers submitted so far (one per phase, plus copies for reads and backups). */
  submits = 0;

  private constructor(artifact: CompiledStep, params: Record<string, TensorInit>, options: GpuInitOptions) {
    const device = options?.device;
    if (!device || typeof device.createBuffer !== "function") fail("R403", "the webgpu target needs init(params, { device }) with a GPUDevice", "get one from navigator.gpu (browsers) or the webgpu package's create([]) (Node)");
    const { layout, values } = packParams(params, artifact.arenas.length, options.maxBytes);
    super(artifact, layout, options.allReduce, options.validate ?? true);
    this.device = device;
    const limits = device.limits;
    const kernels = Object.values(artifact.phases).flatMap((p) => p.passes.flatMap((pass) => pass.kernels));
    const programs = Object.values(artifact.phases).flatMap((p) => p.device?.programs ?? []);
    const maxBindings = Math.max(4, ...kernels.map(({ kernel }) => kernel.bindings.length + 2 + (kernel.reductions.length ? 1 : 0)), ...programs.map(({ program }) => 1 + 2 * program.folds.length));
    if (maxBindings > limits.maxStorageBuffersPerShaderStage) {
      fail("R402", `a kernel of this config needs ${maxBindings} storage buffers, the device allows ${limits.maxStorageBuffersPerShaderStage}`, "request a device with a higher maxStorageBuffersPerShaderStage, or simplify the config");
    }
    if (limits.maxComputeWorkgroupSizeX < 64 || limits.maxComputeInvocationsPerWorkgroup < 64) fail("R402", "the device cannot run 64-thread workgroups", "use a WebGPU device with the default limits");
    // Arenas are bound as vec4s: padded to 16 bytes.
    const bytes = Math.max(16, Math.ceil(layout.total / VECTOR_WIDTH) * 16);
    if (bytes > limits.maxBufferSize) fail("R402", `the model needs ${bytes} bytes per buffer, the device allows ${limits.maxBufferSize}`, "request a device with a larger maxBufferSize");
    const maxChunk = Math.floor(limits.maxStorageBufferBindingSize / 4);
    this.maxChunk = Math.min(options.chunkElements ?? maxChunk, maxChunk);
    const vpi = options.vectorsPerInvocation ?? (softwareAdapter(device) ? VECTORS_PER_INVOCATION.software : VECTORS_PER_INVOCATION.hardware);
    if (!(Number.isInteger(vpi) && vpi >= 1 && vpi <= 64)) fail("R402", `vectorsPerInvocation must be an integer from 1 to 64, got ${String(vpi)}`, "leave it out for the adapter's default");
    this.vectorsPerInvocation = vpi;
    for (const a of artifact.arenas) {
      const buf = device.createBuffer({ size: bytes, usage: STORAGE(), label: a.name });
      device.queue.writeBuffer(buf, 0, (a.role === "params" ? values : initialArena(a, values)) as Float32Array<ArrayBuffer>);
      this.arenas.set(a.name, buf);
    }
    // The table: status, device counters, then each phase's header, slots and rows.
    const nseg = layout.tensors.length;
    let words = COUNTER_BASE + artifact.device!.counters.length;
    for (const [name, p] of Object.entries(artifact.phases)) {
      this.phaseBindings.set(name, { base: words, programs: new Map() });
      const t = p.device!.table;
      words += TABLE_HEADER_WORDS + t.scalars + t.rows * nseg;
    }
    this.table = this.buffer4(words * 4, STORAGE(), "optc table");
    this.statusRead = this.buffer4((COUNTER_BASE + artifact.device!.counters.length) * 4, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, "optc status");
    this.writeDeviceCounters(this.deviceCounterValues());
    void device.lost.then((info) => {
      this.lost = info.message || info.reason || "unknown reason";
    });
  }

  static async create(artifact: CompiledStep, params: Record<string, TensorInit>, options: GpuInitOptions): Promise<GpuRun> {
    if (artifact.target !== "webgpu") fail("R110", `this optimizer was compiled for ${artifact.target}, not webgpu`, "compile(config, { target: 'webgpu' })");
    const run = new GpuRun(artifact, params, options);
    run.device.pushErrorScope("validation");
    for (const [name, phase] of Object.entries(artifact.phases)) run.bindPhase(name, phase);
    const err = await run.device.popErrorScope();
    if (err) fail("R404", `the device rejected a kernel: ${err.message}`, "please report this with the config");
    return run;
  }

  /**
   * create() without a promise, for callers that cannot await (tfjs's synchronous optimizer
   * constructor): the same run on the same device, with the device's verdict on its pipelines
   * not awaited but checked at the first sync() (or read): a kernel the device rejected throws
   * R404 there, as create() would have; until then the device also reports it as an
   * uncapturederror, and the steps queued meanwhile are invalid commands that change nothing.
   */
  static createQueued(artifact: CompiledStep, params: Record<string, TensorInit>, options: GpuInitOptions): GpuRun {
    if (artifact.target !== "webgpu") fail("R110", `this optimizer was compiled for ${artifact.target}, not webgpu`, "compile(config, { target: 'webgpu' })");
    const run = new GpuRun(artifact, params, options);
    run.device.pushErrorScope("validation");
    for (const [name, phase] of Object.entries(artifact.phases)) run.bindPhase(name, phase);
    run.bindCheck = run.device.popErrorScope();
    return run;
  }

  /** createQueued(): the device's verdict on the pipelines, checked at the first readStatus(). */
  private bindCheck: Promise<GPUError | null> | undefined;

  override step(options?: GpuStepOptions): Promise<void> {
    return super.step(options as StepOptions);
  }

  /** step() without a promise; opaque SAM takes a deviceGradFn that submits its work before it returns. */
  override stepQueued(options?: { deviceGradFn?: DeviceGradFn<GPUDevice, GPUBuffer> }): void {
    super.stepQueued(options as { deviceGradFn?: DeviceGradFn });
  }

  private buffer4(size: number, usage: number, label: string): GPUBuffer {
    const b = this.device.createBuffer({ size: Math.max(16, Math.ceil(size / 16) * 16), usage, label });
    this.owned.push(b);
    return b;
  }

  private uniformBuffer(words: number[]): GPUBuffer {
    const b = this.buffer4(4 * words.length, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, "optc uniforms");
    this.device.queue.writeBuffer(b, 0, Uint32Array.from(words));
    return b;
  }

  private buffer(name: string): GPUBuffer {
    const b = this.arenas.get(name);
    if (!b) throw new Error(`internal: no arena ${name}`);
    return b;
  }

  private shape(perWorkgroup = WORKGROUP_SIZE * VECTOR_WIDTH * this.vectorsPerInvocation) {
    let s = this.shapes.get(perWorkgroup);
    if (!s) {
      const plan = planShape(this.layout.seg, this.layout.total, this.maxChunk, perWorkgroup);
      const upload = (data: Uint32Array) => {
        const b = this.buffer4(data.byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, "optc layout");
        this.device.queue.writeBuffer(b, 0, data as Uint32Array<ArrayBuffer>);
        return b;
      };
      s = {
        plan,
        tables: plan.chunks.map((c) => upload(c.table)),
        foldRows: upload(plan.foldRows),
        tensorRows: upload(plan.tensorRows),
        foldUniforms: this.uniformBuffer([plan.foldRowCount, plan.rows * WORKGROUP_SIZE, 0, 0]),
      };
      this.shapes.set(perWorkgroup, s);
    }
    return s;
  }

  private bindPhase(name: string, phase: PhaseArtifact): void {
    const bound = this.phaseBindings.get(name)!;
    const table = phase.device!.table;
    for (const pass of phase.passes) for (const k of pass.kernels) this.bindKernel(k, bound.base, table.scalars);
    for (const { program, code } of phase.device!.programs) {
      if (code.wgsl === undefined) fail("R110", `device program ${program.name} has no WGSL code`, "compile with { target: 'webgpu' }");
      bound.programs.set(program.level, this.bindProgram(phase, program, code.wgsl, bound.base));
    }
  }

  private bindKernel(art: KernelArtifact, base: number, scalars: number): void {
    const { device } = this;
    const k = art.kernel;
    const code = art.code.wgsl;
    if (code === undefined) fail("R110", `kernel ${k.name} has no WGSL code`, "compile with { target: 'webgpu' }");
    const layout: [number, BindingKind][] = [[BINDINGS.uniforms, "uniform"], [BINDINGS.workgroups, "read"], [BINDINGS.table, "read"]];
    if (k.reductions.length) layout.push([BINDINGS.partials, "write"]);
    k.bindings.forEach((b, i) => layout.push([BINDINGS.arenaBase + i, b.write ? "write" : "read"]));
    const pipeline = pipelineFor(device, code, layout);
    const shape = this.shape();
    const { plan } = shape;
    const nseg = this.layout.tensors.length;
    const partials = k.reductions.length ? this.buffer4(4 * k.reductions.length * Math.max(1, plan.rows) * WORKGROUP_SIZE, GPUBufferUsage.STORAGE, `${k.name} partials`) : undefined;
    const chunks = plan.chunks
      .map((chunk, c) => ({ chunk, table: shape.tables[c] }))
      .filter(({ chunk }) => chunk.rows > 0)
      .map(({ chunk, table }) => {
        const [x, y] = dispatchSize(chunk.rows);
        const uniforms = this.uniformBuffer([chunk.rows, x, nseg, plan.rows * WORKGROUP_SIZE, base, scalars, this.vectorsPerInvocation, 0]);
        const entries: GPUBindGroupEntry[] = [
          { binding: BINDINGS.uniforms, resource: { buffer: uniforms, size: UNIFORM_BYTES } },
          { binding: BINDINGS.workgroups, resource: { buffer: table } },
          { binding: BINDINGS.table, resource: { buffer: this.table } },
        ];
        if (partials) entries.push({ binding: BINDINGS.partials, resource: { buffer: partials } });
        const bytes = Math.ceil(chunk.length / VECTOR_WIDTH) * 16;
        k.bindings.forEach((b, i) => entries.push({ binding: BINDINGS.arenaBase + i, resource: { buffer: this.buffer(b.name), offset: chunk.start * 4, size: Math.max(16, bytes) } }));
        return { bindGroup: device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }), x, y };
      });
    let fold: BoundKernel["fold"];
    if (partials) {
      const foldCode = this.artifact.device!.fold?.wgsl;
      if (foldCode === undefined) fail("R110", "this artifact has no fold shader", "compile with { target: 'webgpu' }");
      const foldPipeline = pipelineFor(device, foldCode, [[FOLD_BINDINGS.uniforms, "uniform"], [FOLD_BINDINGS.partials, "read"], [FOLD_BINDINGS.rows, "read"], [FOLD_BINDINGS.sums, "write"]]);
      const sums = this.buffer4(4 * Math.max(1, plan.foldRowCount) * k.reductions.length * FOLD_THREADS, GPUBufferUsage.STORAGE, `${k.name} sums`);
      const bindGroup = device.createBindGroup({
        layout: foldPipeline.getBindGroupLayout(0),
        entries: [
          { binding: FOLD_BINDINGS.uniforms, resource: { buffer: shape.foldUniforms } },
          { binding: FOLD_BINDINGS.partials, resource: { buffer: partials } },
          { binding: FOLD_BINDINGS.rows, resource: { buffer: shape.foldRows } },
          { binding: FOLD_BINDINGS.sums, resource: { buffer: sums } },
        ],
      });
      fold = { bindGroup, sums };
      this.foldPipeline = foldPipeline;
    }
    this.kernels.set(art, { art, pipeline, shape: plan, chunks, fold });
  }

  private bindProgram(phase: PhaseArtifact, program: DeviceProgram, code: string, base: number): BoundProgram {
    const layout: [number, BindingKind][] = [[DEVICE_BINDINGS.uniforms, "uniform"], [DEVICE_BINDINGS.table, "write"]];
    program.folds.forEach((_, f) => layout.push([DEVICE_BINDINGS.foldBase + 2 * f, "read"], [DEVICE_BINDINGS.foldBase + 2 * f + 1, "read"]));
    const pipeline = pipelineFor(this.device, code, layout);
    const entries: GPUBindGroupEntry[] = [
      { binding: DEVICE_BINDINGS.uniforms, resource: { buffer: this.uniformBuffer([this.layout.tensors.length, base, phase.device!.table.scalars, 0]) } },
      { binding: DEVICE_BINDINGS.table, resource: { buffer: this.table } },
    ];
    program.folds.forEach((f, i) => {
      const kernel = this.kernels.get(phase.passes[program.level - 1].kernels[f.kernel]);
      if (!kernel?.fold) throw new Error(`internal: ${program.name} folds a kernel without partials`);
      entries.push({ binding: DEVICE_BINDINGS.foldBase + 2 * i, resource: { buffer: kernel.fold.sums } });
      entries.push({ binding: DEVICE_BINDINGS.foldBase + 2 * i + 1, resource: { buffer: this.shape(kernel.shape.elementsPerWorkgroup).tensorRows } });
    });
    return { pipeline, bindGroup: this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }) };
  }

  protected encodePhase(art: PhaseArtifact, values: HostValue[], step: number): void {
    if (this.lost) fail("R401", `the GPU device was lost: ${this.lost}`, "create a new device and a new run, then loadState() a saved snapshot");
    const { device } = this;
    const bound = this.phaseBindings.get(art.name)!;
    const table = art.device!.table;
    const nseg = this.layout.tensors.length;
    // The step's host values: header and host slots, then host rows.
    const head = new ArrayBuffer(4 * (TABLE_HEADER_WORDS + table.hostScalars));
    const words = new Uint32Array(head);
    words[TABLE_HEADER.step] = step;
    words[TABLE_HEADER.validate] = this.validate ? 1 : 0;
    const f32 = new Float32Array(head);
    const rows = new Float32Array(table.hostRows * nseg);
    table.slot.forEach((slot, id) => {
      if (slot >= 0 && slot < table.hostScalars) f32[TABLE_HEADER_WORDS + slot] = values[id] as number;
    });
    table.row.forEach((row, id) => {
      if (row < 0 || row >= table.hostRows) return;
      const v = values[id];
      for (let s = 0; s < nseg; s++) rows[row * nseg + s] = typeof v === "number" ? v : v[s];
    });
    device.queue.writeBuffer(this.table, 4 * bound.base, head);
    if (rows.length) device.queue.writeBuffer(this.table, 4 * (bound.base + TABLE_HEADER_WORDS + table.scalars), rows as Float32Array<ArrayBuffer>);
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    const runProgram = (level: number) => {
      const p = bound.programs.get(level);
      if (!p) return;
      pass.setPipeline(p.pipeline);
      pass.setBindGroup(0, p.bindGroup);
      pass.dispatchWorkgroups(1);
    };
    art.passes.forEach((p, level) => {
      runProgram(level);
      for (const art of p.kernels) {
        if (art.checkOnly && !this.validate) continue;
        const k = this.kernels.get(art)!;
        pass.setPipeline(k.pipeline);
        for (const c of k.chunks) {
          pass.setBindGroup(0, c.bindGroup);
          pass.dispatchWorkgroups(c.x, c.y);
        }
        if (k.fold && k.shape.foldRowCount > 0) {
          pass.setPipeline(this.foldPipeline!);
          pass.setBindGroup(0, k.fold.bindGroup);
          pass.dispatchWorkgroups(k.shape.foldRowCount, art.kernel.reductions.length);
        }
      }
    });
    runProgram(art.passes.length);
    pass.end();
    device.queue.submit([enc.finish()]);
    this.submits++;
  }

  protected async readStatus(): Promise<DeviceStatus> {
    if (this.lost) fail("R401", `the GPU device was lost: ${this.lost}`, "create a new device and a new run, then loadState() a saved snapshot");
    if (this.bindCheck) {
      const err = await this.bindCheck;
      if (err) fail("R404", `the device rejected a kernel: ${err.message}`, "please report this with the config");
      this.bindCheck = undefined;
    }
    const enc = this.device.createCommandEncoder();
    enc.copyBufferToBuffer(this.table, 0, this.statusRead, 0, this.statusRead.size);
    this.device.queue.submit([enc.finish()]);
    this.submits++;
    await this.statusRead.mapAsync(GPUMapMode.READ);
    const words = new Uint32Array(this.statusRead.getMappedRange().slice(0));
    this.statusRead.unmap();
    const counters = new Float32Array(words.buffer, 4 * COUNTER_BASE, this.artifact.device!.counters.length);
    return { refusal: words[0], step: words[1], counters: Float32Array.from(counters) };
  }

  protected clearStatus(): void {
    this.device.queue.writeBuffer(this.table, 0, new Uint32Array(STATUS_WORDS));
  }

  protected writeDeviceCounters(values: Float32Array): void {
    if (values.length) this.device.queue.writeBuffer(this.table, 4 * COUNTER_BASE, values as Float32Array<ArrayBuffer>);
  }

  protected override deviceGradIo(perturbed: string, gradients: string): GpuDeviceGradIo {
    return { device: this.device, params: this.buffer(perturbed), grads: this.buffer(gradients), tensors: this.layout.tensors };
  }

  protected async readArena(name: string): Promise<Float32Array> {
    const src = this.buffer(name);
    const dst = this.device.createBuffer({ size: src.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = this.device.createCommandEncoder();
    enc.copyBufferToBuffer(src, 0, dst, 0, src.size);
    this.device.queue.submit([enc.finish()]);
    this.submits++;
    await dst.mapAsync(GPUMapMode.READ);
    const out = new Float32Array(dst.getMappedRange().slice(0, this.layout.total * 4));
    dst.unmap();
    dst.destroy();
    return out;
  }

  // ------------------------------------------------------------ public API

  /** The GPU buffers of every arena (params, grads, state slots; float32, padded to 16 bytes); tensors give each tensor's offset. */
  get buffers(): Record<string, GPUBuffer> {
    return Object.fromEntries(this.arenas);
  }

  protected writeArena(name: string, data: Float32Array): void {
    this.device.queue.writeBuffer(this.buffer(name), 0, data as Float32Array<ArrayBuffer>);
  }

  protected hasArena(name: string): boolean {
    return this.arenas.has(name);
  }

  /** Copies of arenas and of the device counters, on the device (queued: nothing waits). */
  protected saveArenas(arenas: string[]): SavedArenas {
    const { device } = this;
    const counterBytes = 4 * this.artifact.device!.counters.length;
    const counters = device.createBuffer({ size: Math.max(16, Math.ceil(counterBytes / 16) * 16), usage: STORAGE() });
    const copies = arenas.map((a) => [this.buffer(a), device.createBuffer({ size: this.buffer(a).size, usage: STORAGE() })] as const);
    const copy = (back: boolean) => {
      const enc = device.createCommandEncoder();
      for (const [arena, saved] of copies) back ? enc.copyBufferToBuffer(saved, 0, arena, 0, arena.size) : enc.copyBufferToBuffer(arena, 0, saved, 0, arena.size);
      if (counterBytes) back ? enc.copyBufferToBuffer(counters, 0, this.table, 4 * COUNTER_BASE, counterBytes) : enc.copyBufferToBuffer(this.table, 4 * COUNTER_BASE, counters, 0, counterBytes);
      device.queue.submit([enc.finish()]);
      this.submits++;
    };
    copy(false);
    const step = this.count + 1;
    return {
      restore: () => copy(true),
      release: () => {
        counters.destroy();
        copies.forEach(([, saved]) => saved.destroy());
      },
      restoreIfRefused: () => this.restoreIfRefused(copies, counters, step),
    };
  }

  /** Queues the copy back of `copies` (and the counters) that runs only if the device refused step `step`. */
  private restoreIfRefused(copies: readonly (readonly [GPUBuffer, GPUBuffer])[], counters: GPUBuffer, step: number): void {
    const { device } = this;
    const pipeline = pipelineFor(device, RESTORE_IF_REFUSED, [[0, "uniform"], [1, "write"], [2, "read"], [3, "write"], [4, "read"]]);
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    const ncounters = this.artifact.device!.counters.length;
    const temporary: GPUBuffer[] = [];
    copies.forEach(([arena, saved], i) => {
      const vectors = arena.size / 16;
      const [x, y] = dispatchSize(Math.ceil(Math.max(vectors, ncounters) / 64));
      const uniforms = device.createBuffer({ size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(uniforms, 0, Uint32Array.from([vectors, step, i === 0 ? ncounters : 0, COUNTER_BASE, x, 0, 0, 0]));
      temporary.push(uniforms);
      pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [uniforms, this.table, saved, arena, counters].map((buffer, binding) => ({ binding, resource: { buffer } })) }));
      pass.dispatchWorkgroups(x, y);
    });
    pass.end();
    device.queue.submit([enc.finish()]);
    this.submits++;
    for (const b of temporary) b.destroy();
  }

  /** Frees every GPU buffer of this run (the device stays the caller's). */
  destroy(): void {
    for (const b of this.arenas.values()) b.destroy();
    for (const b of this.owned) b.destroy();
  }
}
