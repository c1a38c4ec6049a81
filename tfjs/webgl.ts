/**
 * optc's gpu.js step inside TensorFlow.js's WebGL backend, on tfjs's own WebGL2 context: a gpu.js
 * GPU made on that context runs optc's kernels, and nothing goes through the CPU. Per step:
 *
 * 1. tfjs gathers the gradients into optc's flat layout (one concat of the flattened gradients)
 *    and decodes it densely into a texture of each page's size (dataToGPU: element i in texel
 *    ⌊i / 4⌋, channel i mod 4, the layout of gpu.js's memory-optimized textures);
 * 2. optc adopts those textures as its grads arena, without a copy (runtime/backends/gpujs's
 *    adoptTextures; tfjs gets each back, disposed, once optc's next gradients replace it);
 * 3. optc's step is queued on the same context (GpuJsRun.stepQueued(): device programs, fused
 *    kernels, folds);
 * 4. tfjs makes a tensor of optc's new params texture (tf.tensor(WebGLData): tfjs encodes it into
 *    a texture of its own) and each variable is assigned its slice.
 *
 * So a step draws about 3 × 4 bytes per parameter through tfjs's programs (concat, decode,
 * encode) besides optc's kernels, and reads nothing back (no readPixels, no getBufferSubData).
 * Refusals are recorded in optc's state texture and reported by sync().
 *
 * Sharing works because each side binds what it draws with: tfjs binds its program's vertex
 * array, framebuffer, viewport and scissor for every program; optc binds the default vertex
 * array (where gpu.js keeps its quad) and gpu.js's viewport before each of its kernels
 * (GpuJsRun's sharedContext). tfjs must render float32 textures (WEBGL_RENDER_FLOAT32_ENABLED):
 * otherwise, and on WebGL 1, optc keeps the JS target with a download and an upload per step.
 */
import * as tf from "@tensorflow/tfjs-core";
import { GRADS, PARAMS } from "../format/arena_names.js";
import { compile } from "../index.js";
import { GpuJsRun, type ForeignTexture, type GpuJsDeviceGradIo, type GpuJsInstance } from "../runtime/backends/gpujs/run.js";
import { fail } from "../runtime/errors.js";
import { queuedStepper, type DeviceStepper } from "./stepper.js";

/** gpu.js's GPU class (import { GPU } from "gpu.js", or the global of its browser bundle). */
export type GpuJsClass = new (settings: { mode?: string; canvas?: unknown; context?: unknown }) => GpuJsInstance;

/** What this module uses of tfjs-backend-webgl's MathBackendWebGL (public members, 4.x). */
interface WebGlBackendLike {
  gpgpu: { gl: WebGL2RenderingContext };
  /** Puts a tensor's values into a texture (a no-op when they are in one): tfjs runs small ops on the CPU. */
  uploadToGPU(dataId: object): void;
}

/** tfjs's WebGL2 context, when the backend is tfjs-webgl on WebGL2 rendering float32: where optc's gpu.js step can run. */
export function sharedWebGl2(backend: unknown): WebGL2RenderingContext | undefined {
  const gl = (backend as Partial<WebGlBackendLike> | null)?.gpgpu?.gl;
  if (typeof WebGL2RenderingContext === "undefined" || !(gl instanceof WebGL2RenderingContext)) return undefined;
  return tf.env().getBool("WEBGL_RENDER_FLOAT32_ENABLED") ? gl : undefined;
}

/** gpu.js's GPU class: the one passed, else a global gpu.js (its browser bundle; a global `GPU` may also be WebGPU's interface). */
export function gpuJsClass(passed: unknown): GpuJsClass | undefined {
  const candidate = passed ?? (globalThis as { GPU?: unknown }).GPU;
  const proto = typeof candidate === "function" ? (candidate.prototype as { createKernel?: unknown } | undefined) : undefined;
  return typeof proto?.createKernel === "function" ? (candidate as GpuJsClass) : undefined;
}

