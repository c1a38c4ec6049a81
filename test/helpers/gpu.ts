/**
 * A real WebGPU device for tests: Dawn (the `webgpu` package) on SwiftShader's Vulkan driver,
 * which Debian's chromium package ships. Unavailable → the caller skips with the reason, except
 * under CI=true, where that is a failure.
 */
import { existsSync } from "node:fs";

const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";

/** Dawn's instance and adapter must stay referenced while a device lives: when they are
 * garbage-collected, pending mapAsync calls hang or the process aborts. */
const keepAlive: unknown[] = [];

export async function gpuDevice(features: GPUFeatureName[] = []): Promise<{ device?: GPUDevice; reason?: string }> {
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  let mod: typeof import("webgpu");
  try {
    mod = await import("webgpu");
  } catch (e) {
    return { reason: `the webgpu package does not load: ${(e as Error).message}` };
  }
  Object.assign(globalThis, mod.globals);
  const gpu = mod.create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter) return { reason: `no WebGPU adapter (is libvulkan1 installed and VK_ICD_FILENAMES=${SWIFTSHADER_ICD}?)` };
  // Kernels of long chains bind many arenas: ask for what the adapter allows (as a training app would).
  const missing = features.filter((f) => !adapter.features.has(f));
  if (missing.length) return { reason: `the adapter lacks ${missing.join(", ")}` };
  const device = await adapter.requestDevice({ requiredFeatures: features, requiredLimits: { maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage } });
  keepAlive.push(gpu, adapter, device);
  return { device };
}

export async function requireGpu(what: string, features: GPUFeatureName[] = []): Promise<GPUDevice | undefined> {
  const { device, reason } = await gpuDevice(features);
  if (!device) {
    console.warn(`${what} skipped: ${reason}`);
    if (process.env.CI === "true") throw new Error(`CI=true but ${what} cannot run: ${reason}`);
  }
  return device;
}
