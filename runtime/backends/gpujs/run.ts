/**
 * The gpu.js backend: params, grads and every state slot live in gpu.js textures (pages of
 * layout.ts; their lifetime is textures.ts's); the host program, guards, counters and the
 * phase choice stay on the CPU. Each kernel of the plan is one gpu.js program, run once per page.
 *
 * gpu.js is not imported by this module unless the caller lets optc create the GPU instance.
 */
import { TEXTURE_ARGUMENT, type GpuJsProgram } from "../../../format/abi_gpujs.js";
import type { CompiledStep, KernelArtifact } from "../../../format/artifact.js";
import { DeviceRun, type DeviceStepOptions } from "../../device_run.js";
import { fail } from "../../errors.js";
import type { AllReduce } from "../../opaque_cycle.js";
import type { KernelCall, KernelSums } from "../../phase_driver.js";
import { initialArena, packParams, packSegvals, type TensorInit, type TensorLayout } from "../../tensors.js";
import { CPU_KERNEL, GL_KERNELS, gpuJsConstructor, maxTextureSize, probeKernelType, type GpuJsInstance, type GpuJsKernelFunction } from "./instance.js";
import { MAX_PAGE_SIDE, planPages, type Page } from "./layout.js";
import { ArenaTextures, release, type Tex } from "./textures.js";

export type { GpuJsInstance, GpuJsKernelFunction } from "./instance.js";

export interface GpuJsInitOptions {
  /** A gpu.js GPU instance you own; without it optc creates one (`new GPU({ mode })`) and destroys it with the run. */
  gpu?: GpuJsInstance;
  /** The mode of the GPU optc creates (default "gpu": WebGL2 where there is one, then WebGL). */
  mode?: string;
  /**
   * Accept gpu.js running the kernels on the CPU where a GPU mode was asked for (default false:
   * that is error R405). A GPU instance made with mode "cpu" is not a fallback.
   */
  allowFallback?: boolean;
  /** Refuse steps whose gradients contain NaN/Inf (default true). */
  validate?: boolean;
  allReduce?: AllReduce;
  /** Pages are at most this many texels on a side (default: the context's MAX_TEXTURE_SIZE, capped at 4096). */
  maxTextureSize?: number;
  /** Four floats per texel in WebGL textures (default true): a quarter of the readback. */
  optimizeFloatMemory?: boolean;
  /** The most the run may allocate for its arenas (default 8 GiB): R111 before anything is allocated. */
  maxBytes?: number;
}

export type GpuJsStepOptions = DeviceStepOptions;

export class GpuJsRun extends DeviceRun {
  /** The gpu.js kernel class that runs the steps: WebGL2Kernel, WebGLKernel, HeadlessGLKernel or CPUKernel. */
  kernelType = "";
  /** gpu.js kernel calls so far (uploads, kernels, partial sums): a measure of work per step. */
  kernelCalls = 0;
  private readonly pages: Page[];
  private readonly arenas = new ArenaTextures();
  private readonly kernels = new Map<string, GpuJsKernelFunction>();
  private readonly programKernels = new Map<GpuJsProgram, GpuJsKernelFunction[]>();
  private tensorOfTextures: Tex[] | undefined;
  private textureArgument = TEXTURE_ARGUMENT;
  /** Kernels return new textures, committed when the phase succeeds: nothing to back up. */
  protected readonly writesInPlace = false;
  private optimizeFloatMemory = true;

  private constructor(
    artifact: CompiledStep,
    private readonly gpu: GpuJsInstance,
    private readonly ownsGpu: boolean,
    layout: TensorLayout,
    maxSide: number,
    options: GpuJsInitOptions,
  ) {
    super(artifact, layout, options.allReduce, options.validate ?? true);
    this.pages = planPages(layout.seg, layout.total, maxSide);
  }

  static async create(artifact: CompiledStep, params: Record<string, TensorInit>, options: GpuJsInitOptions = {}): Promise<GpuJsRun> {
    if (artifact.target !== "gpujs") fail("R110", `this optimizer was compiled for ${artifact.target}, not gpujs`, "compile(config, { target: 'gpujs' })");
    const { layout, values } = packParams(params, artifact.arenas.length, options.maxBytes);
    let gpu = options.gpu;
    if (gpu !== undefined && (gpu === null || typeof gpu !== "object" || typeof gpu.createKernel !== "function")) fail("R403", "init(params, { gpu }) needs a gpu.js GPU instance", "pass new GPU() from gpu.js, or leave gpu out to let optc create one");
    const side = options.maxTextureSize;
    if (side !== undefined && !(Number.isInteger(side) && side >= 1)) fail("R402", `maxTextureSize must be a positive integer, got ${String(side)}`, "leave it out to use the context's MAX_TEXTURE_SIZE");
    const ownsGpu = gpu === undefined;
    if (!gpu) gpu = new (await gpuJsConstructor())({ mode: options.mode ?? "gpu" });
    try {
      return GpuJsRun.start(artifact, gpu, ownsGpu, layout, values, options);
    } catch (e) {
      if (ownsGpu) void gpu.destroy?.();
      throw e;
    }
  }

