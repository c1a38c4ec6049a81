/**
 * The gpu.js backend: params, grads and every state slot live in gpu.js textures (pages of
 * runtime/backends/gpujs/layout.ts); the host program, guards, counters and SAM's phase choice
 * stay on the CPU. Kernels are pipelined and immutable, so a pass returns new textures and
 * the old ones stay valid: a phase's outputs are committed only when the whole phase has
 * succeeded, which makes a refused step leave params and state exactly as they were.
 *
 * gpu.js is not imported by this module unless the caller lets optc create the GPU instance.
 */
import type { CompiledStep, PassArtifact } from "../../../format/artifact.js";
import { DeviceRun, type DeviceStepOptions } from "../../device_run.js";
import { fail } from "../../errors.js";
import type { HostValue } from "../../host.js";
import type { AllReduce } from "../../opaque_cycle.js";
import { layoutTensors, type TensorInit, type TensorLayout } from "../../tensors.js";
import { TEXTURE_ARGUMENT, type GpuJsProgram } from "../../../format/abi_gpujs.js";
import { MAX_PAGE_SIDE, planPages, type Page } from "./layout.js";

/** What optc uses of a gpu.js kernel function (the value createKernel returns). */
export interface GpuJsKernelFunction {
  (...args: unknown[]): unknown;
  kernel?: { constructor: { name: string }; context?: unknown };
  fallbackReason?: string | null;
  destroy?(removeCanvasReferences?: boolean): void;
}

/** What optc uses of a gpu.js `GPU` instance. */
export interface GpuJsInstance {
  mode?: string;
  createKernel(source: string, settings: object): GpuJsKernelFunction;
  createKernelMap(map: Record<string, string>, source: string, settings: object): GpuJsKernelFunction;
  destroy?(): unknown;
}

type GpuJsConstructor = new (settings: { mode?: string }) => GpuJsInstance;

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
}

export type GpuJsStepOptions = DeviceStepOptions;

/** A gpu.js texture (WebGL kernels) or a 2-D array of rows (cpu kernels). */
type Tex = { delete?(): void; toArray?(): ArrayLike<ArrayLike<number>> } | ArrayLike<ArrayLike<number>>;

const GL_KERNELS = new Set(["WebGL2Kernel", "WebGLKernel", "HeadlessGLKernel"]);
const CPU_KERNEL = "CPUKernel";

function release(t: Tex | undefined): void {
  if (t && "delete" in t && typeof t.delete === "function") t.delete();
}

async function gpuJsConstructor(): Promise<GpuJsConstructor> {
  // A global GPU is gpu.js's only if it makes kernels: in browsers with WebGPU (and in Node
  // after the webgpu package's globals are installed) `GPU` is WebGPU's interface instead.
  const global = (globalThis as { GPU?: GpuJsConstructor }).GPU;
  if (typeof global === "function" && typeof (global.prototype as { createKernel?: unknown } | undefined)?.createKernel === "function") return global;
  const specifier = "gpu.js";
  try {
    const mod = (await import(/* @vite-ignore */ specifier)) as { GPU?: GpuJsConstructor; default?: { GPU?: GpuJsConstructor } };
    const GPU = mod.GPU ?? mod.default?.GPU;
    if (typeof GPU === "function") return GPU;
  } catch {
    // reported below
  }
  return fail("R403", "the gpujs target needs gpu.js, which could not be loaded", "npm install gpu.js, or pass init(params, { gpu: new GPU() })");
}

