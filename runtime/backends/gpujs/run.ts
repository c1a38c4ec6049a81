/**
 * The gpu.js backend: params, grads and every state slot live in gpu.js textures (pages of
 * layout.ts; their lifetime is textures.ts's), and so does the step's outcome: a small state
 * texture holds the refusal recorded, the device counters and the running phase's device table
 * (format/abi_gpujs.ts). A step never reads anything back: per level, the device program
 * (guards, clip scales, trust ratios, counters) writes a new state texture, then the pass's
 * kernels run (store programs keep old values while a refusal is recorded), then the fold
 * kernels turn partial sums into per-tensor sums for the next device program. Host values that
 * depend only on counters are uniforms. sync() reads the state texture, once.
 *
 * gpu.js is not imported by this module unless the caller lets optc create the GPU instance.
 */
import { FOLD, SMALL_TEXTURE_ARGUMENT, STATE_HEADER, STEP_MODULUS, TEXTURE_ARGUMENT, type GpuJsDeviceProgram, type GpuJsProgram, type GpuJsStepKernels } from "../../../format/abi_gpujs.js";
import type { CompiledStep, KernelArtifact, PhaseArtifact } from "../../../format/artifact.js";
import type { DeviceProgram } from "../../../format/device.js";
import { DeviceRun, type DeviceStatus, type DeviceStepOptions } from "../../device_run.js";
import { fail } from "../../errors.js";
import type { HostValue } from "../../host.js";
import type { AllReduce, DeviceGradIo, SavedArenas } from "../../opaque_cycle.js";
import { initialArena, packParams, packSegvals, type TensorInit, type TensorLayout } from "../../tensors.js";
import { CPU_KERNEL, GL_KERNELS, gpuJsConstructor, maxTextureSize, probeKernelType, type GpuJsInstance, type GpuJsKernelFunction } from "./instance.js";
import { MAX_PAGE_SIDE, planFold, planPages, type FoldLevel, type Page } from "./layout.js";
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
  /** Refuse steps whose params or gradients hold NaN/Inf, or that would store them (default true). */
  validate?: boolean;
  allReduce?: AllReduce;
  /** Pages are at most this many texels on a side (default: the context's MAX_TEXTURE_SIZE, capped at 4096). */
  maxTextureSize?: number;
  /** Four floats per texel in WebGL textures (default true): a quarter of the readback. */
  optimizeFloatMemory?: boolean;
  /** The most the run may allocate for its arenas (default 8 GiB): R111 before anything is allocated. */
  maxBytes?: number;
  /**
   * The GPU's WebGL context is shared with another library (optc/tfjs: tfjs's own context), which
   * binds its own vertex arrays and viewport: before each kernel call optc binds the default
   * vertex array (where gpu.js keeps its quad) and gpu.js's viewport back.
   */
  sharedContext?: boolean;
}

/** A WebGL texture made elsewhere on the run's context, with the layout of an arena's page, and how to let it go. */
export interface ForeignTexture {
  texture: unknown;
  /** Called once optc no longer reads the texture (instead of deleting it). */
  release(): void;
}

/**
 * An arena lent to a deviceGradFn on gpu.js (opaque SAM with the model on the same WebGL
 * context): its page textures to read (gpu.js textures: `.texture` is the WebGLTexture, `.size`
 * its texels), and adopt() to hand over new ones (the gradient), as adoptTextures() does.
 */
export interface GpuJsArenaIo {
  pages: readonly unknown[];
  adopt(pages: ForeignTexture[]): void;
}
export type GpuJsDeviceGradIo = DeviceGradIo<GpuJsInstance, GpuJsArenaIo>;

/** What optc uses of a gpu.js WebGL texture object (gpu.js's GLTexture). */
interface GlTextureLike {
  texture: unknown;
  size: [number, number];
  dimensions: number[];
  output: number[];
  context: unknown;
  kernel: unknown;
  type: string;
  internalFormat?: number;
  textureFormat?: number;
  delete(): void;
  constructor: new (settings: object) => GlTextureLike;
}

export type GpuJsStepOptions = DeviceStepOptions;

/** A page's constant textures: the partial-sum rows and the fold levels' ranges. */
interface PageTables {
  chunks: Tex;
  fold: { ranges: Tex; level: FoldLevel }[];
}

