/**
 * gpu.js itself, as optc uses it: the instance and kernel-function types, finding the GPU
 * constructor (a global gpu.js, else an import of the optional peer), and learning which kernel
 * class really runs (a probe kernel) and how large a texture may be.
 */
import { fail } from "../../errors.js";

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

/** The kernel classes optc drives: WebGL2, WebGL 1, headless-gl, and gpu.js's cpu mode. */
export const GL_KERNELS = new Set(["WebGL2Kernel", "WebGLKernel", "HeadlessGLKernel"]);
export const CPU_KERNEL = "CPUKernel";

export async function gpuJsConstructor(): Promise<GpuJsConstructor> {
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
    // Not installed, or not loadable here: the same R403 as a module without a GPU export.
  }
  return fail("R403", "the gpujs target needs gpu.js, which could not be loaded", "npm install gpu.js, or pass init(params, { gpu: new GPU() })");
}

/** Runs a one-texel kernel to learn which kernel class gpu.js really uses. */
export function probeKernelType(gpu: GpuJsInstance): string {
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

/** The context's MAX_TEXTURE_SIZE, where gpu.js exposes a WebGL context. */
export function maxTextureSize(gpu: GpuJsInstance): number | undefined {
  const gl = (gpu as { context?: { getParameter?(p: number): unknown; MAX_TEXTURE_SIZE?: number } }).context;
  const size = gl?.getParameter && gl.MAX_TEXTURE_SIZE !== undefined ? gl.getParameter(gl.MAX_TEXTURE_SIZE) : undefined;
  return typeof size === "number" && size > 0 ? size : undefined;
}
