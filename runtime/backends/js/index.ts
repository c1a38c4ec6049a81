/** The JS backend: each kernel is a factory that binds a closure to the arenas (the fast "bound" shape). */
import type { KernelArtifact } from "../../../format/artifact.js";

/**
 * What a rendered JS kernel is (targets/js/render.ts): given the arenas by binding, the segment
 * (tensor) offsets, per-segment values, uniforms and the outputs for global and per-segment
 * reductions, it returns the loop, bound to them.
 */
export type KernelFactory = (
  arenas: Float32Array[],
  seg: Int32Array,
  segvals: Float64Array[],
  uniforms: Float64Array,
  globalSums: Float64Array,
  segmentSums: Float64Array[],
  /** Guarded form: a backup arena per store (it receives the values the kernel overwrites); the plain form ignores it. */
  backups: Float32Array[],
) => () => void;

export interface BoundKernel {
  run: () => void;
  uniforms: Float64Array;
  globalSums: Float64Array;
  segmentSums: Float64Array[];
  segvals: Float64Array[];
}

/** Binds a kernel to the run's arenas; `backupOf` gives the backup arena of each stored arena (guarded form). */
export function bindKernel(k: KernelArtifact, arenaOf: (name: string) => Float32Array, seg: Int32Array, factory: KernelFactory, backupOf?: (name: string) => Float32Array): BoundKernel {
  const nseg = seg.length - 1;
  const { kernel } = k;
  const uniforms = new Float64Array(Math.max(1, kernel.uniformCount));
  const globalSums = new Float64Array(Math.max(1, kernel.reductions.length));
  const segmentSums = kernel.reductions.map((r) => (r.scope === "segment" ? new Float64Array(nseg) : new Float64Array(0)));
  const segvals = Array.from({ length: kernel.segvalCount }, () => new Float64Array(nseg));
  const backups = backupOf ? kernel.stores.map((s) => backupOf(kernel.bindings[s.arena].name)) : [];
  const run = factory(
    kernel.bindings.map((b) => arenaOf(b.name)),
    seg,
    segvals,
    uniforms,
    globalSums,
    segmentSums,
    backups,
  );
  return { run, uniforms, globalSums, segmentSums, segvals };
}