export class GpuJsRun extends DeviceRun {
  /** The gpu.js kernel class that runs the steps: WebGL2Kernel, WebGLKernel, HeadlessGLKernel or CPUKernel. */
  kernelType = "";
  /** gpu.js kernel calls so far (uploads, kernels, folds, device programs): a measure of work per step. */
  kernelCalls = 0;
  private readonly pages: Page[];
  private readonly sharedContext: boolean;
  private readonly arenas = new ArenaTextures();
  private readonly kernels = new Map<string, GpuJsKernelFunction>();
  private readonly programKernels = new Map<object, GpuJsKernelFunction[]>();
  private tensorOfTextures: Tex[] | undefined;
  private pageTables: PageTables[] | undefined;
  private zeroSums: Tex | undefined;
  private textureArgument = TEXTURE_ARGUMENT;
  private smallArgument = "ArrayTexture(1)";
  private optimizeFloatMemory = true;
  /** The state texture (refusal, counters, the last phase's table) and the ones a cycle keeps. */
  private stateTex: Tex | undefined;
  /** State textures a saveArenas() keeps alive, with how many saves hold each. */
  private readonly pinnedStates = new Map<Tex, number>();
  /** STATE_HEADER + device counters: where the table starts in the state texture. */
  private readonly tb: number;
  /** Entries of every state texture: the header and the largest phase table. */
  private readonly stateSize: number;
  /** The artifact's fold and state kernels. */
  private readonly stepKernels: GpuJsStepKernels;

  private constructor(
    artifact: CompiledStep,
    private readonly gpu: GpuJsInstance,
    private readonly ownsGpu: boolean,
    layout: TensorLayout,
    maxSide: number,
    options: GpuJsInitOptions,
  ) {
    super(artifact, layout, options.allReduce, options.validate ?? true);
    this.sharedContext = options.sharedContext === true;
    this.pages = planPages(layout.seg, layout.total, maxSide);
    const nseg = layout.tensors.length;
    this.tb = STATE_HEADER + artifact.device!.counters.length;
    this.stepKernels = artifact.device!.fold!.gpujs as GpuJsStepKernels;
    this.stateSize = this.tb + Math.max(0, ...Object.values(artifact.phases).map((p) => (p.device ? p.device.table.scalars + p.device.table.rows * nseg : 0)));
  }

