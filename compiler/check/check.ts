/**
 * check(program) → typed tree. Binds every call's arguments against the registry as
 * Python would, checks kinds and ranges, and reports every independent error at once.
 */
import type { Call, Expr, NameRef, Program } from "../../dsl/ast.js";
import { error, warning, type Diagnostic, type Span } from "../../dsl/diagnostic.js";
import { allNames, lookup } from "../registry/index.js";
import type { Def } from "../registry/define.js";
import { closest, didYouMean } from "./suggest.js";
import { kindSummary, valueSummary, type Args, type CallValue, type DefaultValue, type Kind, type ParamSpec, type Value } from "./types.js";

export interface CheckResult {
  tree: CallValue | undefined;
  diagnostics: Diagnostic[];
}

const PREFIXES = [["optax", "contrib"], ["optax"]];

/** Names people bring from PyTorch, Keras and tfjs, mapped to optax's. */
const SYNONYMS: Record<string, string> = {
  lr: "learning_rate",
  learningRate: "learning_rate",
  beta1: "b1",
  beta2: "b2",
  betas: "b1",
  epsilon: "eps",
  decay_rate: "decay",
  sync: "sync_period",
  k: "sync_period",
  clipnorm: "max_norm",
};

interface BindingInfo {
  expr: Expr;
  span: Span;
  used: boolean;
}

export function check(program: Program): CheckResult {
  return new Checker().run(program);
}

class Checker {
  private diags: Diagnostic[] = [];
  private readonly bindings = new Map<string, BindingInfo>();
  /** >0 while re-checking a binding at a use site: its errors were reported at its definition. */
  private quiet = 0;

  run(program: Program): CheckResult {
    for (const b of program.bindings) {
      if (this.bindings.has(b.name)) {
        this.report(error("E209", `'${b.name}' is bound twice`, b.nameSpan, "use a different name for the second binding"));
        continue;
      }
      if (lookup(b.name)) {
        this.report(error("E209", `'${b.name}' is the name of a built-in ${lookup(b.name)?.category}; a binding may not shadow it`, b.nameSpan, `use another name, e.g. my_${b.name}`));
      }
      // Check once here for diagnostics; each use re-checks it at its own path.
      this.value(b.value, { t: "any" }, b.name);
      this.bindings.set(b.name, { expr: b.value, span: b.nameSpan, used: false });
    }
    let tree: CallValue | undefined;
    if (program.body) {
      const root = this.value(program.body, { t: "transform" }, "");
      if (root?.k === "call") tree = root;
      if (tree) this.checkSamPlacement(tree, true);
    }
    for (const [name, b] of this.bindings) {
      if (!b.used) this.report(warning("W401", `the binding '${name}' is never used`, b.span, "delete it, or use it in the optimizer"));
    }
    return { tree, diagnostics: this.diags };
  }

  private report(d: Diagnostic): void {
    if (this.quiet === 0) this.diags.push(d);
  }

  // ---------------------------------------------------------------- values

  private value(e: Expr, kind: Kind | { t: "any" }, path: string): Value | undefined {
    const v = this.evaluate(e, kind, path);
    if (v === undefined || kind.t === "any") return v;
    return this.conform(v, kind, e.span, path);
  }

  /** Turns an expression into a value (calls are bound); kinds are checked by conform(). */
  private evaluate(e: Expr, kind: Kind | { t: "any" }, path: string): Value | undefined {
    switch (e.kind) {
      case "number":
        return { k: "number", v: e.value, isInt: e.isInt, span: e.span };
      case "bool":
        return { k: "bool", v: e.value, span: e.span };
      case "none":
        return { k: "none", span: e.span };
      case "string":
        return { k: "string", v: e.value, span: e.span };
      case "list": {
        const of = kind.t === "list" ? kind.of : kind.t === "optional" && kind.of.t === "list" ? kind.of.of : ({ t: "any" } as const);
        const items = e.items.map((it, i) => this.value(it, of, `${path}[${i}]`));
        return items.every((x) => x !== undefined) ? { k: "list", items: items as Value[], span: e.span } : undefined;
      }
      case "map": {
        const mk = kind.t === "map" ? kind : kind.t === "optional" && kind.of.t === "map" ? kind.of : undefined;
        const entries: [Value, Value][] = [];
        let ok = true;
        const seen = new Set<string>();
        for (const en of e.entries) {
          const k = this.value(en.key, mk ? mk.key : { t: "any" }, path);
          const v = this.value(en.value, mk ? mk.value : { t: "any" }, path);
          if (!k || !v) {
            ok = false;
            continue;
          }
          const key = JSON.stringify(k.k === "number" ? k.v : k.k === "string" ? k.v : k.k);
          if (seen.has(key)) {
            this.report(error("E305", "this key appears twice in the map", en.key.span, "each boundary may appear once"));
            ok = false;
          }
          seen.add(key);
          entries.push([k, v]);
        }
        return ok ? { k: "map", entries, span: e.span } : undefined;
      }
      case "name":
        return this.name(e, kind, path);
      case "call":
        return this.call(e, path);
    }
  }

