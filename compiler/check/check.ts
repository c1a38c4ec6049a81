/**
 * check(program) → typed tree. Resolves names (bindings, optax./optax.contrib. prefixes, the
 * registry), evaluates expressions into values, and reports every independent error at once (at
 * most MAX_DIAGNOSTICS, then a count). The jobs it delegates: bind.ts binds a call's arguments to
 * parameters as Python would, conform.ts checks kinds, ranges and representable numbers, each
 * definition's own `validate` hook checks the rules only that name has (e.g. SAM's placement),
 * run over the finished tree, limits.ts bounds the expanded tree and paths.ts gives it its paths.
 *
 * Bindings are evaluated once, in order, and a name may only use the bindings above it (as in
 * Python: `lr = lr` and `a = b; b = a` are a name used before it is bound). Each use shares the
 * binding's value, conformed to the kind the use needs, so checking is linear in the source
 * however often a binding is used; the tree is copied out (with each use's own paths) only once
 * its expanded size is known to be within limits.ts's bounds.
 */
import type { Call, Expr, NameRef, Program } from "../../dsl/ast.js";
import { error, warning, type Diagnostic, type Span } from "../../dsl/diagnostic.js";
import { DiagnosticList } from "../../dsl/parse.js";
import { allNames, lookup } from "../registry/index.js";
import { bindArguments, type BindContext } from "./bind.js";
import { checkRanges, conform, NestedConform } from "./conform.js";
import { Measure, sizeProblem } from "./limits.js";
import { scheduleRange, scheduleRangeProblem } from "./numerics.js";
import { withPaths } from "./paths.js";
import { didYouMean, shown } from "./suggest.js";
import type { CallValue, Kind, Value } from "./types.js";

export interface CheckResult {
  tree: CallValue | undefined;
  diagnostics: Diagnostic[];
}

const PREFIXES = [["optax", "contrib"], ["optax"]];

interface BindingInfo {
  /** Its line among the bindings: only later bindings and the final expression may use it. */
  index: number;
  span: Span;
  used: boolean;
  /** The checked value every use shares; undefined when its definition had errors (reported there). */
  value: Value | undefined;
}

export function check(program: Program): CheckResult {
  return new Checker().run(program);
}

class Checker {
  private readonly diags = new DiagnosticList();
  /** The bindings evaluated so far, by name. */
  private readonly bindings = new Map<string, BindingInfo>();
  /** Every binding's name and the line it is first bound on (to tell "not bound yet" from "unknown"). */
  private readonly declared = new Map<string, number>();
  /** Names used before their binding (not reported again as unused). */
  private readonly usedEarly = new Set<string>();
  /** Bindings with an index below this are visible: the one being evaluated, or all for the body. */
  private scope = 0;
  private readonly reportTo = (d: Diagnostic): void => this.report(d);
  private readonly measure = new Measure();
  private readonly nested = new NestedConform(this.reportTo);
  private readonly bindContext: BindContext = {
    report: this.reportTo,
    evaluate: (expr, kind) => this.value(expr, kind),
  };