  static async create(artifact: CompiledStep, params: Record<string, TensorInit>, options: GpuJsInitOptions = {}): Promise<GpuJsRun> {
    if (artifact.target !== "gpujs") fail("R110", `this optimizer was compiled for ${artifact.target}, not gpujs`, "compile(config, { target: 'gpujs' })");
    const kernels = artifact.device?.fold?.gpujs as GpuJsStepKernels | undefined;
    if (!artifact.device || kernels?.kind !== "step" || Object.values(artifact.phases).some((p) => !p.device)) fail("R110", `this artifact (version ${artifact.version}) has no device plan`, "compile it again with this optc version");
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

  /** create() without a promise, for a caller that brings its own GPU instance (optc/tfjs on tfjs's WebGL context). */
  static createSync(artifact: CompiledStep, params: Record<string, TensorInit>, options: GpuJsInitOptions & { gpu: GpuJsInstance }): GpuJsRun {
    if (artifact.target !== "gpujs") fail("R110", `this optimizer was compiled for ${artifact.target}, not gpujs`, "compile(config, { target: 'gpujs' })");
    const { layout, values } = packParams(params, artifact.arenas.length, options.maxBytes);
    return GpuJsRun.start(artifact, options.gpu, false, layout, values, options);
  }

  private static start(artifact: CompiledStep, gpu: GpuJsInstance, ownsGpu: boolean, layout: TensorLayout, values: Float32Array, options: GpuJsInitOptions): GpuJsRun {
    // The probe kernel is built too: on a shared context, in the default vertex array.
    if (options.sharedContext) (gpu as { context?: { bindVertexArray?(v: null): void } }).context?.bindVertexArray?.(null);
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
    const cpu = kernelType === CPU_KERNEL;
    run.textureArgument = cpu ? "Array" : options.optimizeFloatMemory === false ? "ArrayTexture(1)" : "MemoryOptimizedNumberTexture";
    run.smallArgument = cpu ? "Array" : "ArrayTexture(1)";
    run.optimizeFloatMemory = !cpu && options.optimizeFloatMemory !== false;
    try {
      for (const a of artifact.arenas) run.arenas.replace(a.name, run.uploadAll(a.role === "params" ? values : initialArena(a, values)));
      const state = new Float32Array(run.stateSize);
      state.set(run.deviceCounterValues(), STATE_HEADER);
      run.stateTex = run.uploadSmall(state);
    } catch (e) {
      run.release();
      throw e;
    }
    return run;
  }

  // ------------------------------------------------------------ kernels

  private call(fn: GpuJsKernelFunction, args: unknown[]): unknown {
    if (this.sharedContext) this.claimContext(fn);
    const out = fn(...args);
    this.kernelCalls++;
    const actual = fn.kernel?.constructor.name ?? "unknown";
    if (actual !== this.kernelType) {
      release(out as Tex);
      if (out && typeof out === "object") for (const v of Object.values(out)) if (v && typeof v === "object" && "delete" in v) release(v as Tex);
      fail("R405", `gpu.js fell back from ${this.kernelType} to ${actual}${fn.fallbackReason ? `: ${fn.fallbackReason}` : ""}`, "please report this with the config; params and state are unchanged");
    }
    return out;
  }

  /**
   * A shared context: gpu.js set its quad's attributes in the default vertex array (when each
   * kernel was built) and expects its viewport; the other library binds its own of both.
   */
  private claimContext(fn: GpuJsKernelFunction): void {
    const gl = (this.gpu as { context?: { bindVertexArray?(v: null): void; viewport(x: number, y: number, w: number, h: number): void } }).context;
    if (!gl) return;
    gl.bindVertexArray?.(null);
    const size = (fn.kernel as { maxTexSize?: [number, number] } | undefined)?.maxTexSize;
    if (size) gl.viewport(0, 0, size[0], size[1]);
  }

  /** A kernel's outputs in order: the result, then out1, out2, ... of a kernel map. */
  private outputsOf(out: unknown, mapped: number): Tex[] {
    if (mapped === 0) return [out as Tex];
    const o = out as Record<string, Tex>;
    return [o.result, ...Array.from({ length: mapped }, (_, i) => o[`out${i + 1}`])];
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

  /** Settings every kernel shares; `small`: a single-float output texture, never memory-optimized. */
  private settings(output: number[], small: boolean, extra: object = {}): object {
    return {
      output,
      precision: "single",
      tactic: "precision",
      pipeline: true,
      immutable: true,
      optimizeFloatMemory: !small && this.optimizeFloatMemory,
      constants: { nseg: this.layout.tensors.length, tb: this.tb },
      loopMaxIterations: Math.max(1000, this.layout.tensors.length + 1),
      ...extra,
    };
  }

  private upload(page: Page, values: Float32Array): Tex {
    const fn = this.kernel(`upload ${page.width}x${page.height}`, () =>
      this.gpu.createKernel("function (a) { return a[this.thread.y * this.constants.W + this.thread.x]; }", this.settings([page.width, page.height], false, { constants: { W: page.width }, argumentTypes: { a: "Array" } })),
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

  /** A small 1-D texture (state, tables, ranges) holding `values`. */
  private uploadSmall(values: Float32Array): Tex {
    const n = Math.max(1, values.length);
    const fn = this.kernel(`upload small ${n}`, () => this.gpu.createKernel("function (a) { return a[this.thread.x]; }", this.settings([n], true, { argumentTypes: { a: "Array" } })));
    return this.call(fn, [values.length ? values : new Float32Array(1)]) as Tex;
  }

  private rowsOf(t: Tex): ArrayLike<ArrayLike<number>> {
    return (t && "toArray" in t && typeof t.toArray === "function" ? t.toArray() : t) as ArrayLike<ArrayLike<number>>;
  }

  private read(textures: Tex[]): Float32Array {
    const out = new Float32Array(this.layout.total);
    this.pages.forEach((page, i) => {
      const rows = this.rowsOf(textures[i]);
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

  private argumentTypes(declared: Record<string, string>): Record<string, string> {
    const types: Record<string, string> = {};
    for (const [name, type] of Object.entries(declared)) types[name] = type === TEXTURE_ARGUMENT ? this.textureArgument : type === SMALL_TEXTURE_ARGUMENT ? this.smallArgument : type;
    return types;
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
      const store = program.kind === "store";
      const settings = this.settings(store ? [page.width, page.height] : [Math.max(1, page.chunkTensor.length)], !store, {
        ...program.settings,
        pipeline: true,
        argumentTypes: this.argumentTypes(program.settings.argumentTypes),
        constants: { nseg: this.layout.tensors.length, W: page.width, tb: this.tb },
      });
      return Object.keys(program.map).length ? this.gpu.createKernelMap(program.map, program.source, settings) : this.gpu.createKernel(program.source, settings);
    });
  }

  private deviceKernel(program: GpuJsDeviceProgram): GpuJsKernelFunction {
    let fn = this.programKernels.get(program)?.[0];
    if (!fn) {
      fn = this.kernel(`device ${this.stateSize}\n${program.source}`, () => this.gpu.createKernel(program.source, this.settings([this.stateSize], true, { argumentTypes: this.argumentTypes(program.settings.argumentTypes) })));
      this.programKernels.set(program, [fn]);
    }
    return fn;
  }

  private foldKernel(n: number, prev: boolean, inputs: number, outputs: number): GpuJsKernelFunction {
    return this.kernel(`fold ${n} ${prev} ${inputs} ${outputs}`, () => {
      const variant = this.stepKernels.fold[n - 1];
      if (!variant) throw new Error(`internal: no fold of ${n} reductions`);
      const { source, map } = prev ? variant.next : variant.first;
      const settings = this.settings([outputs], true);
      return n > 1 ? this.gpu.createKernelMap(map, source, settings) : this.gpu.createKernel(source, settings);
    });
  }

  private tensorIndexTextures(): Tex[] {
    if (!this.tensorOfTextures) this.tensorOfTextures = this.pages.map((p) => this.upload({ ...p, start: 0, length: p.width * p.height }, p.tensorOf));
    return this.tensorOfTextures;
  }

  private tables(): PageTables[] {
    if (!this.pageTables) {
      const nseg = this.layout.tensors.length;
      this.pageTables = this.pages.map((p) => ({ chunks: this.uploadSmall(p.table), fold: planFold(p.chunkTensor, nseg, FOLD).map((level) => ({ level, ranges: this.uploadSmall(level.ranges) })) }));
    }
    return this.pageTables;
  }

  /** Per-tensor sums of zero (a skipped check-only kernel's, which no validating guard reads). */
  private zeros(): Tex {
    return (this.zeroSums ??= this.uploadSmall(new Float32Array(Math.max(1, this.layout.tensors.length))));
  }

  /**
   * Folds each page's partial sums (`partials[p][j]`: reduction j's chunk sums) into per-tensor
   * sums, page after page; frees the partial sums and intermediate levels.
   */
  private fold(partials: Tex[][], n: number, made: Tex[]): Tex[] {
    let prev: Tex[] | undefined;
    const tables = this.tables();
    partials.forEach((chunkSums, p) => {
      let xs = chunkSums;
      let inputs = Math.max(1, this.pages[p].chunkTensor.length);
      tables[p].fold.forEach(({ level, ranges }, l) => {
        const last = l === tables[p].fold.length - 1;
        const withPrev = last && prev !== undefined;
        const out = this.outputsOf(this.call(this.foldKernel(n, withPrev, inputs, level.outputs), [ranges, ...xs, ...(withPrev ? prev! : [])]), n - 1);
        made.push(...out);
        for (const t of xs) this.drop(t, made);
        if (withPrev) for (const t of prev!) this.drop(t, made);
        xs = out;
        inputs = level.outputs;
      });
      prev = xs;
    });
    return prev!;
  }

  /** Frees an intermediate texture of the running phase. */
  private drop(t: Tex, made: Tex[]): void {
    const i = made.indexOf(t);
    if (i >= 0) made.splice(i, 1);
    release(t);
  }

  /** Runs one kernel on every page: its stores become pending arena textures; its partial sums are folded into per-tensor sums. */
  private runKernel(art: KernelArtifact, values: HostValue[], state: Tex, made: Tex[]): Tex[] | undefined {
    const program = art.code.gpujs;
    if (!program) fail("R110", `kernel ${art.kernel.name} has no gpu.js code`, "compile with { target: 'gpujs' }");
    const k = art.kernel;
    const nseg = this.layout.tensors.length;
    const sv = program.args.some((a) => a.kind === "segvals") ? packSegvals(art.segvals.map((h) => values[h] ?? 0), nseg) : undefined;
    const mapped = Object.keys(program.map).length;
    const partials: Tex[][] = [];
    this.pages.forEach((_, p) => {
      const args = program.args.map((a) => {
        switch (a.kind) {
          case "arena":
            return this.arenas.input(k.bindings[a.index].name)[p];
          case "segment":
            return this.tensorIndexTextures()[p];
          case "table":
            return this.tables()[p].chunks;
          case "state":
            return state;
          case "segvals":
            return sv;
          case "uniform":
            return values[art.uniforms[a.index]] as number;
        }
      });
      const outputs = this.outputsOf(this.call(this.programKernel(program, p), args), mapped);
      if (program.kind === "store") program.outputs.forEach((binding, i) => this.arenas.write(k.bindings[binding].name, p, outputs[i]));
      else {
        made.push(...outputs);
        partials.push(outputs);
      }
    });
    return program.kind === "partial" ? this.fold(partials, program.outputs.length, made) : undefined;
  }

  /** The phase's host slots and rows, as a device program's `hv`. */
  private hostValues(art: PhaseArtifact, values: HostValue[]): Float32Array {
    const table = art.device!.table;
    const nseg = this.layout.tensors.length;
    const hv = new Float32Array(Math.max(1, table.hostScalars + table.hostRows * nseg));
    table.slot.forEach((slot, id) => {
      if (slot >= 0 && slot < table.hostScalars) hv[slot] = values[id] as number;
    });
    table.row.forEach((row, id) => {
      if (row < 0 || row >= table.hostRows) return;
      const v = values[id];
      for (let s = 0; s < nseg; s++) hv[table.hostScalars + row * nseg + s] = typeof v === "number" ? v : v[s];
    });
    return hv;
  }

  /**
   * Queues one phase: per level its device program, then the pass's kernels and their folds.
   * Arena outputs are committed when the whole phase is queued (a kernel gpu.js rejects or runs
   * elsewhere mid-phase leaves everything as it was); whether they store new values is the
   * device's decision.
   */
  protected encodePhase(art: PhaseArtifact, values: HostValue[], step: number): void {
    const device = art.device!;
    const programs = new Map(device.programs.map((p) => [p.program.level, p]));
    let hv: Float32Array | undefined;
    let state = this.stateTex!;
    const made: Tex[] = [];
    /** Per-tensor sums of the previous pass's kernels, by kernel index. */
    let sums = new Map<number, Tex[]>();
    try {
      for (let level = 0; level <= art.passes.length; level++) {
        const entry = programs.get(level);
        if (entry && (this.validate || !this.onlyChecks(art, entry.program))) {
          const code = entry.code.gpujs as GpuJsDeviceProgram | undefined;
          if (!code || code.kind !== "device") fail("R110", `device program ${entry.program.name} has no gpu.js code`, "compile with { target: 'gpujs' }");
          const args = code.args.map((a) => {
            switch (a.kind) {
              case "state":
                return state;
              case "host":
                return (hv ??= this.hostValues(art, values));
              case "step":
                return step % STEP_MODULUS;
              case "validate":
                return this.validate ? 1 : 0;
              case "fold": {
                const f = entry.program.folds[a.index];
                return sums.get(f.kernel)?.[a.reduction!] ?? this.zeros();
              }
            }
          });
          const next = this.call(this.deviceKernel(code), args) as Tex;
          made.push(next);
          state = next;
        }
        for (const t of [...sums.values()].flat()) this.drop(t, made);
        sums = new Map();
        if (level === art.passes.length) break;
        this.arenas.beginPass();
        art.passes[level].kernels.forEach((k, i) => {
          if (k.checkOnly && !this.validate) return;
          const out = this.runKernel(k, values, state, made);
          if (out) sums.set(i, out);
        });
        this.arenas.endPasses();
      }
    } catch (e) {
      this.arenas.abandon();
      for (const t of made) release(t);
      throw e;
    }
    this.arenas.commit();
    for (const t of made) if (t !== state) release(t);
    this.setState(state);
  }

  /** Device programs that only check finiteness (nothing else reads what they write): validate: false skips them. */
  private readonly checksOnly = new Map<DeviceProgram, boolean>();

  private onlyChecks(art: PhaseArtifact, program: DeviceProgram): boolean {
    let only = this.checksOnly.get(program);
    if (only === undefined) {
      const table = art.device!.table;
      const read = new Set<string>();
      for (const pass of art.passes) {
        for (const k of pass.kernels) {
          k.uniforms.forEach((h) => table.onDevice[h] && read.add(`s${table.slot[h]}`));
          k.segvals.forEach((h) => table.onDevice[h] && read.add(`r${table.row[h]}`));
        }
      }
      for (const { program: other } of art.device!.programs) {
        if (other === program) continue;
        for (const op of other.ops) if (op.op === "slot") read.add(`s${op.slot}`);
        for (const op of other.ops) if (op.op === "row") read.add(`r${op.row}`);
        for (const op of other.ops) if (op.op === "fold" && op.maskRow !== undefined) read.add(`r${op.maskRow}`);
      }
      const writes = program.ops.flatMap((op) => (op.slot !== undefined && op.rank === "scalar" ? [`s${op.slot}`] : op.row !== undefined && op.rank === "segment" ? [`r${op.row}`] : []));
      only = program.counterStores.length === 0 && program.guards.every((g) => g.finiteness) && !writes.some((w) => read.has(w));
      this.checksOnly.set(program, only);
    }
    return only;
  }

  /** The state texture becomes `next`; the old one is freed unless a cycle keeps it. */
  private setState(next: Tex): void {
    const old = this.stateTex;
    this.stateTex = next;
    if (old && old !== next && !this.pinnedStates.has(old)) release(old);
  }

  private writeState(lo: number, values: Float32Array): void {
    if (values.length === 0) return;
    const fn = this.kernel(`write state ${values.length}`, () => this.gpu.createKernel(this.stepKernels.writeState, this.settings([this.stateSize], true, { argumentTypes: { st: this.smallArgument, pv: "Array", lo: "Float", n: "Float" } })));
    this.setState(this.call(fn, [this.stateTex, values, lo, values.length]) as Tex);
  }

  /** The one read of sync(): the refusal, its step and the device counters. */
  protected async readStatus(): Promise<DeviceStatus> {
    const t = this.stateTex!;
    const words = (t && "toArray" in t && typeof t.toArray === "function" ? t.toArray() : t) as unknown as ArrayLike<number>;
    const refusal = Math.round(words[0]);
    // Steps are recorded mod 2^24; the refused one is among those issued since the last sync.
    const stored = Math.round(words[1]);
    const back = (((this.count - stored) % STEP_MODULUS) + STEP_MODULUS) % STEP_MODULUS;
    const counters = Float32Array.from({ length: this.tb - STATE_HEADER }, (_, i) => words[STATE_HEADER + i]);
    return { refusal, step: refusal === 0 ? 0 : this.count - back, counters };
  }

  protected clearStatus(): void {
    this.writeState(0, new Float32Array(STATE_HEADER));
  }

  protected writeDeviceCounters(values: Float32Array): void {
    this.writeState(STATE_HEADER, values);
  }

  // ------------------------------------------------------------ public API

  /** The textures (or cpu-mode arrays) of every arena, one per page. */
  get textures(): Record<string, readonly unknown[]> {
    return this.arenas.all();
  }

  /**
   * Each page of the arenas: its first element and length in the flat arena, and its texture's
   * size in texels (width, height). A memory-optimized page holds element i of the page in texel
   * ⌊i / 4⌋ (row by row), channel i mod 4: the dense RGBA layout tfjs's dataToGPU() writes.
   */
  get pageLayout(): { start: number; length: number; elements: number; texels: [number, number] }[] {
    const params = this.arenas.current(this.artifact.arenas[0].name);
    return this.pages.map((p, i) => ({ start: p.start, length: p.length, elements: p.width * p.height, texels: [...(params[i] as unknown as GlTextureLike).size] as [number, number] }));
  }

  /**
   * Replaces an arena's pages with WebGL textures made on this run's context (same texel size,
   * RGBA float32, the layout of pageLayout), without a copy: optc reads them until the arena
   * changes again, then calls their release(). Queued like writeGrads(): the steps issued
   * before read what they were given. WebGL runs with memory-optimized textures only.
   */
  adoptTextures(arena: string, pages: ForeignTexture[]): void {
    this.idle("adoptTextures()");
    this.adopt(arena, pages);
  }

  /** A cycle lends its perturbed params and gradient arena as textures (nothing is read back). */
  protected override deviceGradIo(perturbed: string, gradients: string): GpuJsDeviceGradIo {
    const lend = (arena: string): GpuJsArenaIo => ({ pages: [...this.arenas.current(arena)], adopt: (pages) => this.adopt(arena, pages) });
    return { device: this.gpu, params: lend(perturbed), grads: lend(gradients), tensors: this.layout.tensors };
  }

  private adopt(arena: string, pages: ForeignTexture[]): void {
    if (!this.optimizeFloatMemory) fail("R112", "adoptTextures() needs memory-optimized textures (a WebGL run with optimizeFloatMemory)", "leave optimizeFloatMemory at its default");
    const current = this.arenas.current(arena) as unknown as GlTextureLike[];
    if (pages.length !== current.length) fail("R112", `adoptTextures(${arena}) got ${pages.length} textures for ${current.length} pages`, "pass one texture per page (pageLayout)");
    this.arenas.replace(
      arena,
      pages.map((foreign, p) => {
        const like = current[p];
        const t = new like.constructor({ texture: foreign.texture, size: like.size, dimensions: like.dimensions, output: like.output, context: like.context, kernel: like.kernel, type: like.type, internalFormat: like.internalFormat, textureFormat: like.textureFormat });
        let released = false;
        t.delete = () => {
          if (released) return;
          released = true;
          foreign.release();
        };
        return t as unknown as Tex;
      }),
    );
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

  /**
   * Textures are immutable: saving is keeping the current ones (and the state texture, for the
   * device counters) alive. restoreIfRefused() queues kernels that put them back only if the
   * device refused this step (opaque SAM: a later phase of the cycle refused).
   */
  protected saveArenas(names: string[]): SavedArenas {
    const saved = this.arenas.save(names);
    const state = this.stateTex!;
    this.pinnedStates.set(state, (this.pinnedStates.get(state) ?? 0) + 1);
    const step = (this.count + 1) % STEP_MODULUS;
    const savedPages = names.map((n) => [n, this.arenas.current(n)] as const);
    return {
      restore: () => {
        saved.restore();
        this.setState(state);
      },
      release: () => {
        saved.release();
        const holds = (this.pinnedStates.get(state) ?? 1) - 1;
        if (holds > 0) this.pinnedStates.set(state, holds);
        else {
          this.pinnedStates.delete(state);
          if (this.stateTex !== state) release(state);
        }
      },
      restoreIfRefused: () => {
        for (const [name, pages] of savedPages) {
          const next = this.pages.map((page, p) => {
            const fn = this.kernel(`restore page ${page.width}x${page.height}`, () =>
              this.gpu.createKernel(this.stepKernels.restorePageIfRefused, this.settings([page.width, page.height], false, { argumentTypes: { st: this.smallArgument, cur: this.textureArgument, saved: this.textureArgument, step: "Float" } })),
            );
            return this.call(fn, [this.stateTex, this.arenas.current(name)[p], pages[p], step]) as Tex;
          });
          this.arenas.replace(name, next);
        }
        if (this.tb > STATE_HEADER) {
          const fn = this.kernel("restore counters", () => this.gpu.createKernel(this.stepKernels.restoreCountersIfRefused, this.settings([this.stateSize], true, { argumentTypes: { st: this.smallArgument, saved: this.smallArgument, step: "Float" } })));
          this.setState(this.call(fn, [this.stateTex, state, step]) as Tex);
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
    this.arenas.releaseAll();
    this.tensorOfTextures?.forEach(release);
    this.tensorOfTextures = undefined;
    for (const t of this.pageTables ?? []) {
      release(t.chunks);
      t.fold.forEach((f) => release(f.ranges));
    }
    this.pageTables = undefined;
    release(this.zeroSums);
    this.zeroSums = undefined;
    release(this.stateTex);
    this.stateTex = undefined;
    for (const fn of this.kernels.values()) fn.destroy?.();
    this.kernels.clear();
    this.programKernels.clear();
  }
}
