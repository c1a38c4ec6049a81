/**
 * check(program) → typed tree. Resolves names (bindings, optax./optax.contrib. prefixes, the
 * registry), evaluates expressions into values, and reports every independent error at once.
 * The jobs it delegates: bind.ts binds a call's arguments to parameters as Python would,
 * conform.ts checks kinds and ranges, and each definition's own `validate` hook checks the
 * rules only that name has (e.g. SAM's placement), run over the finished tree.
 */
import type { Call, Expr, NameRef, Program } from "../../dsl/ast.js";
import { error, warning, type Diagnostic, type Span } from "../../dsl/diagnostic.js";
import { allNames, lookup } from "../registry/index.js";
import { bindArguments, type BindContext } from "./bind.js";
import { checkRanges, conform } from "./conform.js";
import { didYouMean } from "./suggest.js";
import type { CallValue, Kind, Value } from "./types.js";

export interface CheckResult {
  tree: CallValue | undefined;
  diagnostics: Diagnostic[];
}

const PREFIXES = [["optax", "contrib"], ["optax"]];

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
  private readonly reportTo = (d: Diagnostic): void => this.report(d);
  private readonly bindContext: BindContext = {
    report: this.reportTo,
    evaluate: (expr, kind, path) => this.value(expr, kind, path),
  };

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
      if (tree) this.validateCalls(tree, true);
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
    return conform(v, kind, e.span, this.reportTo);
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
    const bound = bindArguments(def, c, path, this.bindContext);
    if (!bound || !checkRanges(def, bound.args, bound.explicit, this.reportTo)) return undefined;
    return { k: "call", name, category: def.category, args: bound.args, explicit: bound.explicit, path, span: c.span };
  }

  // ---------------------------------------------------------------- per-name rules

  /** Runs each call's own `validate` hook over the finished tree, outermost call first. */
  private validateCalls(node: CallValue, isRoot: boolean): void {
    const def = lookup(node.name);
    let skipNested = false;
    if (def && def.category !== "schedule" && def.category !== "predicate" && def.validate) {
      def.validate(node, {
        isRoot,
        report: this.reportTo,
        skipNestedCalls: () => {
          skipNested = true;
        },
      });
    }
    if (skipNested) return;
    for (const v of Object.values(node.args)) this.validateNested(v);
  }

  private validateNested(v: Value): void {
    if (v.k === "call") this.validateCalls(v, false);
    else if (v.k === "list") v.items.forEach((i) => this.validateNested(i));
  }
}
