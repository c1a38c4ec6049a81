/**
 * schedule_free's eval params (optax.contrib.schedule_free_eval_params): x = (y − (1 − b1)·z)/b1
 * from the params y and the z arena, in float64 and rounded once to float32 (README port
 * decision 13). b1 is the artifact's number, or the current value of its runtime hyperparameter.
 */
import type { CompiledStep } from "../format/artifact.js";
import { fail } from "./errors.js";

/** The z arena and b1 of this config's schedule_free; R108 when it has none. */
export function evalParamsSource(artifact: CompiledStep, inputs: ReadonlyMap<string, number>): { z: string; b1: number } {
  const e = artifact.evalParams;
  if (!e) return fail("R108", "this config has no schedule-free eval params", "compile it with schedule_free(...), schedule_free_sgd(...) or schedule_free_adamw(...)");
  const b1 = typeof e.b1 === "number" ? e.b1 : inputs.get(e.b1.input);
  if (b1 === undefined) throw new Error(`internal: no value for ${JSON.stringify(e.b1)}`);
  return { z: e.z, b1 };
}

/** x = (y − (1 − b1)·z)/b1, element by element. */
export function evalParamsOf(y: Float32Array, z: Float32Array, b1: number): Float32Array {
  const out = new Float32Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = (y[i] - (1 - b1) * z[i]) / b1;
  return out;
}
