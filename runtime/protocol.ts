/**
 * The step protocol as the artifact describes it (format/artifact.ts's Protocol): which phase
 * the next step() runs, which phases complete an outer update, whether the caller's params are
 * perturbed. Data, not code: the runtime knows no transform by name.
 */
import type { Protocol } from "../format/artifact.js";

/** The phase the next step() runs (a cycle reports its name: one step runs all its phases). */
export function nextPhase(proto: Protocol, counters: Map<string, number>): string {
  const step = proto.step;
  if (step.kind === "fixed") return step.phase;
  if (step.kind === "cycle") return step.name;
  const s = counters.get(step.counter) ?? 0;
  const range = step.ranges.find((r) => s >= r.from && s <= r.to);
  if (!range) throw new Error(`internal: counter ${step.counter} = ${s} has no phase`);
  return range.phase;
}

/** Whether running `phase` completes an outer (optimizer) update. */
export function isOuterPhase(proto: Protocol, phase: string): boolean {
  return proto.outerPhases.includes(phase);
}

/** How many step() calls make one outer update (a transparent SAM cycle: sync_period). */
export function stepsPerOuterUpdate(proto: Protocol): number {
  return proto.step.kind === "counted" ? Math.max(...proto.step.ranges.map((r) => r.to)) + 1 : 1;
}

/** How many phases one step() runs (a cycle: its evaluations + 1). */
export function phasesPerStep(proto: Protocol): number {
  return proto.step.kind === "cycle" ? proto.step.evaluations + 1 : 1;
}

/** True while the caller's params are a perturbed point (transparent SAM, mid-cycle). */
export function isPerturbed(proto: Protocol, counters: Map<string, number>): boolean {
  return proto.perturbed !== undefined && (counters.get(proto.perturbed.counter) ?? 0) !== 0;
}