  private stripPrefix(ref: NameRef): string | undefined {
    for (const p of PREFIXES) {
      if (ref.path.length === p.length + 1 && p.every((x, i) => ref.path[i] === x)) return ref.path[p.length];
    }
    if (ref.path.length === 1) return ref.path[0];
    this.report(
      error("E208", `'${ref.path.slice(0, -1).join(".")}' is not a module optc knows`, { start: ref.span.start, end: ref.nameSpan.start - 1 }, "write the bare name, or prefix it with optax. or optax.contrib."),
    );
    return undefined;
  }

  private name(ref: NameRef, kind: Kind | { t: "any" }, path: string): Value | undefined {
    if (ref.path.length === 1) {
      const b = this.bindings.get(ref.path[0]);
      if (b) {
        b.used = true;
        this.quiet++;
        try {
          return this.value(b.expr, kind, path);
        } finally {
          this.quiet--;
        }
      }
    }
    const name = this.stripPrefix(ref);
    if (name === undefined) return undefined;
    const def = lookup(name);
    if (def?.category === "predicate") return { k: "call", name, category: "predicate", args: {}, explicit: [], path, span: ref.span };
    if (def) {
      this.report(error("E207", `'${name}' is a ${def.category === "schedule" ? "schedule" : "transformation"} factory and must be called`, ref.nameSpan, `write ${name}(...)`));
      return undefined;
    }
    const known = [...this.bindings.keys(), ...allNames()];
    this.report(error("E201", `unknown name '${name}'`, ref.nameSpan, didYouMean(name, known) ?? "see the language reference in the README for every name"));
    return undefined;
  }

  private call(c: Call, parentPath: string): Value | undefined {
    if (c.callee.path.length === 1 && this.bindings.has(c.callee.path[0])) {
      this.report(error("E207", `'${c.callee.path[0]}' is a bound value, not a function`, c.callee.nameSpan, `use ${c.callee.path[0]} without parentheses`));
      return undefined;
    }
    const name = this.stripPrefix(c.callee);
    if (name === undefined) return undefined;
    const def = lookup(name);
    if (!def) {
      this.report(error("E201", `unknown optimizer, transform or schedule '${name}'`, c.callee.nameSpan, didYouMean(name, allNames()) ?? "see the language reference in the README for every name"));
      return undefined;
    }
    if (def.category === "predicate") {
      this.report(error("E207", `'${name}' is a predicate; pass it without calling it`, c.callee.nameSpan, `write should_skip_update_fn=${name}`));
      return undefined;
    }
    const path = parentPath === "" ? name : `${parentPath}.${name}`;
    const args = this.bind(def, c, path);
    if (!args) return undefined;
    return { k: "call", name, category: def.category, args: args.args, explicit: args.explicit, path, span: c.span };
  }

  // ---------------------------------------------------------------- binding

