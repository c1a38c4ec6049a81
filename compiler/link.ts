/** link: rendered plans + state layout + protocol → the CompiledStep artifact (assembly only). */
import { ARTIFACT_VERSION, HYPER_PREFIX, LAYOUT_VERSION, STEP_INPUT_PREFIX, type CompiledStep, type KernelArtifact, type PhaseArtifact, type Target } from "../format/artifact.js";
import type { StepDevice } from "../format/device.js";
import type { LoweredConfig } from "./lower/lower.js";
import type { RenderedKernel, RenderedPhase } from "./render.js";
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

function kernelArtifact(k: RenderedKernel): KernelArtifact {
  return { kernel: k.kernel, uniforms: k.uniforms, segvals: k.segvals, reductions: k.reductions, code: k.code, ...(k.checkOnly ? { checkOnly: true } : {}) };
}

export interface LinkInputs {
  config: string;
  target: Target;
  lowered: LoweredConfig;
  phases: RenderedPhase[];
  /** GPU targets: device counters and refusals. */
  device?: StepDevice;
  warnings: string[];
}

export function link({ config, target, lowered, phases: rendered, device, warnings }: LinkInputs): CompiledStep {
  const phases: Record<string, PhaseArtifact> = {};
  for (const p of rendered) {
    phases[p.name] = {
      name: p.name,
      host: p.host,
      reductions: p.reductions,
      passes: p.passes.map((pass) => ({ kernels: pass.kernels.map(kernelArtifact) })),
      guards: p.guards,
      counterStores: p.counterStores,
      bytesPerElement: p.bytesPerElement,
      ...(p.device ? { device: p.device } : {}),
    };
  }
  const { layout } = lowered;
  // Inputs join the identity only where there are any, so every other config keeps its fingerprint.
  const inputs = layout.inputs.length > 0 ? { inputs: layout.inputs } : {};
  const identity = JSON.stringify({ version: LAYOUT_VERSION, config, arenas: layout.arenas, counters: layout.counters, masks: layout.masks, ...inputs });
  const hyperparams = layout.inputs.filter((i) => i.input.startsWith(HYPER_PREFIX));
  const stepInputs = layout.inputs.filter((i) => i.input.startsWith(STEP_INPUT_PREFIX));
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
    fingerprint: fingerprint(identity),
    handlesNonFinite: lowered.handlesNonFinite,
    ...(device ? { device } : {}),
    warnings,
    ...(hyperparams.length > 0 ? { hyperparams } : {}),
    ...(stepInputs.length > 0 ? { stepInputs } : {}),
    ...(layout.fixedHyperparams.length > 0 ? { fixedHyperparams: layout.fixedHyperparams } : {}),
    ...(layout.hyperparamRelations.length > 0 ? { hyperparamRelations: layout.hyperparamRelations } : {}),
    ...(layout.evalParams ? { evalParams: layout.evalParams } : {}),
  };
}
