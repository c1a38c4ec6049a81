/** The `betas=[b1, b2]` pair of optax.contrib's D-Adaptation family (prodigy, dadapt_adamw): one parameter, one reader. */
import type { Value } from "../check/types.js";
import { param } from "../registry/define.js";

export const betasParam = () =>
  param.raw("betas", { t: "list", of: { t: "number" } }, [0.9, 0.999], {
    check: (v) => (v.k === "list" && (v.items.length !== 2 || v.items.some((x) => x.k !== "number" || !(x.v >= 0 && x.v < 1))) ? "betas must be two numbers in [0, 1)" : undefined),
  });

/** betas[i], a number (the checker made sure). */
export function beta(v: Value, i: 0 | 1): number {
  if (v.k !== "list" || v.items[i]?.k !== "number") throw new Error("internal: betas is not a pair of numbers");
  return (v.items[i] as { v: number }).v;
}
