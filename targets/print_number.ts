/**
 * The one canonical printer for numbers in generated code. Only its output, registry names
 * and fixed identifiers ever reach generated source.
 */
export function jsNumber(x: number): string {
  if (typeof x !== "number") throw new Error("internal: not a number");
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "(-Infinity)";
  if (Object.is(x, -0)) return "(-0)";
  const s = String(x);
  // String() round-trips every float64 exactly; guard the grammar anyway.
  if (!/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(s)) throw new Error(`internal: unprintable number ${s}`);
  return x < 0 ? `(${s})` : s;
}

/** A comment-safe rendering of an internal name (paths are registry names, params and indices). */
export function commentSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9_.[\]]/g, "?");
}
