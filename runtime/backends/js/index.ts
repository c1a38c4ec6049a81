/** The JS backend: kernels are JS factories compiled once with `new Function`, bound to the arenas. */
import type { PassArtifact } from "../../artifact.js";
import { fail } from "../../errors.js";

export type KernelFactory = (arenas: Float32Array[], seg: Int32Array, sv: Float64Array[], U: Float64Array, R: Float64Array, RS: Float64Array[]) => () => void;

export interface BoundPass {
  run: () => void;
  U: Float64Array;
  R: Float64Array;
  RS: Float64Array[];
  sv: Float64Array[];
}

/**
 * Compiles the kernel factory of a pass. Deliberately not cached across runs: V8 treats a
 * closure's captured typed arrays as constants only while its function has a single closure,
 * and sharing one compiled function between two runs made the sgd step 2-3x slower.
 */
export function jsFactory(pass: PassArtifact): KernelFactory {
  const code = pass.code.js;
  if (code === undefined) return fail("R110", `kernel ${pass.kernel.name} has no JS code`, "compile with { target: 'js' }");
  return new Function(code)() as KernelFactory;
}

export function bindPass(pass: PassArtifact, arenaOf: (name: string) => Float32Array, seg: Int32Array, factory: KernelFactory = jsFactory(pass)): BoundPass {
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
