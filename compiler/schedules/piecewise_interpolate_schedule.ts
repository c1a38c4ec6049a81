import type { Builder, Id } from "../ir/builder.js";
import type { Value } from "../check/types.js";
import { hull, param, type Range, type ScheduleDef } from "../registry/define.js";
import { num } from "./polynomial_schedule.js";

export type Interpolation = "linear" | "cosine";

/** A boundary and its scale, as optax's dict holds them. */
export type BoundaryScale = readonly [number, number];

/** Sorted by boundary; a repeated boundary keeps its last scale (a Python dict literal's rule). */
export function sortedEntries(entries: readonly BoundaryScale[]): BoundaryScale[] {
  const byBound = new Map<number, number>();
  for (const [k, s] of entries) byBound.set(k, s);
  return [...byBound].sort((x, y) => x[0] - y[0]);
}

/**
 * optax's piecewise interpolation: knots at 0 and each boundary, values the running products
 * init·Π scales; inside [b_i, b_{i+1}) the value moves from v_i to v_{i+1} by
 * pct = (count - b_i) / max(b_{i+1} - b_i, 1); from the last boundary on it is the last value.
 */
export function piecewiseInterpolate(b: Builder, kind: Interpolation, init: number, entries: readonly BoundaryScale[], count: Id): Id {
  const sorted = sortedEntries(entries);
  const bounds = [0, ...sorted.map(([k]) => k)];
  const values = [init];
  for (const [, s] of sorted) values.push(values[values.length - 1] * s);
  // At most one interval holds the count, so optax's indicator·values dot product is that interval's value.
  let out = b.const(values[values.length - 1]);
  for (let i = bounds.length - 2; i >= 0; i--) {
    const lo = bounds[i];
    const hi = bounds[i + 1];
    const pct = b.div(b.sub(count, b.const(lo)), b.const(Math.max(hi - lo, 1)));
    const start = values[i];
    const end = values[i + 1];
    const v =
      kind === "linear"
        ? b.add(b.mul(b.const(end - start), pct), b.const(start))
        : b.add(b.const(end), b.mul(b.const((start - end) / 2), b.add(b.unary("cos", b.mul(b.const(Math.PI), pct)), b.const(1))));
    const inside = b.binary("and", b.binary("le", b.const(lo), count), b.binary("lt", count, b.const(hi)));
    out = b.select(inside, v, out);
  }
  // Before the first knot (only reached if a boundary were negative, which the checker refuses) optax gives 0.
  return out;
}

/** Both interpolations stay between their end values, so the knots bound the schedule. */
export function piecewiseRange(init: number, entries: readonly BoundaryScale[]): Range {
  const values = [init];
  for (const [, s] of sortedEntries(entries)) values.push(values[values.length - 1] * s);
  return hull(...values);
}

/** The (boundary, scale) pairs of a boundaries_and_scales argument (NaN where one is not a number). */
export function mapEntries(v: Value | undefined): BoundaryScale[] {
  if (v?.k !== "map") return [];
  return v.entries.map(([k, s]) => [k.k === "number" ? k.v : NaN, s.k === "number" ? s.v : NaN] as const);
}

export const def: ScheduleDef = {
  name: "piecewise_interpolate_schedule",
  category: "schedule",
  module: "optax",
  doc: 'Linear or cosine interpolation between init_value·Π scales at the boundaries ("linear", 0.1, {100: 10.0, 500: 0.1}).',
  params: [
    param.raw("interpolate_type", { t: "enum", values: ["linear", "cosine"] }, undefined),
    param.number("init_value"),
    param.raw("boundaries_and_scales", { t: "optional", of: { t: "map", key: { t: "int" }, value: { t: "number" } } }, null, {
      check: (v) => {
        const entries = mapEntries(v);
        if (entries.some(([, s]) => s < 0)) return "every scale must be >= 0 (optax raises on a negative scale factor)";
        if (entries.some(([k]) => k < 0)) return "every boundary must be >= 0 (a step count; the first knot is step 0)";
        return undefined;
      },
    }),
  ],
  lower: (b, a, count) => piecewiseInterpolate(b, a.str("interpolate_type") as Interpolation, a.num("init_value"), mapEntries(a.value("boundaries_and_scales")), count),
  range: (args) => piecewiseRange(num(args, "init_value"), mapEntries(args.boundaries_and_scales)),
};
