/** The JS backend: each kernel is a factory that binds a closure to the arenas (the fast "bound" shape). */
import type { PassArtifact } from "../../../format/artifact.js";

export type KernelFactory = (arenas: Float32Array[], seg: Int32Array, sv: Float64Array[], U: Float64Array, R: Float64Array, RS: Float64Array[]) => () => void;

export interface BoundPass {
  run: () => void;
  U: Float64Array;
  R: Float64Array;
  RS: Float64Array[];
  sv: Float64Array[];
}

export function bindPass(pass: PassArtifact, arenaOf: (name: string) => Float32Array, seg: Int32Array, factory: KernelFactory): BoundPass {
  const nseg = seg.length - 1;
  const k = pass.kernel;
  const U = new Float64Array(Math.max(1, k.uniformCount));
  const R = new Float64Array(Math.max(1, k.reductions.length));
  const RS = k.reductions.map((r) => (r.scope === "segment" ? new Float64Array(nseg) : new Float64Array(0)));
  const sv = Array.from({ length: k.segvalCount }, () => new Float64Array(nseg));
  const run = factory(
    k.bindings.map((b) => arenaOf(b.name)),
    seg,
    sv,
    U,
    R,
    RS,
  );
  return { run, U, R, RS, sv };
}
