/**
 * A runtime executor that runs the unfused StepPrograms through the reference interpreter
 * (compiler/ir/interp.ts). It joins the compiler and the runtime, so it sits beside the package
 * entry, the one place allowed to (compileReference).
 */
import { GuardFailure, interpret } from "./compiler/ir/interp.js";
import type { StepProgram } from "./compiler/ir/node.js";
import { gradientArenas } from "./format/artifact.js";
import { OptcRuntimeError } from "./runtime/errors.js";
import type { ExecutorFactory } from "./runtime/executor.js";

export function interpExecutor(phases: readonly StepProgram[]): ExecutorFactory {
  const byName = new Map(phases.map((p) => [p.name, p]));
  const get = (name: string) => {
    const p = byName.get(name);
    if (!p) throw new Error(`internal: no phase ${name}`);
    return p;
  };
  return (ctx) => ({
    gradientArenas: (name) => gradientArenas(ctx.artifact.protocol).filter((g) => get(name).nodes.some((n) => n.op === "load" && n.arena === g)),
    run(name) {
      try {
        interpret(get(name), { arenas: ctx.arenas, counters: ctx.counters, seg: ctx.seg, maskflags: ctx.maskflags });
      } catch (e) {
        if (e instanceof GuardFailure) throw new OptcRuntimeError(e.code, e.message, "params and state are unchanged");
        throw e;
      }
    },
  });
}