  private bind(def: Def, c: Call, path: string): { args: Args; explicit: string[] } | undefined {
    const bound = new Map<string, { expr: Expr; span: Span }>();
    const varargs = def.params.find((p) => p.varargs);
    const positional = def.params.filter((p) => !p.kwOnly && !p.varargs);
    const varItems: Expr[] = [];
    let ok = true;
    let seenKeyword = false;
    let posIndex = 0;
    // A misspelt keyword whose suggestion is a required parameter explains that parameter's absence.
    const suggested = new Set<string>();
    for (const arg of c.args) {
      if (arg.name === undefined) {
        if (seenKeyword) {
          this.report(error("E204", "positional argument after a keyword argument", arg.span, "move it before the keyword arguments or name it"));
          ok = false;
          continue;
        }
        if (varargs) {
          varItems.push(arg.value);
          continue;
        }
        const p = positional[posIndex++];
        if (!p) {
          this.report(
            error("E203", `${def.name}() takes ${positional.length === 0 ? "no" : `at most ${positional.length}`} positional argument${positional.length === 1 ? "" : "s"} (${posIndex} given)`, arg.span, signatureHint(def)),
          );
          ok = false;
          continue;
        }
        bound.set(p.name, { expr: arg.value, span: arg.span });
        continue;
      }
      seenKeyword = true;
      const p = def.params.find((q) => !q.varargs && (q.name === arg.name || q.aliases?.includes(arg.name!)));
      if (!p) {
        const names = def.params.filter((q) => !q.varargs).flatMap((q) => [q.name, ...(q.aliases ?? [])]);
        const synonym = SYNONYMS[arg.name];
        const guess = synonym && names.includes(synonym) ? synonym : closest(arg.name, names);
        if (guess) suggested.add(guess);
        this.report(
          error("E202", `${def.name}() has no parameter '${arg.name}'`, arg.nameSpan ?? arg.span, guess ? `did you mean '${guess}'?` : names.length ? `its parameters are: ${names.join(", ")}` : `${def.name}() takes no arguments`),
        );
        ok = false;
        continue;
      }
      if (bound.has(p.name)) {
        this.report(error("E205", `${def.name}() got '${p.name}' twice`, arg.nameSpan ?? arg.span, p.aliases?.length ? `'${p.aliases.join("', '")}' is another name for '${p.name}'` : "remove one of them"));
        ok = false;
        continue;
      }
      bound.set(p.name, { expr: arg.value, span: arg.span });
    }
    for (const p of def.params) {
      if (p.varargs || bound.has(p.name) || p.default !== undefined || suggested.has(p.name)) continue;
      this.report(error("E206", `${def.name}() is missing the required argument '${p.name}'`, c.span, signatureHint(def)));
      ok = false;
    }
    const args: Args = {};
    const explicit: string[] = [];
    for (const p of def.params) {
      if (p.varargs) {
        const items = varItems.map((e, i) => this.value(e, p.kind, `${path}[${i}]`));
        if (items.some((x) => x === undefined)) ok = false;
        else args[p.name] = { k: "list", items: items as Value[], span: c.span };
        if (varItems.length) explicit.push(p.name);
        continue;
      }
      const b = bound.get(p.name);
      if (!b) {
        if (p.default !== undefined) args[p.name] = fromDefault(p.default, c.span);
        continue;
      }
      const childPath = p.kind.t === "transform" || (p.kind.t === "optional" && p.kind.of.t === "transform") ? `${path}.${p.name}` : path;
      const v = this.value(b.expr, p.kind, childPath);
      if (!v) {
        ok = false;
        continue;
      }
      args[p.name] = v;
      explicit.push(p.name);
    }
    if (!ok) return undefined;
    for (const p of def.params) {
      if (!p.check || !explicit.includes(p.name)) continue;
      const problem = p.check(args[p.name], args);
      if (problem) {
        this.report(error("E302", `${def.name}(): ${problem}`, args[p.name].span, `got ${describeValue(args[p.name])}`));
        ok = false;
      }
    }
    return ok ? { args, explicit } : undefined;
  }

  // ---------------------------------------------------------------- kinds

  private conform(v: Value, kind: Kind, span: Span, path: string): Value | undefined {
    const fail = (code = "E301", extra?: string): undefined => {
      this.report(error(code, `expected ${kindSummary(kind)}, found ${valueSummary(v)}`, span, extra ?? hintFor(kind)));
      return undefined;
    };
    switch (kind.t) {
      case "number":
        return v.k === "number" ? v : fail();
      case "int":
        if (v.k !== "number") return fail();
        return Number.isInteger(v.v) ? v : fail("E303", "write a whole number, e.g. 1000");
      case "bool":
        return v.k === "bool" ? v : fail();
      case "string":
        return v.k === "string" ? v : fail();
      case "enum":
        if (v.k !== "string") return fail();
        if (kind.values.includes(v.v)) return v;
        this.report(error("E304", `"${v.v}" is not one of ${kind.values.map((x) => `"${x}"`).join(", ")}`, span, didYouMean(v.v, kind.values) ?? "pick one of the listed values"));
        return undefined;
      case "schedule":
        return v.k === "number" || (v.k === "call" && v.category === "schedule") ? v : fail();
      case "transform":
        return v.k === "call" && (v.category === "alias" || v.category === "transform" || v.category === "combinator") ? v : fail();
      case "predicate":
        return v.k === "call" && v.category === "predicate" ? v : fail();
      case "list":
        return v.k === "list" ? v : fail();
      case "map":
        return v.k === "map" ? v : fail();
      case "optional":
        return v.k === "none" ? v : this.conform(v, kind.of, span, path);
      case "mask": {
        const items = v.k === "string" ? [v] : v.k === "list" ? v.items : undefined;
        if (!items || items.length === 0 || items.some((i) => i.k !== "string" || i.v.replace(/^!/, "") === "")) return fail("E301", 'write a glob such as "*.bias", or a list like ["*", "!*.bias"]');
        return v;
      }
      case "dtype":
        if (v.k === "none") return v;
        if (v.k === "string" && (v.v === "float32" || v.v === "f32")) return v;
        this.report(error("E307", `unsupported dtype ${v.k === "string" ? `"${v.v}"` : valueSummary(v)}`, span, 'optc keeps all state in float32: use None or "float32"'));
        return undefined;
    }
  }

