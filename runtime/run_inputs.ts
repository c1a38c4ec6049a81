/**
 * Runtime inputs: the host values a run supplies to every step rather than the compiler folding
 * them in. Runtime hyperparameters (inject_hyperparams: input `hyper:<path>`, listed by
 * run.hyperparams, changed by run.setHyperparam, carried by snapshots) and values each step()
 * passes (input `step:<name>`: reduce_on_plateau's step({ loss })). Every backend reads them
 * through the same map, so a change takes effect at the next step everywhere without recompiling.
 *
 * Codes: R130 an unknown hyperparameter; R131 a numeric argument that is not a runtime value (a
 * schedule, one the lowering compiles in, or one static_args names); R132 a hyperparameter value
 * that is not a finite number, is outside the argument's range, or breaks a rule with another
 * argument the checker would have refused (Adam's eps and eps_root both 0); R133 a step value (loss) missing or not a finite number.
 */
import { EMA_PARAMS_SLOT } from "../format/arena_names.js";
import { relationHolds } from "../format/arg_relations.js";
import { STEP_INPUT_PREFIX, type CompiledStep, type HyperparamRelation, type RelationOperand } from "../format/artifact.js";
import { fail } from "./errors.js";

/** The inputs a run starts with: every hyperparameter at its compiled value. */
export function initialInputs(artifact: CompiledStep): Map<string, number> {
  return new Map((artifact.hyperparams ?? []).map((h) => [h.input, h.init]));
}

/** An input's value for the host program; a step value the caller did not pass is R133. */
export function inputValue(inputs: ReadonlyMap<string, number>, input: string): number {
  const v = inputs.get(input);
  if (v !== undefined) return v;
  if (input.startsWith(STEP_INPUT_PREFIX)) missingStepInput(input.slice(STEP_INPUT_PREFIX.length));
  throw new Error(`internal: no value for input ${input}`);
}

function missingStepInput(name: string): never {
  return fail("R133", `this config needs step({ ${name} }) every step (reduce_on_plateau), and none was given`, `pass the step's ${name} as a finite number: await run.step({ ${name}: value })`);
}

/** The hyperparameters by path, with their current values. */
export function hyperparamValues(artifact: CompiledStep, inputs: ReadonlyMap<string, number>): Record<string, number> {
  return Object.fromEntries((artifact.hyperparams ?? []).map((h) => [h.name, inputs.get(h.input) ?? h.init]));
}

const describe = (x: unknown): string => (typeof x === "number" ? String(x) : typeof x === "string" ? JSON.stringify(x) : x === null ? "null" : typeof x);

function withinBounds(x: number, b: NonNullable<CompiledStep["hyperparams"]>[number]["bounds"] & object): boolean {
  if (b.integer && !Number.isInteger(x)) return false;
  if (b.min !== undefined && (b.minOpen ? !(x > b.min) : !(x >= b.min))) return false;
  if (b.max !== undefined && (b.maxOpen ? !(x < b.max) : !(x <= b.max))) return false;
  return true;
}

/**
 * The first rule between two arguments (format/arg_relations.ts) that `values` (by input name,
 * current values otherwise) break, with both sides' values; undefined when all hold.
 */
export function brokenRelation(artifact: CompiledStep, values: ReadonlyMap<string, number>, touching?: string): { relation: HyperparamRelation; values: [number, number] } | undefined {
  for (const relation of artifact.hyperparamRelations ?? []) {
    const [a, b] = relation.operands;
    if (touching !== undefined && a.input !== touching && b.input !== touching) continue;
    const value = (o: RelationOperand) => (o.input === undefined ? o.value : (values.get(o.input) ?? o.value));
    const pair: [number, number] = [value(a), value(b)];
    if (!relationHolds(relation.relation, pair[0], pair[1])) return { relation, values: pair };
  }
  return undefined;
}