export function createWebGlStepper(config: string, vars: { name: string; variable: tf.Variable }[], backend: unknown, GPU: GpuJsClass, options: { validate?: boolean } = {}): DeviceStepper {
  const be = backend as WebGlBackendLike;
  const gl = be.gpgpu.gl;
  const compiled = compile(config, { target: "gpujs" });
  const gpu = new GPU({ mode: "webgl2", canvas: gl.canvas, context: gl });
  // The initial params: one download, at the first step only.
  const init = Object.fromEntries(vars.map(({ name, variable }) => [name, { shape: variable.shape.length ? [...variable.shape] : [1], data: variable.dataSync() as Float32Array }]));
  const run = GpuJsRun.createSync(compiled.artifact, init, { gpu, sharedContext: true, validate: options.validate ?? true });
  if (run.kernelType !== "WebGL2Kernel") {
    run.destroy();
    fail("R405", `gpu.js chose ${run.kernelType} on tfjs's WebGL2 context`, "please report this with the browser; optc needs WebGL2 kernels to share tfjs's context");
  }
  const byName = new Map(run.tensors.map((t) => [t.name, t]));
  const slots = vars.map(({ name, variable }) => {
    const t = byName.get(name);
    if (!t) throw new Error(`internal: no tensor ${name} in the run`);
    return { name, variable, offset: t.offset, size: t.size, shape: [...variable.shape], dataId: variable.dataId as object };
  });
  const pages = run.pageLayout;
  const total = slots.reduce((a, s) => a + s.size, 0);

  /** A flat vector in optc's layout as one texture per page, decoded by tfjs (dense RGBA); tfjs gets each back when optc lets it go. */
  const asPages = (flat: tf.Tensor1D): ForeignTexture[] =>
    pages.map((page) => {
      const part = tf.tidy(() => {
        const x = pages.length === 1 ? flat : tf.slice(flat, page.start, page.length);
        return page.elements > page.length ? tf.concat([x, tf.zeros([page.elements - page.length])]) : x.clone();
      });
      // tfjs computes small tensors on the CPU; dataToGPU() decodes from a texture.
      be.uploadToGPU(part.dataId);
      const data = part.dataToGPU({ customTexShape: [page.texels[1], page.texels[0]] });
      part.dispose();
      if (!data.texture || data.texShape?.[0] !== page.texels[1] || data.texShape?.[1] !== page.texels[0]) {
        data.tensorRef.dispose();
        fail("R405", `tfjs decoded a texture of [${String(data.texShape)}] texels, optc's page has [${page.texels[1]}, ${page.texels[0]}]`, "please report this with the tfjs version");
      }
      return { texture: data.texture, release: () => data.tensorRef.dispose() };
    });
  /** Every variable's values (or `grads`' gradient, zeros where missing), flattened in optc's order. */
  const gather = (of: (s: (typeof slots)[number]) => tf.Tensor | undefined): tf.Tensor1D =>
    tf.tidy(() => tf.concat(slots.map((s) => tf.reshape(of(s) ?? tf.zeros([s.size]), [-1]))) as tf.Tensor1D);
  const adopt = (arena: string, flat: tf.Tensor1D) => {
    try {
      run.adoptTextures(arena, asPages(flat));
    } finally {
      flat.dispose();
    }
  };
  /** optc's params texture(s) (or a cycle's perturbed params) into the variables: tfjs encodes each page into a tensor of its own, each variable is assigned its slice. */
  const writeParamsOut = (textures = run.textures[PARAMS] as readonly unknown[]) => {
    tf.tidy(() => {
      const parts = pages.map((page, p) => tf.slice(tf.tensor({ texture: (textures[p] as { texture: WebGLTexture }).texture, height: page.texels[1], width: page.texels[0], channels: "RGBA" }, [page.texels[0] * page.texels[1] * 4], "float32"), 0, page.length));
      const flat = parts.length === 1 ? parts[0] : tf.concat(parts);
      for (const s of slots) s.variable.assign(tf.reshape(tf.slice(flat, s.offset, s.size), s.variable.shape));
    });
    for (const s of slots) s.dataId = s.variable.dataId;
  };
  /** Variables the caller assigned since optc's last write: all params go into optc first (assign() wins). */
  const readAssigned = () => {
    if (slots.every((s) => !s.variable.isDisposed && s.variable.dataId === s.dataId)) return;
    for (const s of slots) if (s.variable.isDisposed) fail("R101", `variable ${s.name} was disposed`, "create a new optimizer for the new variables");
    adopt(PARAMS, gather((s) => s.variable));
    for (const s of slots) s.dataId = s.variable.dataId;
  };

  /** One adversarial evaluation: the perturbed params' textures into the variables, tfjs's gradient there handed to optc as textures. */
  const evaluate = (io: unknown, gradAt: () => tf.NamedTensorMap) => {
    const lent = io as GpuJsDeviceGradIo;
    writeParamsOut(lent.params.pages);
    const at = gradAt();
    try {
      const flat = gather((s) => at[s.name]);
      try {
        lent.grads.adopt(asPages(flat));
      } finally {
        flat.dispose();
      }
    } finally {
      tf.dispose(at);
    }
  };

  // Never gpu.destroy() (the stepper's dispose destroys the run only): gpu.js would lose the context, which is tfjs's.
  return queuedStepper(run, {
    stage: (grads) => {
      readAssigned();
      adopt(GRADS, gather((s) => grads.get(s.name)));
    },
    writeParamsOut: () => writeParamsOut(),
    evaluate,
    describe:
      `optc gpujs: ${config} on tfjs's WebGL2 context (gpu.js kernels beside tfjs's; ${slots.length} variable${slots.length === 1 ? "" : "s"}, ${total} params, ${pages.length} page${pages.length === 1 ? "" : "s"}); ` +
      `per step tfjs gathers the gradients into optc's texture layout (concat, dense decode) and encodes optc's params texture back into the variables, ` +
      `${12 * total} bytes drawn by tfjs's programs and nothing read back (no readPixels); refusals are reported at sync()`,
  });
}