  // ---------------------------------------------------------------- SAM

  private checkSamPlacement(node: CallValue, isRoot: boolean): void {
    if (node.name === "sam") {
      if (!isRoot) {
        this.report(error("E306", "sam must be the outermost optimizer", node.span, "put other transforms inside its optimizer or adv_optimizer, e.g. sam(chain(clip_by_global_norm(1.0), sgd(0.1)), ...)"));
        return;
      }
      const k = node.args.sync_period;
      const opaque = node.args.opaque_mode;
      if (k?.k === "number" && k.v === 1 && opaque?.k === "bool" && !opaque.v) {
        this.report(
          warning("W402", "sam with sync_period=1 in transparent mode runs the plain outer optimizer", k.span, "optax's current code diverges here (it re-bases on the previous params); optc follows the paper"),
        );
      }
      const axis = node.args.batch_axis_name;
      if (axis?.k === "string" && opaque?.k === "bool" && !opaque.v) {
        this.report(warning("W403", "batch_axis_name is ignored in transparent mode", axis.span, "set opaque_mode=true to all-reduce the adversarial gradients"));
      }
    }
    for (const v of Object.values(node.args)) this.visitChildren(v);
  }

  private visitChildren(v: Value): void {
    if (v.k === "call") this.checkSamPlacement(v, false);
    else if (v.k === "list") v.items.forEach((i) => this.visitChildren(i));
  }
}

function fromDefault(d: DefaultValue, span: Span): Value {
  if (d === null) return { k: "none", span };
  if (typeof d === "number") return { k: "number", v: d, isInt: Number.isInteger(d), span };
  if (typeof d === "boolean") return { k: "bool", v: d, span };
  if (typeof d === "string") return { k: "string", v: d, span };
  return { k: "list", items: d.map((x) => fromDefault(x, span)), span };
}

function describeValue(v: Value): string {
  return v.k === "number" ? String(v.v) : valueSummary(v);
}

function hintFor(kind: Kind): string {
  switch (kind.t) {
    case "transform":
      return "pass an optimizer such as sgd(0.1) or a transform such as normalize()";
    case "schedule":
      return "pass a number such as 1e-3 or a schedule such as cosine_decay_schedule(1e-3, 10000)";
    case "bool":
      return "write true or false";
    default:
      return `pass ${kindSummary(kind)}`;
  }
}

export function signatureHint(def: Def): string {
  return `signature: ${signature(def)}`;
}

export function signature(def: Def): string {
  const parts: string[] = [];
  let starred = false;
  for (const p of def.params) {
    if (p.varargs) {
      parts.push(`*${p.name}`);
      starred = true;
      continue;
    }
    if (p.kwOnly && !starred) {
      parts.push("*");
      starred = true;
    }
    parts.push(p.default === undefined ? p.name : `${p.name}=${formatDefault(p.default, p.kind)}`);
  }
  return `${def.name}(${parts.join(", ")})`;
}

/** Python-style default: ints as `0`, floats as `0.0` / `1e-08`-free `1e-8`. */
export function formatDefault(d: DefaultValue, kind?: Kind): string {
  if (d === null) return "None";
  if (typeof d === "boolean") return d ? "True" : "False";
  if (typeof d === "string") return JSON.stringify(d);
  if (Array.isArray(d)) return `[${d.map((x) => formatDefault(x)).join(", ")}]`;
  const isInt = kind?.t === "int" || (kind?.t === "optional" && kind.of.t === "int");
  const s = String(d);
  return !isInt && /^-?\d+$/.test(s) ? `${s}.0` : s;
}

export type { ParamSpec };
