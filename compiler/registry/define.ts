/** Helpers for the definition files: parameter specs with optax's names, defaults and ranges. */
import type { Diagnostic } from "../../dsl/diagnostic.js";
import { relationHolds, type ArgRelation, type PairRule } from "../../format/arg_relations.js";
import type { InputBounds } from "../../format/artifact.js";
import type { Args, CallValue, DefBase, DefaultValue, Kind, ParamSpec, Value } from "../check/types.js";
import { INT32_MAX, type PhaseLowerer, type ScheduleLowerer, type TransformLowerer } from "../lower/context.js";

/** What a definition's `validate` is told about the call it checks, and how it reports. */
export interface ValidateContext {
  /** The call is the whole optimizer (the config's body), not an argument of another call. */
  isRoot: boolean;
  /** The call's updates go straight to the params: the root, or inside only wrappers that pass them through (inject_hyperparams, ema_params). */
  paramsRoot: boolean;
  report(diagnostic: Diagnostic): void;
  /** Validate none of the calls inside this one's arguments (their problems would repeat this one's). */
  skipNestedCalls(): void;
  /** The values a schedule (or a number) can take over every count 0..2^31-1 (compiler/check/numerics.ts). */
  scheduleRange(v: Value): Range;
  /** The name of a definition's `*args` parameter (chain's `transforms`), if it has one. */
  varargs(name: string): string | undefined;
}

/**
 * Bounds on the values a schedule takes over all counts 0..2^31-1: lo <= every value <= hi. NaN
 * in either bound means some value is NaN. Conservative (a bound may not be reached).
 */
export interface Range {
  lo: number;
  hi: number;
}

/** The least and greatest of the values (NaN if any is NaN). */
export function hull(...xs: number[]): Range {
  if (xs.some((x) => Number.isNaN(x))) return { lo: NaN, hi: NaN };
  return { lo: Math.min(...xs), hi: Math.max(...xs) };
}

/** The hull of several ranges. */
export function union(...rs: Range[]): Range {
  return hull(...rs.flatMap((r) => [r.lo, r.hi]));
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
  /**
   * Whether this call's update needs a reduction over all elements (a norm, a finiteness test)
   * before its element values: each one ends a fused pass, so the checker caps how many a config
   * holds (compiler/check/limits.ts).
   */
  reduces?: boolean | ((call: CallValue) => boolean);
  /** Its inner transform's updates are its own (inject_hyperparams, ema_params): a call there is still at the params root. */
  passesUpdates?: boolean;
}
export interface ScheduleDef extends DefBase {
  category: "schedule";
  lower: ScheduleLowerer;
  /** Bounds on its values over all counts, from its arguments; `of` gives a nested schedule's (or number's). */
  range(args: Args, of: (v: Value) => Range): Range;
}
export interface PredicateDef extends DefBase {
  category: "predicate";
}
export type Def = TransformDef | ScheduleDef | PredicateDef;

/**
 * A range check's bounds, and a rule relating the argument to another, as data, which the runtime
 * checks setHyperparam's values against (format/artifact.ts InputBounds, format/arg_relations.ts).
 */
type Check = ((v: Value, args: Args) => string | undefined) & { bounds?: InputBounds; pair?: PairRule };
type Extra = { kwOnly?: boolean; aliases?: string[]; check?: Check; doc?: string };

function spec(name: string, kind: Kind, def: DefaultValue | undefined, extra: Extra = {}): ParamSpec {
  const s: ParamSpec = { name, kind, ...extra };
  if (def !== undefined) s.default = def;
  return s;
}

/** Numeric range checks; they only apply to numbers (a schedule is checked by its own params). */
function range(test: (x: number) => boolean, message: string, bounds?: Omit<InputBounds, "message">): Check {
  const check: Check = (v) => (v.k === "number" && !test(v.v) ? message : undefined);
  if (bounds) check.bounds = { ...bounds, message };
  return check;
}
/** The bounds of a parameter's check, if it is one of the range checks below. */
export function boundsOf(spec: ParamSpec): InputBounds | undefined {
  return (spec.check as Check | undefined)?.bounds;
}
/**
 * A check that the argument and `other` satisfy `relation` (format/arg_relations.ts): the one
 * function the runtime also calls, so setHyperparam refuses exactly the pairs this refuses. An
 * `other` that is not a number (None, a schedule) counts as 0.
 */
function related(other: string, relation: ArgRelation, message: string): Check {
  const check: Check = (v, args) => (v.k === "number" && !relationHolds(relation, v.v, numArg(args, other) ?? 0) ? message : undefined);
  check.pair = { other, relation, message };
  return check;
}
/** The rule relating a parameter to another argument, if its check has one. */
export function pairRuleOf(spec: ParamSpec): PairRule | undefined {
  return (spec.check as Check | undefined)?.pair;
}
/** The number an argument holds (its default included), or undefined for None, a schedule, a missing one. */
export function numArg(args: Args, name: string): number | undefined {
  const v = args[name];
  return v?.k === "number" ? v.v : undefined;
}
/** The boolean an argument holds (its default included), or undefined. */
export function boolArg(args: Args, name: string): boolean | undefined {
  const v = args[name];
  return v?.k === "bool" ? v.v : undefined;
}
/** Runs checks in order; the first problem wins. */
export function allOf(...cs: Check[]): Check {
  const check: Check = (v, args) => {
    for (const c of cs) {
      const problem = c(v, args);
      if (problem) return problem;
    }
    return undefined;
  };
  const bounds = cs.find((c) => c.bounds)?.bounds;
  if (bounds) check.bounds = bounds;
  const pair = cs.find((c) => c.pair)?.pair;
  if (pair) check.pair = pair;
  return check;
}
/** The largest step count an int32 counter reaches (optax's counters saturate there). */
export { INT32_MAX };
/** float32's largest finite value. */
export const FLT_MAX = 3.4028234663852886e38;
/** float32's smallest positive normal value: below it a value is a subnormal, which GPUs flush to 0. */
export const FLT_MIN_NORMAL = 1.1754943508222875e-38;
/** A guard (an eps) below float32's normal range is 0 on the GPU targets, which flush subnormals. */
export function effectivelyZero(x: number): boolean {
  return Math.abs(x) < FLT_MIN_NORMAL;
}
const guardZero = "0 (or below 1.2e-38, float32's smallest normal, which GPUs flush to 0)";

