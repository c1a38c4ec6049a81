/** The renderer of every target: what the compiler's render stage looks up by target name. */
import type { Target } from "../format/artifact.js";
import { gpujsRenderer } from "./gpujs/render.js";
import { jsRenderer } from "./js/render.js";
import type { Renderer } from "./target.js";
import { wasmRenderer } from "./wasm/render.js";
import { wgslRenderer } from "./wgsl/render.js";

export const RENDERERS: Record<Target, Renderer> = { js: jsRenderer, webgpu: wgslRenderer, gpujs: gpujsRenderer, wasm: wasmRenderer };
export type { Renderer, RendererCaps } from "./target.js";
