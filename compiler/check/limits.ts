/**
 * Bounds on the work a config may ask for, checked before anything is expanded, lowered or
 * fused. The source itself is bounded by dsl/parse.ts (MAX_SOURCE_LENGTH characters,
 * MAX_NESTING levels of brackets); a binding used twice is copied at each use, so the tree a
 * config expands to is bounded here, measured on the shared (unexpanded) values in time linear
 * in the source:
 *
 * - MAX_CALLS calls in the expanded tree (E105): 999 adams compile in about 0.5 s, 999 sgds in
 *   0.1 s; the fuser recurses along the update expression and overflows the stack near 4,000 sgds
 *   (a flat chain of 10,000 was an internal error);
 * - MAX_VALUES values of any kind (E105): lists and maps are copied like calls
 *   (join_schedules over 5,000 numbers compiles in about 0.1 s);
 * - MAX_REDUCTIONS calls that reduce over all elements (a norm, a finiteness test) (E105): each
 *   ends a fused pass, and fusing and rendering grow faster than linearly in the passes (a chain
 *   of 500 clip_by_global_norm took 3 s, 1,000 took 7 s, 2,000 took 58 s); 64 of them among 935
 *   adams compile in about 0.45 s;
 * - MAX_NESTING levels in the expanded tree (E108), the same as in the source.
 * (Measured on a 2-core VM with the IR verifier installed, as the tests run.)
 */
import { MAX_NESTING } from "../../dsl/parse.js";
import { lookup } from "../registry/index.js";
import type { Value } from "./types.js";

export { MAX_NESTING };
export const MAX_CALLS = 1000;
export const MAX_VALUES = 10000;
export const MAX_REDUCTIONS = 64;

export interface Size {
  /** Calls in the expanded tree (predicates excluded). */
  calls: number;
  /** Values of every kind in the expanded tree. */
  values: number;
  /** Calls that reduce over all elements. */
  reductions: number;
  /** Nesting levels: a call with arguments, a list and a map each add one (as their brackets do). */
  depth: number;
}

const ZERO: Size = { calls: 0, values: 0, reductions: 0, depth: 0 };

/**
 * Measures values, which may share sub-values (a binding used twice is one object), as if every
 * shared value were copied: memoised per object, so the time is linear in the distinct values.
 */
export class Measure {
  private readonly memo = new WeakMap<Value, Size>();

  of(v: Value): Size {
    const known = this.memo.get(v);
    if (known) return known;
    const size = this.compute(v);
    this.memo.set(v, size);
    return size;
  }

  private compute(v: Value): Size {
    switch (v.k) {
      case "list":
        return this.sum(v.items, 1, 0, 0);
      case "map":
        return this.sum(v.entries.flat(), 1, 0, 0);
      case "call": {
        if (v.category === "predicate") return { ...ZERO, values: 1 };
        const def = lookup(v.name);
        const parts: Value[] = [];
        for (const p of def?.params ?? []) {
          const a = v.args[p.name];
          // Defaults are not counted: a value the user did not write costs nothing to copy.
          if (a === undefined || !v.explicit.includes(p.name)) continue;
          // *varargs is a list the call makes, not one the user wrote: its items are the arguments.
          if (p.varargs && a.k === "list") parts.push(...a.items);
          else parts.push(a);
        }
        const reduces = def && def.category !== "schedule" && def.category !== "predicate" && def.reduces !== undefined && (typeof def.reduces === "boolean" ? def.reduces : def.reduces(v));
        return this.sum(parts, parts.length > 0 ? 1 : 0, 1, reduces ? 1 : 0);
      }
      default:
        return { ...ZERO, values: 1 };
    }
  }

  private sum(parts: Value[], level: number, calls: number, reductions: number): Size {
    const s: Size = { calls, values: 1, reductions, depth: 0 };
    for (const p of parts) {
      const c = this.of(p);
      s.calls += c.calls;
      s.values += c.values;
      s.reductions += c.reductions;
      s.depth = Math.max(s.depth, c.depth);
    }
    s.depth += level;
    return s;
  }
}

/** What exceeds a limit, as [code, message, hint], or undefined. */
export function sizeProblem(size: Size, what: string): [string, string, string] | undefined {
  const n = (x: number) => x.toLocaleString("en-US");
  const copies = "a binding is copied at each use, so chain(a, a) holds a twice";
  if (size.depth > MAX_NESTING) return ["E108", `${what} is nested too deeply: ${n(size.depth)} levels once its bindings are expanded (at most ${MAX_NESTING})`, copies];
  if (size.calls > MAX_CALLS) return ["E105", `${what} is too large: it expands to ${n(size.calls)} calls (at most ${n(MAX_CALLS)})`, copies];
  if (size.values > MAX_VALUES) return ["E105", `${what} is too large: it expands to ${n(size.values)} values (at most ${n(MAX_VALUES)})`, copies];
  if (size.reductions > MAX_REDUCTIONS) {
    return ["E105", `${what} is too large: it holds ${n(size.reductions)} global reductions (norms, finiteness tests; at most ${MAX_REDUCTIONS})`, "each one ends a fused pass; no optimizer needs this many"];
  }
  return undefined;
}
