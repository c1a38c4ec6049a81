/**
 * Rules that relate two numeric arguments, as data, so the checker and the runtime hold values to
 * the same rule through one function: the registry builds a parameter's compile-time check from a
 * relation (compiler/registry/define.ts), and setHyperparam and loadState hold runtime values to
 * the relations the artifact lists (runtime/run_inputs.ts, runtime/state.ts).
 */
export type ArgRelation =
  /** Not both |x| < below: Adam's eps and eps_root (both 0 give 0/0 on an all-zero gradient history). */
  { kind: "notBothBelow"; below: number };

/** Whether the argument's value `x` and the other argument's `other` satisfy the relation. */
export function relationHolds(relation: ArgRelation, x: number, other: number): boolean {
  switch (relation.kind) {
    case "notBothBelow":
      return !(Math.abs(x) < relation.below && Math.abs(other) < relation.below);
  }
}

/** A parameter's rule against another argument of the same call, by that argument's name. */
export interface PairRule {
  other: string;
  relation: ArgRelation;
  /** The checker's message when the pair breaks it. */
  message: string;
}