/** The input a setHyperparam(name, value) call sets, after checking both (R130, R131, R132); `inputs`: the run's current values. */
export function checkedHyperparam(artifact: CompiledStep, name: unknown, value: unknown, inputs: ReadonlyMap<string, number>): string {
  const hypers = artifact.hyperparams ?? [];
  const listed = hypers.length > 0 ? `its runtime hyperparameters: ${hypers.map((h) => h.name).join(", ")}` : "wrap the optimizer in inject_hyperparams(...) to change its numbers at run time";
  if (typeof name !== "string") fail("R130", `setHyperparam() takes a hyperparameter's path as a string, got ${describe(name)}`, listed);
  const h = hypers.find((x) => x.name === name);
  if (!h) {
    const fixed = artifact.fixedHyperparams?.find((f) => f.name === name);
    if (fixed?.why === "schedule") fail("R131", `hyperparameter '${name}' is a schedule, not a runtime value`, "a schedule stays a schedule (its value follows the step count); inject a number instead, or change the schedule and recompile");
    if (fixed?.why === "static") fail("R131", `hyperparameter '${name}' is static (inject_hyperparams' static_args), compiled into this optimizer`, `remove it from static_args and recompile to change it at run time; ${listed}`);
    if (fixed) fail("R131", `'${name}' is compiled into this optimizer, not a runtime value`, `it shapes the compiled step (optax would treat it as static); ${listed}`);
    fail("R130", `this config has no runtime hyperparameter '${name}'`, listed);
  }
  if (typeof value !== "number" || !Number.isFinite(value)) fail("R132", `hyperparameter '${name}' must be a finite number, got ${describe(value)}`, "pass a number such as 3e-4 (the step would compute with it as a float64 host value)");
  const b = h.bounds;
  if (b && !withinBounds(value, b)) fail("R132", `hyperparameter '${name}' is ${value}: ${b.message}`, `the checker holds '${name}' to this range at compile time, and so does the runtime; '${name}' keeps its current value`);
  const broken = brokenRelation(artifact, new Map([...inputs, [h.input, value]]), h.input);
  if (broken) {
    const mine = broken.relation.operands[0].input === h.input ? 0 : 1;
    const other = broken.relation.operands[1 - mine];
    const change = other.input === undefined ? `'${other.name}' is compiled in` : `change '${other.name}' first`;
    fail(
      "R132",
      `hyperparameter '${name}' = ${value} with '${other.name}' = ${broken.values[1 - mine]}: ${broken.relation.message}`,
      `the checker refuses this pair of '${name}' and '${other.name}' at compile time, and so does the runtime (${change}); '${name}' keeps its current value`,
    );
  }
  return h.input;
}

/**
 * Checks and places the values this step() passes (R133) into `inputs`; returns the function
 * that removes them once the step is over, so a later step without them is refused, not silently
 * given the old ones.
 */
export function applyStepInputs(artifact: CompiledStep, inputs: Map<string, number>, options: Record<string, unknown>): () => void {
  const needed = artifact.stepInputs ?? [];
  for (const s of needed) {
    const v = options[s.name];
    if (v === undefined) missingStepInput(s.name);
    if (typeof v !== "number" || !Number.isFinite(v)) fail("R133", `step({ ${s.name} }) must be a finite number, got ${describe(v)}`, `pass the step's ${s.name} (a NaN or infinite ${s.name} would poison the plateau's running average); params and state are unchanged`);
  }
  for (const s of needed) inputs.set(s.input, options[s.name] as number);
  return () => {
    for (const s of needed) inputs.delete(s.input);
  };
}

/** The arena ema_params keeps its average in; R108 when the config has none. */
export function emaParamsArena(artifact: CompiledStep): string {
  const a = artifact.arenas.find((x) => x.role === "state" && x.name.endsWith(`.${EMA_PARAMS_SLOT}`));
  if (!a) fail("R108", "this config keeps no moving average of the params", "compile the optimizer wrapped in ema_params(..., decay), e.g. ema_params(adam(1e-3), 0.999)");
  return a.name;
}

/** Snapshot form of the hyperparameters (absent when the config has none). */
export function snapshotHyperparams(artifact: CompiledStep, inputs: ReadonlyMap<string, number>): { hyperparams?: Record<string, number> } {
  return artifact.hyperparams && artifact.hyperparams.length > 0 ? { hyperparams: hyperparamValues(artifact, inputs) } : {};
}