  private static start(artifact: CompiledStep, gpu: GpuJsInstance, ownsGpu: boolean, layout: TensorLayout, values: Float32Array, options: GpuJsInitOptions): GpuJsRun {
    const kernelType = probeKernelType(gpu);
    if (!GL_KERNELS.has(kernelType) && kernelType !== CPU_KERNEL) {
      fail("R405", `gpu.js chose ${kernelType}, which optc's gpujs backend does not drive`, "use a GPU instance in mode 'webgl2', 'webgl' or 'cpu'; for WebGPU compile with { target: 'webgpu' }");
    }
    if (kernelType === CPU_KERNEL && gpu.mode !== "cpu" && !options.allowFallback) {
      fail("R405", `gpu.js would run the kernels on the CPU (${kernelType}): no WebGL here`, "run where WebGL2 is available, or pass { allowFallback: true } (or a GPU with mode 'cpu') to accept the CPU");
    }
    const context = kernelType === CPU_KERNEL ? undefined : maxTextureSize(gpu);
    const maxSide = Math.min(options.maxTextureSize ?? context ?? MAX_PAGE_SIDE, context ?? MAX_PAGE_SIDE);
    const run = new GpuJsRun(artifact, gpu, ownsGpu, layout, maxSide, options);
    run.kernelType = kernelType;
    run.textureArgument = kernelType === CPU_KERNEL ? "Array" : options.optimizeFloatMemory === false ? "ArrayTexture(1)" : "MemoryOptimizedNumberTexture";
    run.optimizeFloatMemory = kernelType !== CPU_KERNEL && options.optimizeFloatMemory !== false;
    try {
      for (const a of artifact.arenas) run.arenas.replace(a.name, run.uploadAll(a.role === "params" ? values : initialArena(a, values)));
    } catch (e) {
      run.release();
      throw e;
    }
    return run;
  }

  // ------------------------------------------------------------ kernels

  private call(fn: GpuJsKernelFunction, args: unknown[]): unknown {
    const out = fn(...args);
    this.kernelCalls++;
    const actual = fn.kernel?.constructor.name ?? "unknown";
    if (actual !== this.kernelType) {
      fail("R405", `gpu.js fell back from ${this.kernelType} to ${actual}${fn.fallbackReason ? `: ${fn.fallbackReason}` : ""}`, "please report this with the config; params and state are unchanged");
    }
    return out;
  }

  private kernel(key: string, make: () => GpuJsKernelFunction): GpuJsKernelFunction {
    let fn = this.kernels.get(key);
    if (!fn) {
      try {
        fn = make();
      } catch (e) {
        return fail("R404", `gpu.js rejected a kernel: ${e instanceof Error ? e.message : String(e)}`, "please report this with the config");
      }
      this.kernels.set(key, fn);
    }
    return fn;
  }

  private upload(page: Page, values: Float32Array): Tex {
    const fn = this.kernel(`upload ${page.width}x${page.height}`, () =>
      this.gpu.createKernel("function (a) { return a[this.thread.y * this.constants.W + this.thread.x]; }", {
        output: [page.width, page.height],
        constants: { W: page.width },
        argumentTypes: { a: "Array" },
        precision: "single",
        tactic: "precision",
        pipeline: true,
        immutable: true,
        optimizeFloatMemory: this.optimizeFloatMemory,
      }),
    );
    const size = page.width * page.height;
    let data = values.subarray(page.start, page.start + page.length);
    if (data.length < size) {
      // The last row is partly padding.
      const padded = new Float32Array(size);
      padded.set(data);
      data = padded;
    }
    return this.call(fn, [data]) as Tex;
  }

  private uploadAll(values: Float32Array): Tex[] {
    return this.pages.map((p) => this.upload(p, values));
  }

  private read(textures: Tex[]): Float32Array {
    const out = new Float32Array(this.layout.total);
    this.pages.forEach((page, i) => {
      const t = textures[i];
      const rows = (t && "toArray" in t && typeof t.toArray === "function" ? t.toArray() : t) as ArrayLike<ArrayLike<number>>;
      for (let y = 0; y < page.height; y++) {
        const from = y * page.width;
        if (from >= page.length) break;
        const row = rows[y];
        const n = Math.min(page.width, page.length - from);
        for (let x = 0; x < n; x++) out[page.start + from + x] = row[x];
      }
    });
    return out;
  }

  /** The kernel of a program on page p, found without rebuilding the source-keyed cache key each step. */
  private programKernel(program: GpuJsProgram, p: number): GpuJsKernelFunction {
    let perPage = this.programKernels.get(program);
    if (!perPage) this.programKernels.set(program, (perPage = []));
    return (perPage[p] ??= this.buildProgramKernel(program, this.pages[p]));
  }