  run(program: Program): CheckResult {
    program.bindings.forEach((b, i) => {
      if (!this.declared.has(b.name)) this.declared.set(b.name, i);
    });
    program.bindings.forEach((b, i) => {
      if (this.bindings.has(b.name)) {
        this.report(error("E209", `'${shown(b.name)}' is bound twice`, b.nameSpan, "use a different name for the second binding"));
        return;
      }
      if (lookup(b.name)) {
        this.report(error("E209", `'${b.name}' is the name of a built-in ${lookup(b.name)?.category}; a binding may not shadow it`, b.nameSpan, `use another name, e.g. my_${b.name}`));
      }
      this.scope = i;
      let value = this.value(b.value, { t: "any" });
      const tooBig = value && sizeProblem(this.measure.of(value), `'${shown(b.name)}'`);
      if (tooBig) {
        this.report(error(tooBig[0], tooBig[1], b.nameSpan, tooBig[2]));
        value = undefined;
      }
      this.bindings.set(b.name, { index: i, span: b.nameSpan, used: false, value });
    });
    this.scope = program.bindings.length;
    let tree: CallValue | undefined;
    if (program.body) {
      const root = this.value(program.body, { t: "transform" });
      const tooBig = root && sizeProblem(this.measure.of(root), "the config");
      if (tooBig) this.report(error(tooBig[0], tooBig[1], program.body.span, tooBig[2]));
      else if (root?.k === "call") tree = withPaths(root, "");
      if (tree) this.validateCalls(tree, true);
    }
    for (const [name, b] of this.bindings) {
      if (!b.used && !this.usedEarly.has(name)) this.report(warning("W401", `the binding '${shown(name)}' is never used`, b.span, "delete it, or use it in the optimizer"));
    }
    return { tree, diagnostics: this.diags.done() };
  }

  private report(d: Diagnostic): void {
    this.diags.push(d);
  }

  // ---------------------------------------------------------------- values

  private value(e: Expr, kind: Kind | { t: "any" }): Value | undefined {
    const v = this.evaluate(e, kind);
    if (v === undefined || kind.t === "any") return v;
    return conform(v, kind, e.span, this.reportTo);
  }

  /** Turns an expression into a value (calls are bound); kinds are checked by conform(). */
  private evaluate(e: Expr, kind: Kind | { t: "any" }): Value | undefined {
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
        // A tuple's items each have their own kind; items past its arity are conform()'s E301.
        const items = e.items.map((it, i) => this.value(it, kind.t === "tuple" ? (kind.items[i] ?? { t: "any" }) : of));
        return items.every((x) => x !== undefined) ? { k: "list", items: items as Value[], span: e.span } : undefined;
      }
      case "map": {
        const mk = kind.t === "map" ? kind : kind.t === "optional" && kind.of.t === "map" ? kind.of : undefined;
        const entries: [Value, Value][] = [];
        let ok = true;
        const seen = new Set<string>();
        for (const en of e.entries) {
          const k = this.value(en.key, mk ? mk.key : { t: "any" });
          const v = this.value(en.value, mk ? mk.value : { t: "any" });
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
        return this.name(e, kind);
      case "call":
        return this.call(e);
    }
  }

  private stripPrefix(ref: NameRef): string | undefined {
    for (const p of PREFIXES) {
      if (ref.path.length === p.length + 1 && p.every((x, i) => ref.path[i] === x)) return ref.path[p.length];
    }
    if (ref.path.length === 1) return ref.path[0];
    this.report(
      error("E208", `'${shown(ref.path.slice(0, -1).join("."))}' is not a module optc knows`, { start: ref.span.start, end: ref.nameSpan.start - 1 }, "write the bare name, or prefix it with optax. or optax.contrib."),
    );
    return undefined;
  }

  /** The binding `name` if this scope sees it. */
  private visible(name: string): BindingInfo | undefined {
    const b = this.bindings.get(name);
    return b && b.index < this.scope ? b : undefined;
  }

