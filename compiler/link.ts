/** link: plans + rendered kernels + layout → the CompiledStep artifact. */
import { ARTIFACT_VERSION, type CompiledStep, type PhaseArtifact } from "../runtime/artifact.js";
import { renderJs } from "../targets/js/render.js";
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

export function link(config: string, lowered: LoweredConfig, plans: PhasePlan[], warnings: string[]): CompiledStep {
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
        code: { js: renderJs(pass.kernel) },
      })),
      guards: p.guards,
      counterStores: p.counterStores,
      bytesPerElement: p.bytesPerElement,
    };
  }
  const { layout } = lowered;
  const print = JSON.stringify({ version: ARTIFACT_VERSION, config, arenas: layout.arenas, counters: layout.counters, masks: layout.masks });
  return {
    version: ARTIFACT_VERSION,
    optcVersion: OPTC_VERSION,
    config,
    target: "js",
    arenas: layout.arenas,
    counters: layout.counters,
    masks: layout.masks,
    protocol: lowered.protocol,
    phases,
    fingerprint: fingerprint(print),
    handlesNonFinite: lowered.handlesNonFinite,
    warnings,
  };
}
