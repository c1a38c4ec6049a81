/** The state layout a config needs: arenas (per-element), counters (host int32), masks. */
import type { ArenaDecl, ArenaRole, CounterDecl, MaskDecl } from "../../format/artifact.js";

import { GRADS, PARAMS } from "../../format/arena_names.js";

export { GRADS, PARAMS };

export class Layout {
  readonly arenas: ArenaDecl[] = [
    { name: PARAMS, role: "params", init: { copy: "params" }, owner: "" },
    { name: GRADS, role: "grads", init: { fill: 0 }, owner: "" },
  ];
  readonly counters: CounterDecl[] = [];
  readonly masks: MaskDecl[] = [];

  arena(name: string, role: ArenaRole, init: ArenaDecl["init"], owner: string): string {
    const existing = this.arenas.find((a) => a.name === name);
    if (existing) {
      if (JSON.stringify(existing.init) !== JSON.stringify(init) || existing.role !== role) throw new Error(`internal: arena ${name} declared twice with different inits`);
      return name;
    }
    this.arenas.push({ name, role, init, owner });
    return name;
  }

  counter(name: string, init: number, owner: string): string {
    if (!this.counters.some((c) => c.name === name)) this.counters.push({ name, init, owner });
    return name;
  }

  mask(owner: string, patterns: string[]): number {
    const existing = this.masks.findIndex((m) => m.owner === owner);
    if (existing >= 0) return existing;
    this.masks.push({ owner, patterns });
    return this.masks.length - 1;
  }
}