export const checks = {
  /** A number must pass `test`; `message` says why not. */
  number: (test: (x: number) => boolean, message: string) => range(test, message),
  unitOpen: (name: string) => range((x) => x >= 0 && x < 1, `${name} must be in [0, 1)`, { min: 0, max: 1, maxOpen: true }),
  unitClosed: (name: string) => range((x) => x >= 0 && x <= 1, `${name} must be in [0, 1]`, { min: 0, max: 1 }),
  nonNegative: (name: string) => range((x) => x >= 0, `${name} must be >= 0`, { min: 0 }),
  positive: (name: string) => range((x) => x > 0, `${name} must be > 0`, { min: 0, minOpen: true }),
  atLeastOne: (name: string) => range((x) => x >= 1, `${name} must be >= 1`, { min: 1 }),
  /** A momentum-like decay: |decay| > 1 grows the state geometrically until it overflows. */
  momentum: (name: string) => range((x) => x >= -1 && x <= 1, `${name} must be in [-1, 1]: a larger |${name}| grows the trace geometrically until it overflows`, { min: -1, max: 1 }),
  /** A whole count in [1, 2^31-1]: it is compared with an int32 counter (sync_period, k, every_k_schedule). */
  count: (name: string) => range((x) => Number.isInteger(x) && x >= 1 && x <= INT32_MAX, `${name} must be a whole number in [1, ${INT32_MAX}] (optax's counters are int32)`, { min: 1, max: INT32_MAX, integer: true }),
  /** A whole count in [0, 2^31-1]. */
  countFromZero: (name: string) => range((x) => Number.isInteger(x) && x >= 0 && x <= INT32_MAX, `${name} must be a whole number in [0, ${INT32_MAX}] (optax's counters are int32)`, { min: 0, max: INT32_MAX, integer: true }),
  /** An eps that is the only thing keeping a denominator from 0. */
  guard: (name: string, why: string) => range((x) => x >= 0 && !effectivelyZero(x), `${name} must be > 0, at least 1.2e-38 (float32's smallest normal; GPUs flush smaller values to 0): ${why}`, { min: FLT_MIN_NORMAL }),
  /** An eps that may be 0 (another guard handles that case), but not a non-zero value the GPUs flush to 0. */
  zeroOrNormal: (name: string) => range((x) => x === 0 || (x > 0 && !effectivelyZero(x)), `${name} must be 0 or at least 1.2e-38 (float32's smallest normal; GPUs flush smaller values to 0)`),
  /**
   * Adam's denominator sqrt(v̂ + eps_root) + eps: with both 0 an all-zero gradient history gives
   * 0/0 (and a gradient too small for float32's nu gives m̂/0).
   */
  adamEps: () =>
    allOf(
      range((x) => x >= 0, "eps must be >= 0", { min: 0 }),
      // effectivelyZero, as a relation the runtime can evaluate.
      related("eps_root", { kind: "notBothBelow", below: FLT_MIN_NORMAL }, `eps and eps_root cannot both be ${guardZero}: an all-zero gradient history gives 0/0 (set eps, e.g. 1e-8, or eps_root)`),
    ),
};

export const param = {
  number: (name: string, def?: number | null, extra?: Extra) => spec(name, def === null ? { t: "optional", of: { t: "number" } } : { t: "number" }, def, extra),
  int: (name: string, def?: number | null, extra?: Extra) => spec(name, def === null ? { t: "optional", of: { t: "int" } } : { t: "int" }, def, extra),
  bool: (name: string, def?: boolean, extra?: Extra) => spec(name, { t: "bool" }, def, extra),
  schedule: (name: string, def?: number | null, extra?: Extra) => spec(name, def === null ? { t: "optional", of: { t: "schedule" } } : { t: "schedule" }, def, extra),
  learningRate: () => spec("learning_rate", { t: "schedule" }, undefined, { doc: "a number or a schedule" }),
  transform: (name: string, extra?: Extra) => spec(name, { t: "transform" }, undefined, extra),
  dtype: (name: string) => spec(name, { t: "dtype" }, null),
  /** Argument names, `()` by default (inject_hyperparams' static_args). */
  names: (name: string, extra?: Extra) => spec(name, { t: "names" }, [], extra),
  mask: (name: string) => spec(name, { t: "optional", of: { t: "mask" } }, null),
  enumOf: (name: string, values: string[], def: string, extra?: Extra) => spec(name, { t: "enum", values }, def, extra),
  raw: spec,
};
