/**
 * The host side of one phase on the CPU (the JS backend): evaluates the host program level by level,
 * checks each guard before the pass it precedes (so a refused step stores nothing), hands each
 * kernel to the backend, folds the reductions it returns as the kernel format defines, and
 * returns the counter values the phase stores. It is written as a generator that yields kernel
 * calls, driven synchronously by the JS backend. (GPU runs evaluate only the host-placed part of
 * the host program, in device_run.ts; the device computes the rest.)
 */
import type { KernelArtifact, PhaseArtifact } from "../format/artifact.js";
import { truthy } from "../format/ops.js";
import { fail } from "./errors.js";
import { evalHost, type HostInputs, type HostValue } from "./host.js";
import { inputValue } from "./run_inputs.js";

export interface KernelCall {
  /** The pass (memory level) the kernel belongs to: kernels of one pass read the same inputs. */
  pass: number;
  kernel: KernelArtifact;
  uniforms: number[];
  segvals: HostValue[];
}

/**
 * A kernel's reductions, in kernel order: per-tensor sums, or for a global reduction the sum
 * the backend already folded over tensors (the JS loops do it in the defined order).
 */
export type KernelSums = (Float64Array | number)[];

export interface PhaseInputs {
  counters: Map<string, number>;
  /** Runtime inputs by input name (run_inputs.ts). */
  inputs: ReadonlyMap<string, number>;
  maskflags: Float64Array[];
  segments: number;
}

/** The phase as a sequence of kernel calls; returns the counters to store once the backend commits. */
export function* phaseCalls(art: PhaseArtifact, inp: PhaseInputs): Generator<KernelCall, [string, number][], KernelSums> {
  const vals: HostValue[] = [];
  const reductions: HostValue[] = [];
  const inputs: HostInputs = {
    counter: (c) => inp.counters.get(c) ?? 0,
    input: (name) => inputValue(inp.inputs, name),
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
    for (const kernel of art.passes[level].kernels) {
      const sums = yield { pass: level, kernel, uniforms: kernel.uniforms.map((h) => vals[h] as number), segvals: kernel.segvals.map((h) => vals[h]) };
      kernel.reductions.forEach((r, j) => {
        const red = kernel.kernel.reductions[j];
        const got = sums[j];
        if (red.scope === "segment" || typeof got === "number") reductions[r] = got;
        else reductions[r] = foldSegments(got, red.mask === undefined ? undefined : vals[kernel.segvals[red.mask]]);
      });
    }
  }
  evalHost(art.host, vals, inputs, art.passes.length, Infinity);
  checkGuards(art.passes.length, Infinity);
  return art.counterStores.map((s) => [s.counter, vals[s.value] as number]);
}

export function drivePhaseSync(art: PhaseArtifact, inp: PhaseInputs, dispatch: (call: KernelCall) => KernelSums): [string, number][] {
  const calls = phaseCalls(art, inp);
  let next = calls.next();
  while (!next.done) next = calls.next(dispatch(next.value));
  return next.value;
}

/** A global reduction: tensor sums folded left to right from 0, skipping tensors the mask excludes. */
export function foldSegments(sums: Float64Array, mask: HostValue | undefined): number {
  let g = 0;
  sums.forEach((v, s) => {
    if (mask === undefined || truthy(typeof mask === "number" ? mask : mask[s])) g = g + v;
  });
  return g;
}
