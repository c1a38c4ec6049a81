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

export function snapshotToWeights(s: StateSnapshot): NamedTensor[] {
  const meta = JSON.stringify({ fingerprint: s.fingerprint, config: s.config, tensors: s.tensors, counters: Object.keys(s.counters) });
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
export async function weightsToSnapshot(weights: NamedTensor[]): Promise<StateSnapshot> {
  if (!Array.isArray(weights)) fail("R301", "setWeights() needs the NamedTensor[] that getWeights() returned", "pass what getWeights() returned (model.save with includeOptimizer does)");
  const byName = new Map<string, tf.Tensor>();
  for (const w of weights) {
    if (!w || typeof w.name !== "string" || !(w.tensor instanceof tf.Tensor)) fail("R301", "setWeights() got an entry that is not a { name, tensor }", "pass what getWeights() returned");
    byName.set(w.name, w.tensor);
  }
  const metaT = byName.get(META);
  if (!metaT) return fail("R301", "these optimizer weights hold no optc state (no optc/meta)", "pass what an OptcOptimizer's getWeights() returned");
  let meta: { fingerprint?: unknown; config?: unknown; tensors?: unknown; counters?: unknown };
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
  return {
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
}
