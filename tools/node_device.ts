/** A WebGPU device in Node for the CLI (Dawn through the `webgpu` package). */
import { existsSync } from "node:fs";
import { UsageError } from "./io.js";

const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";
/** Dawn's instance must stay referenced while its device lives. */
const keepAlive: unknown[] = [];

export async function nodeGpuDevice(): Promise<GPUDevice> {
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  const { create, globals } = await import("webgpu").catch(() => {
    throw new UsageError("the webgpu backend in Node needs the `webgpu` package (npm i webgpu)");
  });
  Object.assign(globalThis, globals);
  const gpu = create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new UsageError(`no WebGPU adapter; on Linux without a GPU: apt-get install chromium libvulkan1 (SwiftShader, ${SWIFTSHADER_ICD})`);
  const device = await adapter.requestDevice({ requiredLimits: { maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage } });
  keepAlive.push(gpu, adapter);
  return device;
}