export class GpuJsRun extends DeviceRun {
  /** The gpu.js kernel class that runs the steps: WebGL2Kernel, WebGLKernel, HeadlessGLKernel or CPUKernel. */
  kernelType = "";
  /** gpu.js kernel calls so far (uploads, passes, partial sums): a measure of work per step. */
  kernelCalls = 0;
  private readonly pages: Page[];
  private readonly arenas = new Map<string, Tex[]>();
  private readonly kernels = new Map<string, GpuJsKernelFunction>();
  private readonly programKernels = new Map<GpuJsProgram, GpuJsKernelFunction[]>();
  private tensorOfTextures: Tex[] | undefined;
  /** Outputs of the running phase, committed when it completes. */
  private pending = new Map<string, Tex[]>();
  /** Textures that must outlive a commit (an opaque cycle's saved state). */
  private readonly pinned = new Set<Tex>();
  private textureArgument = TEXTURE_ARGUMENT;
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
    const { layout, data } = layoutTensors(params);
    let gpu = options.gpu;
    if (gpu !== undefined && (gpu === null || typeof gpu !== "object" || typeof gpu.createKernel !== "function")) fail("R403", "init(params, { gpu }) needs a gpu.js GPU instance", "pass new GPU() from gpu.js, or leave gpu out to let optc create one");
    const side = options.maxTextureSize;
    if (side !== undefined && !(Number.isInteger(side) && side >= 1)) fail("R402", `maxTextureSize must be a positive integer, got ${String(side)}`, "leave it out to use the context's MAX_TEXTURE_SIZE");
    const ownsGpu = gpu === undefined;
    if (!gpu) gpu = new (await gpuJsConstructor())({ mode: options.mode ?? "gpu" });
    try {
      return await GpuJsRun.start(artifact, gpu, ownsGpu, layout, data, options);
    } catch (e) {
      if (ownsGpu) void gpu.destroy?.();
      throw e;
    }
  }

  private static async start(artifact: CompiledStep, gpu: GpuJsInstance, ownsGpu: boolean, layout: TensorLayout, data: Map<string, ArrayLike<number> | undefined>, options: GpuJsInitOptions): Promise<GpuJsRun> {
    const kernelType = GpuJsRun.probe(gpu);
    const requestedCpu = gpu.mode === "cpu";
    if (!GL_KERNELS.has(kernelType) && kernelType !== CPU_KERNEL) {
      fail("R405", `gpu.js chose ${kernelType}, which optc's gpujs backend does not drive`, "use a GPU instance in mode 'webgl2', 'webgl' or 'cpu'; for WebGPU compile with { target: 'webgpu' }");
    }
    if (kernelType === CPU_KERNEL && !requestedCpu && !options.allowFallback) {
      fail("R405", `gpu.js would run the kernels on the CPU (${kernelType}): no WebGL here`, "run where WebGL2 is available, or pass { allowFallback: true } (or a GPU with mode 'cpu') to accept the CPU");
    }
    const context = kernelType === CPU_KERNEL ? undefined : GpuJsRun.contextOf(gpu);
    const maxSide = Math.min(options.maxTextureSize ?? context ?? MAX_PAGE_SIDE, context ?? MAX_PAGE_SIDE);
    const run = new GpuJsRun(artifact, gpu, ownsGpu, layout, maxSide, options);
    run.kernelType = kernelType;
    run.textureArgument = kernelType === CPU_KERNEL ? "Array" : options.optimizeFloatMemory === false ? "ArrayTexture(1)" : "MemoryOptimizedNumberTexture";
    run.optimizeFloatMemory = kernelType !== CPU_KERNEL && options.optimizeFloatMemory !== false;
    const p0 = new Float32Array(layout.total);
    for (const t of layout.tensors) {
      const d = data.get(t.name);
      if (d) p0.set(d, t.offset);
    }
    try {
      for (const a of artifact.arenas) {
        const init = "copy" in a.init || a.role === "params" ? p0 : new Float32Array(layout.total).fill(a.init.fill);
        run.arenas.set(a.name, run.uploadAll(init));
      }
    } catch (e) {
      run.release();
      throw e;
    }
    return run;
  }

  /** Runs a one-texel kernel to learn which kernel class gpu.js really uses. */
  private static probe(gpu: GpuJsInstance): string {
    let fn: GpuJsKernelFunction | undefined;
    try {
      fn = gpu.createKernel("function () { return 1.0; }", { output: [1], precision: "single", tactic: "precision" });
      fn();
      return fn.kernel?.constructor.name ?? "unknown";
    } catch (e) {
      return fail("R403", `gpu.js could not run a kernel: ${e instanceof Error ? e.message : String(e)}`, "check that WebGL2 (or WebGL) works in this environment");
    } finally {
      fn?.destroy?.();
    }
  }

  private static contextOf(gpu: GpuJsInstance): number | undefined {
    const gl = (gpu as { context?: { getParameter?(p: number): unknown; MAX_TEXTURE_SIZE?: number } }).context;
    const size = gl?.getParameter && gl.MAX_TEXTURE_SIZE !== undefined ? gl.getParameter(gl.MAX_TEXTURE_SIZE) : undefined;
    return typeof size === "number" && size > 0 ? size : undefined;
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

  private current(name: string): Tex[] {
    const t = this.pending.get(name) ?? this.arenas.get(name);
    if (!t) throw new Error(`internal: no arena ${name}`);
    return t;
  }

  private tensorIndexTextures(): Tex[] {
    if (!this.tensorOfTextures) this.tensorOfTextures = this.pages.map((p) => this.upload({ ...p, start: 0, length: p.width * p.height }, p.tensorOf));
    return this.tensorOfTextures;
  }

  /** Runs one pass on every page; its stores become pending textures. */
  protected async dispatch(art: PassArtifact, uniforms: number[], segvals: HostValue[]): Promise<Float64Array[] | undefined> {
    const programs = art.code.gpujs;
    if (!programs) fail("R110", `kernel ${art.kernel.name} has no gpu.js code`, "compile with { target: 'gpujs' }");
    const k = art.kernel;
    const nseg = this.layout.tensors.length;
    const sv = new Float32Array(Math.max(1, k.segvalCount * nseg));
    segvals.forEach((v, j) => {
      if (typeof v === "number") sv.fill(v, j * nseg, (j + 1) * nseg);
      else sv.set(v, j * nseg);
    });
    const sums = k.reductions.map(() => new Float64Array(nseg));
    const written: [string, number, Tex][] = [];
    try {
      this.pages.forEach((page, p) => {
        for (const program of programs) {
          const args = program.args.map((a) => {
            switch (a.kind) {
              case "arena":
                return this.current(k.bindings[a.index].name)[p];
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
        }
      });
    } catch (e) {
      for (const [, , t] of written) release(t);
      throw e;
    }
    for (const [name, p, t] of written) {
      let pages = this.pending.get(name);
      if (!pages) this.pending.set(name, (pages = [...this.current(name)]));
      // A texture an earlier pass of this phase wrote is garbage now; the committed one stays
      // until commit() (it may be an opaque cycle's saved state, or needed by abandon()).
      if (pages[p] !== this.arenas.get(name)?.[p]) release(pages[p]);
      pages[p] = t;
    }
    return k.reductions.length ? sums : undefined;
  }

  /** The phase's new textures become the arenas; the old ones are freed unless an opaque cycle holds them. */
  protected override commit(): void {
    for (const [arena, pages] of this.pending) {
      const old = this.arenas.get(arena)!;
      old.forEach((t, p) => {
        if (t !== pages[p] && !this.pinned.has(t)) release(t);
      });
      this.arenas.set(arena, pages);
    }
    this.pending = new Map();
  }

  protected abandon(): void {
    this.dropPending();
  }

  private dropPending(): void {
    for (const [arena, pages] of this.pending) {
      const old = this.arenas.get(arena)!;
      pages.forEach((t, p) => {
        if (t !== old[p]) release(t);
      });
    }
    this.pending = new Map();
  }

  private replaceArena(name: string, values: Float32Array): void {
    const next = this.uploadAll(values);
    for (const t of this.arenas.get(name) ?? []) if (!this.pinned.has(t)) release(t);
    this.arenas.set(name, next);
  }

  // ------------------------------------------------------------ public API

  /** The textures (or cpu-mode arrays) of every arena, one per page. */
  get textures(): Record<string, readonly unknown[]> {
    return Object.fromEntries(this.arenas);
  }

  protected async readArena(name: string): Promise<Float32Array> {
    return this.read(this.current(name));
  }

  protected writeArena(name: string, data: Float32Array): void {
    this.replaceArena(name, data);
  }

  protected hasArena(name: string): boolean {
    return this.arenas.has(name);
  }

  protected saveAdversarial(arenas: string[]): { restore(): void; release(): void } {
    // Textures are immutable: saving is keeping the current ones alive.
    const saved = arenas.map((a) => [a, this.arenas.get(a)!] as const);
    for (const [, pages] of saved) pages.forEach((t) => this.pinned.add(t));
    return {
      restore: () => {
        for (const [a, pages] of saved) {
          const keep = new Set(pages);
          for (const t of this.arenas.get(a) ?? []) if (!keep.has(t)) release(t);
          this.arenas.set(a, pages);
        }
      },
      release: () => {
        for (const [a, pages] of saved) {
          const live = new Set(this.arenas.get(a));
          pages.forEach((t) => {
            this.pinned.delete(t);
            if (!live.has(t)) release(t);
          });
        }
      },
    };
  }

  /** Frees every texture and kernel of this run, and the GPU instance if optc created it. */
  destroy(): void {
    this.release();
    if (this.ownsGpu) void this.gpu.destroy?.();
  }

  private release(): void {
    this.dropPending();
    for (const pages of this.arenas.values()) pages.forEach(release);
    this.arenas.clear();
    this.tensorOfTextures?.forEach(release);
    this.tensorOfTextures = undefined;
    for (const fn of this.kernels.values()) fn.destroy?.();
    this.kernels.clear();
    this.programKernels.clear();
  }
}
