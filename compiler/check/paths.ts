/**
 * Source paths (`chain[1].adamw`, the prefix of every state slot a call owns) for a checked tree.
 * The checker evaluates each binding once and shares its value at every use, so paths, which
 * differ per use, are given here to the finished tree: a copy of it, each shared value copied at
 * each place it is used (the limits in limits.ts bound the copy's size).
 *
 *   a call at path P is at `P.name` (`name` at the root); its *varargs at `P.name[i]`, its
 *   transform arguments at `P.name.param`, its other arguments (schedules, lists) at `P.name`;
 *   a list's items at `P[i]`; a predicate at P.
 */
import { lookup } from "../registry/index.js";
import type { Args, CallValue, Kind, Value } from "./types.js";

function isTransformKind(k: Kind): boolean {
  return k.t === "transform" || (k.t === "optional" && k.of.t === "transform");
}

export function withPaths(v: CallValue, path: string): CallValue;
export function withPaths(v: Value, path: string): Value;
export function withPaths(v: Value, path: string): Value {
  switch (v.k) {
    case "call": {
      if (v.category === "predicate") return { ...v, path };
      const own = path === "" ? v.name : `${path}.${v.name}`;
      const params = lookup(v.name)?.params ?? [];
      const args: Args = {};
      for (const [name, a] of Object.entries(v.args)) {
        const p = params.find((q) => q.name === name);
        if (p?.varargs && a.k === "list") args[name] = { ...a, items: a.items.map((x, i) => withPaths(x, `${own}[${i}]`)) };
        else args[name] = withPaths(a, p && isTransformKind(p.kind) ? `${own}.${name}` : own);
      }
      return { ...v, args, path: own };
    }
    case "list":
      return { ...v, items: v.items.map((x, i) => withPaths(x, `${path}[${i}]`)) };
    case "map":
      return { ...v, entries: v.entries.map(([k, x]) => [withPaths(k, path), withPaths(x, path)]) };
    default:
      return v;
  }
}
