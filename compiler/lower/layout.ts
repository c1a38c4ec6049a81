/** The state layout a config needs: arenas (per-element), counters (host int32), masks. */
import type { ArenaDecl, ArenaRole, CounterDecl, EvalParamsDecl, FixedHyperparam, HyperparamRelation, InputDecl, MaskDecl } from "../../format/artifact.js";

import { GRADS, PARAMS } from "../../format/arena_names.js";

export { GRADS, PARAMS };

export class Layout {
  readonly arenas: ArenaDecl[] = [
    { name: PARAMS, role: "params", init: { copy: "params" }, owner: "" },
    { name: GRADS, role: "grads", init: { fill: 0 }, owner: "" },
  ];
  readonly counters: CounterDecl[] = [];
  readonly masks: MaskDecl[] = [];
  /** Runtime inputs: hyperparameters (`hyper:<path>`) and step values (`step:<name>`). */
  readonly inputs: InputDecl[] = [];
  /** inject_hyperparams' numeric arguments that stay fixed (schedules; values a lowering compiles in). */
  readonly fixedHyperparams: FixedHyperparam[] = [];
  /** Rules between runtime hyperparameters that setHyperparam keeps (inject_hyperparams). */
  readonly hyperparamRelations: HyperparamRelation[] = [];
  /** schedule_free's eval params (run.evalParams()). */
  evalParams?: EvalParamsDecl;

  arena(name: string, role: ArenaRole, init: ArenaDecl["init"], owner: string): string {
    const existing = this.arenas.find((a) => a.name === name);
    if (existing) {
      if (JSON.stringify(existing.init) !== JSON.stringify(init) || existing.role !== role) throw new Error(`internal: arena ${name} declared twice with different inits`);
      return name;
    }
    this.arenas.push({ name, role, init, owner });
    return name;
  }

  counter(name: string, init: number, owner: string, real = false): string {
    if (!this.counters.some((c) => c.name === name)) this.counters.push(real ? { name, init, owner, real } : { name, init, owner });
    return name;
  }

  /** Declares a runtime input (once per input name); returns the input node's name. */
  input(decl: InputDecl): string {
    if (!this.inputs.some((i) => i.input === decl.input)) this.inputs.push(decl);
    return decl.input;
  }

  mask(owner: string, patterns: string[]): number {
    const existing = this.masks.findIndex((m) => m.owner === owner);
    if (existing >= 0) return existing;
    this.masks.push({ owner, patterns });
    return this.masks.length - 1;
  }
}