  private name(ref: NameRef, kind: Kind | { t: "any" }): Value | undefined {
    if (ref.path.length === 1) {
      const id = ref.path[0];
      const b = this.visible(id);
      if (b) {
        b.used = true;
        // Errors inside the binding were reported at its definition; the value itself is conformed by value().
        if (b.value === undefined) return undefined;
        return kind.t === "any" || this.nested.check(b.value, kind) ? b.value : undefined;
      }
      const at = this.declared.get(id);
      if (at !== undefined && at >= this.scope) {
        this.usedEarly.add(id);
        this.report(
          at === this.scope
            ? error("E201", `'${shown(id)}' is used in its own binding`, ref.nameSpan, `a binding can only use the names bound above it, so '${shown(id)}' is not bound yet here`)
            : error("E201", `'${shown(id)}' is used before it is bound`, ref.nameSpan, `bindings are read top to bottom: move '${shown(id)} = ...' above this line`),
        );
        return undefined;
      }
    }
    const name = this.stripPrefix(ref);
    if (name === undefined) return undefined;
    const def = lookup(name);
    if (def?.category === "predicate" && def.params.length === 0) return { k: "call", name, category: "predicate", args: {}, explicit: [], path: "", span: ref.span };
    if (def) {
      this.report(error("E207", def.category === "predicate" ? `'${name}' takes ${def.params.map((p) => p.name).join(", ")} and must be called` : `'${name}' is a ${def.category === "schedule" ? "schedule" : "transformation"} factory and must be called`, ref.nameSpan, `write ${name}(...)`));
      return undefined;
    }
    const known = [...[...this.bindings].filter(([, b]) => b.index < this.scope).map(([n]) => n), ...allNames()];
    this.report(error("E201", `unknown name '${shown(name)}'`, ref.nameSpan, didYouMean(name, known) ?? "see the language reference in the README for every name"));
    return undefined;
  }

  private call(c: Call): Value | undefined {
    if (c.callee.path.length === 1 && this.visible(c.callee.path[0])) {
      this.report(error("E207", `'${shown(c.callee.path[0])}' is a bound value, not a function`, c.callee.nameSpan, `use ${shown(c.callee.path[0])} without parentheses`));
      return undefined;
    }
    const name = this.stripPrefix(c.callee);
    if (name === undefined) return undefined;
    const def = lookup(name);
    if (!def) {
      this.report(error("E201", `unknown optimizer, transform or schedule '${shown(name)}'`, c.callee.nameSpan, didYouMean(name, allNames()) ?? "see the language reference in the README for every name"));
      return undefined;
    }
    if (def.category === "predicate" && def.params.length === 0) {
      this.report(error("E207", `'${name}' is a predicate; pass it without calling it`, c.callee.nameSpan, `write should_skip_update_fn=${name}`));
      return undefined;
    }
    const bound = bindArguments(def, c, this.bindContext);
    if (!bound || !checkRanges(def, bound.args, bound.explicit, this.reportTo)) return undefined;
    if (def.category !== "schedule") {
      // A schedule given as a hyperparameter must stay within float32's range at every count.
      let ok = true;
      for (const p of bound.explicit) {
        const problem = scheduleRangeProblem(bound.args[p], bound.args[p].span);
        if (problem) {
          this.report(problem);
          ok = false;
        }
      }
      if (!ok) return undefined;
    }
    // The path is given to the finished tree (paths.ts): a binding's value is shared by its uses.
    return { k: "call", name, category: def.category, args: bound.args, explicit: bound.explicit, path: "", span: c.span };
  }

  // ---------------------------------------------------------------- per-name rules

  /** Runs each call's own `validate` hook over the finished tree, outermost call first. */
  private validateCalls(node: CallValue, isRoot: boolean, paramsRoot = isRoot): void {
    const def = lookup(node.name);
    let skipNested = false;
    if (def && def.category !== "schedule" && def.category !== "predicate" && def.validate) {
      def.validate(node, {
        isRoot,
        paramsRoot,
        report: this.reportTo,
        scheduleRange,
        varargs: (name) => lookup(name)?.params.find((p) => p.varargs)?.name,
        skipNestedCalls: () => {
          skipNested = true;
        },
      });
    }
    if (skipNested) return;
    const passes = paramsRoot && def !== undefined && "passesUpdates" in def && def.passesUpdates === true;
    for (const v of Object.values(node.args)) this.validateNested(v, passes);
  }

  private validateNested(v: Value, paramsRoot: boolean): void {
    if (v.k === "call") this.validateCalls(v, false, paramsRoot && v.category !== "schedule");
    else if (v.k === "list") v.items.forEach((i) => this.validateNested(i, false));
  }
}
