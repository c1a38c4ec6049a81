/**
 * optc's full state as tfjs optimizer weights (NamedTensor[]), and back: what
 * model.save(handler, { includeOptimizer: true }) writes and tf.loadLayersModel restores.
 *
 *   optc/meta              int32: the UTF-16 codes of {fingerprint, config, tensors, counters} as JSON
 *   optc/count             int32 [count, outerCount]
 *   optc/counter/<name>    int32 scalar, one per counter (e.g. optc/counter/adam.count)
 *   optc/<arena>           float32, every saved arena, flat (optc/params, optc/adam.mu, ...)
 *
 * tfjs's own `iter` comes first (the caller adds it). Loading rebuilds a StateSnapshot that
 * run.loadState() validates completely (R301-R307), so another config or model is refused.
 */
import * as tf from "@tensorflow/tfjs-core";
import { fail } from "../runtime/errors.js";
import { STATE_FORMAT, STATE_VERSION, type StateSnapshot } from "../runtime/state.js";

/** tfjs's NamedTensor (not exported from tfjs-core's index). */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

const PREFIX = "optc/";
const META = `${PREFIX}meta`;
const COUNT = `${PREFIX}count`;
const COUNTER = `${PREFIX}counter/`;

/** `order`: the variables in the order tfjs passed them at the first step (model.trainableWeights' order in fit). */
export function snapshotToWeights(s: StateSnapshot, order: string[]): NamedTensor[] {
  const meta = JSON.stringify({ fingerprint: s.fingerprint, config: s.config, tensors: s.tensors, counters: Object.keys(s.counters), order });
  const out: NamedTensor[] = [
    { name: META, tensor: tf.tensor1d(Int32Array.from(meta, (c) => c.charCodeAt(0)), "int32") },
    { name: COUNT, tensor: tf.tensor1d([s.count, s.outerCount], "int32") },
  ];
  for (const [name, v] of Object.entries(s.counters)) out.push({ name: `${COUNTER}${name}`, tensor: tf.scalar(v, "int32") });
  for (const [name, data] of Object.entries(s.arenas)) out.push({ name: `${PREFIX}${name}`, tensor: tf.tensor1d(data instanceof Float32Array ? data.slice() : Float32Array.from(data), "float32") });
  return out;
}

/** True when the weights (after `iter`) hold optc state at all. */
export function hasOptcState(weights: NamedTensor[]): boolean {
  return weights.some((w) => w?.name === META);
}

/** Rebuilds the snapshot (not yet validated against a run: loadState does that). */
export async function weightsToSnapshot(weights: NamedTensor[]): Promise<{ snapshot: StateSnapshot; order: string[] }> {
  if (!Array.isArray(weights)) fail("R301", "setWeights() needs the NamedTensor[] that getWeights() returned", "pass what getWeights() returned (model.save with includeOptimizer does)");
  const byName = new Map<string, tf.Tensor>();
  for (const w of weights) {
    if (!w || typeof w.name !== "string" || !(w.tensor instanceof tf.Tensor)) fail("R301", "setWeights() got an entry that is not a { name, tensor }", "pass what getWeights() returned");
    byName.set(w.name, w.tensor);
  }
  const metaT = byName.get(META);
  if (!metaT) return fail("R301", "these optimizer weights hold no optc state (no optc/meta)", "pass what an OptcOptimizer's getWeights() returned");
  let meta: { fingerprint?: unknown; config?: unknown; tensors?: unknown; counters?: unknown; order?: unknown };
  try {
    meta = JSON.parse(String.fromCharCode(...Array.from(await metaT.data(), Number)));
  } catch {
    return fail("R306", "optc/meta is not readable", "pass what getWeights() returned, unmodified");
  }
  const countT = byName.get(COUNT);
  const counts = countT ? Array.from(await countT.data(), Number) : [];
  const counters: Record<string, number> = {};
  const arenas: Record<string, Float32Array> = {};
  for (const [name, t] of byName) {
    if (name === META || name === COUNT || !name.startsWith(PREFIX)) continue;
    if (name.startsWith(COUNTER)) counters[name.slice(COUNTER.length)] = Number((await t.data())[0]);
    else arenas[name.slice(PREFIX.length)] = Float32Array.from(await t.data());
  }
  const order = Array.isArray(meta.order) && meta.order.every((n) => typeof n === "string") ? (meta.order as string[]) : [];
  const snapshot: StateSnapshot = {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    fingerprint: meta.fingerprint as string,
    config: meta.config as string,
    tensors: meta.tensors as StateSnapshot["tensors"],
    count: counts[0],
    outerCount: counts[1],
    counters,
    arenas,
  };
  return { snapshot, order };
}

/**
 * A snapshot saved with other variable names (a model loaded in the same process gets fresh
 * names: dense_Dense3/kernel becomes dense_Dense3/kernel_1) for this run's variables: matched by
 * name when the names are the same, else by position in the order tfjs passed them at the first
 * step (as tfjs's own optimizers match their state), shapes checked (R304), every arena re-laid out.
 */
export function remapSnapshot(s: StateSnapshot, savedOrder: string[], order: string[], layout: { name: string; shape: number[]; offset: number; size: number }[]): StateSnapshot {
  const saved = Array.isArray(s.tensors) ? s.tensors : [];
  const names = new Set(layout.map((t) => t.name));
  if (saved.length === layout.length && saved.every((t) => names.has(t?.name))) return s;
  if (savedOrder.length !== order.length || savedOrder.length !== saved.length) {
    fail("R304", `the optimizer state was saved for ${saved.length} variables, this optimizer updates ${layout.length}`, "load it into the same model (tf.loadLayersModel loads both)");
  }
  const rename = new Map(savedOrder.map((n, i) => [n, order[i]]));
  let at = 0;
  const from = new Map<string, { offset: number; size: number; shape: number[] }>();
  for (const t of saved) {
    const size = (t.shape ?? []).reduce((a: number, b: number) => a * b, 1);
    from.set(rename.get(t.name) ?? t.name, { offset: at, size, shape: t.shape });
    at += size;
  }
  for (const t of layout) {
    const f = from.get(t.name);
    if (!f || f.shape.length !== t.shape.length || f.shape.some((d, i) => d !== t.shape[i])) {
      fail("R304", `the optimizer state does not fit variable '${t.name}' [${t.shape.join(", ")}]${f ? `: it was saved for shape [${f.shape.join(", ")}]` : ""}`, "load it into the same model (tf.loadLayersModel loads both)");
    }
  }
  const arenas: Record<string, Float32Array> = {};
  for (const [name, data] of Object.entries(s.arenas)) {
    const src = data instanceof Float32Array ? data : Float32Array.from(data);
    const out = new Float32Array(src.length);
    for (const t of layout) {
      const f = from.get(t.name)!;
      out.set(src.subarray(f.offset, f.offset + f.size), t.offset);
    }
    arenas[name] = out;
  }
  return { ...s, tensors: layout.map((t) => ({ name: t.name, shape: [...t.shape] })), arenas };
}
