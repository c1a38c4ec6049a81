/**
 * The API every transform definition lowers through: state slots (which take care of
 * masks and gates), counters, schedules, norms and nested transforms.
 */
import type { PairRule } from "../../format/arg_relations.js";
import { HYPER_PREFIX, STEP_INPUT_PREFIX, type InputBounds, type Protocol } from "../../format/artifact.js";
import type { Args, CallValue, Value } from "../check/types.js";
import type { Builder, Id } from "../ir/builder.js";
import type { StepProgram } from "../ir/node.js";
import { hnode, type HostNum } from "./host_num.js";
import type { Layout } from "./layout.js";

export const INT32_MAX = 2147483647;

export interface Slot {
  /** The value at the start of the step. */
  old: Id;
  /** Stores the new value (float32) and returns the value now held, for further use. */
  store(value: Id): Id;
}

export interface CounterSlot {
  old: Id;
  store(value: Id): void;
}

/** Resolves a definition by name; supplied by the registry so this file need not import it. */
export interface DefLookup {
  transform(name: string): TransformLowerer;
  schedule(name: string): ScheduleLowerer;
  /** The name of a definition's `*args` parameter (chain's transforms), if it has one. */
  varargs?(name: string): string | undefined;
  /** A parameter's range as data (define.ts boundsOf), if its check is a plain range. */
  bounds?(name: string, param: string): InputBounds | undefined;
  /** A parameter's rule relating it to another argument, as data (define.ts pairRuleOf), if its check has one. */
  pairRule?(name: string, param: string): PairRule | undefined;
}
export type TransformLowerer = (l: Lowering, args: ArgReader, g: Id) => Id;
export type ScheduleLowerer = (b: Builder, args: ArgReader, count: Id, l: Lowering) => Id;

/**
 * A transform that, at the root, is the whole step (SAM): it writes its own phases, and the
 * protocol (data in the artifact) by which the runtime picks them.
 */
export type PhaseLowerer = (call: CallValue, ctx: PhaseContext) => { phases: StepProgram[]; protocol: Protocol };

export interface PhaseContext {
  layout: Layout;
  /** The update of the user's transform `t` for gradients `g` at `params`, in builder `b`; `owned` records its state. */
  lowerChild(b: Builder, t: CallValue, g: Id, params: Id, owned?: Ownership[]): Id;
}

/** Records which arenas and counters a subtree owns (SAM resets the adversarial ones). */
export interface Ownership {
  arenas: Set<string>;
  counters: Set<string>;
}

export class Lowering {
  constructor(
    readonly b: Builder,
    readonly layout: Layout,
    readonly defs: DefLookup,
    /** Prefix of every slot this transform declares. */
    readonly path: string,
    /** The params this transform sees (SAM's outer optimizer sees the cached ones). */
    readonly params: Id,
    /** Segment-rank condition: the transform applies only where it is true. */
    readonly mask: Id | undefined,
    /** Scalar condition: state is kept only where it is true (MultiSteps, apply_if_finite). */
    readonly gate: Id | undefined,
    readonly owned: Ownership[],
  ) {}

  with(change: { path?: string; params?: Id; mask?: Id; gate?: Id; owned?: Ownership[] }): Lowering {
    return new Lowering(
      this.b,
      this.layout,
      this.defs,
      change.path ?? this.path,
      change.params ?? this.params,
      "mask" in change ? change.mask : this.mask,
      "gate" in change ? change.gate : this.gate,
      change.owned ?? this.owned,
    );
  }

  /** A sub-path for a component of an alias (`adamw.lr`), or the same path when empty. */
  sub(name: string): Lowering {
    return name === "" ? this : this.with({ path: `${this.path}.${name}` });
  }

  private keepCondition(): Id | undefined {
    const { b, mask, gate } = this;
    if (mask !== undefined && gate !== undefined) return b.binary("and", mask, gate);
    return mask ?? gate;
  }