  /** Programs with the same source and page shape (e.g. in several SAM phases) share one kernel. */
  private buildProgramKernel(program: GpuJsProgram, page: Page): GpuJsKernelFunction {
    return this.kernel(`${program.kind} ${page.width}x${page.height}x${page.chunkTensor.length}\n${program.source}`, () => {
      const argumentTypes: Record<string, string> = {};
      for (const [name, type] of Object.entries(program.settings.argumentTypes)) argumentTypes[name] = type === TEXTURE_ARGUMENT ? this.textureArgument : type;
      const settings = {
        ...program.settings,
        argumentTypes,
        tactic: "precision",
        output: program.kind === "store" ? [page.width, page.height] : [Math.max(1, page.chunkTensor.length)],
        constants: { nseg: this.layout.tensors.length, W: page.width },
        optimizeFloatMemory: program.kind === "store" && this.optimizeFloatMemory,
      };
      return Object.keys(program.map).length ? this.gpu.createKernelMap(program.map, program.source, settings) : this.gpu.createKernel(program.source, settings);
    });
  }

  private tensorIndexTextures(): Tex[] {
    if (!this.tensorOfTextures) this.tensorOfTextures = this.pages.map((p) => this.upload({ ...p, start: 0, length: p.width * p.height }, p.tensorOf));
    return this.tensorOfTextures;
  }

  /** Runs one kernel on every page; its stores become pending textures, its partial sums per-tensor sums. */
  protected async dispatch({ kernel: art, uniforms, segvals }: KernelCall): Promise<KernelSums> {
    const program = art.code.gpujs;
    if (!program) fail("R110", `kernel ${art.kernel.name} has no gpu.js code`, "compile with { target: 'gpujs' }");
    const k = art.kernel;
    const nseg = this.layout.tensors.length;
    const sv = packSegvals(segvals, nseg);
    const sums = k.reductions.map(() => new Float64Array(nseg));
    const written: [string, number, Tex][] = [];
    try {
      this.pages.forEach((page, p) => {
        const args = program.args.map((a) => {
          switch (a.kind) {
            case "arena":
              return this.arenas.input(k.bindings[a.index].name)[p];
            case "segment":
              return this.tensorIndexTextures()[p];
            case "table":
              return page.table;
            case "segvals":
              return sv;
            case "uniform":
              return uniforms[a.index];
          }
        });
        const out = this.call(this.programKernel(program, p), args);
        const outputs = Object.keys(program.map).length ? ["result", ...Object.keys(program.map)].map((key) => (out as Record<string, unknown>)[key]) : [out];
        if (program.kind === "store") program.outputs.forEach((binding, i) => written.push([k.bindings[binding].name, p, outputs[i] as Tex]));
        else
          program.outputs.forEach((j, i) => {
            const chunkSums = outputs[i] as ArrayLike<number>;
            page.chunkTensor.forEach((s, c) => (sums[j][s] += chunkSums[c]));
          });
      });
    } catch (e) {
      for (const [, , t] of written) release(t);
      throw e;
    }
    for (const [name, p, t] of written) this.arenas.write(name, p, t);
    return sums;
  }

  /** Every kernel of a pass reads the arenas as they were when it began. */
  protected override beginPass(): void {
    this.arenas.beginPass();
  }

  protected override endPasses(): void {
    this.arenas.endPasses();
  }

  /** The phase's new textures become the arenas; the old ones are freed unless a cycle holds them. */
  protected override commit(): void {
    this.arenas.commit();
  }

  protected abandon(): void {
    this.arenas.abandon();
  }

  // ------------------------------------------------------------ public API

  /** The textures (or cpu-mode arrays) of every arena, one per page. */
  get textures(): Record<string, readonly unknown[]> {
    return this.arenas.all();
  }

  protected async readArena(name: string): Promise<Float32Array> {
    return this.read(this.arenas.current(name));
  }

  protected writeArena(name: string, data: Float32Array): void {
    this.arenas.replace(name, this.uploadAll(data));
  }

  protected hasArena(name: string): boolean {
    return this.arenas.has(name);
  }

  /** Textures are immutable: saving is keeping the current ones alive. */
  protected saveArenas(arenas: string[]): { restore(): void; release(): void } {
    return this.arenas.save(arenas);
  }

  /** Frees every texture and kernel of this run, and the GPU instance if optc created it. */
  destroy(): void {
    this.release();
    if (this.ownsGpu) void this.gpu.destroy?.();
  }

  private release(): void {
    this.arenas.releaseAll();
    this.tensorOfTextures?.forEach(release);
    this.tensorOfTextures = undefined;
    for (const fn of this.kernels.values()) fn.destroy?.();
    this.kernels.clear();
    this.programKernels.clear();
  }
}
