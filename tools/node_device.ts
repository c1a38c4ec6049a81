/** A WebGPU device in Node (Dawn through the `webgpu` package), for the CLI, golden checks and the demo. */
import { existsSync } from "node:fs";
import { missingPeer, OptcError } from "../compiler/diagnostics.js";
import { OptcRuntimeError } from "../runtime/errors.js";

const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";
/** Dawn's instance must stay referenced while its device lives. */
const keepAlive: unknown[] = [];

export async function nodeGpuDevice(): Promise<GPUDevice> {
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  const { create, globals } = await import("webgpu").catch(() => {
    throw new OptcError([missingPeer("webgpu", "the webgpu backend in Node", "npm i webgpu (Dawn for Node; an optional peer dependency of optc)")], "");
  });
  Object.assign(globalThis, globals);
  const gpu = create([]);
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new OptcRuntimeError("R403", "no WebGPU adapter in this Node process", `without a GPU on Linux: apt-get install chromium libvulkan1 (SwiftShader, ${SWIFTSHADER_ICD}) or set VK_ICD_FILENAMES to a Vulkan driver`);
  const device = await adapter.requestDevice({ requiredLimits: { maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage } });
  keepAlive.push(gpu, adapter);
  return device;
}
