/**
 * optax.contrib.scale_by_dog (Distance over Gradients, Ivgi et al. 2023): u = (r̄/sqrt(G + eps))·g
 * with r̄ = max(r̄, ‖p0 − p‖) and G = G + ‖g‖², two sums over every element feeding this step's
 * update (a reduce pass, then an apply pass). p0 (a copy of the initial params) is a state slot,
 * r̄ (max_dist) and G float32 state, is_init_step an int counter.
 *
 * init_step is optax's (tag, value) pair, a tuple kind whose tag is a registry enum (never printed
 * raw): "distance" starts r̄ at value; "heuristic" at value·(1 + ‖p0‖), which optax forms in init
 * and optc on the first step from the init_params slot (still p0 then: the same number, and a
 * constant-initialised counter needs no init-time reduction); "learning_rate" starts r̄ at 0 and
 * makes the first step's learning rate value.
 */
import type { Id } from "../ir/builder.js";
import type { ArgReader, Lowering } from "../lower/context.js";
import { checks, param, type TransformDef } from "../registry/define.js";
import type { Value } from "../check/types.js";

export const INIT_STEP_TAGS = ["distance", "learning_rate", "heuristic"] as const;
export type InitStepTag = (typeof INIT_STEP_TAGS)[number];

/** init_step=(tag, value): the tag one of INIT_STEP_TAGS (E304), the value > 0 (E302), exactly two items (E301). */
export const initStepParam = (def?: [InitStepTag, number]) =>
  param.raw("init_step", { t: "tuple", items: [{ t: "enum", values: [...INIT_STEP_TAGS] }, { t: "number" }] }, def, {
    check: (v) => {
      const value = v.k === "list" ? v.items[1] : undefined;
      return value?.k === "number" && !(value.v > 0)
        ? 'init_step\'s value must be > 0: an initial distance or learning rate of 0 (or less) never moves the params (e.g. init_step=("heuristic", 1e-6))'
        : undefined;
    },
  });

export const dogEps = () => param.number("eps", 1e-8, { check: checks.guard("eps", "the first step divides by sqrt(G + eps) with G = 0 for a zero gradient") });

/** The (tag, value) pair (the checker made sure of its shape). */
export function initStep(v: Value): [InitStepTag, number] {
  if (v.k !== "list" || v.items[0]?.k !== "string" || v.items[1]?.k !== "number") throw new Error("internal: init_step is not a (tag, value) pair");
  return [v.items[0].v as InitStepTag, v.items[1].v];
}

export function lowerDog(l: Lowering, a: ArgReader, g: Id): Id {
  const b = l.b;
  const c = (x: number) => b.const(x);
  const [tag, value] = initStep(a.value("init_step"));
  const p0 = l.slot("init_params", { copy: "params" });
  const isInit = l.counter("is_init_step", 1);
  const maxDist = l.counter("max_dist", tag === "distance" ? Math.fround(value) : 0, true);
  const sumSq = l.counter("sum_sq_norm_grads", 0, true);
  const first = b.binary("ne", isInit.old, c(0));
  const diff = b.sub(p0.old, l.params);
  const dist = b.sqrt(b.reduce(b.mul(diff, diff), "global", l.mask));
  // optax's init state r_eps = value·(1 + ‖p0‖), rounded to float32 as optax stores it.
  const start = tag === "heuristic" ? b.select(first, b.f32(b.mul(c(value), b.add(c(1), b.sqrt(b.reduce(b.mul(p0.old, p0.old), "global", l.mask))))), maxDist.old) : maxDist.old;
  const maxDist1 = b.f32(b.binary("max", start, dist));
  const sumSq1 = b.f32(b.add(sumSq.old, b.reduce(b.mul(g, g), "global", l.mask)));
  maxDist.store(maxDist1);
  sumSq.store(sumSq1);
  isInit.store(c(0));
  const lr = b.div(maxDist1, b.sqrt(b.add(sumSq1, c(a.num("eps")))));
  return b.mul(tag === "learning_rate" ? b.select(first, c(value), lr) : lr, g);
}

export const def: TransformDef = {
  name: "scale_by_dog",
  category: "transform",
  module: "optax.contrib",
  doc: 'DoG\'s scaling: (r̄/sqrt(G + eps))·g, r̄ the largest distance from the initial params (from init_step, a ("distance" | "learning_rate" | "heuristic", value) pair), G the sum of ‖g‖².',
  reduces: true,
  params: [initStepParam(), dogEps()],
  lower: lowerDog,
};
