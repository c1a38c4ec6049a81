/** What schedule_free_sgd and schedule_free_adamw share: the optional linear warmup of their learning rate. */
import type { CallValue, Value } from "../check/types.js";
import type { ArgReader } from "../lower/context.js";

/**
 * The learning rate, or warmup_constant_schedule(0, lr, warmup_steps) when warmup_steps is
 * given (optax builds the same schedule; the wrapper and the base optimizer both use it).
 */
export function warmedUpLearningRate(a: ArgReader, at: CallValue["span"], path: string): Value {
  const lr = a.value("learning_rate");
  const warmup = a.value("warmup_steps");
  if (warmup.k !== "number") return lr;
  const number = (v: number): Value => ({ k: "number", v, isInt: Number.isInteger(v), span: at });
  return {
    k: "call",
    name: "warmup_constant_schedule",
    category: "schedule",
    args: { init_value: number(0), peak_value: lr.k === "number" ? number(lr.v) : lr, warmup_steps: warmup },
    explicit: ["init_value", "peak_value", "warmup_steps"],
    path: `${path}.warmup`,
    span: at,
  };
}