  slot(name: string, init: { fill: number } | { copy: "params" }): Slot {
    const arena = this.layout.arena(`${this.path}.${name}`, "state", init, this.path);
    for (const o of this.owned) o.arenas.add(arena);
    const old = this.b.load(arena);
    return {
      old,
      store: (value: Id) => {
        const rounded = this.b.f32(value);
        const keep = this.keepCondition();
        const held = keep === undefined ? rounded : this.b.select(keep, rounded, old);
        this.b.store(arena, held);
        return held;
      },
    };
  }

  counter(name: string, init = 0, real = false): CounterSlot {
    const full = this.layout.counter(`${this.path}.${name}`, init, this.path, real);
    for (const o of this.owned) o.counters.add(full);
    const old = this.b.counter(full);
    return {
      old,
      store: (value: Id) => {
        this.b.storeCounter(full, this.gate === undefined ? value : this.b.select(this.gate, value, old));
      },
    };
  }

  /** optax's saturating int32 increment. */
  satInc(c: Id): Id {
    const b = this.b;
    return b.select(b.binary("lt", c, b.const(INT32_MAX)), b.add(c, b.const(1)), c);
  }

  /**
   * A numeric argument as a host value: its constant or, inside inject_hyperparams, the runtime
   * hyperparameter it starts (a host input the runtime supplies each step, so setHyperparam
   * changes the next step without recompiling).
   */
  num(v: Value): HostNum {
    if (v.k !== "number") throw new Error(`internal: not a number: ${v.k}`);
    if (v.hyper === undefined) return v.v;
    const input = this.layout.input({ input: `${HYPER_PREFIX}${v.hyper}`, name: v.hyper, init: v.v, owner: this.path });
    return { node: this.b.input(input) };
  }

  /** A value every step() passes (reduce_on_plateau: step({ loss })). */
  stepInput(name: string): Id {
    return this.b.input(this.layout.input({ input: `${STEP_INPUT_PREFIX}${name}`, name, init: 0, owner: this.path }));
  }

  /** A number, or a schedule evaluated at `count` (host float64). */
  schedule(v: Value, count: Id): Id {
    if (v.k === "number") return hnode(this.b, this.num(v));
    if (v.k === "call") return this.defs.schedule(v.name)(this.b, new ArgReader(v.args), count, this);
    throw new Error(`internal: not a schedule: ${v.k}`);
  }

  /** Lowers a nested transform written by the user, at its own source path. */
  child(v: Value, g: Id): Id {
    if (v.k !== "call") throw new Error("internal: child is not a call");
    return this.defs.transform(v.name)(this.with({ path: v.path }), new ArgReader(v.args), g);
  }

  /** sqrt(sum of squares) over every (masked-in) tensor. */
  globalNorm(x: Id): Id {
    const b = this.b;
    return b.sqrt(b.reduce(b.mul(x, x), "global", this.mask));
  }

  /** Per-tensor L2 norm (one value per segment). */
  segmentNorm(x: Id): Id {
    const b = this.b;
    return b.sqrt(b.reduce(b.mul(x, x), "segment"));
  }

  /** 1 when every (masked-in) element of x is finite, else 0. */
  allFinite(x: Id): Id {
    const b = this.b;
    return b.binary("eq", b.reduce(b.mul(x, b.const(0)), "global", this.mask), b.const(0));
  }
}

/** Typed access to a call's bound arguments. */
export class ArgReader {
  constructor(readonly args: Args) {}
  value(name: string): Value {
    const v = this.args[name];
    if (v === undefined) throw new Error(`internal: missing argument ${name}`);
    return v;
  }
  /** A number compiled in (a runtime hyperparameter needs Lowering.num(args.value(name))). */
  num(name: string): number {
    const v = this.value(name);
    if (v.k !== "number") throw new Error(`internal: ${name} is not a number`);
    return v.v;
  }
  bool(name: string): boolean {
    const v = this.value(name);
    if (v.k !== "bool") throw new Error(`internal: ${name} is not a bool`);
    return v.v;
  }
  str(name: string): string {
    const v = this.value(name);
    if (v.k !== "string") throw new Error(`internal: ${name} is not a string`);
    return v.v;
  }
  isNone(name: string): boolean {
    return this.value(name).k === "none";
  }
  call(name: string): CallValue {
    const v = this.value(name);
    if (v.k !== "call") throw new Error(`internal: ${name} is not a call`);
    return v;
  }
}
