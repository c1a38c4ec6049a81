/** link: plans + rendered kernels + layout → the CompiledStep artifact. */
import { GRADIENT_ARENAS } from "../format/arena_names.js";
import { ARTIFACT_VERSION, type CompiledStep, type PassArtifact, type PhaseArtifact, type Target } from "../format/artifact.js";
import type { Kernel } from "../format/kernel.js";
import { renderWgsl } from "../targets/wgsl/render.js";
import { renderJs } from "../targets/js/render.js";
import { renderGpuJs } from "../targets/gpujs/render.js";
import type { PhasePlan } from "./fuse/plan.js";
import type { LoweredConfig } from "./lower/lower.js";
import { OPTC_VERSION } from "./version.js";

/** FNV-1a, 64-bit, as hex: a stable fingerprint of config and layout. */
export function fingerprint(text: string): string {
  let h = 0xcbf29ce484222325n;
  const bytes = new TextEncoder().encode(text);
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, "0");
}

/** A kernel counting the non-finite elements of one arena (GPU targets validate gradients with it). */
function validationKernel(arena: string): Kernel {
  return {
    name: `validate.${arena}`,
    bindings: [{ name: arena, read: true, write: false }],
    uniformCount: 0,
    segvalCount: 0,
    ops: [{ op: "load", arena: 0 }, { op: "isfinite", a: 0 }, { op: "const", value: 1 }, { op: "sub", a: 2, b: 1 }],
    stores: [],
    reductions: [{ value: 3, scope: "global" }],
  };
}

function render(kernel: Kernel, target: Target): PassArtifact["code"] {
  if (target === "js") return { js: renderJs(kernel) };
  if (target === "gpujs") return { gpujs: renderGpuJs(kernel) };
  return kernel.reductions.length > 0 ? { wgsl: renderWgsl(kernel), wgslSubgroups: renderWgsl(kernel, { subgroups: true }) } : { wgsl: renderWgsl(kernel) };
}

export function link(config: string, lowered: LoweredConfig, plans: PhasePlan[], warnings: string[], target: Target = "js"): CompiledStep {
  const phases: Record<string, PhaseArtifact> = {};
  for (const p of plans) {
    phases[p.name] = {
      name: p.name,
      host: p.host,
      reductions: p.reductions,
      passes: p.passes.map((pass) => ({
        kernel: pass.kernel,
        uniforms: pass.uniforms,
        segvals: pass.segvals,
        reductions: pass.reductions,
        code: render(pass.kernel, target),
      })),
      guards: p.guards,
      counterStores: p.counterStores,
      bytesPerElement: p.bytesPerElement,
    };
  }
  const { layout } = lowered;
  const print = JSON.stringify({ version: ARTIFACT_VERSION, config, arenas: layout.arenas, counters: layout.counters, masks: layout.masks });
  const gradientArenas = GRADIENT_ARENAS.filter((g) => layout.arenas.some((a) => a.name === g));
  const validation =
    target === "js" ? undefined : Object.fromEntries(gradientArenas.map((g) => [g, { kernel: validationKernel(g), uniforms: [], segvals: [], reductions: [0], code: render(validationKernel(g), target) }]));
  return {
    version: ARTIFACT_VERSION,
    optcVersion: OPTC_VERSION,
    config,
    target,
    arenas: layout.arenas,
    counters: layout.counters,
    masks: layout.masks,
    protocol: lowered.protocol,
    phases,
    fingerprint: fingerprint(print),
    handlesNonFinite: lowered.handlesNonFinite,
    ...(validation ? { validation } : {}),
    warnings,
  };
}
