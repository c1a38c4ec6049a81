/**
 * The host side of one phase on a GPU backend: evaluates the host program level by level,
 * checks guards before the pass they precede, runs each pass through the backend's dispatch,
 * folds its per-tensor reduction sums (float64) as the kernel format defines, and returns the
 * counters the phase stores. Shared by the WebGPU and gpu.js runs.
 */
import type { PassArtifact, PhaseArtifact } from "../format/artifact.js";
import { fail } from "./errors.js";
import { evalHost, type HostInputs, type HostValue } from "./host.js";
import { truthy } from "../format/ops.js";

/** Runs one pass; returns, per kernel reduction, its per-tensor sums (or undefined when none). */
export type Dispatch = (pass: PassArtifact, uniforms: number[], segvals: HostValue[]) => Promise<Float64Array[] | undefined>;

export interface PhaseInputs {
  counters: Map<string, number>;
  maskflags: Float64Array[];
  segments: number;
}

/** Runs the phase's passes; returns the counter values to store once the backend commits. */
export async function drivePhase(art: PhaseArtifact, inp: PhaseInputs, dispatch: Dispatch): Promise<[string, number][]> {
  const vals: HostValue[] = [];
  const reductions: HostValue[] = [];
  const inputs: HostInputs = {
    counter: (c) => inp.counters.get(c) ?? 0,
    reduction: (i) => reductions[i],
    maskflags: (m) => inp.maskflags[m],
    segments: inp.segments,
  };
  const checkGuards = (from: number, to: number) => {
    for (const g of art.guards) if (g.level >= from && g.level <= to && !truthy(vals[g.cond] as number)) fail(g.code, g.message, `${g.hint}; params and state are unchanged`);
  };
  for (let level = 0; level < art.passes.length; level++) {
    evalHost(art.host, vals, inputs, level, level);
    checkGuards(level, level);
    const pass = art.passes[level];
    const sums = await dispatch(
      pass,
      pass.uniforms.map((h) => vals[h] as number),
      pass.segvals.map((h) => vals[h]),
    );
    pass.reductions.forEach((r, j) => {
      const red = pass.kernel.reductions[j];
      if (red.scope === "segment") reductions[r] = sums![j];
      else reductions[r] = foldSegments(sums![j], red.mask === undefined ? undefined : vals[pass.segvals[red.mask]]);
    });
  }
  evalHost(art.host, vals, inputs, art.passes.length, Infinity);
  checkGuards(art.passes.length, Infinity);
  return art.counterStores.map((s) => [s.counter, vals[s.value] as number]);
}

/** A global reduction: tensor sums folded left to right from 0, skipping tensors the mask excludes. */
export function foldSegments(sums: Float64Array, mask: HostValue | undefined): number {
  let g = 0;
  sums.forEach((v, s) => {
    if (mask === undefined || truthy(typeof mask === "number" ? mask : mask[s])) g = g + v;
  });
  return g;
}
