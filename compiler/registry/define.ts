/** Helpers for the definition files: parameter specs with optax's names, defaults and ranges. */
import type { Diagnostic } from "../../dsl/diagnostic.js";
import type { Args, CallValue, DefBase, DefaultValue, Kind, ParamSpec, Value } from "../check/types.js";
import type { PhaseLowerer, ScheduleLowerer, TransformLowerer } from "../lower/context.js";

/** What a definition's `validate` is told about the call it checks, and how it reports. */
export interface ValidateContext {
  /** The call is the whole optimizer (the config's body), not an argument of another call. */
  isRoot: boolean;
  report(diagnostic: Diagnostic): void;
  /** Validate none of the calls inside this one's arguments (their problems would repeat this one's). */
  skipNestedCalls(): void;
}

export interface TransformDef extends DefBase {
  category: "alias" | "transform" | "combinator";
  /** The update: how the transform maps gradients (every transform but those that own the step). */
  lower?: TransformLowerer;
  /** A transform that is the whole step at the root (SAM): its phases and protocol. */
  lowerPhases?: PhaseLowerer;
  /** Whether this call refuses or skips non-finite gradients itself, so the runtime's NaN check must not. */
  checksNonFinite?(call: CallValue): boolean;
  /**
   * Rules only this name has, beyond its parameters' kinds and ranges (e.g. where it may stand in
   * the tree). The checker calls it once the optimizer tree has bound and kind-checked without
   * errors, for each call of this name in that tree, outermost first, arguments in parameter order.
   */
  validate?(call: CallValue, context: ValidateContext): void;
}
export interface ScheduleDef extends DefBase {
  category: "schedule";
  lower: ScheduleLowerer;
}
export interface PredicateDef extends DefBase {
  category: "predicate";
}
export type Def = TransformDef | ScheduleDef | PredicateDef;

type Check = (v: Value, args: Args) => string | undefined;
type Extra = { kwOnly?: boolean; aliases?: string[]; check?: Check; doc?: string };

function spec(name: string, kind: Kind, def: DefaultValue | undefined, extra: Extra = {}): ParamSpec {
  const s: ParamSpec = { name, kind, ...extra };
  if (def !== undefined) s.default = def;
  return s;
}

/** Numeric range checks; they only apply to numbers (a schedule is checked by its own params). */
function range(test: (x: number) => boolean, message: string): Check {
  return (v) => (v.k === "number" && !test(v.v) ? message : undefined);
}
export const checks = {
  unitOpen: (name: string) => range((x) => x >= 0 && x < 1, `${name} must be in [0, 1)`),
  unitClosed: (name: string) => range((x) => x >= 0 && x <= 1, `${name} must be in [0, 1]`),
  nonNegative: (name: string) => range((x) => x >= 0, `${name} must be >= 0`),
  positive: (name: string) => range((x) => x > 0, `${name} must be > 0`),
  atLeastOne: (name: string) => range((x) => x >= 1, `${name} must be >= 1`),
};

export const param = {
  number: (name: string, def?: number | null, extra?: Extra) => spec(name, def === null ? { t: "optional", of: { t: "number" } } : { t: "number" }, def, extra),
  int: (name: string, def?: number | null, extra?: Extra) => spec(name, def === null ? { t: "optional", of: { t: "int" } } : { t: "int" }, def, extra),
  bool: (name: string, def?: boolean, extra?: Extra) => spec(name, { t: "bool" }, def, extra),
  schedule: (name: string, def?: number | null, extra?: Extra) => spec(name, def === null ? { t: "optional", of: { t: "schedule" } } : { t: "schedule" }, def, extra),
  learningRate: () => spec("learning_rate", { t: "schedule" }, undefined, { doc: "a number or a schedule" }),
  transform: (name: string, extra?: Extra) => spec(name, { t: "transform" }, undefined, extra),
  dtype: (name: string) => spec(name, { t: "dtype" }, null),
  mask: (name: string) => spec(name, { t: "optional", of: { t: "mask" } }, null),
  enumOf: (name: string, values: string[], def: string, extra?: Extra) => spec(name, { t: "enum", values }, def, extra),
  raw: spec,
};
