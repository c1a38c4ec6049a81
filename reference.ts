/**
 * A runtime executor that runs the unfused StepPrograms through the reference interpreter
 * (compiler/ir/interp.ts). It joins the compiler and the runtime, so it sits beside the package
 * entry, the one place allowed to (compileReference). Guarded like the JS kernels: a non-finite
 * input (params, gradients) or stored float32 value refuses the step before anything is stored.
 */
import { GuardFailure, interpret, type BeforeStore } from "./compiler/ir/interp.js";
import type { StepProgram } from "./compiler/ir/node.js";
import { checkedInputs } from "./format/artifact.js";
import { OptcRuntimeError } from "./runtime/errors.js";
import type { ExecutorFactory } from "./runtime/executor.js";
import { firstNonFinite, nonFiniteError } from "./runtime/finite.js";

export function interpExecutor(phases: readonly StepProgram[]): ExecutorFactory {
  const byName = new Map(phases.map((p) => [p.name, p]));
  return (ctx) => {
    const inputs = checkedInputs(ctx.artifact.protocol, ctx.artifact.handlesNonFinite);
    const { tensors } = ctx.layout;
    const checkStores: BeforeStore = (stored) => {
      for (const [arena, values] of stored) {
        const rounded = Float32Array.from(values);
        const i = firstNonFinite(rounded);
        if (i >= 0) throw nonFiniteError(arena, rounded[i], i, tensors, true);
      }
    };
    return {
      run(name: string) {
        const prog = byName.get(name);
        if (!prog) throw new Error(`internal: no phase ${name}`);
        if (ctx.guarded) {
          // The inputs the phase loads, in the order it loads them (as the kernels report them).
          for (const n of prog.nodes) {
            if (n.op !== "load" || !inputs.includes(n.arena)) continue;
            const data = ctx.arenas.get(n.arena)!;
            const i = firstNonFinite(data);
            if (i >= 0) throw nonFiniteError(n.arena, data[i], i, tensors, false);
          }
        }
        try {
          interpret(prog, { arenas: ctx.arenas, counters: ctx.counters, inputs: new Map(ctx.inputs), seg: ctx.seg, maskflags: ctx.maskflags }, ctx.guarded ? checkStores : undefined);
        } catch (e) {
          if (e instanceof GuardFailure) throw new OptcRuntimeError(e.code, e.message, "params and state are unchanged");
          throw e;
        }
      },
    };
  };
}
