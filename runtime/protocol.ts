/** What every backend's run shares: SAM's phase choice on the host, and snapshot checks. */
import { SAM_STEPS } from "../format/arena_names.js";
import type { CompiledStep, Protocol } from "../format/artifact.js";
import { fail } from "./errors.js";
import { decodeState, STATE_FORMAT, STATE_VERSION, type StateSnapshot } from "./state.js";
import type { TensorLayout } from "./tensors.js";

/** The phase the next step runs: "step" (plain); SAM: adversarial_first / adversarial / outer, or opaque_cycle. */
export function nextPhase(proto: Protocol, counters: Map<string, number>): string {
  if (proto.kind === "plain") return "step";
  if (proto.opaque) return "opaque_cycle";
  const k = proto.syncPeriod;
  const s = counters.get(SAM_STEPS) ?? 0;
  if (k === 1 || s === k - 1) return "outer";
  return s === 0 ? "adversarial_first" : "adversarial";
}

/** Whether running `phase` completes an outer (optimizer) update: a plain step or SAM's sync. */
export function isOuterPhase(phase: string): boolean {
  return phase === "step" || phase === "outer" || phase === "opaque_outer";
}

/** True while the caller's params are SAM's perturbed ones (transparent mode, mid-cycle). */
export function isPerturbed(proto: Protocol, counters: Map<string, number>): boolean {
  return proto.kind === "sam" && !proto.opaque && proto.syncPeriod > 1 && (counters.get(SAM_STEPS) ?? 0) !== 0;
}

/** Arenas a snapshot holds: the params and every state slot (not grads, not scratch). */
export function savedArenas(artifact: CompiledStep): string[] {
  return artifact.arenas.filter((a) => a.role === "params" || a.role === "state").map((a) => a.name);
}

/** Decodes and checks a snapshot against this run; refuses other configs, layouts, versions. */
export function checkedSnapshot(snapshot: StateSnapshot | Uint8Array, artifact: CompiledStep, layout: TensorLayout): StateSnapshot {
  const s = snapshot instanceof Uint8Array ? decodeState(snapshot) : snapshot;
  if (!s || s.format !== STATE_FORMAT) fail("R301", "this is not an optc state snapshot", "pass what saveState() returned");
  if (s.version !== STATE_VERSION) fail("R302", `snapshot version ${s.version} is not supported (this runtime reads ${STATE_VERSION})`, "save the state again with this optc version");
  if (s.fingerprint !== artifact.fingerprint) {
    fail("R303", `the snapshot is from another config or layout:\n  snapshot: ${s.config}\n  this run: ${artifact.config}`, "load it into an optimizer compiled from the same config");
  }
  const mine = JSON.stringify(layout.tensors.map((t) => ({ name: t.name, shape: t.shape })));
  if (JSON.stringify(s.tensors) !== mine) fail("R304", "the snapshot's tensors differ from this run's (names or shapes)", "init() with the same tensors that were saved");
  for (const name of savedArenas(artifact)) {
    const data = s.arenas[name];
    if (!data || data.length !== layout.total) fail("R305", `the snapshot lacks state slot '${name}' or has the wrong size`, "the snapshot is incomplete");
  }
  return s;
}

/** A snapshot of a run, given its saved arenas' contents. */
export function makeSnapshot(artifact: CompiledStep, layout: TensorLayout, arenas: Record<string, Float32Array>, counters: Map<string, number>, count: number, outerCount: number): StateSnapshot {
  return {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    fingerprint: artifact.fingerprint,
    config: artifact.config,
    tensors: layout.tensors.map((t) => ({ name: t.name, shape: [...t.shape] })),
    count,
    outerCount,
    counters: Object.fromEntries(counters),
    arenas,
  };
}
